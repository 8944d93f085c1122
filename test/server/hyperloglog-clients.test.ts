// HyperLogLog commands through client libraries over TCP: ioredis (PFADD, PFCOUNT, PFMERGE,
// the stored bytes as a Buffer, PFDEBUG through call(), errors as ReplyError) and node-redis
// over RESP3.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startShoal } from '../helpers/servers.js';

const elements = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('HyperLogLog commands through client libraries', () => {
  let server: RunningServer;
  let ioredis: Redis;
  let resp3: ReturnType<typeof createResp3>;

  function createResp3(port: number) {
    return createClient({ url: `redis://127.0.0.1:${port}`, RESP: 3 });
  }

  before(async () => {
    server = await startShoal();
    ioredis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await ioredis.connect();
    resp3 = createResp3(server.port);
    await resp3.connect();
  });

  after(async () => {
    ioredis?.disconnect();
    await resp3?.close();
    await server?.stop();
  });

  it('ioredis: add, count, merge, bytes and errors', async () => {
    assert.equal(await ioredis.pfadd('io:a', 'x', 'y', 'z'), 1);
    assert.equal(await ioredis.pfadd('io:a', 'x'), 0);
    assert.equal(await ioredis.pfcount('io:a'), 3);
    assert.equal(await ioredis.pfadd('io:b', ...elements('b', 4000)), 1);
    assert.equal(await ioredis.call('PFDEBUG', 'ENCODING', 'io:b'), 'dense');
    assert.equal(await ioredis.call('PFDEBUG', 'ENCODING', 'io:a'), 'sparse');
    const count = await ioredis.pfcount('io:b');
    assert.ok(Math.abs(count - 4000) < 200, `estimate ${count}`);
    assert.equal(await ioredis.pfmerge('io:ab', 'io:a', 'io:b'), 'OK');
    assert.equal(await ioredis.pfcount('io:ab'), await ioredis.pfcount('io:a', 'io:b'));
    const bytes = await ioredis.getBuffer('io:ab');
    assert.equal(bytes?.length, 12304);
    assert.equal(bytes?.subarray(0, 4).toString(), 'HYLL');
    // A copy made with SET is a HyperLogLog too.
    assert.equal(await ioredis.set('io:copy', bytes as Buffer), 'OK');
    assert.equal(await ioredis.pfcount('io:copy'), await ioredis.pfcount('io:ab'));
    await ioredis.set('io:plain', 'text');
    await assert.rejects(
      ioredis.pfadd('io:plain', 'x'),
      /^ReplyError: WRONGTYPE Key is not a valid HyperLogLog string value\./,
    );
    await ioredis.setrange('io:copy', 4, '\x01');
    await ioredis.setrange('io:copy', 15, '\x80');
    await assert.rejects(ioredis.pfcount('io:copy'), /INVALIDOBJ Corrupted HLL object detected/);
    const pipeline = await ioredis.pipeline().pfadd('io:p', 'a').pfcount('io:p').exec();
    assert.deepEqual(pipeline, [
      [null, 1],
      [null, 1],
    ]);
  });

  it('node-redis over RESP3', async () => {
    assert.equal(await resp3.pfAdd('nr:h', ['a', 'b', 'c', 'a']), 1);
    assert.equal(await resp3.pfCount('nr:h'), 3);
    assert.equal(await resp3.pfMerge('nr:m', ['nr:h', 'nr:missing']), 'OK');
    assert.equal(await resp3.pfCount(['nr:m', 'nr:h']), 3);
  });
});
