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
//   83 ZUnpack       [83, db, key]  leaves the compact ("listpack") encoding for good (dumps use
//                    it so that OBJECT ENCODING and -0 scores survive a snapshot).
// Scores are finite or infinite doubles, never NaN.

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { CollectionEffect, Effect } from '../effects.js';
import type { EncodingLimits } from '../encoding-limits.js';
import type { CollectionValue } from '../values.js';
import { OrderedIndex, sortByKey, type Visitor } from './zset-tree.js';
import { registerType } from './registry.js';

export const ZsetOp = {
  Add: 80,
  Remove: 81,
  RemoveRanks: 82,
  Unpack: 83,
} as const;

/** Pairs per ZAdd effect in a dump, so one huge set does not make one huge log record. */
const DUMP_CHUNK_PAIRS = 65_536;
/** A batch of at least this many pairs into an empty set is sorted and built in bulk. */
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

  /**
   * Sets many pairs at once (later pairs win). Into an empty set, a large batch is sorted once
   * and built in O(n); otherwise each pair is inserted (sorted input inserts cheaply anyway).
   */
  setMany(scores: number[], members: string[]): void {
    const count = members.length;
    if (this.size > 0 || count < BULK_BUILD_MIN) {
      for (let i = 0; i < count; i++) this.set(scores[i] as number, members[i] as string);
      return;
    }
    for (let i = 0; i < count; i++) this.scores.set(members[i] as string, scores[i] as number);
    const sorted =
      this.scores.size === count
        ? sortByKey(scores, members)
        : sortByKey([...this.scores.values()], [...this.scores.keys()]);
    this.index.build(sorted.scores, sorted.members);
  }
}

function existingSet(db: Database, key: string): SortedSetValue {
  const value = db.get(key);
  assert(value instanceof SortedSetValue, 'sorted set effect on a sorted set');
  return value;
}

/**
 * Applies ZAdd with Redis 7.2's encoding rules: a set is created compact when the pairs fit the
 * thresholds, an existing compact set converts before the insert that would overflow it, and a
 * compact set stores scores as listpack text does, so -0 becomes 0 there (a skiplist keeps -0).
 * The thresholds are the engine's zset-max-listpack-entries / -value; they only decide what
 * OBJECT ENCODING reports (and whether -0 survives).
 */
function applyAdd(db: Database, effect: CollectionEffect, limits: EncodingLimits): void {
  const key = effect[2];
  assert(effect.length > 3 && (effect.length - 3) % 2 === 0, 'ZAdd has score/member pairs');
  const scores: number[] = [];
  const members: string[] = [];
  let longest = 0;
  for (let i = 3; i < effect.length; i += 2) {
    const score = effect[i];
    const member = effect[i + 1];
    assert(typeof score === 'number' && !Number.isNaN(score), 'ZAdd score is a number');
    assert(typeof member === 'string', 'ZAdd member is a string');
    scores.push(score);
    members.push(member);
    if (member.length > longest) longest = member.length;
  }
  const maxEntries = limits.zsetMaxListpackEntries;
  const fits = members.length <= maxEntries && longest <= limits.zsetMaxListpackValue;
  const existing = db.get(key);
  let value: SortedSetValue;
  if (existing === undefined) {
    value = new SortedSetValue();
    value.compact = fits;
    db.set(key, value);
  } else {
    assert(existing instanceof SortedSetValue, 'ZAdd on a sorted set');
    value = existing;
    if (!fits) value.compact = false;
  }
  if (value.compact) {
    // Only a batch that fits gets here, so this walk is short. The insert that would overflow
    // the compact encoding converts the set first; until then, -0 is stored as 0.
    let size = value.size;
    // Members this batch added (a batch may name a member twice); one pair needs no set.
    const added = members.length > 1 ? new Set<string>() : undefined;
    for (let i = 0; i < members.length && value.compact; i++) {
      const member = members[i] as string;
      if (value.score(member) === undefined && added?.has(member) !== true) {
        if (size + 1 > maxEntries) {
          value.compact = false;
          break;
        }
        size++;
        added?.add(member);
      }
      if (scores[i] === 0) scores[i] = 0;
    }
  }
  value.setMany(scores, members);
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

/**
 * The effects that rebuild a set: its pairs in order, in chunks. A set past its compact encoding
 * is marked so after its first pair, before the rest, so that the rest keep their exact scores
 * (a compact set would turn -0 into 0) and OBJECT ENCODING stays the same.
 */
function dump(db: number, key: string, value: CollectionValue): Effect[] {
  assert(value instanceof SortedSetValue, 'sorted set dumper gets a sorted set');
  const effects: Effect[] = [];
  let chunk: CollectionEffect = [ZsetOp.Add, db, key];
  let first: string | undefined;
  if (!value.compact) {
    // The first pair goes in while the set may still be compact: pick one whose score is not -0.
    first = value.index.memberAt(0);
    value.forEach((score, member) => {
      if (Object.is(score, -0)) return true;
      first = member;
      return false;
    });
    effects.push([ZsetOp.Add, db, key, value.score(first) as number, first]);
    effects.push([ZsetOp.Unpack, db, key]);
  }
  value.forEach((score, member) => {
    if (member === first) return;
    chunk.push(score, member);
    if (chunk.length >= 3 + 2 * DUMP_CHUNK_PAIRS) {
      effects.push(chunk);
      chunk = [ZsetOp.Add, db, key];
    }
  });
  if (chunk.length > 3) effects.push(chunk);
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
