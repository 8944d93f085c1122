// Memory accounting: an estimate, in bytes, of what each key, value and structure costs in V8's
// heap (64-bit, no pointer compression, as Node 20 ships). Redis asks its allocator; a V8 heap
// cannot say what one object costs, and its heap figure lags behind every GC, so maxmemory and
// MEMORY USAGE use this model instead. The engine keeps, per database, a running total of key
// and value bytes (`Database.datasetBytes`), adjusted on every change; structure costs that are
// a fixed amount per entry (key table, expiry table, access clocks) are multiplied out on demand.
//
// The constants were calibrated against `process.memoryUsage().heapUsed` after a full GC with a
// million keys (see the memory section of docs/ARCHITECTURE.md). Pure arithmetic, no clock.

import type { Database } from './database.js';
import { arenaBytesFor } from './string-arena.js';
import type { CollectionValue, Value } from './values.js';
import type { HashValue } from './types/hash.js';
import type { SetValue } from './types/set.js';
import type { ListValue } from './types/list.js';
import type { SortedSetValue } from './types/zset.js';
import type { StreamValue } from './types/stream.js';

const WORD = 8;
/** A sequential one-byte string: map, hash and length words, then the bytes, 8-aligned. */
const STRING_HEADER_BYTES = 16;
/** A boxed double (numbers outside the 32-bit small-integer range). */
const HEAP_NUMBER_BYTES = 16;
/**
 * One entry of a V8 Map (OrderedHashMap): key, value and chain slots, its share of the bucket
 * array, and the slack of a table that doubles when full (measured: 32 on average at 10^6).
 */
export const MAP_ENTRY_BYTES = 32;
/** An entry of the expiry Map: a Map entry and the boxed expiry time (ms do not fit a small int). */
export const EXPIRE_ENTRY_BYTES = MAP_ENTRY_BYTES + HEAP_NUMBER_BYTES;
/** A key's entry object (Database's KeyEntry): three header words, the value, slot and clock. */
export const KEY_ENTRY_BYTES = 6 * WORD;
/** A collection's object and the tables it starts with. */
const COLLECTION_BASE_BYTES = 96;
/** Per-element structure costs, beyond the element's own strings. */
const FLAT_SLOT_BYTES = WORD;
const TABLE_ELEMENT_BYTES = MAP_ENTRY_BYTES + WORD; // Map entry + the random-sampling index slot
const SORTED_ELEMENT_BYTES = MAP_ENTRY_BYTES + HEAP_NUMBER_BYTES + 48; // scores Map + tree node
/** Elements sampled to estimate a collection's average element when none is said (Redis: 5). */
export const DEFAULT_SAMPLES = 5;

export function stringBytes(text: string): number {
  return STRING_HEADER_BYTES + ((text.length + WORD - 1) & ~(WORD - 1));
}

function numberBytes(value: number): number {
  return value === (value | 0) ? 0 : HEAP_NUMBER_BYTES;
}

/** Estimated bytes of a collection: its base, then `size` times the sampled average element. */
export function collectionBytes(value: CollectionValue, samples: number): number {
  const size = value.size;
  if (size === 0) {
    return (
      COLLECTION_BASE_BYTES + (value.type === 'stream' ? streamExtraBytes(value as StreamValue) : 0)
    );
  }
  const limit = samples <= 0 ? size : Math.min(samples, size);
  let sampled = 0;
  let bytes = 0;
  const take = (element: number): boolean => {
    bytes += element;
    return ++sampled < limit;
  };
  switch (value.type) {
    case 'hash': {
      const hash = value as HashValue;
      const slot = hash.encoding() === 'listpack' ? 2 * FLAT_SLOT_BYTES : TABLE_ELEMENT_BYTES;
      for (const [field, text] of hash.entries()) {
        if (!take(slot + stringBytes(field) + stringBytes(text))) break;
      }
      break;
    }
    case 'set': {
      const set = value as SetValue;
      const slot = set.encoding() === 'hashtable' ? TABLE_ELEMENT_BYTES : FLAT_SLOT_BYTES;
      for (const member of set.values()) if (!take(slot + stringBytes(member))) break;
      break;
    }
    case 'list': {
      const list = value as ListValue;
      for (let i = 0; i < limit; i++) take(FLAT_SLOT_BYTES + stringBytes(list.at(i)));
      break;
    }
    case 'zset': {
      const zset = value as SortedSetValue;
      for (const [member, score] of zset.scores) {
        if (!take(SORTED_ELEMENT_BYTES + stringBytes(member) + numberBytes(score))) break;
      }
      break;
    }
    case 'stream': {
      const stream = value as StreamValue;
      for (const node of stream.nodes) {
        let more = true;
        for (let i = 0; more && i < node.entries.length; i++) {
          if (node.alive[i] !== true) continue;
          more = take(STREAM_ENTRY_BYTES + pairsBytes(node.entries[i] as readonly string[]));
        }
        if (!more) break;
      }
      return (
        COLLECTION_BASE_BYTES +
        Math.round((bytes / Math.max(1, sampled)) * size) +
        streamExtraBytes(stream)
      );
    }
    default:
      // Future types: a flat guess per element until they report their own size.
      bytes = 64 * limit;
      sampled = limit;
  }
  return COLLECTION_BASE_BYTES + Math.round((bytes / Math.max(1, sampled)) * size);
}

