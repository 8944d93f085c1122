// Model-based test of the hash commands: random command sequences through the embedded API
// against a plain Map of Maps, with thresholds low enough to cross from listpack to hashtable.
// Replies must agree with the model (random ones must be consistent with it), and the final
// dataset must be equal, field order included (insertion order, as Redis's listpack keeps it).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { open } from '../../src/embedded/index.js';

type Model = Map<string, Map<string, string>>;

const keys = ['h1', 'h2', 'h3'];
const fields = [
  'a',
  'b',
  'c',
  'n',
  'x',
  'long-field-name',
  ...Array.from({ length: 30 }, (_, i) => `f${i}`),
];
const values = ['1', '-20', '3.5', 'v', '', 'a-longer-value', '9223372036854775800'];
const key = fc.constantFrom(...keys);
const field = fc.constantFrom(...fields);
const value = fc.constantFrom(...values);

const commandArb: fc.Arbitrary<string[]> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(key, fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 8 }))
      .map(([k, pairs]) => ['HSET', k, ...pairs.flat()]),
  },
  fc.tuple(key, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
  {
    weight: 2,
    arbitrary: fc
      .tuple(key, fc.array(field, { minLength: 1, maxLength: 5 }))
      .map(([k, fs]) => ['HDEL', k, ...fs]),
  },
  fc.tuple(key, field).map(([k, f]) => ['HGET', k, f]),
  fc
    .tuple(key, fc.array(field, { minLength: 1, maxLength: 4 }))
    .map(([k, fs]) => ['HMGET', k, ...fs]),
  key.map((k) => ['HLEN', k]),
  fc.tuple(key, field).map(([k, f]) => ['HEXISTS', k, f]),
  fc.tuple(key, field).map(([k, f]) => ['HSTRLEN', k, f]),
  key.map((k) => ['HGETALL', k]),
  key.map((k) => ['HKEYS', k]),
  key.map((k) => ['HVALS', k]),
  fc
    .tuple(key, field, fc.integer({ min: -100, max: 100 }))
    .map(([k, f, n]) => ['HINCRBY', k, f, String(n)]),
  fc
    .tuple(key, field, fc.constantFrom('1.5', '-0.25', '10'))
    .map(([k, f, n]) => ['HINCRBYFLOAT', k, f, n]),
  key.map((k) => ['HRANDFIELD', k]),
  fc.tuple(key, fc.integer({ min: -12, max: 40 })).map(([k, n]) => ['HRANDFIELD', k, String(n)]),
  fc.tuple(key, fc.integer({ min: 1, max: 5 })).map(([k, n]) => ['HSCAN-ALL', k, String(n)]),
);

function run(db: Awaited<ReturnType<typeof open>>, argv: string[]): Promise<unknown> {
  return db
    .command(argv[0] as string, ...argv.slice(1))
    .catch((error: Error) => ({ error: error.message }));
}

