// The client limits: maxclients, timeout (idle clients closed, but not blocked, subscribed or
// MONITOR ones, as Redis), tcp-keepalive (checked in the kernel's socket table on Linux),
// client-query-buffer-limit (a huge bulk sent slowly, a blocked client's pipeline) and
// client-output-buffer-limit for normal clients (a client that does not read costs at most its
// limit).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { startShoal, waitFor } from '../helpers/servers.js';

describe('client limits', { timeout: 60_000 }, () => {
  it('maxclients refuses new clients, also after CONFIG SET', async () => {
    const shoal = await startShoal();
    try {
      const first = await RawClient.connect(shoal.port);
      assert.equal(await first.call('CONFIG', 'SET', 'maxclients', '1'), 'OK');
      const second = await RawClient.connect(shoal.port);
      const [error] = await second.read(1);
      assert.ok(error instanceof ReplyError);
      assert.equal(error.message, 'ERR max number of clients reached');
      await second.waitClosed();
      assert.match(String(await first.call('INFO', 'stats')), /rejected_connections:1\r\n/);
      first.close();
    } finally {
      await shoal.stop();
    }
  });

  it('timeout closes idle clients, not blocked, subscribed or monitoring ones', async () => {
    const shoal = await startShoal({ timeout: '1' });
    try {
      const idle = await RawClient.connect(shoal.port);
      const blocked = await RawClient.connect(shoal.port);
      const subscriber = await RawClient.connect(shoal.port);
      const monitor = await RawClient.connect(shoal.port);
      const busy = await RawClient.connect(shoal.port);
      await idle.call('PING');
      blocked.send('BLPOP', 'nothing', '0');
      await subscriber.call('SUBSCRIBE', 'quiet');
      await monitor.call('MONITOR');
      const started = Date.now();
      const keepBusy = setInterval(() => busy.send('PING'), 100);
      await idle.waitClosed(5000);
      assert.ok(Date.now() - started >= 900, 'not before the timeout');
      // `busy` keeps talking, so it stays; give the others one more idle-check round.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      clearInterval(keepBusy);
      const names = ['blocked', 'subscriber', 'monitor', 'busy'];
      [blocked, subscriber, monitor, busy].forEach((client, i) =>
        assert.equal(client.closed, false, names[i]),
      );
      const pusher = await RawClient.connect(shoal.port);
      assert.equal(await pusher.call('LPUSH', 'nothing', 'x'), 1);
      pusher.close();
      assert.deepEqual(await blocked.read(1), [['nothing', 'x']]);
      for (const client of [blocked, subscriber, monitor, busy]) client.close();
    } finally {
      await shoal.stop();
    }
  });

  it('tcp-keepalive arms the kernel keepalive timer (Linux)', async (t) => {
    if (!existsSync('/proc/net/tcp')) return t.skip('no /proc/net/tcp');
    for (const seconds of [7, 0]) {
      const shoal = await startShoal({ 'tcp-keepalive': String(seconds) });
      try {
        const client = await RawClient.connect(shoal.port);
        await client.call('PING');
        const localPort = client.socket.localPort as number;
        const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
        // The server's side: local = server port, remote = the client's port.
        const row = readFileSync('/proc/net/tcp', 'utf8')
          .split('\n')
          .map((line) => line.trim().split(/\s+/))
          .find(
            (cols) =>
              cols[1]?.endsWith(`:${hex(shoal.port)}`) && cols[2]?.endsWith(`:${hex(localPort)}`),
          );
        assert.ok(row, 'server socket found');
        const [timer, when] = (row[5] as string).split(':') as [string, string];
        if (seconds === 0) assert.equal(timer, '00', 'no keepalive timer');
        else {
          assert.equal(timer, '02', 'keepalive timer armed');
          // In clock ticks (USER_HZ, 100 per second): at most the interval.
          assert.ok(parseInt(when, 16) <= seconds * 100, `timer ${when}`);
        }
        client.close();
      } finally {
        await shoal.stop();
      }
    }
  });

  it('client-query-buffer-limit closes a client sending a huge bulk slowly', async () => {
    const shoal = await startShoal({ 'client-query-buffer-limit': '1mb' });
    try {
      const slow = await RawClient.connect(shoal.port);
      const other = await RawClient.connect(shoal.port);
      slow.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n');
      for (let i = 0; i < 20 && !slow.closed; i++) {
        slow.write(Buffer.alloc(100_000, 120));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await slow.waitClosed();
      assert.equal(await other.call('EXISTS', 'k'), 0);
      // Within the limit, the same bulk sent slowly is stored.
      other.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$900000\r\n');
      for (let i = 0; i < 9; i++) other.write(Buffer.alloc(100_000, 121));
      other.write('\r\n');
      assert.equal((await other.read(1))[0], 'OK');
      assert.equal(await other.call('STRLEN', 'k'), 900_000);
      // A blocked client's pipelined commands wait in its query buffer, within the limit too.
      const blocked = await RawClient.connect(shoal.port);
      blocked.send('BLPOP', 'empty', '0');
      await waitFor(
        async () => /blocked_clients:1/.test(String(await other.call('INFO', 'clients'))),
        'the client to block',
      );
      const chunk = Buffer.from(`*2\r\n$4\r\nECHO\r\n$60000\r\n${'z'.repeat(60_000)}\r\n`);
      for (let i = 0; i < 40 && !blocked.closed; i++) {
        blocked.write(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await blocked.waitClosed();
      assert.equal(await other.call('PING'), 'PONG');
      other.close();
    } finally {
      await shoal.stop();
    }
  });

  it('client-output-buffer-limit bounds what a normal client that does not read costs', async () => {
    const limit = 256 * 1024;
    const shoal = await startShoal({ 'client-output-buffer-limit': `normal ${limit} 0 0` });
    try {
      const setup = await RawClient.connect(shoal.port);
      await setup.call('SET', 'big', 'v'.repeat(64 * 1024));
      const reader = await RawClient.connect(shoal.port);
      const readerId = (await reader.call('CLIENT', 'ID')) as number;
      reader.socket.pause();
      const request = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(50));
      let maxPending = 0;
      for (let i = 0; i < 100; i++) {
        reader.write(request);
        const list = String(await setup.call('CLIENT', 'LIST', 'ID', String(readerId)));
        const omem = /omem=(\d+)/.exec(list);
        if (omem === null) break;
        maxPending = Math.max(maxPending, Number(omem[1]));
      }
      await waitFor(
        async () =>
          /client_output_buffer_limit_disconnections:1/.test(
            String(await setup.call('INFO', 'stats')),
          ),
        'the slow reader to be cut off',
      );
      assert.ok(maxPending <= limit, `pending output ${maxPending} <= ${limit}`);
      assert.equal(await setup.call('PING'), 'PONG');
      reader.close();
      setup.close();
    } finally {
      await shoal.stop();
    }
  });
});
