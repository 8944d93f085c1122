// The segmented write-ahead log with group commit. `append` encodes an entry into the pending
// batch and returns its sequence number; a single pump writes the batch (one positional write of
// a Batch frame and its entries) and, under `always`, fdatasyncs it. At most one write+sync is in
// flight: everything appended meanwhile goes into the next batch, so one fsync serves every
// client whose command arrived while the previous one ran.
//
// Disk errors never lose acknowledged data and never acknowledge unwritten data: the bytes since
// the last successful sync are kept in memory; after an error the log is "failed" (the host
// refuses writes with MISCONF), and the pump retries: truncate back to the last good offset,
// rewrite what it kept, sync again. Rewriting after a failed fsync matters: Linux may drop the
// dirty pages of a failed fsync, so a second fsync alone could report success for lost bytes.
//
// Segments are preallocated (spare-segment.ts) once the log is busy: a segment then starts as a
// zero-filled file of its full size, and the zeros after the last write are cut off when the
// segment is closed (recovery treats them as the end of its data after a crash).

import type { LogEntry } from '../engine/effects.js';
import { ByteWriter, RecordKind, writeEntryPayload } from './codec.js';
import { beginFrame, endFrame, FILE_HEADER_BYTES, fileHeader, LOG_MAGIC } from './framing.js';
import type { FileHandle, FileSystem } from './fs.js';
import { strerror } from './fs.js';
import { assert } from '../engine/assert.js';
import { join, segmentName } from './names.js';
import { segmentFull, SpareSegment } from './spare-segment.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';
export type LogLevel = 'verbose' | 'notice' | 'warning';
export type LogLine = (level: LogLevel, message: string) => void;

export interface LogOptions {
  fs: FileSystem;
  dir: string;
  fsync: FsyncPolicy;
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytesMax: number;
  /** Pause between retries after a disk error. */
  retryDelayMs: number;
  log: LogLine;
  /** Called when the disk starts refusing writes (not again until a retry has succeeded). */
  onFailure?: () => void;
}

interface Batch {
  buffers: Buffer[];
  bytes: number;
  lastSequence: number;
}

interface Waiter {
  sequence: number;
  callback: () => void;
}

export interface SegmentInfo {
  firstSequence: number;
  path: string;
}

export class LogWriter {
  /** The sequence number of the last entry appended (in memory, maybe not on disk yet). */
  lastAppended: number;
  /** The last sequence written to the file (maybe not synced). */
  lastWritten: number;
  /** The last sequence made durable by fdatasync whose waiters have been called. */
  lastDurable: number;
  /** Set while the disk refuses our writes; cleared when a retry succeeds. */
  failure: Error | undefined;
  /** Counters for INFO and tests. */
  syncCount = 0;
  writeCount = 0;
  /** Segments in sequence order; the last one is being written. */
  readonly segments: SegmentInfo[];
  policy: FsyncPolicy;

  private readonly pending = new ByteWriter(256 * 1024);
  private pendingCount = 0;
  private handle: FileHandle | undefined;
  /** The last sequence made durable by fdatasync (its waiters may not have been called yet). */
  private lastSynced: number;
  private writtenOffset = FILE_HEADER_BYTES;
  private syncedOffset = FILE_HEADER_BYTES;
  /** Batches written since the last sync (kept for a rewrite after an error) and where they start. */
  private retained: Batch[] = [];
  private retainedStart = FILE_HEADER_BYTES;
  private needsRewrite = false;
  private waiters: Waiter[] = [];
  private waiterHead = 0;
  private pumping = false;
  private scheduled = false;
  /** See `hold`: appends are encoded, nothing touches the disk. */
  private held = false;
  private syncRequested = false;
  private rotationRequested = false;
  private closing = false;
  private idle: (() => void)[] = [];
  private everysecTimer: NodeJS.Timeout | undefined;
  private readonly spare: SpareSegment;
  /** The current segment's file size when it was preallocated (zeros after `writtenOffset`), else 0. */
  private preallocatedBytes = 0;

