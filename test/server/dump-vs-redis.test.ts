// DUMP and RESTORE side by side with a real redis-server (7.0): for each type and encoding the
// payload DUMP gives must be Redis's, byte for byte, where Shoal can know Redis's layout (see
// `exact` below); and every payload must travel both ways: Shoal's DUMP restored in Redis, and
// Redis's DUMP restored in Shoal, give the same value. Skipped where redis-server is absent.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withRedisAndShoal } from '../helpers/conformance.js';
import { contents } from '../helpers/dump-values.js';
import { RawClient } from '../helpers/raw-client.js';

const repeat = (text: string, times: number): string => text.repeat(times);
/** Bytes that LZF cannot shrink (a fixed pseudo-random sequence). */
function noise(length: number, seed = 7): string {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out += String.fromCharCode(state >>> 24);
  }
  return out;
}
const range = (count: number, map: (i: number) => string): string[] =>
  Array.from({ length: count }, (_, i) => map(i));

interface Case {
  setup: string[][];
  /** False where Redis's bytes depend on its hash-table order (sets and hashes past listpack). */
  exact: boolean;
}

const cases: Record<string, Case> = {
  'short string': { setup: [['SET', 'k', 'hello']], exact: true },
  'empty string': { setup: [['SET', 'k', '']], exact: true },
  'binary string': { setup: [['SET', 'k', '\x00\xff\r\n\x80 \x01']], exact: true },
  'int8 string': { setup: [['SET', 'k', '-128']], exact: true },
  'int16 strings': { setup: [['SET', 'k', '-129']], exact: true },
  'int16 edge': { setup: [['SET', 'k', '32767']], exact: true },
  'int32 string': { setup: [['SET', 'k', '-2147483648']], exact: true },
  'past int32': { setup: [['SET', 'k', '2147483648']], exact: true },
  int64: { setup: [['SET', 'k', '9223372036854775807']], exact: true },
  'not canonical integers': { setup: [['SET', 'k', '007']], exact: true },
  'minus zero': { setup: [['SET', 'k', '-0']], exact: true },
  '20 bytes (no LZF)': { setup: [['SET', 'k', repeat('a', 20)]], exact: true },
  '21 bytes (LZF)': { setup: [['SET', 'k', repeat('a', 21)]], exact: true },
  'compressible text': { setup: [['SET', 'k', repeat('the quick brown fox ', 50)]], exact: true },
  'incompressible bytes': { setup: [['SET', 'k', noise(300)]], exact: true },
  'long mixed string': {
    setup: [['SET', 'k', range(3000, (i) => String(i * 7919)).join(',')]],
    exact: true,
  },
  'large string': { setup: [['SET', 'k', repeat(noise(1000, 3) + 'xyz', 100)]], exact: true },
  'small list': {
    setup: [['RPUSH', 'k', 'a', '1', '127', '128', '-1', '-4096', '4095', '4096', 'b']],
    exact: true,
  },
  'list integer widths': {
    setup: [
      [
        'RPUSH',
        'k',
        '-32768',
        '32767',
        '-8388608',
        '8388607',
        '8388608',
        '-2147483648',
        '2147483647',
        '2147483648',
        '9223372036854775807',
        '-9223372036854775808',
        '9223372036854775808',
        '01',
        '-0',
      ],
    ],
    exact: true,
  },
  'list string lengths': {
    setup: [['RPUSH', 'k', repeat('x', 63), repeat('y', 64), repeat('z', 4095), noise(4096)]],
    exact: true,
  },
  'list of many nodes': {
    setup: [['RPUSH', 'k', ...range(3000, (i) => (i % 3 === 0 ? String(i) : `item:${i}`))]],
    exact: true,
  },
  'list counted nodes': {
    setup: [
      ['CONFIG', 'SET', 'list-max-listpack-size', '5'],
      ['RPUSH', 'k', ...range(23, (i) => `e${i}`)],
    ],
    exact: true,
  },
  'list with a large element': {
    setup: [['RPUSH', 'k', 'a', noise(20000), 'b', repeat('c', 9000)]],
    exact: true,
  },
  'intset 16-bit': { setup: [['SADD', 'k', '3', '1', '-2', '32767']], exact: true },
  'intset 32-bit': { setup: [['SADD', 'k', '3', '70000', '-70000']], exact: true },
  'intset 64-bit': {
    setup: [['SADD', 'k', '1', '-9223372036854775808', '5000000000']],
    exact: true,
  },
  'large intset': { setup: [['SADD', 'k', ...range(400, (i) => String(i * 3))]], exact: true },
  'set of strings': { setup: [['SADD', 'k', 'a', 'b', '1']], exact: false },
  'large set': { setup: [['SADD', 'k', ...range(700, (i) => String(i))]], exact: false },
  'small hash': {
    setup: [['HSET', 'k', 'f', 'v', 'n', '12', 'neg', '-5000', '7', 'x']],
    exact: true,
  },
  'hash past listpack': {
    setup: [['HSET', 'k', 'f', repeat('v', 65), 'g', 'w']],
    exact: false,
  },
  'large hash': {
    setup: [['HSET', 'k', ...range(1200, (i) => (i % 2 === 0 ? `field:${i}` : String(i)))]],
    exact: false,
  },
  'small sorted set': {
    setup: [
      [
        'ZADD',
        'k',
        '1',
        'a',
        '1.5',
        'b',
        '0.1',
        'c',
        '-inf',
        'd',
        'inf',
        'e',
        '1e100',
        'f',
        '3e-7',
        'g',
        '4503599627370496',
        'h',
        '-4503599627370495',
        'i',
        '123456.789',
        'j',
        '0',
        'k',
      ],
    ],
    exact: true,
  },
  'sorted set skiplist': {
    setup: [['ZADD', 'k', ...range(400, (i) => (i % 2 === 0 ? String(i / 7) : `m${i}`))]],
    exact: true,
  },
  'sorted set long member': {
    setup: [['ZADD', 'k', '1', repeat('m', 65), '2', 'short', '-0', 'zero']],
    exact: true,
  },
};

