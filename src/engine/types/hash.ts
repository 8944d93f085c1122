// The hash type: its value class, its effect op codes (inside OpRange.hash) and their appliers.
//
// Op codes (written to disk and replicated: never renumber, never reuse):
//   40 HashSet     [40, db, key, encoding, field, value, field, value, ...]  set fields (create
//                  the hash if absent); then the hash's encoding is `encoding`
//   41 HashDelete  [41, db, key, ...fields]  remove fields that are present (an emptied hash is
//                  deleted by the engine)
// `encoding` is a HashEncoding code, decided by the command from hash-max-listpack-entries and
// hash-max-listpack-value; Redis never converts a hash back to a listpack, and neither does this.
//
// Storage: a small hash (up to FLAT_MAX fields) is one array [field, value, field, value, …]
// searched linearly, as Redis searches a listpack: ~30 bytes per field less than a Map (measured
// on Node 20: 100k hashes of 10 fields cost ~58 bytes per field as Maps). A larger hash is a Map
// from field to value. Both keep insertion order with updates in place, the order Redis's
// listpack keeps. HRANDFIELD on a Map hash larger than SMALL_HASH attaches a RandomIndex of the
// fields (kept from then on) for O(1) uniform picks.

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { CollectionEffect, Effect } from '../effects.js';
import type { CollectionValue } from '../values.js';
import { registerType } from './registry.js';
import { RandomIndex, sampleDistinctSlots } from './set-random-index.js';

export const HashOp = {
  Set: 40,
  Delete: 41,
} as const;

/** Encoding codes, as written into hash effects (append-only). */
export const HashEncoding = {
  Listpack: 0,
  Hashtable: 1,
} as const;

export type HashEncodingCode = (typeof HashEncoding)[keyof typeof HashEncoding];

const HASH_ENCODING_NAMES = ['listpack', 'hashtable'] as const;

/** Up to this many fields a hash is a flat array; past it, a Map. */
const FLAT_MAX = 32;
/** Up to this many fields, random picks walk the Map instead of building a RandomIndex. */
const SMALL_HASH = 64;

export class HashValue implements CollectionValue {
  readonly type = 'hash';
  /** Invariant: exactly one of `flat` and `map` is defined; `index` only alongside `map`. */
  private flat: string[] | undefined = [];
  private map: Map<string, string> | undefined;
  private index: RandomIndex | undefined;

  constructor(
    public encodingCode: HashEncodingCode = HashEncoding.Hashtable,
    entries: Iterable<[string, string]> = [],
  ) {
    for (const [field, value] of entries) this.set(field, value);
  }

  get size(): number {
    return this.flat !== undefined ? this.flat.length >> 1 : (this.map as Map<string, string>).size;
  }

  encoding(): string {
    return HASH_ENCODING_NAMES[this.encodingCode];
  }

  clone(): HashValue {
    const copy = new HashValue(this.encodingCode, this.entries());
    copy.trim();
    return copy;
  }

