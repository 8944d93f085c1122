// Hash commands through real client libraries over TCP: ioredis, and node-redis speaking RESP2
// and RESP3 (where HGETALL is a map and HRANDFIELD … WITHVALUES a list of pairs).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startShoal } from '../helpers/servers.js';

function resp3Client(port: number) {
  return createClient({ url: `redis://127.0.0.1:${port}`, RESP: 3 });
}

describe('hash commands through client libraries', () => {
  let server: RunningServer;
  let ioredis: Redis;
  let resp2: ReturnType<typeof createClient>;
  let resp3: ReturnType<typeof resp3Client>;

  before(async () => {
    server = await startShoal();
    ioredis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await ioredis.connect();
    resp2 = createClient({ url: `redis://127.0.0.1:${server.port}` });
    resp3 = resp3Client(server.port);
    await resp2.connect();
    await resp3.connect();
  });

  after(async () => {
    ioredis?.disconnect();
    await resp2?.close();
    await resp3?.close();
    await server?.stop();
  });

  it('ioredis: fields, counters, random fields and scan streams', async () => {
    assert.equal(await ioredis.hset('io:h', { a: '1', b: '2' }), 2);
    assert.equal(await ioredis.hset('io:h', 'c', '3'), 1);
    assert.deepEqual(await ioredis.hgetall('io:h'), { a: '1', b: '2', c: '3' });
    assert.deepEqual(await ioredis.hmget('io:h', 'a', 'zz'), ['1', null]);
    assert.equal(await ioredis.hincrby('io:h', 'a', 10), 11);
    assert.equal(await ioredis.hincrbyfloat('io:h', 'b', '0.5'), '2.5');
    assert.equal(await ioredis.hdel('io:h', 'c'), 1);
    assert.equal(await ioredis.hlen('io:h'), 2);
    assert.equal(await ioredis.hexists('io:h', 'a'), 1);
    assert.equal(await ioredis.hstrlen('io:h', 'b'), 3);
    assert.deepEqual(await ioredis.hkeys('io:h'), ['a', 'b']);
    assert.deepEqual(await ioredis.hvals('io:h'), ['11', '2.5']);
    assert.equal(await ioredis.hsetnx('io:h', 'a', 'x'), 0);
    const pairs = (await ioredis.hrandfield('io:h', -4, 'WITHVALUES')) as string[];
    assert.equal(pairs.length, 8);
    await ioredis.hset(
      'io:big',
      Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, String(i)])),
    );
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const stream = ioredis.hscanStream('io:big', { count: 100 });
      stream.on('data', (batch: string[]) => {
        for (let i = 0; i < batch.length; i += 2) seen.add(batch[i] as string);
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.equal(seen.size, 1000);
    await ioredis.set('io:str', 'x');
    await assert.rejects(ioredis.hget('io:str', 'a'), /WRONGTYPE/);
  });

  it('node-redis over RESP2', async () => {
    assert.equal(await resp2.hSet('nr2:h', { a: '1', b: '2' }), 2);
    assert.deepEqual({ ...(await resp2.hGetAll('nr2:h')) }, { a: '1', b: '2' });
    assert.equal(await resp2.hGet('nr2:h', 'a'), '1');
    assert.equal(await resp2.hIncrBy('nr2:h', 'a', 4), 5);
    const pairs = await resp2.hRandFieldCountWithValues('nr2:h', 5);
    assert.deepEqual(pairs.map((pair) => [pair.field, pair.value]).sort(), [
      ['a', '5'],
      ['b', '2'],
    ]);
    const scanned: string[] = [];
    for await (const entries of resp2.hScanIterator('nr2:h')) {
      for (const entry of entries) scanned.push(`${entry.field}=${entry.value}`);
    }
    assert.deepEqual(scanned.sort(), ['a=5', 'b=2']);
  });

  it('node-redis over RESP3: maps and nested pairs', async () => {
    await resp3.hSet('nr3:h', { x: '10', y: '20' });
    assert.deepEqual({ ...(await resp3.hGetAll('nr3:h')) }, { x: '10', y: '20' });
    assert.deepEqual({ ...(await resp3.hGetAll('nr3:absent')) }, {});
    const pairs = await resp3.hRandFieldCountWithValues('nr3:h', -3);
    assert.equal(pairs.length, 3);
    for (const pair of pairs) assert.equal(pair.value, pair.field === 'x' ? '10' : '20');
    assert.equal(await resp3.hIncrByFloat('nr3:h', 'x', 0.25), '10.25');
    assert.equal(await resp3.hRandField('nr3:absent'), null);
  });
});
