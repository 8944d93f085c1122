// The narrow storage interface the core reads from, and an in-memory implementation. The driver
// writes to storage (append, setHardState, applySnapshot, createSnapshot, compact) between Readys;
// the core only reads.
import { assert } from './assert.js';
import { ConfChangeType, encodeConfChange } from './confchange.js';
import {
  EMPTY_CONF_STATE,
  EntryType,
  EMPTY_HARD_STATE,
  entryBytes,
  snapshotSource,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  type SnapshotMetadata,
  type SnapshotSource,
} from './messages.js';

export interface InitialState {
  readonly hardState: HardState;
  /** Configuration as of the latest snapshot; later conf entries are re-applied from the log. */
  readonly confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most `maxBytes` in total but always at least one when lo < hi.
   * Callers guarantee firstIndex() <= lo and hi <= lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry `index`, for firstIndex() - 1 <= index <= lastIndex(); otherwise undefined. */
  term(index: number): number | undefined;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
  /** The most recent snapshot, to send to a follower in chunks (its bytes read as needed). */
  snapshotSource(): SnapshotSource;
  /**
   * Where the chunks of a snapshot being received go. Optional: without it the core holds them
   * in memory (memoryReceiver). A storage that keeps them itself (a disk storage writing them to
   * a file as they come) returns an empty array from `finish`: the Ready's snapshot then holds
   * no bytes, and the storage persists that snapshot from what it received.
   */
  receiveSnapshot?(metadata: SnapshotMetadata, totalBytes: number): SnapshotReceiver;
}

export interface SnapshotReceiver {
  /** Bytes [offset, offset + data.length) of the snapshot; offsets come in order, no gaps. */
  write(offset: number, data: Uint8Array): void;
  /** Every byte is in: the snapshot's bytes, or an empty array if the storage keeps them. */
  finish(): Uint8Array;
  /** The transfer was restarted or replaced: what was received goes. */
  discard(): void;
}

/** Receives a snapshot into one buffer, sized once from the transfer's total. */
export function memoryReceiver(totalBytes: number): SnapshotReceiver {
  const data = new Uint8Array(totalBytes);
  return {
    write: (offset, bytes) => data.set(bytes, offset),
    finish: () => data,
    discard: () => undefined,
  };
}

/** The longest prefix of `entries` within `maxBytes`; always at least the first entry. */
export function limitBytes(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let total = entryBytes(entries[0] as Entry);
  let count = 1;
  while (count < entries.length) {
    total += entryBytes(entries[count] as Entry);
    if (total > maxBytes) break;
    count++;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}

/**
 * Storage held in memory. Invariant: `log[0]` is a dummy entry at the snapshot's index and
 * term, so log[i] has index snapshotIndex + i.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private currentSnapshot: Snapshot;
  private log: Entry[];

  /**
   * `confState` seeds an index-0 snapshot: convenient for tests where every node is an initial
   * member. Clusters that add nodes later should use bootstrapStorage instead.
   */
  constructor(confState: ConfState = EMPTY_CONF_STATE) {
    this.currentSnapshot = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
    this.log = [{ term: 0, index: 0, type: 0, data: new Uint8Array(0) }];
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.offset();
    assert(lo > offset, () => `storage.entries(${lo}): compacted (first ${offset + 1})`);
    assert(hi <= this.lastIndex() + 1, () => `storage.entries(${lo}, ${hi}): past the end`);
    if (lo >= hi) return [];
    return limitBytes(this.log.slice(lo - offset, hi - offset), maxBytes);
  }

  term(index: number): number | undefined {
    const offset = this.offset();
    if (index < offset || index > this.lastIndex()) return undefined;
    return (this.log[index - offset] as Entry).term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.log.length - 1;
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  snapshotSource(): SnapshotSource {
    return snapshotSource(this.currentSnapshot);
  }

  hardStateNow(): HardState {
    return this.hardState;
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /** Appends entries, replacing any conflicting suffix. Entries before firstIndex are skipped. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = (entries[entries.length - 1] as Entry).index;
    if (lastNew < first) return;
    let start = 0;
    if ((entries[0] as Entry).index < first) start = first - (entries[0] as Entry).index;
    const fromIndex = (entries[start] as Entry).index;
    assert(fromIndex <= this.lastIndex() + 1, () => `storage.append: gap before ${fromIndex}`);
    this.log.length = fromIndex - this.offset();
    for (let i = start; i < entries.length; i++) this.log.push(entries[i] as Entry);
  }

  /** Replaces all state with the snapshot (the driver installs an incoming snapshot). */
  applySnapshot(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.currentSnapshot.metadata.index) return;
    this.currentSnapshot = snapshot;
    const term = snapshot.metadata.term;
    this.log = [{ term, index, type: 0, data: new Uint8Array(0) }];
  }

  /** Records a snapshot of the state machine at `index` (which must be applied). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const offset = this.offset();
    assert(index > this.currentSnapshot.metadata.index, 'createSnapshot: not newer');
    assert(index <= this.lastIndex(), () => `createSnapshot(${index}) past last index`);
    const term = (this.log[index - offset] as Entry).term;
    this.currentSnapshot = { metadata: { index, term, confState }, data };
    return this.currentSnapshot;
  }

  /** Discards entries before `compactIndex` (which becomes the dummy entry). */
  compact(compactIndex: number): void {
    const offset = this.offset();
    if (compactIndex <= offset) return;
    assert(compactIndex <= this.lastIndex(), () => `compact(${compactIndex}) past last index`);
    assert(
      compactIndex <= this.currentSnapshot.metadata.index,
      () => `compact(${compactIndex}) beyond the snapshot; a lagging follower could not catch up`,
    );
    const dummy = this.log[compactIndex - offset] as Entry;
    const rest = this.log.slice(compactIndex - offset + 1);
    this.log = [
      { term: dummy.term, index: dummy.index, type: 0, data: new Uint8Array(0) },
      ...rest,
    ];
  }

  private offset(): number {
    return (this.log[0] as Entry).index;
  }
}

/**
 * Bootstraps a new cluster member's storage by writing the initial configuration as committed
 * conf-change entries at term 1 (voters first, then learners), as etcd does. Every node replays
 * the same entries, so a node that joins later learns the configuration from the log. (A
 * configuration held only in an index-0 snapshot would never reach such a node.)
 */
export function bootstrapStorage(storage: MemoryStorage, confState: ConfState): void {
  assert(storage.lastIndex() === 0, 'bootstrap needs empty storage');
  assert(confState.voters.length > 0, 'bootstrap needs at least one voter');
  const entries: Entry[] = [];
  const add = (type: ConfChangeType, nodeId: number): void => {
    const data = encodeConfChange({ type, nodeId });
    entries.push({ term: 1, index: entries.length + 1, type: EntryType.ConfChange, data });
  };
  for (const id of confState.voters) add(ConfChangeType.AddNode, id);
  for (const id of confState.learners) add(ConfChangeType.AddLearner, id);
  storage.append(entries);
  storage.setHardState({ term: 1, vote: 0, commit: entries.length });
}
