// The sorted set type: its value class, its effect op codes (inside OpRange.zset), their appliers
// and its dumper. A sorted set is a Map member → score (ZSCORE in O(1)) plus an ordered index of
// (score, member) pairs with subtree counts (rank and range operations in O(log n)).
//
// Op codes (written to disk and replicated: never renumber or reuse one):
//   80 ZAdd          [80, db, key, score, member, score, member, ...]
//                    Sets each member's score (adds it, or moves it); creates the key if absent.
//                    Later pairs win over earlier ones for the same member.
//   81 ZRemove       [81, db, key, member, ...]  removes members that are present.
//   82 ZRemoveRanks  [82, db, key, start, stop]  removes ranks start..stop (0-based, inclusive,
//                    inside the set): ZREMRANGEBY*, ZPOPMIN/ZPOPMAX and ZMPOP resolve to this.
//   83 ZUnpack       [83, db, key]  reports the "skiplist" encoding from now on (dumps use it so
//                    that OBJECT ENCODING survives a snapshot).
// Scores are finite or infinite doubles, never NaN.

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { CollectionEffect, Effect } from '../effects.js';
import type { CollectionValue } from '../values.js';
import { compareKeys, OrderedIndex, type Visitor } from './zset-tree.js';
import { registerType } from './registry.js';

export const ZsetOp = {
  Add: 80,
  Remove: 81,
  RemoveRanks: 82,
  Unpack: 83,
} as const;

/**
 * Redis's compact-encoding thresholds (zset-max-listpack-entries / -value). They only decide
 * what OBJECT ENCODING reports; the command layer keeps them in step with the configuration.
 */
export const sortedSetEncodingLimits = { maxEntries: 128, maxValueBytes: 64 };

/** Pairs per ZAdd effect in a dump, so one huge set does not make one huge log record. */
const DUMP_CHUNK_PAIRS = 1024;
/** A new set built from at least this many pairs is sorted and built in bulk. */
const BULK_BUILD_MIN = 32;

export class SortedSetValue implements CollectionValue {
  readonly type = 'zset';
  /** member → score. */
  readonly scores = new Map<string, number>();
  readonly index = new OrderedIndex();
  /** Redis's "listpack" encoding; like Redis, a set that outgrew it never goes back. */
  compact = true;

  get size(): number {
    return this.scores.size;
  }

  encoding(): string {
    return this.compact ? 'listpack' : 'skiplist';
  }

