// The wire protocol as a client sees it: inline commands, pipelining with one write per read,
// byte-at-a-time requests, protocol errors that close only the offending connection, limits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { encodeCommand, RawClient } from '../helpers/raw-client.js';
import { type RunningServer, startShoal } from '../helpers/servers.js';

describe('protocol', () => {
  let shoal: RunningServer;
  before(async () => {
    shoal = await startShoal();
  });
  after(async () => {
    await shoal.stop();
  });

  it('answers inline commands with Redis quoting', async () => {
    const client = await RawClient.connect(shoal.port);
    client.write('SET "a key" "line\\nbreak"\r\nGET "a key"\r\nPING\n\r\n');
    assert.deepEqual(await client.read(3), ['OK', 'line\nbreak', 'PONG']);
    client.write('SET x "unbalanced\r\n');
    const [error] = await client.read(1);
    assert.ok(error instanceof ReplyError);
    assert.equal(error.message, 'ERR Protocol error: unbalanced quotes in request');
    await client.waitClosed();
  });

  it('writes all replies of one read with one write, in order', async () => {
    const client = await RawClient.connect(shoal.port);
    const commands: Buffer[] = [];
    for (let i = 0; i < 200; i++)
      commands.push(encodeCommand(['SET', `k${i}`, String(i)]), encodeCommand(['GET', `k${i}`]));
    client.write(Buffer.concat(commands));
    const replies = await client.read(400);
    for (let i = 0; i < 200; i++) assert.equal(replies[2 * i + 1], String(i));
    assert.equal(client.chunks.length, 1, 'one socket write for one read');
    client.close();
  });

  it('parses a command sent one byte at a time', async () => {
    const client = await RawClient.connect(shoal.port);
    const bytes = encodeCommand(['SET', 'slow', 'a\r\nb']);
    for (const byte of bytes) {
      client.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(await client.read(1), ['OK']);
    assert.equal(await client.call('GET', 'slow'), 'a\r\nb');
    client.close();
  });

  it('closes only the connection that breaks the protocol', async () => {
    const good = await RawClient.connect(shoal.port);
    const bad = await RawClient.connect(shoal.port);
    bad.write('*2\r\n$3\r\nGET\r\n$x\r\n');
    const [error] = await bad.read(1);
    assert.ok(error instanceof ReplyError);
    assert.equal(error.message, 'ERR Protocol error: invalid bulk length');
    await bad.waitClosed();
    const worse = await RawClient.connect(shoal.port);
    worse.write('*2000000\r\n');
    const [countError] = await worse.read(1);
    assert.ok(countError instanceof ReplyError);
    assert.equal(countError.message, 'ERR Protocol error: invalid multibulk length');
    await worse.waitClosed();
    assert.equal(await good.call('PING'), 'PONG');
    good.close();
  });

  it('enforces proto-max-bulk-len, also after CONFIG SET', async () => {
    const admin = await RawClient.connect(shoal.port);
    assert.equal(await admin.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb'), 'OK');
    const client = await RawClient.connect(shoal.port);
    client.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`);
    const [error] = await client.read(1);
    assert.ok(error instanceof ReplyError);
    assert.equal(error.message, 'ERR Protocol error: invalid bulk length');
    await client.waitClosed();
    assert.equal(await admin.call('CONFIG', 'SET', 'proto-max-bulk-len', '512mb'), 'OK');
    admin.close();
  });

  it('stores and returns a large value intact', async () => {
    const client = await RawClient.connect(shoal.port);
    const value = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
    assert.equal(await client.call('SET', 'big', value), 'OK');
    const back = (await client.call('GET', 'big')) as string;
    assert.ok(Buffer.from(back, 'latin1').equals(value));
    client.close();
  });

  it('QUIT answers OK then closes; unknown commands and arity are refused', async () => {
    const client = await RawClient.connect(shoal.port);
    const unknown = await client.call('FOO', 'bar');
    assert.ok(unknown instanceof ReplyError);
    assert.equal(unknown.message, "ERR unknown command 'FOO', with args beginning with: 'bar' ");
    const arity = await client.call('GET');
    assert.ok(arity instanceof ReplyError);
    assert.equal(arity.message, "ERR wrong number of arguments for 'get' command");
    assert.equal(await client.call('QUIT'), 'OK');
    await client.waitClosed();
  });

  it('requires AUTH when requirepass is set, and HELLO can authenticate', async () => {
    const secured = await startShoal({ requirepass: 's3cret' });
    try {
      const client = await RawClient.connect(secured.port);
      const refused = await client.call('GET', 'k');
      assert.ok(refused instanceof ReplyError);
      assert.equal(refused.message, 'NOAUTH Authentication required.');
      const wrong = await client.call('AUTH', 'nope');
      assert.ok(wrong instanceof ReplyError);
      assert.match(wrong.message, /^WRONGPASS/);
      assert.equal(await client.call('AUTH', 's3cret'), 'OK');
      assert.equal(await client.call('SET', 'k', 'v'), 'OK');
      const other = await RawClient.connect(secured.port);
      const hello = await other.call('HELLO', '3', 'AUTH', 'default', 's3cret', 'SETNAME', 'me');
      assert.ok(hello instanceof Map);
      assert.equal(hello.get('proto'), 3);
      assert.equal(await other.call('GET', 'k'), 'v');
      client.close();
      other.close();
    } finally {
      await secured.stop();
    }
  });

  it('RESP3 replies use RESP3 types', async () => {
    const client = await RawClient.connect(shoal.port);
    await client.call('HELLO', '3');
    assert.equal(await client.call('GET', 'no-such-key'), null);
    const config = await client.call('CONFIG', 'GET', 'hz');
    assert.ok(config instanceof Map);
    assert.equal(config.get('hz'), '10');
    client.close();
  });

  it('refuses clients past maxclients with Redis wording', async () => {
    const limited = await startShoal({ maxclients: '1' });
    try {
      const first = await RawClient.connect(limited.port);
      assert.equal(await first.call('PING'), 'PONG');
      const second = await RawClient.connect(limited.port);
      const [error] = await second.read(1);
      assert.ok(error instanceof ReplyError);
      assert.equal(error.message, 'ERR max number of clients reached');
      await second.waitClosed();
      first.close();
    } finally {
      await limited.stop();
    }
  });
});
