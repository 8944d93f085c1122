// The core's view of the log: stable entries in Storage plus an unstable tail (entries and
// possibly a snapshot) that the driver has not yet persisted.
import { assert } from './assert.js';
import { snapshotSource, type Entry, type Snapshot, type SnapshotSource } from './messages.js';
import { limitBytes, type Storage } from './storage.js';

/**
 * Entries and a snapshot not yet written to stable storage.
 * Invariant: entries[i] has index offset + i; if snapshot is set, offset === snapshot index + 1.
 */
export class UnstableLog {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot === null ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === null ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== null && this.snapshot.metadata.index === index) {
        return this.snapshot.metadata.term;
      }
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    if (index - this.offset >= this.entries.length) return undefined;
    return (this.entries[index - this.offset] as Entry).term;
  }

  /** Entries up to `index` (with term `term`) are now durable. Ignored if they were replaced. */
  stableTo(index: number, term: number): void {
    const known = this.maybeTerm(index);
    if (known === undefined || known !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === index) this.snapshot = null;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  truncateAndAppend(entries: readonly Entry[]): void {
    const after = (entries[0] as Entry).index;
    if (after === this.offset + this.entries.length) {
      for (const entry of entries) this.entries.push(entry);
    } else if (after <= this.offset) {
      // Replaces the whole unstable tail (and shadows stable entries from `after` on).
      this.offset = after;
      this.entries = entries.slice();
    } else {
      const kept = this.entries.slice(0, after - this.offset);
      for (const entry of entries) kept.push(entry);
      this.entries = kept;
    }
  }

  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length, 'unstable.slice bounds');
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export interface ConflictHint {
  readonly index: number;
  readonly term: number;
}

/**
 * Invariants: applied <= committed <= lastIndex(); firstIndex() - 1 <= applied (entries are
 * compacted only once applied).
 */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: UnstableLog;
  committed: number;
  applied: number;
  private readonly maxCommittedBytesPerReady: number;

  constructor(storage: Storage, maxCommittedBytesPerReady: number) {
    this.storage = storage;
    this.maxCommittedBytesPerReady = maxCommittedBytesPerReady;
    const first = storage.firstIndex();
    this.unstable = new UnstableLog(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of `index`, or undefined if compacted or beyond the end. */
  term(index: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (index < dummy || index > this.lastIndex()) return undefined;
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    return this.storage.term(index);
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, 'last term unknown');
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Index of the first entry that is new or conflicts with ours; 0 if all are present. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term` (fast backtracking). If the search
   * reaches compacted entries it stops there with term 0.
   */
  findConflictByTerm(index: number, term: number): ConflictHint {
    let candidate = Math.min(index, this.lastIndex());
    for (;;) {
      const found = this.term(candidate);
      if (found === undefined) return { index: candidate, term: 0 };
      if (found <= term) return { index: candidate, term: found };
      candidate--;
    }
  }

  /**
   * Follower append: if our entry at `index` has term `logTerm`, append `entries` (dropping any
   * conflicting suffix) and advance commit. Returns the index of the last new entry, or
   * undefined when the previous entry does not match.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, () => {
        return `conflicting entry ${conflict} is at or below commit ${this.committed}`;
      });
      const first = (entries[0] as Entry).index;
      this.append(entries.slice(conflict - first));
    }
    this.commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = (entries[0] as Entry).index - 1;
    assert(after >= this.committed, () => `append after ${after} below commit ${this.committed}`);
    assert(after <= this.lastIndex(), () => `append after ${after} leaves a gap`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** Entries from `lo` to the end, bounded by bytes; undefined if `lo` is compacted. */
  entriesFrom(lo: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    const last = this.lastIndex();
    if (lo > last) return [];
    return this.slice(lo, last + 1, maxBytes);
  }

  /** Entries in [lo, hi) bounded by bytes (at least one). Caller ensures bounds. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.firstIndex(), () => `slice(${lo}) compacted`);
    assert(hi <= this.lastIndex() + 1, () => `slice(${lo}, ${hi}) past the end`);
    if (lo >= hi) return [];
    const offset = this.unstable.offset;
    let result: Entry[] = [];
    if (lo < offset) {
      result = this.storage.entries(lo, Math.min(hi, offset), maxBytes);
      if (result.length < Math.min(hi, offset) - lo) return result; // byte limit reached
    }
    if (hi > offset) {
      const tail = this.unstable.slice(Math.max(lo, offset), hi);
      result = result.length === 0 ? tail : result.concat(tail);
    }
    return limitBytes(result, maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.committed >= lo && this.unstable.snapshot === null;
  }

  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, this.maxCommittedBytesPerReady);
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => `commit ${index} beyond last ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.committed && index >= this.applied, () => {
      return `applied ${index} outside [${this.applied}, ${this.committed}]`;
    });
    this.applied = index;
  }

  /** Last index the driver has persisted (everything before the unstable tail). */
  stableLastIndex(): number {
    return this.unstable.offset - 1;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapshotTo(index: number): void {
    this.unstable.stableSnapshotTo(index);
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  snapshotSource(): SnapshotSource {
    const unstable = this.unstable.snapshot;
    if (unstable === null) return this.storage.snapshotSource();
    // A received snapshot whose bytes the storage keeps (Storage.receiveSnapshot) cannot be sent
    // before it is persisted: `read` says so, and the core tries again later (probe).
    if (unstable.data.length === 0)
      return { metadata: unstable.metadata, length: 0, read: () => undefined };
    return snapshotSource(unstable);
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }
}
