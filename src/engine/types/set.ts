// The set type: its value class, its effect op codes (inside OpRange.set) and their appliers.
//
// Op codes (written to disk and replicated: never renumber, never reuse):
//   60 SetAdd     [60, db, key, encoding, ...members]  add members not yet present, creating the
//                 set if absent; then the set's encoding is `encoding`
//   61 SetRemove  [61, db, key, encoding, ...members]  remove members that are present; then the
//                 set's encoding is `encoding` (an emptied set is deleted by the engine)
// `encoding` is a SetEncoding code (set-encoding.ts), decided by the command from the thresholds
// in force. When an effect turns an intset into a listpack, the members present before it are
// first put in ascending numeric order, as Redis lays out the listpack it converts to.
//
// Storage, all in insertion order: a small set (up to FLAT_MAX members) is a plain array searched
// linearly, as Redis searches a listpack (measured on Node 20: 100k sets of 10 members cost ~46
// bytes per member as JavaScript Sets, the array about a third of that). A larger set is a
// JavaScript Set (~21 bytes per member plus the member string). The first random pick on a set
// larger than SMALL_SET replaces that with a RandomIndex (same order, O(1) uniform picks, ~40
// bytes per member).

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { CollectionEffect, Effect } from '../effects.js';
import type { CollectionValue } from '../values.js';
import { registerType } from './registry.js';
import {
  compareIntegerTexts,
  isSetEncoding,
  SET_ENCODING_NAMES,
  SetEncoding,
  type SetEncodingCode,
} from './set-encoding.js';
import { RandomIndex, sampleDistinctSlots } from './set-random-index.js';

export const SetOp = {
  Add: 60,
  Remove: 61,
} as const;

/** Up to this many members a set is a flat array; past it, a Set. */
const FLAT_MAX = 32;
/** Up to this many members, random picks walk the Set instead of building a RandomIndex. */
const SMALL_SET = 64;

export class SetValue implements CollectionValue {
  readonly type = 'set';
  /** Invariant: exactly one of `flat`, `members` and `index` is defined. */
  private flat: string[] | undefined = [];
  private members: Set<string> | undefined;
  private index: RandomIndex | undefined;

  constructor(
    public encodingCode: SetEncodingCode = SetEncoding.Hashtable,
    members: Iterable<string> = [],
  ) {
    for (const member of members) this.add(member);
  }

  get size(): number {
    if (this.flat !== undefined) return this.flat.length;
    return this.members !== undefined ? this.members.size : (this.index as RandomIndex).size;
  }

  encoding(): string {
    return SET_ENCODING_NAMES[this.encodingCode];
  }

  clone(): SetValue {
    const copy = new SetValue(this.encodingCode, this.values());
    copy.trim();
    return copy;
  }

  has(member: string): boolean {
    if (this.flat !== undefined) return this.flat.includes(member);
    return this.members !== undefined
      ? this.members.has(member)
      : (this.index as RandomIndex).has(member);
  }

  /** Adds a member; false if it was already present. */
  add(member: string): boolean {
    const flat = this.flat;
    if (flat !== undefined) {
      if (flat.includes(member)) return false;
      if (flat.length < FLAT_MAX) {
        flat.push(member);
        return true;
      }
      this.members = new Set(flat);
      this.flat = undefined;
    }
    if (this.members !== undefined) {
      const before = this.members.size;
      this.members.add(member);
      return this.members.size !== before;
    }
    const index = this.index as RandomIndex;
    if (index.has(member)) return false;
    index.add(member);
    return true;
  }

  delete(member: string): boolean {
    const flat = this.flat;
    if (flat !== undefined) {
      const at = flat.indexOf(member);
      if (at < 0) return false;
      flat.splice(at, 1);
      return true;
    }
    return this.members !== undefined
      ? this.members.delete(member)
      : (this.index as RandomIndex).delete(member);
  }

  /** Members in storage order (insertion order). Not to be used while the set changes. */
  values(): IterableIterator<string> {
    if (this.flat !== undefined) return this.flat.values();
    return this.members !== undefined ? this.members.values() : (this.index as RandomIndex).keys();
  }

