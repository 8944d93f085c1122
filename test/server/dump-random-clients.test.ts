// DUMP and RESTORE on random values (fast-check) against redis-server: bytes equal where Shoal
// can know Redis's layout, and the value survives Shoal → Redis → Shoal; then through client
// libraries (ioredis dumpBuffer/restore) and the embedded API, including a restart that replays
// the restored value from the log.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { open } from '../../src/embedded/index.js';
import { withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import { contents } from '../helpers/dump-values.js';

/** Elements that exercise every listpack and RDB string encoding. */
const elementArb = fc.oneof(
  fc.integer({ min: -200, max: 200 }).map(String),
  fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: 2, max: 200 }))
    .map(([text, times]) => text.repeat(times)),
);
const scoreArb = fc
  .oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ noNaN: true }),
    fc.constantFrom(Infinity, -Infinity, 0.1, 1e300),
  )
  .map((score) => (score === 0 ? 0 : score)); // -0 prints differently in 7.0 and 7.2 listpacks
const scoreText = (score: number): string =>
  score === Infinity ? 'inf' : score === -Infinity ? '-inf' : String(score);

const setupArb: fc.Arbitrary<string[][]> = fc.oneof(
  elementArb.map((value) => [['SET', 'k', value]]),
  fc
    .array(elementArb, { minLength: 1, maxLength: 300 })
    .map((elements) => [['RPUSH', 'k', ...elements]]),
  fc
    .array(fc.oneof(fc.integer().map(String), elementArb), { minLength: 1, maxLength: 200 })
    .map((members) => [['SADD', 'k', ...members]]),
  fc
    .array(fc.tuple(elementArb, elementArb), { minLength: 1, maxLength: 150 })
    .map((pairs) => [['HSET', 'k', ...pairs.flat()]]),
  fc
    .array(fc.tuple(scoreArb, elementArb), { minLength: 1, maxLength: 200 })
    .map((pairs) => [['ZADD', 'k', ...pairs.flatMap(([score, m]) => [scoreText(score), m])]]),
);

describe('DUMP and RESTORE of random values, against redis-server', { timeout: 300_000 }, () => {
  const pair = withRedisAndShoal();
  let redis: RawClient | undefined;
  let shoal: RawClient;

  before(async () => {
    if (pair.redis !== undefined) redis = await RawClient.connect(pair.redis.port);
    shoal = await RawClient.connect(pair.shoal.port);
  });
  after(() => {
    redis?.close();
    shoal?.close();
  });

  it('gives Redis the bytes and values it would give itself', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    const r = redis;
    await fc.assert(
      fc.asyncProperty(setupArb, async (setup) => {
        for (const client of [r, shoal]) {
          await client.call('FLUSHALL');
          for (const argv of setup) await client.call(...argv);
        }
        const original = await contents(r, 'k');
        assert.deepEqual(await contents(shoal, 'k'), original);
        const fromShoal = (await shoal.call('DUMP', 'k')) as string;
        const fromRedis = (await r.call('DUMP', 'k')) as string;
        const encoding = String(await shoal.call('OBJECT', 'ENCODING', 'k'));
        const type = String(await shoal.call('TYPE', 'k'));
        // Hash-table sets and hashes: Redis's order is its own (seeded hashing).
        const exact = !(type === 'set' && encoding !== 'intset') && encoding !== 'hashtable';
        if (exact) {
          assert.equal(
            Buffer.from(fromShoal, 'latin1').toString('hex'),
            Buffer.from(fromRedis, 'latin1').toString('hex'),
          );
        }
        assert.equal(await r.call('RESTORE', 'copy', '0', fromShoal), 'OK');
        assert.deepEqual(await contents(r, 'copy'), original);
        assert.equal(await shoal.call('RESTORE', 'copy', '0', fromRedis), 'OK');
        assert.deepEqual(await contents(shoal, 'copy'), original);
      }),
      { numRuns: 150 },
    );
  });
});

describe('DUMP and RESTORE through clients', () => {
  const pair = withRedisAndShoal();
  let ioredis: Redis;

  before(async () => {
    ioredis = new Redis({ port: pair.shoal.port, host: '127.0.0.1', lazyConnect: true });
    await ioredis.connect();
  });
  after(() => ioredis?.disconnect());

  it('ioredis: dumpBuffer and restore with Buffers', async () => {
    await ioredis.rpush('io:l', 'a', '1', Buffer.from([0, 255]));
    const payload = await ioredis.dumpBuffer('io:l');
    assert.ok(Buffer.isBuffer(payload));
    assert.equal(payload[0], 18); // RDB_TYPE_LIST_QUICKLIST_2
    assert.equal(await ioredis.restore('io:copy', 5000, payload), 'OK');
    assert.deepEqual(await ioredis.lrangeBuffer('io:copy', 0, -1), [
      Buffer.from('a'),
      Buffer.from('1'),
      Buffer.from([0, 255]),
    ]);
    assert.ok((await ioredis.pttl('io:copy')) > 4000);
    await assert.rejects(ioredis.restore('io:copy', 0, payload), /^ReplyError: BUSYKEY/);
    assert.equal(await ioredis.restore('io:copy', 0, payload, 'REPLACE'), 'OK');
    assert.equal(await ioredis.pttl('io:copy'), -1);
    assert.equal(await ioredis.dumpBuffer('io:none'), null);
  });

  it('IDLETIME sets the idle clock back', async () => {
    const payload = await ioredis.dumpBuffer('io:l');
    assert.equal(await ioredis.restore('io:idle', 0, payload, 'IDLETIME', 1000), 'OK');
    const idle = Number(await ioredis.object('IDLETIME', 'io:idle'));
    assert.ok(idle >= 1000 && idle <= 1002, `idle ${idle}`);
  });
});

describe('DUMP and RESTORE in the embedded API', () => {
  it('moves values between stores, and a restart replays them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-dump-'));
    try {
      const source = await open();
      await source.command('ZADD', 'z', 1.5, 'a', 2, 'b');
      await source.command('HSET', 'h', 'f', Buffer.from([1, 2, 3]));
      const raw = source.withBuffers();
      const zset = (await raw.command('DUMP', 'z')) as Buffer;
      const hash = (await raw.command('DUMP', 'h')) as Buffer;
      await source.close();

      const target = await open({ dir });
      assert.equal(await target.command('RESTORE', 'z', 0, zset), 'OK');
      assert.equal(await target.command('RESTORE', 'h', 4102444800000, hash, 'ABSTTL'), 'OK');
      await target.close();

      const reopened = await open({ dir });
      try {
        assert.deepEqual(await reopened.command('ZRANGE', 'z', 0, -1, 'WITHSCORES'), [
          'a',
          '1.5',
          'b',
          '2',
        ]);
        assert.deepEqual(
          await reopened.withBuffers().command('HGET', 'h', 'f'),
          Buffer.from([1, 2, 3]),
        );
        assert.equal(await reopened.command('PEXPIRETIME', 'h'), 4102444800000);
        // The replayed value dumps to the same bytes.
        assert.deepEqual(await reopened.withBuffers().command('DUMP', 'z'), zset);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
