// CLIENT subcommands: PAUSE / UNPAUSE (commands wait, they are not refused), REPLY, NO-EVICT,
// NO-TOUCH, KILL filters, and CLIENT LIST's fields, side by side
// with a real redis-server where replies are deterministic.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply } from '../../src/resp/reply-reader.js';
import { plain } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import {
  type ChildServer,
  type RunningServer,
  spawnRedis,
  startShoal,
  waitFor,
} from '../helpers/servers.js';

/** CLIENT LIST / INFO line as a map of field to value. */
function fields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of line.trim().split(' ')) {
    const at = pair.indexOf('=');
    out.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return out;
}

async function clientLine(client: RawClient, id: number): Promise<Map<string, string>> {
  const text = String(await client.call('CLIENT', 'LIST', 'ID', String(id)));
  return fields(text);
}

describe('CLIENT control', { timeout: 60_000 }, () => {
  let redis: ChildServer | undefined;
  let shoal: RunningServer;
  let redisClient: RawClient;
  let shoalClient: RawClient;

  before(async () => {
    redis = await spawnRedis();
    shoal = await startShoal();
    if (redis !== undefined) redisClient = await RawClient.connect(redis.port);
    shoalClient = await RawClient.connect(shoal.port);
  });
  after(async () => {
    redisClient?.close();
    shoalClient?.close();
    await redis?.stop();
    await shoal.stop();
  });

  async function sideBySide(script: string[][]): Promise<void> {
    for (const argv of script) {
      const actual = plain(await shoalClient.call(...argv));
      if (redis === undefined) continue;
      const expected = plain(await redisClient.call(...argv));
      assert.deepEqual(actual, expected, `reply to ${argv.join(' ')}`);
    }
  }

  it('answers errors and fixed replies as Redis does', async () => {
    await sideBySide([
      ['CLIENT', 'PAUSE', 'abc'],
      ['CLIENT', 'PAUSE', '-1'],
      ['CLIENT', 'PAUSE', '10', 'foo'],
      ['CLIENT', 'PAUSE', '10', 'WRITE', 'extra'],
      ['CLIENT', 'UNPAUSE'],
      ['CLIENT', 'REPLY', 'foo'],
      ['CLIENT', 'REPLY', 'ON'],
      ['CLIENT', 'NO-EVICT', 'foo'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'off'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'KILL', 'foo', 'bar'],
      ['CLIENT', 'KILL', 'ID', 'abc'],
      ['CLIENT', 'KILL', 'ID', '0'],
      ['CLIENT', 'KILL', 'TYPE', 'foo'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5'],
      ['CLIENT', 'LIST', 'TYPE', 'foo'],
      ['CLIENT', 'LIST', 'ID', 'abc'],
      ['CLIENT', 'LIST', 'ID', '0'],
      ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
      ['CLIENT', 'NOPE'],
    ]);
    // CLIENT TRACKING itself: test/server/tracking.test.ts.
    assert.equal(await shoalClient.call('CLIENT', 'NO-TOUCH', 'on'), 'OK');
    assert.equal(fields(String(await shoalClient.call('CLIENT', 'INFO'))).get('flags'), 'T');
    assert.equal(await shoalClient.call('CLIENT', 'NO-EVICT', 'on'), 'OK');
    assert.equal(fields(String(await shoalClient.call('CLIENT', 'INFO'))).get('flags'), 'eT');
    assert.equal(await shoalClient.call('RESET'), 'RESET');
    assert.equal(fields(String(await shoalClient.call('CLIENT', 'INFO'))).get('flags'), 'N');
  });

  it('CLIENT REPLY OFF, ON and SKIP drop replies as Redis does', async () => {
    const run = async (port: number): Promise<unknown[]> => {
      const client = await RawClient.connect(port);
      client.send('CLIENT', 'REPLY', 'OFF');
      client.send('SET', 'r', '1');
      client.send('GET', 'r');
      client.send('CLIENT', 'REPLY', 'SKIP');
      client.send('CLIENT', 'REPLY', 'ON');
      client.send('CLIENT', 'REPLY', 'SKIP');
      client.send('INCR', 'r');
      client.send('GET', 'r');
      client.send('CLIENT', 'REPLY', 'SKIP');
      client.send('CLIENT', 'REPLY', 'SKIP');
      client.send('PING', 'skipped?');
      client.send('PING', 'last');
      const replies = await client.read(3);
      client.close();
      return replies.map(plain);
    };
    const ours = await run(shoal.port);
    assert.deepEqual(ours, ['OK', '2', 'last']);
    if (redis !== undefined) assert.deepEqual(ours, await run(redis.port));
  });

  it('CLIENT PAUSE WRITE holds writes and lets reads through; UNPAUSE releases them', async () => {
    const writer = await RawClient.connect(shoal.port);
    const reader = await RawClient.connect(shoal.port);
    await writer.call('SET', 'p', 'before');
    assert.equal(await shoalClient.call('CLIENT', 'PAUSE', '60000', 'WRITE'), 'OK');
    writer.send('SET', 'p', 'after');
    writer.send('GET', 'p');
    assert.equal(await reader.call('GET', 'p'), 'before', 'reads are not paused');
    const writerId = (await reader.call('CLIENT', 'LIST')) as unknown as string;
    const waiting = String(writerId)
      .trim()
      .split('\n')
      .map(fields)
      .find((line) => line.get('cmd') === 'set' || line.get('flags') === 'b');
    assert.equal(waiting?.get('flags'), 'b', 'the paused client shows as blocked');
    await assert.rejects(writer.read(1, 200), /timed out/, 'the write waits');
    assert.equal(await reader.call('CLIENT', 'UNPAUSE'), 'OK');
    assert.deepEqual(await writer.read(2), ['OK', 'after'], 'then runs, in order');
    writer.close();
    reader.close();
  });

  it('CLIENT PAUSE ALL holds every command until the timeout; keys do not expire meanwhile', async () => {
    const other = await RawClient.connect(shoal.port);
    await other.call('SET', 'soon', 'x', 'PX', '100');
    const started = Date.now();
    assert.equal(await shoalClient.call('CLIENT', 'PAUSE', '400', 'ALL'), 'OK');
    other.send('PING');
    assert.equal(plain((await other.read(1, 5000))[0] as Reply), 'PONG');
    assert.ok(Date.now() - started >= 350, 'PING waited for the pause');
    assert.equal(await other.call('GET', 'soon'), null);
    await shoalClient.call('CLIENT', 'PAUSE', '300', 'WRITE');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await other.call('SET', 'soon2', 'x', 'PX', '1');
    await waitFor(
      async () => (await other.call('GET', 'soon2')) === null,
      'soon2 to read as expired',
    );
    other.close();
  });

  it('CLIENT KILL filters by id, address, type, user and age', async () => {
    const victims = await Promise.all([0, 1, 2].map(() => RawClient.connect(shoal.port)));
    const ids = (await Promise.all(victims.map((v) => v.call('CLIENT', 'ID')))) as number[];
    await victims[2]?.call('SUBSCRIBE', 'news');
    assert.equal(await shoalClient.call('CLIENT', 'KILL', 'TYPE', 'pubsub'), 1);
    await victims[2]?.waitClosed();
    assert.equal(await shoalClient.call('CLIENT', 'KILL', 'ID', String(ids[0])), 1);
    await victims[0]?.waitClosed();
    const line = await clientLine(shoalClient, ids[1] as number);
    assert.equal(
      await shoalClient.call(
        'CLIENT',
        'KILL',
        'ADDR',
        line.get('addr') as string,
        'USER',
        'nobody',
      ),
      0,
    );
    assert.equal(
      await shoalClient.call('CLIENT', 'KILL', 'LADDR', line.get('laddr') as string, 'MAXAGE', '0'),
      1,
      'skips the caller itself',
    );
    await victims[1]?.waitClosed();
    assert.equal(await shoalClient.call('CLIENT', 'ID').then(Number.isInteger), true);
  });

  it('CLIENT LIST has the fields Redis has, with values that follow the connection', async (t) => {
    const info = fields(String(await shoalClient.call('CLIENT', 'INFO')));
    if (redis !== undefined) {
      const theirs = fields(String(await redisClient.call('CLIENT', 'INFO')));
      for (const name of theirs.keys()) assert.ok(info.has(name), `field ${name}`);
      assert.equal(info.get('argv-mem'), theirs.get('argv-mem'), 'CLIENT INFO arguments');
    } else t.diagnostic('redis-server not installed: field names not compared');
    assert.equal(info.get('cmd'), 'client|info');
    const other = await RawClient.connect(shoal.port);
    const id = (await other.call('CLIENT', 'ID')) as number;
    await other.call('SUBSCRIBE', 'a', 'b');
    await other.call('PSUBSCRIBE', 'c*');
    let line = await clientLine(shoalClient, id);
    assert.equal(line.get('flags'), 'P');
    assert.equal(line.get('sub'), '2');
    assert.equal(line.get('psub'), '1');
    await other.call('RESET');
    await other.call('MULTI');
    await other.call('SET', 'k', 'value');
    await other.call('GET', 'k');
    line = await clientLine(shoalClient, id);
    assert.equal(line.get('flags'), 'x');
    assert.equal(line.get('multi'), '2');
    assert.equal(line.get('multi-mem'), String('SETkvalueGETk'.length));
    await other.call('DISCARD');
    other.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc');
    await waitFor(
      async () => (await clientLine(shoalClient, id)).get('qbuf') !== '0',
      'the partial command to show in qbuf',
    );
    other.close();
  });
});
