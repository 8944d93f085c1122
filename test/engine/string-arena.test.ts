// Short string values live in a database's arena (engine/string-arena.ts). Random effects of every
// kind that moves, rewrites or drops a string, applied to the engine and to a plain model: every
// key reads back the model's value, and the arena holds exactly one slot per short string (no
// slot leaked by an overwrite, delete, rename, move or flush, none shared by two keys).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Effect, ExpireNone, Op } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { ARENA_MAX_LENGTH, StringArena } from '../../src/engine/string-arena.js';
import { stringText } from '../../src/engine/values.js';

const DATABASES = 3;
const key = fc.integer({ min: 0, max: 12 }).map((n) => `k${n}`);
const db = fc.integer({ min: 0, max: DATABASES - 1 });
const latin1 = fc
  .array(fc.integer({ min: 0, max: 255 }), { maxLength: ARENA_MAX_LENGTH + 20 })
  .map((codes) => String.fromCharCode(...codes));
const text = fc.oneof(latin1, fc.integer({ min: -1000, max: 1000 }).map(String));

const effect: fc.Arbitrary<Effect> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(db, key, text).map(([d, k, v]): Effect => [Op.Set, d, k, v, ExpireNone]),
  },
  { weight: 2, arbitrary: fc.tuple(db, key).map(([d, k]): Effect => [Op.Delete, d, k]) },
  { weight: 2, arbitrary: fc.tuple(db, key, key).map(([d, a, b]): Effect => [Op.Rename, d, a, b]) },
  { weight: 2, arbitrary: fc.tuple(db, key, db).map(([d, k, t]): Effect => [Op.Move, d, k, t]) },
  {
    weight: 2,
    arbitrary: fc.tuple(db, key, db, key).map(([d, k, t, u]): Effect => [Op.Copy, d, k, t, u]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(db, key, latin1).map(([d, k, s]): Effect => [Op.Append, d, k, s]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(db, key, fc.integer({ min: 0, max: 140 }), latin1)
      .map(([d, k, o, s]): Effect => [Op.SetRange, d, k, o, s]),
  },
  { weight: 1, arbitrary: db.map((d): Effect => [Op.FlushDb, d]) },
  { weight: 1, arbitrary: fc.tuple(db, db).map(([a, b]): Effect => [Op.SwapDb, a, b]) },
);

type Model = Map<string, string>[];

/** What each effect does to string keys, by Redis's rules (the engine asserts its preconditions). */
function applyToModel(model: Model, e: Effect): boolean {
  const at = (d: number) => model[d] as Map<string, string>;
  const [op, d, k] = e as [number, number, string];
  const db = at(d);
  switch (op) {
    case Op.Set:
      db.set(k, String(e[3]));
      return true;
    case Op.Delete:
      db.delete(k);
      return true;
    case Op.Rename: {
      const [, , , destination] = e as [number, number, string, string];
      const value = db.get(k);
      if (value === undefined) return false;
      db.delete(k);
      db.set(destination, value);
      return true;
    }
    case Op.Move: {
      const [, , , target] = e as [number, number, string, number];
      const value = db.get(k);
      if (value === undefined || d === target || at(target).has(k)) return false;
      db.delete(k);
      at(target).set(k, value);
      return true;
    }
    case Op.Copy: {
      const [, , , target, destination] = e as [number, number, string, number, string];
      const value = db.get(k);
      if (value === undefined || (d === target && k === destination)) return false;
      at(target).set(destination, value);
      return true;
    }
    case Op.Append:
      db.set(k, (db.get(k) ?? '') + String(e[3]));
      return true;
    case Op.SetRange: {
      const [, , , offset, value] = e as [number, number, string, number, string];
      let current = db.get(k) ?? '';
      if (current.length < offset) current += '\0'.repeat(offset - current.length);
      db.set(k, current.slice(0, offset) + value + current.slice(offset + value.length));
      return true;
    }
    case Op.FlushDb:
      db.clear();
      return true;
    case Op.SwapDb: {
      const other = e[2] as number;
      model[d] = at(other);
      model[other] = db;
      return true;
    }
    default:
      throw new Error(`unexpected effect ${op}`);
  }
}

describe('short string values in the arena', () => {
  it('read back as written through every effect, one slot per short string', () => {
    fc.assert(
      fc.property(fc.array(effect, { maxLength: 300 }), (effects) => {
        const engine = new Engine(DATABASES);
        const model: Model = Array.from({ length: DATABASES }, () => new Map<string, string>());
        for (const e of effects) {
          if (applyToModel(model, e)) engine.applyEffect(e);
        }
        for (let d = 0; d < DATABASES; d++) {
          const database = engine.database(d);
          const expected = model[d] as Map<string, string>;
          assert.equal(database.size, expected.size);
          let shortStrings = 0;
          for (const [k, value] of expected) {
            const stored = database.get(k);
            assert.ok(stored !== undefined && typeof stored !== 'object', `${d}/${k} is a string`);
            assert.equal(stringText(stored), value, `${d}/${k}`);
            if (typeof stored === 'string' && stored.length > 0) {
              if (stored.length <= ARENA_MAX_LENGTH) shortStrings++;
            }
          }
          assert.equal(database.arena.slotsInUse, shortStrings, `db ${d} slots in use`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('overwrites reuse slots: rewriting every key in place allocates no new slab', () => {
    const arena = new StringArena();
    const handles: number[] = [];
    for (let i = 0; i < 5000; i++) handles.push(arena.store(`value-${i}`.padEnd(30, '.')));
    const slabBytes = arena.slabBytes;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < handles.length; i++) {
        const text = `round-${round}-${i}`.padEnd(25 + round, '#');
        handles[i] = arena.store(text, handles[i]);
        assert.equal(arena.read(handles[i] as number), text);
      }
    }
    assert.equal(arena.slabBytes, slabBytes);
    assert.equal(arena.slotsInUse, 5000);
    // A value that moves to another class frees its old slot for the next one of that class.
    const moved = arena.store('x'.repeat(100), handles[0]);
    assert.equal(arena.read(moved), 'x'.repeat(100));
    assert.equal(arena.slotsInUse, 5000);
  });

  it('keeps only values from 1 to ARENA_MAX_LENGTH bytes', () => {
    const arena = new StringArena();
    assert.equal(arena.store(''), -1);
    assert.equal(arena.store('y'.repeat(ARENA_MAX_LENGTH + 1)), -1);
    const handle = arena.store('\0\xff'.repeat(63) + 'z');
    assert.equal(arena.read(handle), '\0\xff'.repeat(63) + 'z');
    assert.equal(arena.slotsInUse, 1);
  });
});
