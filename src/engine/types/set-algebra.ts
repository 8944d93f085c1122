// The temporary set Redis builds for SUNION, SDIFF, SINTERSTORE and SPOP-everything: it starts
// with a given encoding (an empty intset for union and difference), changes encoding as members
// arrive exactly as a stored set would, and lists its members in the order Redis would (ascending
// while it is an intset; an intset that turns into a listpack keeps its integers in ascending
// order, then appends). Replies and stored results therefore match Redis member for member.

import {
  compareIntegerTexts,
  SetEncoding,
  type SetEncodingCode,
  SetEncodingTracker,
  type SetLimits,
} from './set-encoding.js';
import type { SetValue } from './set.js';

export class SetBuilder {
  private members = new Set<string>();
  private readonly tracker: SetEncodingTracker;

  constructor(encoding: SetEncodingCode, limits: SetLimits) {
    this.tracker = new SetEncodingTracker(encoding, 0, limits, () => this.members);
  }

  get size(): number {
    return this.members.size;
  }

  get encoding(): SetEncodingCode {
    return this.tracker.encoding;
  }

  has(member: string): boolean {
    return this.members.has(member);
  }

  /** Adds a member; false if present. */
  add(member: string): boolean {
    if (this.members.has(member)) return false;
    const before = this.tracker.encoding;
    this.tracker.add(member);
    if (before === SetEncoding.Intset && this.tracker.encoding === SetEncoding.Listpack) {
      this.members = new Set([...this.members].sort(compareIntegerTexts));
    }
    this.members.add(member);
    return true;
  }

  delete(member: string): boolean {
    if (!this.members.delete(member)) return false;
    this.tracker.remove();
    return true;
  }

  /** maybeConvertToIntset, for a result known to hold only integers. */
  convertToIntsetIfSmall(): void {
    this.tracker.convertToIntsetIfSmall();
  }

  /** The members in Redis's order for the final encoding. */
  ordered(): string[] {
    const all = [...this.members];
    if (this.tracker.encoding === SetEncoding.Intset) all.sort(compareIntegerTexts);
    return all;
  }
}

/** A set's members in the order Redis iterates them (ascending for an intset). */
export function iterationOrder(set: SetValue): Iterable<string> {
  return set.encodingCode === SetEncoding.Intset ? set.orderedMembers() : set.values();
}

/** SUNION: every member of every set, in Redis's order. */
export function union(sets: readonly (SetValue | undefined)[], limits: SetLimits): SetBuilder {
  const result = new SetBuilder(SetEncoding.Intset, limits);
  for (const set of sets) {
    if (set === undefined) continue;
    for (const member of iterationOrder(set)) result.add(member);
  }
  return result;
}

/**
 * SDIFF: the members of the first set in none of the others. Redis picks one of two algorithms
 * by estimated work, and they leave the result in different encodings, so this picks the same.
 */
export function difference(sets: readonly (SetValue | undefined)[], limits: SetLimits): SetBuilder {
  const result = new SetBuilder(SetEncoding.Intset, limits);
  const first = sets[0];
  if (first === undefined) return result;
  if (sets.some((set, index) => index > 0 && set === first)) return result;
  let firstAlgorithmWork = 0;
  let secondAlgorithmWork = 0;
  for (const set of sets) {
    if (set === undefined) continue;
    firstAlgorithmWork += first.size;
    secondAlgorithmWork += set.size;
  }
  if (Math.floor(firstAlgorithmWork / 2) <= secondAlgorithmWork) {
    for (const member of iterationOrder(first)) {
      if (!sets.some((set, index) => index > 0 && set !== undefined && set.has(member))) {
        result.add(member);
      }
    }
    return result;
  }
  for (const member of iterationOrder(first)) result.add(member);
  for (let j = 1; j < sets.length && result.size > 0; j++) {
    const set = sets[j];
    if (set === undefined) continue;
    for (const member of set.values()) result.delete(member);
  }
  return result;
}

/**
 * SINTER's members: those of the smallest set found in all the others, in the smallest set's
 * order, stopping at `limit` members (0: no limit). Undefined sets (missing keys) give nothing.
 */
export function intersection(
  sets: readonly (SetValue | undefined)[],
  limit: number,
  visit: (member: string) => void,
): void {
  if (sets.some((set) => set === undefined)) return;
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const smallest = sorted[0];
  if (smallest === undefined) return;
  let found = 0;
  for (const member of iterationOrder(smallest)) {
    let everywhere = true;
    for (let j = 1; j < sorted.length; j++) {
      const other = sorted[j] as SetValue;
      if (other !== smallest && !other.has(member)) {
        everywhere = false;
        break;
      }
    }
    if (!everywhere) continue;
    visit(member);
    if (limit > 0 && ++found >= limit) return;
  }
}