  /** Position of `field` in the flat array, or -1. */
  private flatPosition(flat: string[], field: string): number {
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === field) return i;
    return -1;
  }

  get(field: string): string | undefined {
    const flat = this.flat;
    if (flat === undefined) return (this.map as Map<string, string>).get(field);
    const at = this.flatPosition(flat, field);
    return at < 0 ? undefined : flat[at + 1];
  }

  has(field: string): boolean {
    const flat = this.flat;
    if (flat === undefined) return (this.map as Map<string, string>).has(field);
    return this.flatPosition(flat, field) >= 0;
  }

  /** Sets a field; true if it is new. */
  set(field: string, value: string): boolean {
    const flat = this.flat;
    if (flat !== undefined) {
      const at = this.flatPosition(flat, field);
      if (at >= 0) {
        flat[at + 1] = value;
        return false;
      }
      if (flat.length < FLAT_MAX * 2) {
        flat.push(field, value);
        return true;
      }
      this.map = new Map(this.entries());
      this.flat = undefined;
    }
    const map = this.map as Map<string, string>;
    const before = map.size;
    map.set(field, value);
    if (map.size === before) return false;
    this.index?.add(field);
    return true;
  }

  delete(field: string): boolean {
    const flat = this.flat;
    if (flat !== undefined) {
      const at = this.flatPosition(flat, field);
      if (at < 0) return false;
      flat.splice(at, 2);
      return true;
    }
    if (!(this.map as Map<string, string>).delete(field)) return false;
    this.index?.delete(field);
    return true;
  }

  /** Fields in order. Not to be used while the hash changes (see scanSource). */
  *fields(): IterableIterator<string> {
    const flat = this.flat;
    if (flat === undefined) return yield* (this.map as Map<string, string>).keys();
    for (let i = 0; i < flat.length; i += 2) yield flat[i] as string;
  }

  /** Values in field order. */
  *values(): IterableIterator<string> {
    const flat = this.flat;
    if (flat === undefined) return yield* (this.map as Map<string, string>).values();
    for (let i = 1; i < flat.length; i += 2) yield flat[i] as string;
  }

  /** [field, value] pairs in order. */
  *entries(): IterableIterator<[string, string]> {
    const flat = this.flat;
    if (flat === undefined) return yield* (this.map as Map<string, string>).entries();
    for (let i = 0; i < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
  }

  /**
   * What HSCAN iterates with a live cursor: the Map (its iterators survive changes). Undefined
   * for a flat hash, which HSCAN returns whole in one reply.
   */
  scanSource(): { keys(): Iterator<string> } | undefined {
    return this.map;
  }

  /** One field chosen uniformly. */
  randomField(random: () => number): string {
    assert(this.size > 0, 'random field of a non-empty hash');
    const flat = this.flat;
    if (flat !== undefined) return flat[Math.floor(random() * (flat.length >> 1)) * 2] as string;
    if (this.index === undefined && this.size <= SMALL_HASH) {
      const target = Math.floor(random() * this.size);
      let position = 0;
      for (const field of this.fields()) if (position++ === target) return field;
    }
    return this.randomIndex().pick(random);
  }

  /** `count` distinct fields (count < size) chosen uniformly, in random order. */
  randomFields(count: number, random: () => number): string[] {
    assert(count <= this.size, 'distinct sample no larger than the hash');
    if (this.index === undefined && this.size <= SMALL_HASH) {
      const all = [...this.fields()];
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
    this.index ??= new RandomIndex(this.fields());
    return this.index;
  }
}

function hashAt(db: Database, key: string): HashValue | undefined {
  const value = db.get(key);
  assert(value === undefined || value instanceof HashValue, 'hash effect on a hash or a free key');
  return value;
}

function applySet(db: Database, effect: CollectionEffect): void {
  const key = effect[2];
  const encoding = effect[3];
  assert(
    encoding === HashEncoding.Listpack || encoding === HashEncoding.Hashtable,
    'hash encoding',
  );
  assert((effect.length - 4) % 2 === 0, 'hash set effect has field/value pairs');
  let value = hashAt(db, key);
  if (value === undefined) {
    value = new HashValue(encoding);
    db.set(key, value);
  }
  for (let i = 4; i < effect.length; i += 2) {
    value.set(effect[i] as string, effect[i + 1] as string);
  }
  value.trim();
  value.encodingCode = encoding;
}

function applyDelete(db: Database, effect: CollectionEffect): void {
  const value = hashAt(db, effect[2]);
  assert(value !== undefined, 'hash delete effect on an existing hash');
  for (let i = 3; i < effect.length; i++) value.delete(effect[i] as string);
}

function dumpHash(db: number, key: string, value: CollectionValue): Effect[] {
  assert(value instanceof HashValue, 'hash dumper given a hash');
  const effect: Effect = [HashOp.Set, db, key, value.encodingCode];
  for (const [field, fieldValue] of value.entries()) effect.push(field, fieldValue);
  return [effect];
}

registerType('hash', { [HashOp.Set]: applySet, [HashOp.Delete]: applyDelete }, dumpHash);