  /**
   * What SSCAN iterates with a live cursor (a Set or a RandomIndex, whose iterators survive
   * changes); it changes identity only when the storage is replaced, which makes a live cursor
   * restart (allowed: it may repeat, never miss). Undefined for a flat set, which SSCAN returns
   * whole in one reply.
   */
  scanSource(): { keys(): Iterator<string> } | undefined {
    return this.flat !== undefined ? undefined : (this.members ?? this.index);
  }

  /** Members in the order Redis lists them: ascending for an intset, else storage order. */
  orderedMembers(): string[] {
    const all = [...this.values()];
    if (this.encodingCode === SetEncoding.Intset) all.sort(compareIntegerTexts);
    return all;
  }

  /** Puts the members in ascending numeric order (they must all be integers). */
  sortNumerically(): void {
    if (this.flat !== undefined) {
      this.flat.sort(compareIntegerTexts);
      return;
    }
    const sorted = [...this.values()].sort(compareIntegerTexts);
    if (this.members !== undefined) this.members = new Set(sorted);
    else this.index = new RandomIndex(sorted);
  }

  /** One member chosen uniformly. */
  randomMember(random: () => number): string {
    assert(this.size > 0, 'random member of a non-empty set');
    const flat = this.flat;
    if (flat !== undefined) return flat[Math.floor(random() * flat.length)] as string;
    if (this.members !== undefined && this.members.size <= SMALL_SET) {
      const target = Math.floor(random() * this.members.size);
      let position = 0;
      for (const member of this.members) if (position++ === target) return member;
    }
    return this.randomIndex().pick(random);
  }

  /** `count` distinct members (count < size) chosen uniformly, in random order. */
  randomMembers(count: number, random: () => number): string[] {
    assert(count <= this.size, 'distinct sample no larger than the set');
    if (this.index === undefined && this.size <= SMALL_SET) {
      const all = this.flat ?? [...(this.members as Set<string>)];
      return sampleDistinctSlots(all.length, count, random).map((slot) => all[slot] as string);
    }
    return this.randomIndex().sample(count, random);
  }

  /**
   * Drops a flat array's spare capacity (an array grown by push keeps up to half again its
   * length): appliers call this once after a write.
   */
  trim(): void {
    if (this.flat !== undefined) this.flat = this.flat.slice();
  }

  private randomIndex(): RandomIndex {
    if (this.index === undefined) {
      this.index = new RandomIndex(this.values());
      this.members = undefined;
      this.flat = undefined;
    }
    return this.index;
  }
}

function setAt(db: Database, key: string): SetValue | undefined {
  const value = db.get(key);
  assert(value === undefined || value instanceof SetValue, 'set effect on a set or a free key');
  return value;
}

function encodingArgument(effect: CollectionEffect): SetEncodingCode {
  const code = effect[3];
  assert(isSetEncoding(code), `set encoding code ${String(code)}`);
  return code;
}

function applyAdd(db: Database, effect: CollectionEffect): void {
  const key = effect[2];
  const encoding = encodingArgument(effect);
  let value = setAt(db, key);
  if (value === undefined) {
    value = new SetValue(encoding);
    db.set(key, value);
  } else if (value.encodingCode === SetEncoding.Intset && encoding === SetEncoding.Listpack) {
    value.sortNumerically();
  }
  for (let i = 4; i < effect.length; i++) value.add(effect[i] as string);
  value.trim();
  value.encodingCode = encoding;
}

function applyRemove(db: Database, effect: CollectionEffect): void {
  const value = setAt(db, effect[2]);
  assert(value !== undefined, 'set remove effect on an existing set');
  for (let i = 4; i < effect.length; i++) value.delete(effect[i] as string);
  value.encodingCode = encodingArgument(effect);
}

function dumpSet(db: number, key: string, value: CollectionValue): Effect[] {
  assert(value instanceof SetValue, 'set dumper given a set');
  return [[SetOp.Add, db, key, value.encodingCode, ...value.values()]];
}

registerType('set', { [SetOp.Add]: applyAdd, [SetOp.Remove]: applyRemove }, dumpSet);
