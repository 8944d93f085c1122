// List commands through real client libraries over TCP: ioredis and node-redis, with their own
// argument building and reply parsing (RESP2, and RESP3 for node-redis).

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient, type RedisClientType } from 'redis';
import { type RunningServer, startShoal } from '../helpers/servers.js';

describe('lists through ioredis', () => {
  let shoal: RunningServer;
  let redis: Redis;
  before(async () => {
    shoal = await startShoal();
    redis = new Redis({ port: shoal.port, lazyConnect: true });
    await redis.connect();
  });
  after(async () => {
    redis.disconnect();
    await shoal.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
  });

  it('pushes, pops and reads', async () => {
    assert.equal(await redis.rpush('queue', 'a', 'b', 'c'), 3);
    assert.equal(await redis.lpush('queue', 'z'), 4);
    assert.equal(await redis.lpushx('none', 'x'), 0);
    assert.deepEqual(await redis.lrange('queue', 0, -1), ['z', 'a', 'b', 'c']);
    assert.equal(await redis.llen('queue'), 4);
    assert.equal(await redis.lindex('queue', -1), 'c');
    assert.equal(await redis.lpop('queue'), 'z');
    assert.deepEqual(await redis.rpop('queue', 2), ['c', 'b']);
    assert.equal(await redis.lpop('none'), null);
    assert.equal(await redis.lpop('none', 2), null);
    assert.deepEqual(await redis.lpop('queue', 0), []);
    await assert.rejects(redis.lpop('queue', -1), /ERR value is out of range, must be positive/);
  });

  it('changes lists in place and searches them', async () => {
    await redis.rpush('l', 'a', 'b', 'a', 'c');
    assert.equal(await redis.lset('l', 1, 'B'), 'OK');
    assert.equal(await redis.linsert('l', 'BEFORE', 'c', 'x'), 5);
    assert.equal(await redis.lrem('l', 0, 'a'), 2);
    assert.equal(await redis.ltrim('l', 0, 1), 'OK');
    assert.deepEqual(await redis.lrange('l', 0, -1), ['B', 'x']);
    await redis.rpush('p', 'a', 'b', 'a', 'a');
    assert.equal(await redis.lpos('p', 'a'), 0);
    assert.equal(await redis.lpos('p', 'a', 'RANK', -1), 3);
    assert.deepEqual(await redis.lpos('p', 'a', 'COUNT', 0), [0, 2, 3]);
    assert.deepEqual(await redis.lpos('p', 'a', 'COUNT', 2, 'MAXLEN', 3), [0, 2]);
    await assert.rejects(redis.lset('l', 9, 'x'), /ERR index out of range/);
    await redis.set('s', 'v');
    await assert.rejects(redis.llen('s'), /^ReplyError: WRONGTYPE/);
  });

  it('moves between lists', async () => {
    await redis.rpush('src', '1', '2', '3');
    assert.equal(await redis.lmove('src', 'dst', 'RIGHT', 'LEFT'), '3');
    assert.equal(await redis.rpoplpush('src', 'dst'), '2');
    assert.deepEqual(await redis.lrange('dst', 0, -1), ['2', '3']);
    assert.deepEqual(await redis.lmpop(2, 'none', 'dst', 'LEFT', 'COUNT', 5), ['dst', ['2', '3']]);
    assert.equal(await redis.lmpop(1, 'dst', 'LEFT'), null);
  });

  it('keeps binary elements intact and runs lists in MULTI and pipelines', async () => {
    const bytes = Buffer.from([0, 0xff, 13, 10, 0x80]);
    await redis.rpush('bin', bytes, 'héllo');
    assert.deepEqual(await redis.lrangeBuffer('bin', 0, 0), [bytes]);
    assert.equal(await redis.lindex('bin', 1), 'héllo');
    const results = await redis.multi().rpush('t', 'a').lpop('t').llen('t').exec();
    assert.deepEqual(results, [
      [null, 1],
      [null, 'a'],
      [null, 0],
    ]);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 1000; i++) pipeline.rpush('many', String(i));
    await pipeline.exec();
    assert.equal(await redis.llen('many'), 1000);
    assert.equal(await redis.lindex('many', 500), '500');
    assert.equal(await redis.object('ENCODING', 'many'), 'listpack');
    await redis.rpush('many', 'x'.repeat(9000));
    assert.equal(await redis.object('ENCODING', 'many'), 'quicklist');
  });
});

describe('lists through node-redis', () => {
  let shoal: RunningServer;
  let client: RedisClientType;
  let client3: ReturnType<typeof createClient>;
  before(async () => {
    shoal = await startShoal();
    client = createClient({ socket: { port: shoal.port } });
    client3 = createClient({ socket: { port: shoal.port }, RESP: 3 });
    await client.connect();
    await client3.connect();
  });
  after(async () => {
    await client.quit();
    await client3.quit();
    await shoal.stop();
  });
  beforeEach(async () => {
    await client.flushAll();
  });

  it('pushes, pops and reads (RESP2)', async () => {
    assert.equal(await client.rPush('l', ['a', 'b', 'c']), 3);
    assert.equal(await client.lPush('l', 'z'), 4);
    assert.equal(await client.rPushX('none', 'x'), 0);
    assert.deepEqual(await client.lRange('l', 0, -1), ['z', 'a', 'b', 'c']);
    assert.equal(await client.lLen('l'), 4);
    assert.equal(await client.lIndex('l', 0), 'z');
    assert.equal(await client.lPop('l'), 'z');
    assert.deepEqual(await client.rPopCount('l', 2), ['c', 'b']);
    assert.equal(await client.lPopCount('none', 2), null);
    assert.equal(await client.lPos('l', 'a'), 0);
    assert.deepEqual(await client.lPosCount('l', 'a', 0), [0]);
    assert.equal(await client.lMove('l', 'm', 'LEFT', 'RIGHT'), 'a');
    assert.deepEqual(await client.lmPop(['none', 'm'], 'LEFT'), ['m', ['a']]);
    assert.equal(await client.exists(['l', 'm']), 0);
  });

  it('in-place changes and errors (RESP3)', async () => {
    assert.equal(await client3.rPush('l', ['a', 'b', 'c']), 3);
    assert.equal(await client3.lSet('l', -1, 'C'), 'OK');
    assert.equal(await client3.lInsert('l', 'AFTER', 'a', 'x'), 4);
    assert.equal(await client3.lRem('l', 1, 'b'), 1);
    assert.equal(await client3.lTrim('l', 0, -1), 'OK');
    assert.deepEqual(await client3.lRange('l', 0, -1), ['a', 'x', 'C']);
    assert.equal(await client3.lPopCount('none', 1), null);
    assert.equal(await client3.lIndex('l', 10), null);
    assert.equal(await client3.rPopLPush('none', 'l'), null);
    await assert.rejects(client3.lSet('none', 0, 'x'), /ERR no such key/);
    await client3.set('s', 'v');
    await assert.rejects(client3.lPush('s', 'x'), /WRONGTYPE/);
  });
});
