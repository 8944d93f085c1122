// Random replies (SPOP, SRANDMEMBER, HRANDFIELD …) side by side with a real redis-server: the
// values differ by chance, so the replies' shapes (RESP3 types and lengths) are compared, and
// every string must be one the data holds.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from './raw-client.js';
import { plain, withRedisAndShoal } from './conformance.js';

/** A random reply's shape: RESP3 aggregate types and lengths kept, every string replaced. */
export function shape(reply: Reply): unknown {
  if (reply instanceof Set) return { set: [...reply].map(shape) };
  if (reply instanceof Map) return { map: [...reply].map(([k, v]) => [shape(k), shape(v)]) };
  if (Array.isArray(reply)) return reply.map(shape);
  if (typeof reply === 'string') return 'string';
  return plain(reply);
}

function strings(reply: Reply): string[] {
  if (typeof reply === 'string') return [reply];
  if (reply instanceof Set || Array.isArray(reply)) return [...reply].flatMap(strings);
  if (reply instanceof Map) return [...reply].flatMap(([k, v]) => [...strings(k), ...strings(v)]);
  return [];
}

/** Random commands after a setup: replies must have Redis's shape, and name only known strings. */
export interface RandomScenario {
  setup: string[][];
  /** A command whose reply lists every string a random reply may contain (e.g. HGETALL). */
  reference: string[];
  random: string[][];
}

export function describeRandomShapes(
  title: string,
  scenarios: Record<string, RandomScenario>,
): void {
  describe(title, { timeout: 60_000 }, () => {
    const pair = withRedisAndShoal();
    let redisClient: RawClient;
    let shoalClient: RawClient;

    before(async () => {
      if (pair.redis !== undefined) redisClient = await RawClient.connect(pair.redis.port);
      shoalClient = await RawClient.connect(pair.shoal.port);
    });

    after(() => {
      redisClient?.close();
      shoalClient?.close();
    });

    for (const [name, scenario] of Object.entries(scenarios)) {
      it(name, async (t) => {
        if (pair.redis === undefined) return t.skip('redis-server is not installed');
        const differences: string[] = [];
        for (const client of [redisClient, shoalClient]) {
          await client.call('HELLO', '2');
          await client.call('FLUSHALL');
          for (const argv of scenario.setup) await client.call(...argv);
        }
        for (const argv of scenario.random) {
          // Each random line starts from the setup again (SPOP changes the data).
          const known = new Set(strings(await shoalClient.call(...scenario.reference)));
          const expected = await redisClient.call(...argv);
          const actual = await shoalClient.call(...argv);
          const line = argv.join(' ');
          if (JSON.stringify(shape(actual)) !== JSON.stringify(shape(expected))) {
            differences.push(
              `${line}: shape ${JSON.stringify(shape(actual))}, redis ${JSON.stringify(shape(expected))}`,
            );
          }
          for (const text of strings(actual)) {
            if (!known.has(text) && text !== '0')
              differences.push(`${line}: unknown string ${text}`);
          }
          for (const client of [redisClient, shoalClient]) {
            await client.call('FLUSHALL');
            for (const setupLine of scenario.setup) await client.call(...setupLine);
          }
        }
        assert.deepEqual(differences, [], differences.join('\n'));
      });
    }
  });
}
