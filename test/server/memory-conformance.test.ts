// MEMORY, OBJECT IDLETIME/FREQ, the maxmemory settings and the OOM refusal side by side with
// redis-server 7.0. Byte counts are Shoal's estimates, not jemalloc's, so MEMORY USAGE and
// MEMORY STATS are compared by shape (reply types, field names), and replies that carry figures
// only where they cannot differ. OOM scenarios set maxmemory to 1 byte with a key present: both
// servers are over it whatever their figures, until the dataset is empty (Redis's baseline
// stays over 1 byte, Shoal's estimate does not), which the scripts never reach.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeConformance,
  type Script,
  typed,
  withRedisAndShoal,
} from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';

const OFF: Script = [
  { run: ['CONFIG', 'SET', 'maxmemory', '0'] },
  { run: ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'] },
];

const scenarios: Record<string, Script> = {
  'MEMORY subcommands and errors': [
    ['MEMORY', 'HELP'],
    ['MEMORY'],
    ['MEMORY', 'NOSUCH'],
    ['MEMORY', 'USAGE'],
    ['MEMORY', 'USAGE', 'missing'],
    ['MEMORY', 'USAGE', 'missing', 'SAMPLES', '0'],
    ['SET', 'k', 'v'],
    ['MEMORY', 'USAGE', 'k', 'SAMPLES'],
    ['MEMORY', 'USAGE', 'k', 'SAMPLES', 'x'],
    ['MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'],
    ['MEMORY', 'USAGE', 'k', 'SAMPLES', '99999999999999999999'],
    ['MEMORY', 'USAGE', 'k', 'BOGUS', '1'],
    ['MEMORY', 'USAGE', 'k', 'SAMPLES', '1', 'SAMPLES'],
    ['MEMORY', 'PURGE'],
    ['MEMORY', 'STATS', 'extra'],
    ['MEMORY', 'DOCTOR'],
  ],
  'maxmemory settings': [
    ['CONFIG', 'SET', 'maxmemory-policy', 'bogus'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'ALLKEYS-LRU'],
    ['CONFIG', 'GET', 'maxmemory-policy'],
    ['CONFIG', 'SET', 'maxmemory-samples', '0'],
    ['CONFIG', 'SET', 'maxmemory-samples', '10'],
    ['CONFIG', 'GET', 'maxmemory-samples'],
    ['CONFIG', 'SET', 'lfu-log-factor', '-1'],
    ['CONFIG', 'SET', 'lfu-log-factor', '20'],
    ['CONFIG', 'SET', 'lfu-decay-time', '5'],
    { unordered: ['CONFIG', 'GET', 'lfu-*'] },
    ['CONFIG', 'SET', 'maxmemory', '10mb'],
    ['CONFIG', 'GET', 'maxmemory'],
    ['CONFIG', 'SET', 'lfu-log-factor', '10'],
    ['CONFIG', 'SET', 'lfu-decay-time', '1'],
    ['CONFIG', 'SET', 'maxmemory-samples', '5'],
    ...OFF,
  ],
  'OBJECT IDLETIME and FREQ by policy': [
    ['SET', 'k', 'v'],
    ['OBJECT', 'IDLETIME', 'k'],
    ['OBJECT', 'IDLETIME', 'missing'],
    ['OBJECT', 'FREQ', 'k'],
    ['OBJECT', 'FREQ', 'missing'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lfu'],
    ['OBJECT', 'IDLETIME', 'k'],
    ['OBJECT', 'IDLETIME', 'missing'],
    ['SET', 'fresh', 'v'],
    // A new key starts at LFU_INIT_VAL; the first read always increments it.
    ['OBJECT', 'FREQ', 'fresh'],
    ['GET', 'fresh'],
    ['OBJECT', 'FREQ', 'fresh'],
    ['OBJECT', 'FREQ', 'fresh'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'],
    ['OBJECT', 'FREQ', 'fresh'],
    // After LFU → LRU the field is read as an LRU clock: a huge idle time that depends on the
    // current second (Redis does the same), so the two servers can differ by one. Run only.
    { run: ['OBJECT', 'IDLETIME', 'fresh'] },
    ...OFF,
  ],
  'noeviction over maxmemory: denyoom refused, reads and DEL served': [
    ['SET', 'a', '1'],
    ['SET', 'b', '2'],
    ['RPUSH', 'list', 'x'],
    ['CONFIG', 'SET', 'maxmemory', '1'],
    ['SET', 'c', '3'],
    ['INCR', 'a'],
    ['RPUSH', 'list', 'y'],
    ['HSET', 'h', 'f', 'v'],
    ['APPEND', 'a', 'x'],
    ['GET', 'a'],
    ['LRANGE', 'list', '0', '-1'],
    ['EXPIRE', 'a', '100'],
    ['PERSIST', 'a'],
    ['LPOP', 'list'],
    ['DEL', 'b'],
    ['MULTI'],
    ['GET', 'a'],
    ['EXEC'],
    ['MULTI'],
    ['DISCARD'],
    ['DBSIZE'],
    ...OFF,
    ['SET', 'c', '3'],
  ],
  'volatile policies with no volatile key answer OOM': [
    ['SET', 'a', '1'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru'],
    ['CONFIG', 'SET', 'maxmemory', '1'],
    ['SET', 'c', '3'],
    ['GET', 'a'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl'],
    ['SET', 'c', '3'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-random'],
    ['SET', 'c', '3'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lfu'],
    ['SET', 'c', '3'],
    ['DBSIZE'],
    ...OFF,
  ],
};

describeConformance('memory replies match redis-server', scenarios);

/** Field names of a map reply, in order, with nested maps as [name, fields]. */
function fieldNames(reply: unknown): unknown {
  if (!(reply instanceof Map)) return typeof reply;
  return [...reply].map(([name, value]) =>
    value instanceof Map ? [String(name), fieldNames(value)] : String(name),
  );
}

describe('memory reply shapes match redis-server', { timeout: 30_000 }, () => {
  const pair = withRedisAndShoal();
  it('MEMORY STATS has the same fields, MEMORY USAGE the same types', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const shapes: unknown[][] = [];
    for (const port of [pair.redis.port, pair.shoal.port]) {
      const client = await RawClient.connect(port);
      try {
        await client.call('HELLO', '3');
        await client.call('FLUSHALL');
        await client.call('SET', 'k', 'v');
        await client.call('RPUSH', 'l', 'a', 'b');
        const stats = await client.call('MEMORY', 'STATS');
        const types = [];
        for (const key of ['k', 'l', 'missing']) {
          types.push(typed(await client.call('MEMORY', 'USAGE', key)) === null ? 'null' : 'int');
          types.push(typeof (await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')));
        }
        shapes.push([fieldNames(stats), types]);
        await client.call('FLUSHALL');
      } finally {
        client.close();
      }
    }
    assert.deepEqual(shapes[1], shapes[0]);
  });
});
