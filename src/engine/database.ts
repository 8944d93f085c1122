// One numbered database: its keys, their values and access clocks, and their expiry times. Reads
// no clock: callers pass `nowMs` when they ask whether a key has expired. Keys are latin1 strings
// (binary-safe).
//
// Known limit: a V8 Map holds at most 2^24 (16,777,216) entries, so one database holds at most
// that many keys (and that many keys with an expiry). docs/ARCHITECTURE.md tracks this.

import { assert } from './assert.js';
import { valueCharge } from './memory.js';
import { arenaBytesOf, NO_SLOT, StringArena } from './string-arena.js';
import type { Value } from './values.js';

/** A key's clock before anything accessed it (a key loaded by replay): the server's start. */
export const NO_CLOCK = -1;

/**
 * What a key holds: its value and its access clock, in one object, as Redis's object holds its
 * `lru` field, so a command that finds a key and touches it looks it up once. A write to an
 * existing key changes the entry in place (the engine tells its observers first, so a snapshot
 * has copied the old value by then). Read the value through `Database.valueOf`: a short string
 * lives in the database's arena (string-arena.ts), named by `slot`.
 */
export class KeyEntry {
  constructor(
    /** The value when `slot` is NO_SLOT; otherwise '' (a constant, so nothing is kept alive). */
    public inline: Value,
    /** The arena handle of a short string value, or NO_SLOT. */
    public slot: number = NO_SLOT,
    /**
     * LRU seconds or LFU minutes<<8|counter, packed as Redis's 24-bit `lru` field, for eviction
     * and OBJECT IDLETIME/FREQ; NO_CLOCK until the command layer first sets it. Written by the
     * command layer on access, never by an applier; a renamed or moved key keeps its entry.
     */
    public clock: number = NO_CLOCK,
  ) {}
}

export class Database {
  /** Replaced (never cleared) by a flush, so a snapshot in progress keeps the old Map. */
  entries = new Map<string, KeyEntry>();
  /** Absolute expiry in Unix milliseconds, only for keys that have one. */
  expires = new Map<string, number>();
  /** The bytes of short string values; replaced with the Maps by a flush. */
  arena = new StringArena();
  /** Estimated bytes of the keys and values (engine/memory.ts), kept by the engine on change. */
  datasetBytes = 0;
  /** Rolling position for sampling keys with an expiry (active expiry) and any keys (eviction). */
  private expirySampler: Iterator<[string, number]> | undefined;
  private keySampler: Iterator<string> | undefined;

  constructor(public index: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Value | undefined {
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : this.valueOf(entry);
  }

  /** The value of one of this database's entries (a string from the arena is a new string). */
  valueOf(entry: KeyEntry): Value {
    return entry.slot === NO_SLOT ? entry.inline : this.arena.read(entry.slot);
  }

  /** Estimated bytes of an entry's value (engine/memory.ts's `valueCharge`) without reading it. */
  chargeOf(entry: KeyEntry): number {
    return entry.slot === NO_SLOT ? valueCharge(entry.inline) : arenaBytesOf(entry.slot);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Stores a value at `key` with one lookup (an existing key keeps its entry, so its clock);
   * returns the charge (`chargeOf`) of the value it replaced, or -1 when the key was new.
   */
  set(key: string, value: Value): number {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      const created = new KeyEntry('');
      this.put(created, value);
      this.entries.set(key, created);
      return -1;
    }
    const before = this.chargeOf(entry);
    this.put(entry, value);
    return before;
  }

  /**
   * Makes `entry` the entry of `key` here, holding `value`: RENAME and MOVE keep a key's entry
   * (its access clock) and re-store its value, which the deletion of the old key freed.
   */
  adopt(key: string, entry: KeyEntry, value: Value): void {
    assert(entry.slot === NO_SLOT, 'an adopted entry was deleted first (its slot freed)');
    this.put(entry, value);
    this.entries.set(key, entry);
  }

  private put(entry: KeyEntry, value: Value): void {
    if (typeof value === 'string') {
      const slot = this.arena.store(value, entry.slot);
      entry.slot = slot;
      entry.inline = slot === NO_SLOT ? value : '';
      return;
    }
    if (entry.slot !== NO_SLOT) this.arena.free(entry.slot);
    entry.slot = NO_SLOT;
    entry.inline = value;
  }

  /** Drops the key and its expiry. */
  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.slot !== NO_SLOT) {
      this.arena.free(entry.slot);
      entry.slot = NO_SLOT;
    }
    this.entries.delete(key);
    if (this.expires.size > 0) this.expires.delete(key);
  }

  /** Redis's rule: a key is expired when now is past its expiry time. */
  isExpired(key: string, nowMs: number): boolean {
    if (this.expires.size === 0) return false;
    const at = this.expires.get(key);
    return at !== undefined && nowMs > at;
  }

  expireAt(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  /**
   * Up to `count` (key, expireAt) pairs, continuing where the last call stopped and wrapping
   * around, so repeated calls cover every key with an expiry.
   */
  sampleExpiring(count: number, visit: (key: string, expireAtMs: number) => void): number {
    let visited = 0;
    let wrapped = false;
    // At most every key once: the caller deletes what it visits only afterwards, and a key
    // visited twice (the iterator wrapping around a small map) was expired twice.
    const limit = Math.min(count, this.expires.size);
    while (visited < limit) {
      this.expirySampler ??= this.expires.entries();
      const step = this.expirySampler.next();
      if (step.done === true) {
        this.expirySampler = undefined;
        if (wrapped) break;
        wrapped = true;
        continue;
      }
      visit(step.value[0], step.value[1]);
      visited++;
    }
    return visited;
  }

  /** A key chosen by skipping a random distance along a rolling iterator (RANDOMKEY, eviction). */
  sampleKey(random: () => number): string | undefined {
    const size = this.entries.size;
    if (size === 0) return undefined;
    let skip = Math.floor(random() * Math.min(size, 64));
    for (let guard = 0; guard < size + 64; guard++) {
      this.keySampler ??= this.entries.keys();
      const step = this.keySampler.next();
      if (step.done === true) {
        this.keySampler = undefined;
        continue;
      }
      if (skip-- === 0) return step.value;
    }
    return undefined;
  }

  /**
   * Drops all keys by starting new Maps. Whoever holds the old Maps (a snapshot being written)
   * still sees the contents from before the flush; SCAN cursors restart (the Map identity changed).
   */
  replaceContents(): void {
    this.entries = new Map<string, KeyEntry>();
    this.expires = new Map<string, number>();
    this.arena = new StringArena();
    this.datasetBytes = 0;
    this.expirySampler = undefined;
    this.keySampler = undefined;
  }
}
