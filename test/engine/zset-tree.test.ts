// The sorted set's ordered index against a naive model (a sorted array): random sequences of
// inserts, removals by key, by rank and by rank range, with rank, select, count and walk queries,
// and every structural invariant checked along the way.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Below,
  type BelowMode,
  compareKeys,
  OrderedIndex,
} from '../../src/engine/types/zset-tree.js';

interface Entry {
  score: number;
  member: string;
}

/** The model: entries kept sorted by (score, member). */
class Model {
  entries: Entry[] = [];
  has(member: string): Entry | undefined {
    return this.entries.find((entry) => entry.member === member);
  }
  insert(score: number, member: string): void {
    this.entries.push({ score, member });
    this.entries.sort((a, b) => compareKeys(a.score, a.member, b.score, b.member));
  }
  remove(member: string): void {
    this.entries = this.entries.filter((entry) => entry.member !== member);
  }
  countWhere(mode: BelowMode, score: number, member: string): number {
    const passes = (entry: Entry): boolean => {
      switch (mode) {
        case Below.key:
          return compareKeys(entry.score, entry.member, score, member) < 0;
        case Below.scoreLess:
          return entry.score < score;
        case Below.scoreAtMost:
          return entry.score <= score;
        case Below.memberLess:
          return entry.member < member;
        case Below.memberAtMost:
          return entry.member <= member;
      }
    };
    let count = 0;
    while (count < this.entries.length && passes(this.entries[count] as Entry)) count++;
    return count;
  }
}

/** A small deterministic PRNG, so long runs replay from their seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function contents(index: OrderedIndex): Entry[] {
  const out: Entry[] = [];
  index.forEach(0, index.size, (score, member) => {
    out.push({ score, member });
  });
  return out;
}

const SCORES = [-Infinity, -2, -1, -0.5, 0, 0.5, 1, 2, 3, Infinity];

/** Runs `steps` random operations on both, checking as it goes. */
function runRandom(seed: number, steps: number, memberCount: number, checkEvery: number): number {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const index = new OrderedIndex();
  const model = new Model();
  let deepest = 0;
  // Bias toward growth first, then toward shrinking, so trees grow tall and then collapse.
  for (let step = 0; step < steps; step++) {
    const growing = step < steps / 2;
    const action = random();
    const member = `m${Math.floor(random() * memberCount)}`;
    const size = model.entries.length;
    if (action < (growing ? 0.7 : 0.3)) {
      const present = model.has(member);
      const score = random() < 0.5 ? pick(SCORES) : Math.floor(random() * 1000);
      if (present !== undefined) {
        index.remove(present.score, member);
        model.remove(member);
      }
      index.insert(score, member);
      model.insert(score, member);
    } else if (action < (growing ? 0.8 : 0.55)) {
      const present = model.has(member);
      if (present !== undefined) {
        index.remove(present.score, member);
        model.remove(member);
      }
    } else if (action < (growing ? 0.82 : 0.7) && size > 0) {
      const rank = Math.floor(random() * size);
      index.removeAt(rank);
      model.entries.splice(rank, 1);
    } else if (action < (growing ? 0.822 : 0.78) && size > 0) {
      const start = Math.floor(random() * size);
      const length = Math.floor(
        random() * Math.min(size - start, !growing && random() < 0.05 ? size : 200),
      );
      index.removeRange(start, start + length);
      model.entries.splice(start, length + 1);
    } else if (size > 0) {
      const rank = Math.floor(random() * size);
      const entry = model.entries[rank] as Entry;
      assert.equal(index.memberAt(rank), entry.member);
      assert.equal(index.scoreAt(rank), entry.score);
      assert.equal(index.rankOf(entry.score, entry.member), rank);
      const mode = pick([
        Below.key,
        Below.scoreLess,
        Below.scoreAtMost,
        Below.memberLess,
        Below.memberAtMost,
      ] as const);
      const score = pick(SCORES);
      // Member predicates only hold for a prefix when the scores are in member order too; the
      // model test for those uses a set with one score (below).
      if (mode === Below.key || mode === Below.scoreLess || mode === Below.scoreAtMost) {
        assert.equal(index.countWhere(mode, score, member), model.countWhere(mode, score, member));
      }
      const end = Math.min(size, rank + Math.floor(random() * 50));
      const forward: string[] = [];
      index.forEach(rank, end, (_score, name) => {
        forward.push(name);
      });
      assert.deepEqual(
        forward,
        model.entries.slice(rank, end).map((e) => e.member),
      );
      const backward: string[] = [];
      index.forEachReverse(rank, end, (_score, name) => {
        backward.push(name);
      });
      assert.deepEqual(backward, forward.reverse());
    }
    assert.equal(index.size, model.entries.length);
    deepest = Math.max(deepest, index.depth);
    if (step % checkEvery === 0) {
      index.check();
      assert.deepEqual(contents(index), model.entries);
    }
  }
  index.check();
  assert.deepEqual(contents(index), model.entries);
  return deepest;
}