  constructor(
    private readonly options: LogOptions,
    lastSequence: number,
    existingSegments: SegmentInfo[],
  ) {
    this.lastAppended = lastSequence;
    this.lastWritten = lastSequence;
    this.lastDurable = lastSequence;
    this.lastSynced = lastSequence;
    this.segments = [...existingSegments];
    this.policy = options.fsync;
    this.spare = new SpareSegment({
      fs: options.fs,
      dir: options.dir,
      name: SPARE_NAME,
      maxBytes: options.segmentBytesMax,
      header: fileHeader(LOG_MAGIC),
      log: (message) => options.log('warning', message),
    });
  }

  /** Starts a new segment for the entries after `lastSequence`. */
  async open(): Promise<void> {
    await this.spare.adopt();
    await this.openSegment(this.lastAppended + 1);
    this.spare.consider(this.writtenOffset, this.preallocatedBytes);
    this.setPolicy(this.policy);
  }

  /**
   * Instead of `open`: the log takes appends but writes nothing, not even a segment, until
   * `release`. CONFIG SET appendonly yes logs from the moment it is set, while the snapshot its
   * log follows is still being written; a crash before that snapshot is durable must find no log
   * entry on disk, since entries without the dataset they change would load as a wrong one.
   */
  hold(): void {
    assert(this.handle === undefined && this.lastWritten === this.lastAppended, 'hold a new log');
    this.held = true;
  }

  /** Starts writing a held log: its first segment begins with the first entry appended. */
  release(): void {
    assert(this.held, 'release a held log');
    this.held = false;
    this.setPolicy(this.policy);
    this.schedule();
  }

  get isHeld(): boolean {
    return this.held;
  }

  setPolicy(policy: FsyncPolicy): void {
    this.policy = policy;
    if (this.everysecTimer !== undefined) clearInterval(this.everysecTimer);
    this.everysecTimer = undefined;
    if (policy === 'everysec') {
      this.everysecTimer = setInterval(() => this.requestSync(), 1000);
      this.everysecTimer.unref();
    }
    // Switching to `always` must not leave earlier writes unsynced behind later acknowledgements.
    if (policy === 'always') this.requestSync();
  }

  /** Adds an entry to the next batch; returns its sequence number. */
  append(entry: LogEntry): number {
    const sequence = ++this.lastAppended;
    const out = this.pending;
    const at = beginFrame(out);
    writeEntryPayload(out, sequence, entry);
    endFrame(out, at);
    this.pendingCount++;
    this.schedule();
    return sequence;
  }

  /** Calls `callback` once every entry up to `sequence` is durable (at once if it already is). */
  whenDurable(sequence: number, callback: () => void): void {
    if (sequence <= this.lastDurable) return callback();
    const waiters = this.waiters;
    const last = waiters[waiters.length - 1];
    if (last === undefined || waiters.length === this.waiterHead || last.sequence <= sequence) {
      waiters.push({ sequence, callback });
    } else {
      // Out of order (rare): keep the queue sorted.
      let at = waiters.length;
      while (at > this.waiterHead && (waiters[at - 1] as Waiter).sequence > sequence) at--;
      waiters.splice(at, 0, { sequence, callback });
    }
    // Under everysec/no nobody else asks for a sync; a waiter does.
    if (this.policy !== 'always') this.requestSync();
  }

  requestSync(): void {
    if (this.writtenOffset > this.syncedOffset || this.pendingCount > 0) {
      this.syncRequested = true;
      this.schedule();
    }
  }

  /** Starts a new segment at the next opportunity (a snapshot wants the old ones deletable). */
  requestRotation(): void {
    this.rotationRequested = true;
    this.schedule();
  }

  /** Deletes every segment (except the one being written) whose entries are all <= `sequence`. */
  async dropSegmentsCoveredBy(sequence: number): Promise<number> {
    let dropped = 0;
    while (this.segments.length > 1) {
      const next = this.segments[1] as SegmentInfo;
      if (next.firstSequence > sequence + 1) break;
      const first = this.segments.shift() as SegmentInfo;
      await this.options.fs.unlink(first.path);
      dropped++;
    }
    if (dropped > 0) await this.options.fs.syncDirectory(this.options.dir);
    return dropped;
  }

