// SORT on random lists, sets and sorted sets with random BY/GET data and random option
// combinations, on redis-server and on Shoal: replies (and stored lists) must be the same.
// fast-check prints the seed of a failure.
//
// Where Redis's order is not defined, the comparison is as Redis's own suite does it: without
// the order. That is BY nosort on a set of strings (Redis 7.0 keeps it as a hashtable), and ALPHA
// BY on anything but a list without LIMIT (elements whose BY values tie keep the order Redis read
// them in: a hashtable's for sets and sorted sets, its partial quicksort's under a LIMIT). With a
// LIMIT there only the length is compared.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { typed, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';

type Source = 'list' | 'intset' | 'strings' | 'zset';

const integerArb = fc.integer({ min: -5, max: 20 }).map(String);
// No value that makes strtod report ERANGE: Redis keeps a stale errno after one (sort.ts).
const elementArb = fc.oneof(
  { weight: 3, arbitrary: integerArb },
  fc.constantFrom('1.5', '-0.5', '2.50', '1e1', '007', ' 3', '-0', 'inf'),
  fc.constantFrom('a', 'b', 'apple', 'Zed', '', 'b\u00e9', '\u00ff'),
);
const weightArb = fc.option(
  fc.oneof({ weight: 3, arbitrary: integerArb }, fc.constantFrom('2.5', '-1', 'x', 'y', 'ab', '')),
  { nil: undefined },
);

interface Data {
  source: Source;
  elements: string[];
  scores: number[];
  /** Per distinct element: w_<e>, h_<e> field f, o_<e> (undefined: absent). */
  weights: Map<string, [string | undefined, string | undefined, string | undefined]>;
}

const dataArb: fc.Arbitrary<Data> = fc
  .tuple(
    fc.constantFrom<Source>('list', 'intset', 'strings', 'zset'),
    fc.array(elementArb, { maxLength: 14 }),
    fc.array(integerArb, { minLength: 1, maxLength: 4 }),
    fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 14, maxLength: 14 }),
    fc.array(fc.tuple(weightArb, weightArb, weightArb), { minLength: 30, maxLength: 30 }),
  )
  .map(([source, elements, ints, scores, weights]) => {
    let chosen = elements;
    if (source === 'intset')
      chosen = [...ints, ...elements.filter((e) => /^-?[1-9]\d*$|^0$/.test(e))];
    if (source !== 'list') chosen = [...new Set(chosen)];
    const distinct = [...new Set(chosen)];
    return {
      source,
      elements: chosen,
      scores,
      weights: new Map(
        distinct.map((element, i) => [element, weights[i] ?? [undefined, undefined, undefined]]),
      ),
    };
  });

interface Options {
  by: string | undefined;
  gets: string[];
  alpha: boolean;
  desc: boolean;
  limit: [number, number] | undefined;
  store: boolean;
  readonly: boolean;
}

const optionsArb: fc.Arbitrary<Options> = fc.record({
  by: fc.constantFrom(undefined, undefined, 'nosort', 'w_*', 'h_*->f', 'o_*'),
  gets: fc.array(fc.constantFrom('#', 'w_*', 'h_*->f', 'o_*', 'nothing'), { maxLength: 3 }),
  alpha: fc.boolean(),
  desc: fc.boolean(),
  limit: fc.option(fc.tuple(fc.integer({ min: -2, max: 16 }), fc.integer({ min: -2, max: 16 })), {
    nil: undefined,
  }),
  store: fc.boolean(),
  readonly: fc.boolean(),
});

function setupCommands(data: Data): string[][] {
  const out: string[][] = [];
  const { source, elements } = data;
  if (elements.length > 0) {
    if (source === 'list') out.push(['RPUSH', 'src', ...elements]);
    else if (source === 'zset')
      out.push(['ZADD', 'src', ...elements.flatMap((e, i) => [String(data.scores[i] ?? 0), e])]);
    else out.push(['SADD', 'src', ...elements]);
  }
  for (const [element, [weight, field, other]] of data.weights) {
    if (weight !== undefined) out.push(['SET', `w_${element}`, weight]);
    if (field !== undefined) out.push(['HSET', `h_${element}`, 'f', field]);
    if (other !== undefined) out.push(['SET', `o_${element}`, other]);
  }
  return out;
}

function sortLine(options: Options): string[] {
  const argv = [options.readonly && !options.store ? 'SORT_RO' : 'SORT', 'src'];
  if (options.by !== undefined) argv.push('BY', options.by);
  for (const pattern of options.gets) argv.push('GET', pattern);
  if (options.alpha) argv.push('ALPHA');
  if (options.desc) argv.push('DESC');
  if (options.limit !== undefined)
    argv.push('LIMIT', String(options.limit[0]), String(options.limit[1]));
  if (options.store) argv.push('STORE', 'dst');
  return argv;
}

/** How the result can be compared: exactly, as a multiset, or by its length only. */
function comparison(data: Data, options: Options): 'exact' | 'unordered' | 'length' {
  const limited = options.limit !== undefined;
  const byPattern = options.by !== undefined && options.by !== 'nosort';
  const hashOrder = data.source === 'strings' && options.by === 'nosort' && !options.store;
  const tieOrder = options.alpha && byPattern && (data.source !== 'list' || limited);
  if (!hashOrder && !tieOrder) return 'exact';
  return limited ? 'length' : 'unordered';
}

function compare(mode: 'exact' | 'unordered' | 'length', redis: unknown, shoal: unknown): boolean {
  if (mode === 'length' && Array.isArray(redis) && Array.isArray(shoal))
    return redis.length === shoal.length;
  const unordered = mode !== 'exact';
  return (
    JSON.stringify(typed(redis as never, unordered)) ===
    JSON.stringify(typed(shoal as never, unordered))
  );
}

describe('SORT on random data matches redis-server', { timeout: 120_000 }, () => {
  const pair = withRedisAndShoal();

  it('replies and stored lists are the same', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const redis = await RawClient.connect(pair.redis.port);
    const shoal = await RawClient.connect(pair.shoal.port);
    try {
      await fc.assert(
        fc.asyncProperty(
          dataArb,
          fc.array(optionsArb, { minLength: 1, maxLength: 6 }),
          async (data, optionList) => {
            const clients = [redis, shoal];
            for (const client of clients) {
              await client.call('FLUSHALL');
              for (const argv of setupCommands(data)) await client.call(...argv);
            }
            for (const options of optionList) {
              // A failed SORT ... STORE leaves the destination alone: start each one without it.
              if (options.store) for (const client of clients) await client.call('DEL', 'dst');
              const argv = sortLine(options);
              const mode = comparison(data, options);
              const expected = await redis.call(...argv);
              const actual = await shoal.call(...argv);
              assert.ok(
                compare(options.store ? 'exact' : mode, expected, actual),
                `${argv.join(' ')}: ${JSON.stringify(typed(expected))} vs ${JSON.stringify(typed(actual))}`,
              );
              if (!options.store) continue;
              const storedExpected = await redis.call('LRANGE', 'dst', '0', '-1');
              const storedActual = await shoal.call('LRANGE', 'dst', '0', '-1');
              assert.ok(compare(mode, storedExpected, storedActual), `${argv.join(' ')} stored`);
            }
          },
        ),
        { numRuns: 250 },
      );
    } finally {
      redis.close();
      shoal.close();
    }
  });
});
