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
// Storage: a Map from field to value, whose order is insertion order with updates in place, the
// order Redis's listpack keeps. HRANDFIELD on a hash larger than SMALL_HASH attaches a
// RandomIndex of the fields (kept from then on) for O(1) uniform picks.

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

/** Up to this many fields, random picks walk the hash instead of building a RandomIndex. */
const SMALL_HASH = 64;

export class HashValue implements CollectionValue {
  readonly type = 'hash';
  readonly entries: Map<string, string>;
  private index: RandomIndex | undefined;

  constructor(
    public encodingCode: HashEncodingCode = HashEncoding.Hashtable,
    entries: Iterable<[string, string]> = [],
  ) {
    this.entries = new Map(entries);
  }

  get size(): number {
    return this.entries.size;
  }

  encoding(): string {
    return HASH_ENCODING_NAMES[this.encodingCode];
  }

  clone(): HashValue {
    return new HashValue(this.encodingCode, this.entries);
  }

  get(field: string): string | undefined {
    return this.entries.get(field);
  }

  has(field: string): boolean {
    return this.entries.has(field);
  }

  /** Sets a field; true if it is new. */
  set(field: string, value: string): boolean {
    const before = this.entries.size;
    this.entries.set(field, value);
    if (this.entries.size === before) return false;
    this.index?.add(field);
    return true;
  }

  delete(field: string): boolean {
    if (!this.entries.delete(field)) return false;
    this.index?.delete(field);
    return true;
  }

  /** One field chosen uniformly. */
  randomField(random: () => number): string {
    assert(this.size > 0, 'random field of a non-empty hash');
    if (this.index === undefined && this.size <= SMALL_HASH) {
      const target = Math.floor(random() * this.size);
      let position = 0;
      for (const field of this.entries.keys()) if (position++ === target) return field;
    }
    return this.randomIndex().pick(random);
  }

  /** `count` distinct fields (count < size) chosen uniformly, in random order. */
  randomFields(count: number, random: () => number): string[] {
    assert(count <= this.size, 'distinct sample no larger than the hash');
    if (this.index === undefined && this.size <= SMALL_HASH) {
      const all = [...this.entries.keys()];
      return sampleDistinctSlots(all.length, count, random).map((slot) => all[slot] as string);
    }
    return this.randomIndex().sample(count, random);
  }

  private randomIndex(): RandomIndex {
    this.index ??= new RandomIndex(this.entries.keys());
    return this.index;
  }
}

function hashAt(db: Database, key: string): HashValue | undefined {
  const value = db.keys.get(key);
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
    db.keys.set(key, value);
  }
  for (let i = 4; i < effect.length; i += 2) {
    value.set(effect[i] as string, effect[i + 1] as string);
  }
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
  for (const [field, fieldValue] of value.entries) effect.push(field, fieldValue);
  return [effect];
}

registerType('hash', { [HashOp.Set]: applySet, [HashOp.Delete]: applyDelete }, dumpHash);