async function check(
  db: Awaited<ReturnType<typeof open>>,
  model: Model,
  argv: string[],
): Promise<void> {
  const [name, k = '', f = ''] = argv as [string, string, string];
  const hash = model.get(k);
  const what = argv.join(' ');
  switch (name) {
    case 'HSET': {
      const next = new Map(hash);
      let created = 0;
      for (let i = 2; i < argv.length; i += 2) {
        if (!next.has(argv[i] as string)) created++;
        next.set(argv[i] as string, argv[i + 1] as string);
      }
      assert.equal(await run(db, argv), created, what);
      model.set(k, next);
      return;
    }
    case 'HSETNX': {
      const fresh = hash?.has(f) !== true;
      assert.equal(await run(db, argv), fresh ? 1 : 0, what);
      if (fresh) model.set(k, new Map(hash).set(f, argv[3] as string));
      return;
    }
    case 'HDEL': {
      const gone = new Set(argv.slice(2).filter((x) => hash?.has(x)));
      assert.equal(await run(db, argv), gone.size, what);
      for (const x of gone) hash?.delete(x);
      if (hash?.size === 0) model.delete(k);
      return;
    }
    case 'HGET':
      assert.equal(await run(db, argv), hash?.get(f) ?? null, what);
      return;
    case 'HMGET':
      assert.deepEqual(
        await run(db, argv),
        argv.slice(2).map((x) => hash?.get(x) ?? null),
        what,
      );
      return;
    case 'HLEN':
      assert.equal(await run(db, argv), hash?.size ?? 0);
      return;
    case 'HEXISTS':
      assert.equal(await run(db, argv), hash?.has(f) === true ? 1 : 0);
      return;
    case 'HSTRLEN':
      assert.equal(await run(db, argv), hash?.get(f)?.length ?? 0);
      return;
    case 'HGETALL':
      assert.deepEqual(await run(db, argv), [...(hash ?? [])].flat(), what);
      return;
    case 'HKEYS':
      assert.deepEqual(await run(db, argv), [...(hash?.keys() ?? [])]);
      return;
    case 'HVALS':
      assert.deepEqual(await run(db, argv), [...(hash?.values() ?? [])]);
      return;
    case 'HINCRBY': {
      const current = hash?.get(f) ?? '0';
      const reply = await run(db, argv);
      if (!/^(0|-?[1-9]\d*)$/.test(current)) {
        return assert.deepEqual(reply, { error: 'ERR hash value is not an integer' }, what);
      }
      const result = BigInt(current) + BigInt(argv[3] as string);
      if (result > 9223372036854775807n || result < -9223372036854775808n) {
        return assert.deepEqual(
          reply,
          { error: 'ERR increment or decrement would overflow' },
          what,
        );
      }
      assert.equal(BigInt(reply as number | bigint), result, what);
      model.set(k, new Map(hash).set(f, String(result)));
      return;
    }
    case 'HINCRBYFLOAT': {
      const current = hash?.get(f) ?? '0';
      const reply = await run(db, argv);
      if (current === '' || Number.isNaN(Number(current))) {
        return assert.deepEqual(reply, { error: 'ERR hash value is not a float' }, what);
      }
      const expected = Number(current) + Number(argv[3]);
      assert.ok(
        Math.abs(Number(reply) - expected) <= Math.abs(expected) * 1e-12,
        `${what}: ${String(reply)}`,
      );
      model.set(k, new Map(hash).set(f, reply as string));
      return;
    }
    case 'HRANDFIELD': {
      const reply = await run(db, argv);
      if (argv.length === 2) {
        if (hash === undefined) return assert.equal(reply, null);
        return assert.ok(hash.has(reply as string));
      }
      const count = Number(argv[2]);
      const picked = reply as string[];
      const size = hash?.size ?? 0;
      assert.equal(
        picked.length,
        size === 0 ? 0 : count < 0 ? -count : Math.min(count, size),
        what,
      );
      if (count > 0) assert.equal(new Set(picked).size, picked.length);
      for (const x of picked) assert.ok(hash?.has(x));
      return;
    }
    case 'HSCAN-ALL': {
      const seen = new Map<string, string>();
      for await (const [x, v] of db.hscan(k, { count: Number(f) })) seen.set(x, v);
      assert.deepEqual([...seen].sort(), [...(hash ?? [])].sort());
      return;
    }
  }
}

describe('hash commands against a model', () => {
  it('agree over random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { maxLength: 120 }),
        fc.constantFrom('default', 'small'),
        async (commands, thresholds) => {
          const config: Record<string, number> =
            thresholds === 'small'
              ? { 'hash-max-listpack-entries': 6, 'hash-max-listpack-value': 8 }
              : {};
          const db = await open({ config });
          try {
            const model: Model = new Map();
            for (const argv of commands) await check(db, model, argv);
            for (const k of keys)
              assert.deepEqual(await db.hgetall(k), Object.fromEntries(model.get(k) ?? []));
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