describe('sorted set ordered index', () => {
  it('matches a sorted array over short random sequences (fast-check)', () => {
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant('insert' as const),
        member: fc.integer({ min: 0, max: 30 }),
        score: fc.constantFrom(...SCORES),
      }),
      fc.record({ kind: fc.constant('remove' as const), member: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('removeAt' as const), rank: fc.nat() }),
      fc.record({ kind: fc.constant('removeRange' as const), start: fc.nat(), length: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const index = new OrderedIndex();
        const model = new Model();
        for (const op of operations) {
          const size = model.entries.length;
          if (op.kind === 'insert') {
            const member = `m${op.member}`;
            const present = model.has(member);
            if (present !== undefined) {
              index.remove(present.score, member);
              model.remove(member);
            }
            index.insert(op.score, member);
            model.insert(op.score, member);
          } else if (op.kind === 'remove') {
            const present = model.has(`m${op.member}`);
            if (present === undefined) continue;
            index.remove(present.score, present.member);
            model.remove(present.member);
          } else if (size > 0 && op.kind === 'removeAt') {
            index.removeAt(op.rank % size);
            model.entries.splice(op.rank % size, 1);
          } else if (size > 0 && op.kind === 'removeRange') {
            const start = op.start % size;
            const stop = start + (op.length % (size - start));
            index.removeRange(start, stop);
            model.entries.splice(start, stop - start + 1);
          }
          index.check();
          assert.deepEqual(contents(index), model.entries);
          for (const score of SCORES) {
            for (const mode of [Below.scoreLess, Below.scoreAtMost] as const) {
              assert.equal(index.countWhere(mode, score, ''), model.countWhere(mode, score, ''));
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its invariants through growth to several levels and back', () => {
    assert.ok(runRandom(1, 40_000, 15_000, 2_000) >= 3, 'grew to three levels');
  });

  it('keeps its invariants with few distinct members (heavy churn)', () => {
    assert.ok(runRandom(2, 30_000, 300, 500) >= 2, 'grew to two levels');
  });

  it('answers member-order predicates on a one-score set', () => {
    const random = mulberry32(3);
    const index = new OrderedIndex();
    const model = new Model();
    for (let i = 0; i < 5000; i++) {
      const member = String.fromCharCode(
        ...Array.from(
          { length: 1 + Math.floor(random() * 4) },
          () => 97 + Math.floor(random() * 6),
        ),
      );
      if (model.has(member) !== undefined) continue;
      index.insert(0, member);
      model.insert(0, member);
    }
    index.check();
    for (let i = 0; i < 2000; i++) {
      const probe = String.fromCharCode(
        97 + Math.floor(random() * 7),
        97 + Math.floor(random() * 7),
      );
      for (const mode of [Below.memberLess, Below.memberAtMost, Below.key] as const) {
        assert.equal(index.countWhere(mode, 0, probe), model.countWhere(mode, 0, probe));
      }
    }
  });

  it('builds from sorted arrays of every small size and of a large one', () => {
    for (const size of [0, 1, 2, 47, 48, 49, 63, 64, 65, 100, 2305, 3073, 100_000]) {
      const scores = Array.from({ length: size }, (_, i) => Math.floor(i / 3));
      const members = Array.from({ length: size }, (_, i) => `m${String(i).padStart(6, '0')}`);
      const index = new OrderedIndex();
      index.build(scores, members);
      index.check();
      assert.equal(index.size, size);
      assert.deepEqual(index.toArrays(), { scores, members });
      if (size > 0) {
        assert.equal(index.memberAt(size - 1), members[size - 1]);
        assert.equal(
          index.rankOf(scores[size >> 1] as number, members[size >> 1] as string),
          size >> 1,
        );
      }
    }
  });

  it('visitors can stop a walk early', () => {
    const index = new OrderedIndex();
    for (let i = 0; i < 500; i++) index.insert(i, `m${i}`);
    let seen = 0;
    index.forEach(10, 400, () => ++seen < 5);
    assert.equal(seen, 5);
    seen = 0;
    index.forEachReverse(10, 400, () => ++seen < 7);
    assert.equal(seen, 7);
  });

  it('stays shallow and compact for a million elements', () => {
    const index = new OrderedIndex();
    const count = 1_000_000;
    for (let i = 0; i < count; i++) index.insert((i * 7919) % count, `m${i}`);
    const nodes = index.check();
    // At most one node per 16 elements: leaves are kept at least a quarter full.
    assert.ok(nodes < count / 16, `${nodes} nodes`);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) index.memberAt((i * 104_729) % count);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(elapsedMs < 2_000, `100k selects took ${elapsedMs} ms`);
    index.removeRange(1000, count - 1000);
    index.check();
    assert.equal(index.size, 1999);
  });
});