  clone(): SortedSetValue {
    const copy = new SortedSetValue();
    const { scores, members } = this.index.toArrays();
    copy.index.build(scores, members);
    for (let i = 0; i < members.length; i++) {
      copy.scores.set(members[i] as string, scores[i] as number);
    }
    copy.compact = this.compact;
    return copy;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds a member or moves it to a new score. */
  set(score: number, member: string): void {
    const current = this.scores.get(member);
    if (current !== undefined) {
      if (current === score) return;
      this.index.remove(current, member);
    }
    this.index.insert(score, member);
    this.scores.set(member, score);
  }

  remove(member: string): boolean {
    const current = this.scores.get(member);
    if (current === undefined) return false;
    this.index.remove(current, member);
    this.scores.delete(member);
    return true;
  }

  /** The 0-based rank of a present member. */
  rank(member: string): number | undefined {
    const score = this.scores.get(member);
    return score === undefined ? undefined : this.index.rankOf(score, member);
  }

  /** Removes ranks start..stop (inclusive). */
  removeRanks(start: number, stop: number): void {
    this.index.forEach(start, stop + 1, (_score, member) => {
      this.scores.delete(member);
    });
    this.index.removeRange(start, stop);
  }

  /** Visits every element in order. */
  forEach(visit: Visitor): void {
    this.index.forEach(0, this.index.size, visit);
  }

  /** Fills an empty set from pairs (later pairs win), sorting once instead of inserting. */
  load(scores: number[], members: string[]): void {
    assert(this.size === 0, 'bulk load into an empty set');
    for (let i = 0; i < members.length; i++) {
      this.scores.set(members[i] as string, scores[i] as number);
    }
    const sortedMembers = [...this.scores.keys()];
    const byMember = this.scores;
    sortedMembers.sort((a, b) =>
      compareKeys(byMember.get(a) as number, a, byMember.get(b) as number, b),
    );
    const sortedScores = sortedMembers.map((member) => byMember.get(member) as number);
    this.index.build(sortedScores, sortedMembers);
  }
}

function existingSet(db: Database, key: string): SortedSetValue {
  const value = db.keys.get(key);
  assert(value instanceof SortedSetValue, 'sorted set effect on a sorted set');
  return value;
}

function applyAdd(db: Database, effect: CollectionEffect): void {
  const key = effect[2];
  assert(effect.length > 3 && (effect.length - 3) % 2 === 0, 'ZAdd has score/member pairs');
  let value = db.keys.get(key);
  const created = value === undefined;
  if (value === undefined) {
    value = new SortedSetValue();
    db.keys.set(key, value);
  }
  assert(value instanceof SortedSetValue, 'ZAdd on a sorted set');
  let longest = 0;
  const pairs = (effect.length - 3) / 2;
  if (created && pairs >= BULK_BUILD_MIN) {
    const scores: number[] = [];
    const members: string[] = [];
    for (let i = 3; i < effect.length; i += 2) {
      const score = effect[i];
      const member = effect[i + 1];
      assert(typeof score === 'number' && !Number.isNaN(score), 'ZAdd score is a number');
      assert(typeof member === 'string', 'ZAdd member is a string');
      scores.push(score);
      members.push(member);
      if (member.length > longest) longest = member.length;
    }
    value.load(scores, members);
  } else {
    for (let i = 3; i < effect.length; i += 2) {
      const score = effect[i];
      const member = effect[i + 1];
      assert(typeof score === 'number' && !Number.isNaN(score), 'ZAdd score is a number');
      assert(typeof member === 'string', 'ZAdd member is a string');
      value.set(score, member);
      if (member.length > longest) longest = member.length;
    }
  }
  const limits = sortedSetEncodingLimits;
  if (created || value.compact) {
    value.compact = value.size <= limits.maxEntries && longest <= limits.maxValueBytes;
  }
}

function applyRemove(db: Database, effect: CollectionEffect): void {
  const value = existingSet(db, effect[2]);
  for (let i = 3; i < effect.length; i++) {
    const member = effect[i];
    assert(typeof member === 'string', 'ZRemove member is a string');
    assert(value.remove(member), 'ZRemove member is present');
  }
}

function applyRemoveRanks(db: Database, effect: CollectionEffect): void {
  const value = existingSet(db, effect[2]);
  const start = effect[3];
  const stop = effect[4];
  assert(
    typeof start === 'number' &&
      typeof stop === 'number' &&
      Number.isInteger(start) &&
      Number.isInteger(stop) &&
      start >= 0 &&
      start <= stop &&
      stop < value.size,
    'ZRemoveRanks range inside the set',
  );
  value.removeRanks(start, stop);
}

function applyUnpack(db: Database, effect: CollectionEffect): void {
  existingSet(db, effect[2]).compact = false;
}

function dump(db: number, key: string, value: CollectionValue): Effect[] {
  assert(value instanceof SortedSetValue, 'sorted set dumper gets a sorted set');
  const effects: Effect[] = [];
  let chunk: CollectionEffect = [ZsetOp.Add, db, key];
  value.forEach((score, member) => {
    chunk.push(score, member);
    if (chunk.length >= 3 + 2 * DUMP_CHUNK_PAIRS) {
      effects.push(chunk);
      chunk = [ZsetOp.Add, db, key];
    }
  });
  if (chunk.length > 3) effects.push(chunk);
  if (!value.compact) effects.push([ZsetOp.Unpack, db, key]);
  return effects;
}

registerType(
  'zset',
  {
    [ZsetOp.Add]: applyAdd,
    [ZsetOp.Remove]: applyRemove,
    [ZsetOp.RemoveRanks]: applyRemoveRanks,
    [ZsetOp.Unpack]: applyUnpack,
  },
  dump,
);
