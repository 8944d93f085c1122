// Side-by-side harness for the hash and set conformance scripts: each line runs on a real
// redis-server and on Shoal, and the replies must match, RESP3 types included (a set reply is
// not an array, a map is not a flat list). Lines can ask for an order-free comparison (Redis's
// hashtable order is its own) or be run without comparing (HELLO, whose reply names the server).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from './raw-client.js';
import { type ChildServer, type RunningServer, spawnRedis, startShoal } from './servers.js';
import { plain } from './conformance.js';

/** A command line compared exactly, compared as an unordered collection, or only run. */
export type Line = string[] | { unordered: string[] } | { run: string[] };
export type Script = Line[];

/** Thresholds every scenario starts from (redis-server's built-in defaults, as Shoal's). */
const DEFAULTS: [string, string][] = [
  ['hash-max-listpack-entries', '512'],
  ['hash-max-listpack-value', '64'],
  ['set-max-intset-entries', '512'],
];

/** Replies as comparable data, with RESP3 aggregate types made visible. */
export function typed(reply: Reply, unordered = false): unknown {
  const order = (items: unknown[]): unknown[] =>
    unordered
      ? items.slice().sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
      : items;
  if (reply instanceof Set) return { set: order([...reply].map((item) => typed(item, unordered))) };
  if (reply instanceof Map) {
    return { map: order([...reply].map(([k, v]) => [typed(k, unordered), typed(v, unordered)])) };
  }
  if (Array.isArray(reply)) return order(reply.map((item) => typed(item, unordered)));
  return plain(reply);
}

function words(line: Line): { argv: string[]; mode: 'exact' | 'unordered' | 'run' } {
  if (Array.isArray(line)) return { argv: line, mode: 'exact' };
  if ('unordered' in line) return { argv: line.unordered, mode: 'unordered' };
  return { argv: line.run, mode: 'run' };
}

export function describeConformance(title: string, scenarios: Record<string, Script>): void {
  describe(title, { timeout: 60_000 }, () => {
    let redis: ChildServer | undefined;
    let shoal: RunningServer;
    let redisClient: RawClient;
    let shoalClient: RawClient;

    before(async () => {
      redis = await spawnRedis();
      shoal = await startShoal();
      if (redis !== undefined) redisClient = await RawClient.connect(redis.port);
      shoalClient = await RawClient.connect(shoal.port);
    });

    after(async () => {
      redisClient?.close();
      shoalClient?.close();
      await redis?.stop();
      await shoal?.stop();
    });

    for (const [name, script] of Object.entries(scenarios)) {
      it(name, async (t) => {
        if (redis === undefined) return t.skip('redis-server is not installed');
        for (const client of [redisClient, shoalClient]) {
          await client.call('HELLO', '2');
          await client.call('FLUSHALL');
          await client.call('SELECT', '0');
          for (const [setting, value] of DEFAULTS)
            await client.call('CONFIG', 'SET', setting, value);
        }
        const differences: string[] = [];
        for (const line of script) {
          const { argv, mode } = words(line);
          const expected = await redisClient.call(...argv);
          const actual = await shoalClient.call(...argv);
          if (mode === 'run') continue;
          const want = typed(expected, mode === 'unordered');
          const got = typed(actual, mode === 'unordered');
          try {
            assert.deepEqual(got, want);
          } catch {
            differences.push(
              `${argv.join(' ')}\n    redis: ${JSON.stringify(want)}\n    shoal: ${JSON.stringify(got)}`,
            );
          }
        }
        assert.deepEqual(differences, [], differences.join('\n'));
      });
    }
  });
}

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
    let redis: ChildServer | undefined;
    let shoal: RunningServer;
    let redisClient: RawClient;
    let shoalClient: RawClient;

    before(async () => {
      redis = await spawnRedis();
      shoal = await startShoal();
      if (redis !== undefined) redisClient = await RawClient.connect(redis.port);
      shoalClient = await RawClient.connect(shoal.port);
    });

    after(async () => {
      redisClient?.close();
      shoalClient?.close();
      await redis?.stop();
      await shoal?.stop();
    });

    for (const [name, scenario] of Object.entries(scenarios)) {
      it(name, async (t) => {
        if (redis === undefined) return t.skip('redis-server is not installed');
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
