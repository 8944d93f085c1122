// Model-based test of the set commands: random command sequences through the embedded API
// against a plain Map of JavaScript Sets. Thresholds are lowered so that sets cross every
// encoding (intset, listpack, hashtable) and the random index; replies must agree with the model
// (random replies must be consistent with it), and the final datasets must be equal.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { open } from '../../src/embedded/index.js';

type Model = Map<string, Set<string>>;

const keys = ['a', 'b', 'c', 'd'];
const members = [
  '1',
  '2',
  '3',
  '-7',
  '40',
  '500',
  'x',
  'y',
  'zz',
  'long-member',
  ...Array.from({ length: 40 }, (_, i) => `m${i}`),
];
const key = fc.constantFrom(...keys);
const member = fc.constantFrom(...members);
const someMembers = fc.array(member, { minLength: 1, maxLength: 12 });
const someKeys = fc.array(key, { minLength: 1, maxLength: 3 });

type Command = string[];
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, someMembers).map(([k, ms]) => ['SADD', k, ...ms]) },
  { weight: 3, arbitrary: fc.tuple(key, someMembers).map(([k, ms]) => ['SREM', k, ...ms]) },
  fc.tuple(key, member).map(([k, m]) => ['SISMEMBER', k, m]),
  fc.tuple(key, someMembers).map(([k, ms]) => ['SMISMEMBER', k, ...ms]),
  key.map((k) => ['SCARD', k]),
  key.map((k) => ['SMEMBERS', k]),
  key.map((k) => ['SPOP', k]),
  fc.tuple(key, fc.integer({ min: 0, max: 60 })).map(([k, n]) => ['SPOP', k, String(n)]),
  key.map((k) => ['SRANDMEMBER', k]),
  fc.tuple(key, fc.integer({ min: -20, max: 60 })).map(([k, n]) => ['SRANDMEMBER', k, String(n)]),
  fc.tuple(key, key, member).map(([s, d, m]) => ['SMOVE', s, d, m]),
  fc
    .tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), someKeys)
    .map(([name, ks]) => [name, ...ks]),
  fc
    .tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, someKeys)
    .map(([name, d, ks]) => [name, d, ...ks]),
  fc
    .tuple(someKeys, fc.integer({ min: 0, max: 5 }))
    .map(([ks, limit]) => ['SINTERCARD', String(ks.length), ...ks, 'LIMIT', String(limit)]),
  fc.tuple(key, fc.integer({ min: 1, max: 7 })).map(([k, n]) => ['SSCAN-ALL', k, String(n)]),
);

const sorted = (items: Iterable<string>): string[] => [...items].sort();

function inter(sets: (Set<string> | undefined)[]): Set<string> {
  if (sets.some((s) => s === undefined)) return new Set();
  const [first, ...rest] = sets as Set<string>[];
  return new Set([...(first ?? [])].filter((m) => rest.every((s) => s.has(m))));
}
function unite(sets: (Set<string> | undefined)[]): Set<string> {
  return new Set(sets.flatMap((s) => [...(s ?? [])]));
}
function subtract(sets: (Set<string> | undefined)[]): Set<string> {
  const [first, ...rest] = sets;
  return new Set([...(first ?? [])].filter((m) => !rest.some((s) => s?.has(m))));
}

function put(model: Model, k: string, set: Set<string>): void {
  if (set.size === 0) model.delete(k);
  else model.set(k, set);
}