/**
 * A stream entry beyond its strings: its slots in the node's id, entry and alive arrays, the
 * bigint ID, and the field/value array's header.
 */
const STREAM_ENTRY_BYTES = 3 * WORD + 32 + 16;
/** A stream node (object and its three arrays), a group, a consumer, a pending entry. */
const STREAM_NODE_BYTES = 160;
const STREAM_GROUP_BYTES = 200;
const STREAM_CONSUMER_BYTES = 120;
const STREAM_PENDING_BYTES = 48 + 32 + 2 * MAP_ENTRY_BYTES;

function pairsBytes(pairs: readonly string[]): number {
  let bytes = pairs.length * WORD;
  for (const text of pairs) bytes += stringBytes(text);
  return bytes;
}

/** Nodes, groups, consumers and pending entries of a stream (counted, not sampled). */
function streamExtraBytes(stream: StreamValue): number {
  let bytes = stream.nodes.length * STREAM_NODE_BYTES;
  for (const group of stream.groups.values()) {
    bytes += STREAM_GROUP_BYTES + stringBytes(group.name);
    bytes += group.pending.size * STREAM_PENDING_BYTES;
    for (const consumer of group.consumers.values()) {
      bytes += STREAM_CONSUMER_BYTES + stringBytes(consumer.name);
    }
  }
  return bytes;
}

/** What each collection was last charged, so the running total can take it off exactly. */
const charged = new WeakMap<CollectionValue, number>();

/** Estimates a collection again (after a change) and remembers the figure. */
export function recharge(value: CollectionValue): number {
  const bytes = collectionBytes(value, DEFAULT_SAMPLES);
  charged.set(value, bytes);
  return bytes;
}

/** Bytes a key and its value count for in `Database.datasetBytes` (the entry costs aside). */
export function keyCharge(key: string, value: Value): number {
  return stringBytes(key) + valueCharge(value);
}

/** Bytes a value counts for: a short string its arena slot (string-arena.ts), else its object. */
export function valueCharge(value: Value): number {
  if (typeof value === 'string') return arenaBytesFor(value.length) || stringBytes(value);
  if (typeof value === 'number') return numberBytes(value);
  return charged.get(value) ?? recharge(value);
}

/** One key's estimated cost as MEMORY USAGE reports it: entry, key, value (sampled), expiry. */
export function keyUsage(db: Database, key: string, value: Value, samples: number): number {
  const valueBytes =
    typeof value === 'object' ? collectionBytes(value, samples) : valueCharge(value);
  const expiry = db.expires.size > 0 && db.expires.has(key) ? EXPIRE_ENTRY_BYTES : 0;
  return MAP_ENTRY_BYTES + KEY_ENTRY_BYTES + stringBytes(key) + valueBytes + expiry;
}

/** The structure overhead of a database: its key table with the entries, and expiry table. */
export function databaseOverheadBytes(db: Database): number {
  return db.size * (MAP_ENTRY_BYTES + KEY_ENTRY_BYTES) + db.expires.size * EXPIRE_ENTRY_BYTES;
}

/** Estimated bytes of a database: overhead plus the keys and values. */
export function databaseBytes(db: Database): number {
  return databaseOverheadBytes(db) + db.datasetBytes;
}