  /** Writes and syncs everything appended, then closes the file. Gives up (logging) on a disk error. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.everysecTimer !== undefined) clearInterval(this.everysecTimer);
    if (this.held) {
      if (this.pendingCount > 0) {
        this.options.log(
          'warning',
          `log closed before the snapshot it follows was written: ${this.pendingCount} entries not written`,
        );
      }
      this.pending.take();
      this.pendingCount = 0;
      return;
    }
    this.syncRequested = true;
    this.schedule(true);
    if (this.pumping || this.scheduled)
      await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.lastDurable < this.lastAppended) {
      this.options.log(
        'warning',
        `log closed with ${this.lastAppended - this.lastDurable} entries not written: ${this.failure?.message ?? 'unknown'}`,
      );
    }
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined && this.failure === undefined) {
      await this.cutUnwritten(handle).catch(() => undefined);
    }
    await handle?.close().catch(() => undefined);
    await this.spare.close();
  }

  private schedule(force = false): void {
    if (this.held || this.pumping || this.scheduled || (this.closing && !force)) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every socket read of this loop turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private hasWork(): boolean {
    return (
      this.pendingCount > 0 ||
      this.needsRewrite ||
      this.handle === undefined ||
      this.rotationRequested ||
      (this.syncRequested && this.writtenOffset > this.syncedOffset)
    );
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.hasWork()) {
        try {
          await this.step();
          if (this.failure !== undefined) {
            this.options.log(
              'warning',
              'Log write error is now resolved: writes are accepted again.',
            );
            this.failure = undefined;
          }
        } catch (error) {
          this.markDurable(this.lastSynced);
          this.fail(error as Error);
          if (this.closing) break;
          await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
        }
      }
      this.markDurable(this.lastSynced);
    } finally {
      this.pumping = false;
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }

  private fail(error: Error): void {
    if (this.failure === undefined || this.failure.message !== error.message) {
      this.options.log('warning', `Error writing to the log file: ${strerror(error)}`);
    }
    const first = this.failure === undefined;
    this.failure = error;
    this.needsRewrite = this.retained.length > 0;
    if (first) {
      this.options.onFailure?.();
      // The log's writes matter more than a segment prepared ahead of time.
      if ((error as { code?: unknown }).code === 'ENOSPC')
        void this.spare.discard().catch(() => undefined);
    }
  }

  private async step(): Promise<void> {
    if (this.handle === undefined) await this.openSegment(this.lastWritten + 1);
    const handle = this.handle as FileHandle;
    if (this.needsRewrite) {
      await handle.truncate(this.retainedStart);
      this.writtenOffset = this.retainedStart;
      const buffers = this.retained.flatMap((batch) => batch.buffers);
      await handle.write(buffers, this.retainedStart);
      this.writtenOffset = this.retainedStart + sum(this.retained);
      const lastRetained = this.retained[this.retained.length - 1];
      if (lastRetained !== undefined) this.lastWritten = lastRetained.lastSequence;
      this.needsRewrite = false;
    }
    const batch = this.takePending();
    if (batch !== undefined) {
      this.retained.push(batch);
      this.writeCount++;
      // Written here, on the main thread, as Redis does: a write into the page cache takes
      // microseconds, while an asynchronous one costs a trip through the thread pool and an
      // event-loop turn before the fdatasync can even start.
      let at = this.writtenOffset;
      for (const buffer of batch.buffers) {
        handle.writeSync(buffer, at);
        at += buffer.length;
      }
      this.writtenOffset += batch.bytes;
      this.lastWritten = batch.lastSequence;
      this.useSpare();
    }
    if (this.policy === 'always' || this.syncRequested || this.closing) {
      const syncing = this.sync(handle);
      // The previous sync's waiters are called now, while this one runs: their socket writes
      // overlap the disk's wait instead of delaying the next fsync.
      this.markDurable(this.lastSynced);
      await syncing;
    } else {
      this.markDurable(this.lastSynced);
      if (this.policy === 'no') this.dropRetained();
    }
    if (
      segmentFull(this.writtenOffset, this.preallocatedBytes, this.options.segmentBytesMax) ||
      this.rotationRequested
    ) {
      await this.rotate(handle);
    }
  }

  /** Makes everything written durable; its waiters are called by the pump (see `step`). */
  private async sync(handle: FileHandle): Promise<void> {
    this.syncRequested = false;
    const sequence = this.lastWritten;
    if (this.writtenOffset > this.syncedOffset) {
      this.syncCount++;
      await handle.datasync();
      this.syncedOffset = this.writtenOffset;
    }
    this.dropRetained();
    this.lastSynced = sequence;
  }