async function check(
  db: Awaited<ReturnType<typeof open>>,
  model: Model,
  argv: Command,
): Promise<void> {
  const [name, k = ''] = argv as [string, string];
  const current = model.get(k);
  const what = argv.join(' ');
  switch (name) {
    case 'SADD': {
      const fresh = new Set(argv.slice(2).filter((m) => !current?.has(m)));
      assert.equal(await db.command(...(argv as [string, ...string[]])), fresh.size, what);
      put(model, k, new Set([...(current ?? []), ...argv.slice(2)]));
      return;
    }
    case 'SREM': {
      const gone = new Set(argv.slice(2).filter((m) => current?.has(m)));
      assert.equal(await db.command(...(argv as [string, ...string[]])), gone.size, what);
      put(model, k, new Set([...(current ?? [])].filter((m) => !gone.has(m))));
      return;
    }
    case 'SISMEMBER':
      assert.equal(
        await db.sismember(k, argv[2] as string),
        current?.has(argv[2] as string) === true,
      );
      return;
    case 'SMISMEMBER':
      assert.deepEqual(
        await db.smismember(k, ...argv.slice(2)),
        argv.slice(2).map((m) => current?.has(m) === true),
      );
      return;
    case 'SCARD':
      assert.equal(await db.scard(k), current?.size ?? 0);
      return;
    case 'SMEMBERS':
      assert.deepEqual(sorted(await db.smembers(k)), sorted(current ?? []));
      return;
    case 'SPOP': {
      if (argv.length === 2) {
        const popped = await db.spop(k);
        if (current === undefined) return assert.equal(popped, null);
        assert.ok(popped !== null && current.has(popped), what);
        current.delete(popped);
        put(model, k, current);
        return;
      }
      const popped = await db.spop(k, Number(argv[2]));
      assert.equal(popped.length, Math.min(Number(argv[2]), current?.size ?? 0), what);
      assert.equal(new Set(popped).size, popped.length, 'distinct');
      for (const m of popped) assert.ok(current?.delete(m), `${what}: ${m} was a member`);
      if (current !== undefined) put(model, k, current);
      return;
    }
    case 'SRANDMEMBER': {
      if (argv.length === 2) {
        const picked = await db.srandmember(k);
        if (current === undefined) assert.equal(picked, null);
        else assert.ok(picked !== null && current.has(picked));
        return;
      }
      const count = Number(argv[2]);
      const picked = await db.srandmember(k, count);
      const size = current?.size ?? 0;
      assert.equal(
        picked.length,
        size === 0 ? 0 : count < 0 ? -count : Math.min(count, size),
        what,
      );
      if (count > 0) assert.equal(new Set(picked).size, picked.length, 'distinct');
      for (const m of picked) assert.ok(current?.has(m));
      return;
    }
    case 'SMOVE': {
      const destination = argv[2] as string;
      const m = argv[3] as string;
      const moved = current?.has(m) === true;
      assert.equal(await db.smove(k, destination, m), moved, what);
      if (moved && k !== destination) {
        current?.delete(m);
        put(model, k, current as Set<string>);
        put(model, destination, new Set([...(model.get(destination) ?? []), m]));
      }
      return;
    }
    case 'SINTER':
    case 'SUNION':
    case 'SDIFF': {
      const sets = argv.slice(1).map((x) => model.get(x));
      const expected =
        name === 'SINTER' ? inter(sets) : name === 'SUNION' ? unite(sets) : subtract(sets);
      assert.deepEqual(
        sorted((await db.command(...(argv as [string, ...string[]]))) as string[]),
        sorted(expected),
        what,
      );
      return;
    }
    case 'SINTERSTORE':
    case 'SUNIONSTORE':
    case 'SDIFFSTORE': {
      const sets = argv.slice(2).map((x) => model.get(x));
      const expected =
        name === 'SINTERSTORE'
          ? inter(sets)
          : name === 'SUNIONSTORE'
            ? unite(sets)
            : subtract(sets);
      assert.equal(await db.command(...(argv as [string, ...string[]])), expected.size, what);
      put(model, k, expected);
      return;
    }
    case 'SINTERCARD': {
      const numkeys = Number(argv[1]);
      const sets = argv.slice(2, 2 + numkeys).map((x) => model.get(x));
      const limit = Number(argv.at(-1));
      const size = inter(sets).size;
      assert.equal(
        await db.command(...(argv as [string, ...string[]])),
        limit === 0 ? size : Math.min(limit, size),
        what,
      );
      return;
    }
    case 'SSCAN-ALL': {
      const seen = new Set<string>();
      for await (const m of db.sscan(k, { count: Number(argv[2]) })) seen.add(m);
      assert.deepEqual(sorted(seen), sorted(current ?? []));
      return;
    }
  }
}

describe('set commands against a model', () => {
  it('agree over random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { maxLength: 120 }),
        fc.constantFrom('default', 'small'),
        async (commands, thresholds) => {
          const config: Record<string, number> =
            thresholds === 'small'
              ? {
                  'set-max-intset-entries': 5,
                  'set-max-listpack-entries': 8,
                  'set-max-listpack-value': 4,
                }
              : {};
          const db = await open({ config });
          try {
            const model: Model = new Map();
            for (const argv of commands) await check(db, model, argv);
            for (const k of keys)
              assert.deepEqual(sorted(await db.smembers(k)), sorted(model.get(k) ?? []));
            assert.equal(await db.dbsize(), model.size);
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
