// HyperLogLogs under random batches, side by side with a real redis-server: random binary
// elements (some repeated) added in batches of random size to a few keys, with occasional
// PFMERGE and PFCOUNT of several keys; after every step the replies, PFCOUNT and the stored
// bytes (GET) must be Redis's. A random hll-sparse-max-bytes per run moves the promotion.
// SHOAL_HLL_SEED=<n> replays a run; a failure names its seed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plain, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import { seeded } from '../persist/helpers.js';

const KEYS = ['h0', 'h1', 'h2', 'h3'];
const STEPS = 300;

function randomElement(random: () => number, seen: string[]): string {
  if (seen.length > 0 && random() < 0.2) return seen[Math.floor(random() * seen.length)] as string;
  const length = Math.floor(random() * (random() < 0.1 ? 64 : 12));
  let element = '';
  for (let i = 0; i < length; i++) element += String.fromCharCode(Math.floor(random() * 256));
  seen.push(element);
  return element;
}

/** Mostly small batches, sometimes hundreds of elements (the path that rewrites a dense key). */
function batchSize(random: () => number): number {
  const roll = random();
  if (roll < 0.6) return 1 + Math.floor(random() * 4);
  if (roll < 0.9) return 5 + Math.floor(random() * 40);
  return 100 + Math.floor(random() * 400);
}

describe('HyperLogLogs under random batches match redis-server', { timeout: 120_000 }, () => {
  const pair = withRedisAndShoal();

  it('PFADD, PFCOUNT, PFMERGE and the stored bytes at every step', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const seed = Number(process.env['SHOAL_HLL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const random = seeded(seed);
    const redis = await RawClient.connect(pair.redis.port);
    const shoal = await RawClient.connect(pair.shoal.port);
    const sparseMax = String([300, 1000, 3000, 3000, 6000][Math.floor(random() * 5)]);
    const differences: string[] = [];
    const both = async (...argv: string[]): Promise<void> => {
      const expected = JSON.stringify(plain(await redis.call(...argv)));
      const actual = JSON.stringify(plain(await shoal.call(...argv)));
      if (expected !== actual && differences.length < 5) {
        differences.push(
          `${argv.slice(0, 3).join(' ')}: redis ${expected.slice(0, 120)}, shoal ${actual.slice(0, 120)}`,
        );
      }
    };
    try {
      for (const client of [redis, shoal]) {
        await client.call('FLUSHALL');
        await client.call('CONFIG', 'SET', 'hll-sparse-max-bytes', sparseMax);
      }
      const seen: string[] = [];
      for (let step = 0; step < STEPS && differences.length === 0; step++) {
        const key = KEYS[Math.floor(random() * KEYS.length)] as string;
        const roll = random();
        if (roll < 0.08) {
          const sources = KEYS.filter(() => random() < 0.5);
          await both('PFMERGE', key, ...sources);
          await both('PFCOUNT', ...KEYS);
        } else {
          const batch = Array.from({ length: batchSize(random) }, () =>
            randomElement(random, seen),
          );
          await both('PFADD', key, ...batch);
        }
        await both('GET', key);
        if (random() < 0.5) {
          await both('PFCOUNT', key);
          await both('GET', key);
        }
        await both('PFDEBUG', 'ENCODING', key);
      }
      assert.deepEqual(
        differences,
        [],
        `seed ${seed} (SHOAL_HLL_SEED), hll-sparse-max-bytes ${sparseMax}`,
      );
    } finally {
      for (const client of [redis, shoal]) {
        await client.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
        client.close();
      }
    }
  });
});