  private dropRetained(): void {
    this.retained = [];
    this.retainedStart = this.writtenOffset;
  }

  private markDurable(sequence: number): void {
    if (sequence <= this.lastDurable) return;
    this.lastDurable = sequence;
    const waiters = this.waiters;
    let head = this.waiterHead;
    while (head < waiters.length && (waiters[head] as Waiter).sequence <= sequence) {
      const waiter = waiters[head] as Waiter;
      head++;
      waiter.callback();
    }
    if (head === waiters.length) {
      this.waiters = [];
      this.waiterHead = 0;
    } else if (head > 1024 && head * 2 > waiters.length) {
      this.waiters = waiters.slice(head);
      this.waiterHead = 0;
    } else this.waiterHead = head;
  }

  private takePending(): Batch | undefined {
    if (this.pendingCount === 0) return undefined;
    const body = this.pending.take();
    const lastSequence = this.lastAppended;
    const header = new ByteWriter(32);
    const at = beginFrame(header);
    header.u8(RecordKind.Batch);
    header.varint(lastSequence - this.pendingCount + 1);
    header.varint(this.pendingCount);
    header.varint(body.length);
    endFrame(header, at);
    this.pendingCount = 0;
    const head = header.take();
    return { buffers: [head, body], bytes: head.length + body.length, lastSequence };
  }

  /** Spares are prepared as they are due; a segment that is not preallocated is left for one. */
  private useSpare(): void {
    this.spare.consider(this.writtenOffset, this.preallocatedBytes);
    if (this.preallocatedBytes === 0 && this.spare.ready) this.rotationRequested = true;
  }

  /** Syncs and closes the current segment, then starts the next one. */
  private async rotate(handle: FileHandle): Promise<void> {
    await this.sync(handle);
    this.rotationRequested = false;
    if (this.writtenOffset === FILE_HEADER_BYTES) return; // nothing in it yet: keep it
    await this.cutUnwritten(handle);
    this.handle = undefined;
    await handle.close();
    await this.openSegment(this.lastWritten + 1);
  }

  /** Cuts a preallocated segment's zeros off once it is written no more (everything is synced). */
  private async cutUnwritten(handle: FileHandle): Promise<void> {
    if (this.writtenOffset >= this.preallocatedBytes || this.writtenOffset > this.syncedOffset)
      return;
    await handle.truncate(this.writtenOffset);
    await handle.datasync();
    this.preallocatedBytes = 0;
  }

  private async openSegment(firstSequence: number): Promise<void> {
    const { dir } = this.options;
    const path = join(dir, segmentName(firstSequence));
    const { handle, preallocatedBytes } = await this.spare.openSegment(path);
    this.preallocatedBytes = preallocatedBytes;
    this.handle = handle;
    this.writtenOffset = this.syncedOffset = this.retainedStart = FILE_HEADER_BYTES;
    const last = this.segments[this.segments.length - 1];
    if (last?.path !== path) this.segments.push({ firstSequence, path });
  }
}

/** The log's spare segment (spare-segment.ts); recovery ignores the name. */
const SPARE_NAME = 'log.spare';

function sum(batches: readonly Batch[]): number {
  let total = 0;
  for (const batch of batches) total += batch.bytes;
  return total;
}
