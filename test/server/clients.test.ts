// Real client libraries over TCP: ioredis and node-redis connect with no special options and
// every string/key/server command of the standalone issue works through them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient, type RedisClientType } from 'redis';
import { type RunningServer, startShoal, waitFor } from '../helpers/servers.js';

describe('ioredis', () => {
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

  it('strings', async () => {
    assert.equal(await redis.set('greeting', 'hello'), 'OK');
    assert.equal(await redis.get('greeting'), 'hello');
    assert.equal(await redis.set('greeting', 'x', 'NX'), null);
    assert.equal(await redis.append('greeting', ' world'), 11);
    assert.equal(await redis.getrange('greeting', 0, 4), 'hello');
    assert.equal(await redis.incr('n'), 1);
    assert.equal(await redis.incrby('n', 41), 42);
    assert.equal(await redis.incrbyfloat('f', '1.5'), '1.5');
    assert.deepEqual(await redis.mget('greeting', 'nope', 'n'), ['hello world', null, '42']);
    assert.equal(await redis.mset({ a: '1', b: '2' }), 'OK');
    assert.equal(await redis.getdel('a'), '1');
    assert.equal(await redis.strlen('b'), 1);
    await assert.rejects(redis.incr('greeting'), /ERR value is not an integer or out of range/);
  });

  it('binary-safe keys and values', async () => {
    const key = Buffer.from([0, 1, 2, 0xff, 13, 10]);
    const value = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 13, 10, 0x80]);
    await redis.set(key, value);
    assert.deepEqual(await redis.getBuffer(key), value);
    await redis.set('utf8', 'héllo wörld ✓');
    assert.equal(await redis.get('utf8'), 'héllo wörld ✓');
    assert.equal(await redis.strlen('utf8'), Buffer.byteLength('héllo wörld ✓'));
  });

  it('expiry', async () => {
    await redis.set('temp', 'v', 'PX', 50);
    assert.ok((await redis.pttl('temp')) > 0);
    await waitFor(async () => (await redis.get('temp')) === null, 'temp to expire');
    await redis.set('later', 'v', 'EX', 100);
    assert.equal(await redis.ttl('later'), 100);
    assert.equal(await redis.persist('later'), 1);
    assert.equal(await redis.ttl('later'), -1);
  });

  it('keys, scan and databases', async () => {
    await redis.flushall();
    for (let i = 0; i < 250; i++) await redis.set(`key:${i}`, String(i));
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'key:*', 'COUNT', 20);
      cursor = next;
      for (const key of keys) seen.add(key);
    } while (cursor !== '0');
    assert.equal(seen.size, 250);
    assert.equal((await redis.keys('key:1?')).length, 10);
    assert.equal(await redis.dbsize(), 250);
    assert.equal(await redis.select(3), 'OK');
    assert.equal(await redis.dbsize(), 0);
    assert.equal(await redis.select(0), 'OK');
    assert.equal(await redis.move('key:0', 3), 1);
    assert.equal(await redis.copy('key:1', 'copied'), 1);
    assert.equal(await redis.rename('copied', 'renamed'), 'OK');
    assert.equal(await redis.type('renamed'), 'string');
    assert.ok((await redis.randomkey()) !== null);
  });

  it('server commands', async () => {
    const info = await redis.info();
    assert.match(info, /redis_version:7\./);
    assert.match(info, /used_memory:\d+/);
    assert.match(info, /# Keyspace/);
    const [seconds] = await redis.time();
    assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 5);
    assert.deepEqual(await redis.config('GET', 'maxmemory-policy'), [
      'maxmemory-policy',
      'noeviction',
    ]);
    assert.equal(await redis.config('SET', 'maxmemory', '100mb'), 'OK');
    assert.deepEqual(await redis.config('GET', 'maxmemory'), [
      'maxmemory',
      String(100 * 1024 * 1024),
    ]);
    assert.ok(Number(await redis.command('COUNT')) > 50);
    assert.equal(await redis.client('SETNAME', 'tester'), 'OK');
    assert.equal(await redis.client('GETNAME'), 'tester');
    assert.match(String(await redis.client('LIST')), /name=tester/);
  });

  it('pipelines of any depth keep order', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 5000; i++) pipeline.set(`p:${i}`, String(i)).get(`p:${i}`);
    const results = (await pipeline.exec()) ?? [];
    assert.equal(results.length, 10000);
    for (let i = 0; i < 5000; i++) assert.deepEqual(results[2 * i + 1], [null, String(i)]);
  });
});

describe('node-redis', () => {
  let shoal: RunningServer;
  let client: RedisClientType;
  before(async () => {
    shoal = await startShoal();
    client = createClient({ socket: { port: shoal.port, host: '127.0.0.1' } });
    await client.connect();
  });
  after(async () => {
    await client.quit();
    await shoal.stop();
  });

  it('strings, keys and expiry', async () => {
    assert.equal(await client.set('k', 'v', { EX: 100 }), 'OK');
    assert.equal(await client.get('k'), 'v');
    assert.equal(await client.ttl('k'), 100);
    assert.equal(await client.incr('c'), 1);
    assert.equal(await client.exists(['k', 'c', 'nope']), 2);
    assert.equal(await client.del(['k', 'c']), 2);
    assert.deepEqual(await client.mGet(['k']), [null]);
    assert.equal(await client.getEx('missing', { PERSIST: true }), null);
  });

  it('scan iterator', async () => {
    for (let i = 0; i < 100; i++) await client.set(`s:${i}`, 'x');
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: 's:*', COUNT: 7 })) {
      keys.push(...(Array.isArray(batch) ? batch : [batch]));
    }
    assert.equal(new Set(keys).size, 100);
  });

  it('speaks RESP3 with HELLO 3', async () => {
    const resp3 = createClient({ socket: { port: shoal.port, host: '127.0.0.1' }, RESP: 3 });
    await resp3.connect();
    try {
      await resp3.set('r3', '1');
      assert.equal(await resp3.get('r3'), '1');
      const info = await resp3.configGet('maxmemory-policy');
      assert.equal(info['maxmemory-policy'], 'noeviction');
    } finally {
      await resp3.quit();
    }
  });
});
