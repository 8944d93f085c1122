// One numbered database: its keys and their expiry times. Holds no clock: callers pass `nowMs`
// when they ask whether a key has expired. Keys are latin1 strings (binary-safe).
//
// Known limit: a V8 Map holds at most 2^24 (16,777,216) entries, so one database holds at most
// that many keys (and that many keys with an expiry). docs/ARCHITECTURE.md tracks this.

import type { Value } from './values.js';

export class Database {
  /** Replaced (never cleared) by a flush, so a snapshot in progress keeps the old Map. */
  keys = new Map<string, Value>();
  /** Absolute expiry in Unix milliseconds, only for keys that have one. */
  expires = new Map<string, number>();
  /**
   * Access clock per key (LRU seconds or LFU minutes<<8|counter, packed as Redis's 24-bit `lru`
   * field), for eviction and OBJECT IDLETIME/FREQ. Written by the command layer on access, never
   * by an applier; the engine only drops or carries entries when keys go or move. A key without
   * an entry (loaded by replay) counts as last used when the server started.
   */
  access = new Map<string, number>();
  /** Estimated bytes of the keys and values (engine/memory.ts), kept by the engine on change. */
  datasetBytes = 0;
  /** Rolling position for sampling keys with an expiry (active expiry) and any keys (eviction). */
  private expirySampler: Iterator<[string, number]> | undefined;
  private keySampler: Iterator<string> | undefined;

  constructor(public index: number) {}

  get size(): number {
    return this.keys.size;
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
    const size = this.keys.size;
    if (size === 0) return undefined;
    let skip = Math.floor(random() * Math.min(size, 64));
    for (let guard = 0; guard < size + 64; guard++) {
      this.keySampler ??= this.keys.keys();
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
    this.keys = new Map<string, Value>();
    this.expires = new Map<string, number>();
    this.access = new Map<string, number>();
    this.datasetBytes = 0;
    this.expirySampler = undefined;
    this.keySampler = undefined;
  }
}
