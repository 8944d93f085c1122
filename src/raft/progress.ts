// The leader's view of each follower: how far it matches, what to send next, and flow control.
import { assert } from './assert.js';
import { type SnapshotSource } from './messages.js';

/**
 * Bounded window of in-flight append messages, as a ring buffer of the last index each message
 * carried and its byte size. Full when either bound is reached.
 */
export class Inflights {
  private start = 0;
  count = 0;
  bytes = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {
    assert(capacity > 0, 'inflights capacity must be positive');
    // Grown on demand up to `capacity` (most followers never fill a large window).
    this.indexes = [];
    this.sizes = [];
  }

  add(lastIndex: number, bytes: number): void {
    assert(!this.full(), 'inflights: add while full');
    const slot = (this.start + this.count) % this.capacity;
    if (slot === this.indexes.length) {
      this.indexes.push(lastIndex);
      this.sizes.push(bytes);
    } else {
      this.indexes[slot] = lastIndex;
      this.sizes[slot] = bytes;
    }
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `index` (they were acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && (this.indexes[this.start] as number) <= index) {
      this.bytes -= this.sizes[this.start] as number;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.indexes[this.start] as number);
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}

export const ProgressState = {
  /** Unknown match: send one append at a time and wait for the answer. */
  Probe: 0,
  /** Matching: stream appends optimistically, bounded by Inflights. */
  Replicate: 1,
  /** Too far behind: a snapshot is being sent in chunks. */
  Snapshot: 2,
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];
export const progressStateNames = ['Probe', 'Replicate', 'Snapshot'] as const;

export interface SnapshotTransfer {
  readonly snapshot: SnapshotSource;
  /** Acknowledged up to here: the receiver wants this byte offset next. */
  offset: number;
  /** Sent up to here (chunks past `offset` are in flight, at most the core's window). */
  sent: number;
  /** An acknowledgement moved `offset` since the last heartbeat reply (the transfer flows). */
  progressed: boolean;
}

/** Invariant: match < next. */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In Probe state: an append is outstanding; wait for its answer or a heartbeat reply. */
  probeSent = false;
  isLearner: boolean;
  readonly inflights: Inflights;
  transfer: SnapshotTransfer | null = null;

  constructor(next: number, isLearner: boolean, maxInflight: number, maxInflightBytes: number) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.transfer = null;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshot: SnapshotSource): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshot.metadata.index;
    this.transfer = { snapshot, offset: 0, sent: 0, progressed: false };
  }

  /** The follower lost entries it had acknowledged; its log now ends at `lastIndex`. */
  restartFrom(lastIndex: number): void {
    this.resetState(ProgressState.Probe);
    this.match = 0;
    this.next = lastIndex + 1;
  }

  /** An append of `count` entries ending at `lastIndex` was sent. */
  sentEntries(count: number, lastIndex: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }

  /** Acknowledgement up to `index`; returns false if it is stale. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Rejection of an append whose previous index was `rejected`; `matchHint` is the largest index
   * that might match. Returns false if the rejection is stale.
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      default:
        return true;
    }
  }
}