describe('DUMP and RESTORE against redis-server', { timeout: 120_000 }, () => {
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

  for (const [name, { setup, exact }] of Object.entries(cases)) {
    it(name, async (t) => {
      if (redis === undefined) return t.skip('redis-server is not installed');
      for (const client of [redis, shoal]) {
        await client.call('FLUSHALL');
        await client.call('CONFIG', 'SET', 'list-max-listpack-size', '-2');
        for (const argv of setup) await client.call(...argv);
      }
      const fromRedis = (await redis.call('DUMP', 'k')) as string;
      const fromShoal = (await shoal.call('DUMP', 'k')) as string;
      assert.equal(typeof fromShoal, 'string', String(fromShoal));
      const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex');
      if (exact) assert.equal(hex(fromShoal), hex(fromRedis), 'DUMP bytes');
      const original = await contents(redis, 'k');
      assert.deepEqual(await contents(shoal, 'k'), original, 'same value before dumping');
      // Shoal → Redis → Redis's DUMP → Shoal.
      assert.equal(await redis.call('RESTORE', 'fromShoal', '0', fromShoal), 'OK');
      assert.deepEqual(await contents(redis, 'fromShoal'), original);
      const again = (await redis.call('DUMP', 'fromShoal')) as string;
      assert.equal(await shoal.call('RESTORE', 'back', '0', again), 'OK');
      assert.deepEqual(await contents(shoal, 'back'), original);
      assert.equal(await shoal.call('RESTORE', 'fromRedis', '0', fromRedis), 'OK');
      assert.deepEqual(await contents(shoal, 'fromRedis'), original);
      // Both sides agree on the encoding a restored value gets, where 7.0 and 7.2 agree (lists
      // and small sets differ between the two; Shoal int-encodes safe integers only).
      const type = String(await redis.call('TYPE', 'k'));
      if (type === 'hash' || type === 'zset') {
        assert.equal(
          await shoal.call('OBJECT', 'ENCODING', 'fromRedis'),
          await redis.call('OBJECT', 'ENCODING', 'fromShoal'),
        );
      }
    });
  }
});
