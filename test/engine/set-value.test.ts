// The set value and its random index against a plain JavaScript Set, over random operation
// sequences: same members, same order (insertion order, kept through deletes and through the
// switch to a RandomIndex), and random picks that are members, distinct when asked, and uniform.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SetValue } from '../../src/engine/types/set.js';
import { SetEncoding } from '../../src/engine/types/set-encoding.js';
import { RandomIndex, sampleDistinctSlots } from '../../src/engine/types/set-random-index.js';

type SetOperation =
  | { kind: 'add'; member: string }
  | { kind: 'delete'; member: string }
  | { kind: 'pick' }
  | { kind: 'sample'; count: number };

const member = fc.integer({ min: 0, max: 150 }).map((n) => `m${n}`);
const operation: fc.Arbitrary<SetOperation> = fc.oneof(
  { weight: 5, arbitrary: member.map((m) => ({ kind: 'add' as const, member: m })) },
  { weight: 3, arbitrary: member.map((m) => ({ kind: 'delete' as const, member: m })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pick' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 200 })
      .map((count) => ({ kind: 'sample' as const, count })),
  },
);

/** A deterministic random source for the test (seeded by fast-check). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

describe('SetValue', () => {
  it('behaves like a Set, keeps insertion order, and picks only members', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), fc.integer(), (operations, seed) => {
        const random = seededRandom(seed);
        const value = new SetValue(SetEncoding.Hashtable);
        const model = new Set<string>();
        for (const op of operations) {
          if (op.kind === 'add') assert.equal(value.add(op.member), !model.has(op.member));
          if (op.kind === 'add') model.add(op.member);
          if (op.kind === 'delete') assert.equal(value.delete(op.member), model.delete(op.member));
          if (op.kind === 'pick' && model.size > 0)
            assert.ok(model.has(value.randomMember(random)));
          if (op.kind === 'sample' && model.size > 0) {
            const count = Math.min(op.count, model.size);
            const sample = value.randomMembers(count, random);
            assert.equal(sample.length, count);
            assert.equal(new Set(sample).size, count, 'distinct');
            for (const m of sample) assert.ok(model.has(m));
          }
          assert.equal(value.size, model.size);
        }
        assert.deepEqual([...value.values()], [...model]);
        for (const m of model) assert.ok(value.has(m));
        assert.deepEqual([...value.clone().values()], [...model]);
      }),
      { numRuns: 200 },
    );
  });

  it('sorts an intset numerically, past 2^53 too', () => {
    const value = new SetValue(SetEncoding.Intset, [
      '10',
      '-3',
      '9223372036854775807',
      '2',
      '-9223372036854775808',
      '9007199254740993',
      '9007199254740992',
    ]);
    assert.deepEqual(value.orderedMembers(), [
      '-9223372036854775808',
      '-3',
      '2',
      '10',
      '9007199254740992',
      '9007199254740993',
      '9223372036854775807',
    ]);
    value.encodingCode = SetEncoding.Listpack;
    assert.equal(value.orderedMembers()[0], '10', 'a listpack lists in storage order');
    value.sortNumerically();
    assert.equal(value.orderedMembers()[0], '-9223372036854775808');
  });

  it('reports its encoding by name', () => {
    assert.equal(new SetValue(SetEncoding.Intset).encoding(), 'intset');
    assert.equal(new SetValue(SetEncoding.Listpack).encoding(), 'listpack');
    assert.equal(new SetValue(SetEncoding.Hashtable).encoding(), 'hashtable');
  });
});

describe('random picks', () => {
  it('sampleDistinctSlots gives distinct slots in range, for every count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer(), (size, seed) => {
        const random = seededRandom(seed);
        for (const count of [0, Math.min(1, size), Math.floor(size / 2), size]) {
          const slots = sampleDistinctSlots(size, count, random);
          assert.equal(slots.length, count);
          assert.equal(new Set(slots).size, count);
          for (const slot of slots) assert.ok(slot >= 0 && slot < size);
        }
      }),
    );
  });

  /** Pearson's chi-square statistic of observed counts against a uniform expectation. */
  function chiSquare(counts: number[]): number {
    const total = counts.reduce((a, b) => a + b, 0);
    const expected = total / counts.length;
    return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
  }

  // 99.9th percentile of chi-square with 99 degrees of freedom is about 149.
  const CHI_SQUARE_99_DF_999 = 149;

  it('single picks are uniform, small and indexed', () => {
    const random = seededRandom(12345);
    for (const size of [50, 100]) {
      const value = new SetValue(SetEncoding.Hashtable);
      for (let i = 0; i < size; i++) value.add(`m${i}`);
      const counts = new Array<number>(size).fill(0);
      for (let i = 0; i < size * 400; i++) {
        const slot = Number(value.randomMember(random).slice(1));
        counts[slot] = (counts[slot] ?? 0) + 1;
      }
      if (size === 100) {
        assert.ok(chiSquare(counts) < CHI_SQUARE_99_DF_999, `chi-square ${chiSquare(counts)}`);
      } else {
        for (const count of counts) assert.ok(count > 250 && count < 550, `count ${count}`);
      }
    }
  });

  it('distinct samples are uniform over members, and picks stay uniform after deletes', () => {
    const random = seededRandom(777);
    const value = new SetValue(SetEncoding.Hashtable);
    for (let i = 0; i < 200; i++) value.add(`m${i}`);
    for (let i = 0; i < 200; i += 2) value.delete(`m${i}`); // indexed after the first sample
    const counts = new Map<string, number>();
    value.randomMembers(3, random);
    for (let i = 1; i < 200; i += 2) counts.set(`m${i}`, 0);
    for (let round = 0; round < 4000; round++) {
      for (const m of value.randomMembers(10, random)) counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    assert.equal(counts.size, 100);
    assert.ok(chiSquare([...counts.values()]) < CHI_SQUARE_99_DF_999);
  });

  it('a RandomIndex keeps the Map order through swap-removes', () => {
    const index = new RandomIndex(['a', 'b', 'c', 'd']);
    index.delete('b');
    index.add('e');
    index.delete('a');
    assert.deepEqual([...index.keys()], ['c', 'd', 'e']);
    assert.equal(index.size, 3);
    assert.equal(index.delete('zz'), false);
  });

  it('picks from a million-member set in constant time', () => {
    const value = new SetValue(SetEncoding.Hashtable);
    for (let i = 0; i < 1_000_000; i++) value.add(String(i));
    const random = seededRandom(1);
    value.randomMember(random); // builds the index once
    const started = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) value.randomMember(random);
    value.randomMembers(1000, random);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(elapsedMs < 500, `10k picks took ${elapsedMs} ms`);
  });
});
