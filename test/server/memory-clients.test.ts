// maxmemory through real clients and the embedded API: ioredis sees OOM as a ReplyError and
// eviction under allkeys-lru; the embedded handle reports MEMORY USAGE. And, opt-in
// (SHOAL_BIG_HEAP_TEST=1, about 40 s and 5 GiB), `bin/shoal serve` holds a dataset larger than
// node's default heap limit, because the launcher sizes V8's old space.

import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { open } from '../../src/embedded/index.js';
import { type RunningServer, spawnShoal, startShoal } from '../helpers/servers.js';

describe('maxmemory through ioredis', () => {
  let shoal: RunningServer;
  let redis: Redis;
  before(async () => {
    shoal = await startShoal();
    redis = new Redis({ port: shoal.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  });
  after(async () => {
    redis.disconnect();
    await shoal.stop();
  });

  it('refuses writes with OOM under noeviction and evicts under allkeys-lru', async () => {
    for (let i = 0; i < 200; i++) await redis.set(`key:${i}`, 'x'.repeat(200));
    const usage = await redis.memory('USAGE', 'key:0');
    assert.ok(typeof usage === 'number' && usage > 200);
    await redis.config('SET', 'maxmemory', '20000');
    await assert.rejects(redis.set('more', 'x'), /^ReplyError: OOM command not allowed/);
    assert.equal((await redis.get('key:1'))?.length, 200);
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    assert.equal(await redis.set('more', 'x'), 'OK');
    assert.ok((await redis.dbsize()) < 100);
    assert.match(await redis.info('stats'), /evicted_keys:[1-9]\d*/);
    await redis.config('SET', 'maxmemory', '0');
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    assert.equal(typeof (await redis.object('IDLETIME', 'more')), 'number');
  });
});

describe('maxmemory in the embedded API', () => {
  it('reports MEMORY USAGE and refuses writes over the limit', async () => {
    const store = await open();
    try {
      await store.command('SET', 'k', 'v'.repeat(1000));
      const usage = (await store.command('MEMORY', 'USAGE', 'k')) as number;
      assert.ok(usage > 1000 && usage < 1200, String(usage));
      await store.command('CONFIG', 'SET', 'maxmemory', '100');
      await assert.rejects(store.command('SET', 'x', 'y'), /OOM command not allowed/);
      assert.equal(((await store.command('GET', 'k')) as string).length, 1000);
    } finally {
      await store.close();
    }
  });
});

describe('a dataset larger than node’s default heap', () => {
  it('loads through bin/shoal serve', { timeout: 120_000 }, async (t) => {
    if (process.env['SHOAL_BIG_HEAP_TEST'] !== '1') {
      return t.skip('set SHOAL_BIG_HEAP_TEST=1 (about 5 GiB of memory, 40 s)');
    }
    const defaultLimit = getHeapStatistics().heap_size_limit;
    const server = await spawnShoal(['--appendonly', 'no']);
    const client = new Redis({ port: server.port, lazyConnect: true });
    try {
      await client.connect();
      // 256 KiB: node keeps strings over about 1 MiB outside the V8 heap (external strings).
      const value = Buffer.alloc(256 * 1024, 'x');
      const count = Math.ceil((defaultLimit * 1.15) / value.length);
      for (let start = 0; start < count; start += 128) {
        const batch = client.pipeline();
        for (let i = start; i < Math.min(count, start + 128); i++) batch.set(`big:${i}`, value);
        const results = await batch.exec();
        for (const [error] of results ?? []) assert.equal(error, null);
      }
      assert.equal(await client.dbsize(), count);
      const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
      assert.ok(used > defaultLimit, `${used} <= ${defaultLimit}`);
      assert.equal((await client.getBuffer(`big:${count - 1}`))?.length, value.length);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
