// One numbered database: its keys, their values and access clocks, and their expiry times. Reads
// no clock: callers pass `nowMs` when they ask whether a key has expired. Keys are latin1 strings
// (binary-safe).
//
// Known limit: a V8 Map holds at most 2^24 (16,777,216) entries, so one database holds at most
// that many keys (and that many keys with an expiry). docs/ARCHITECTURE.md tracks this.

import type { Value } from './values.js';

/** A key's clock before anything accessed it (a key loaded by replay): the server's start. */
export const NO_CLOCK = -1;

/**
 * What a key holds: its value and its access clock, in one object, as Redis's object holds its
 * `lru` field, so a command that finds a key and touches it looks it up once. A write to an
 * existing key changes the entry in place (the engine tells its observers first, so a snapshot
 * has copied the old value by then).
 */
export class KeyEntry {
  constructor(
    public value: Value,
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
    return this.entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Stores a value at `key` with one lookup (an existing key keeps its entry, so its clock);
   * returns the value it replaced.
   */
  set(key: string, value: Value): Value | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, new KeyEntry(value));
      return undefined;
    }
    const before = entry.value;
    entry.value = value;
    return before;
  }

  /** Drops the key and its expiry. */
  delete(key: string): void {
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
    this.datasetBytes = 0;
    this.expirySampler = undefined;
    this.keySampler = undefined;
  }
}
