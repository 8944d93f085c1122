// A log segment prepared ahead of time: a file of the next segment's size, written with zeros
// (after the file header) and synced, which a log renames to its next segment's name and then
// overwrites; the segment is full at that size. Both logs use one: the engine's (log.ts) and the Raft log (replica/disk-storage.ts).
//
// Why: fdatasync after an append to a growing file also commits the file's new size and newly
// allocated blocks through the file system's journal; after a write into blocks that exist and
// were written already, it flushes the data alone. On this project's ext4 machines that halves
// an fdatasync (0.22 → 0.12 ms median), which `appendfsync always` and every Raft write wait for.
// Zeros rather than fallocate(2): ext4 marks fallocated blocks unwritten, so the first write into
// each is a metadata change again. etcd preallocates its WAL segments for the same reason.
//
// A spare is an optimisation and never an error: it is prepared only when the disk has room to
// spare, a failure to prepare one is logged and the log goes on with ordinary files, and a log
// that runs out of space deletes its spare. Readers of a segment meet the zeros as "unwritten
// space" (framing.ts), which ends a segment's data cleanly.

import { FILE_HEADER_BYTES } from './framing.js';
import type { FileHandle, FileSystem } from './fs.js';
import { strerror } from './fs.js';
import { join, TEMPORARY_SUFFIX } from './names.js';

/**
 * Both logs' largest segment. Small enough that a spare is made in well under a second (paced,
 * see PAUSE_FACTOR).
 */
export const SEGMENT_BYTES_DEFAULT = 16 * 1024 * 1024;
/**
 * The first spare's size. A log prepares one as soon as it opens a segment that is not
 * preallocated, and each next one, twice the current segment's size (up to the largest), once a
 * quarter of the current one is written: a new store writes a few hundred KiB of zeros, and a
 * busy one reaches full-size preallocated segments within its first 32 MiB of log.
 */
const FIRST_SPARE_BYTES = 256 * 1024;
/** Zeros are written and synced this much at a time. */
const ZERO_CHUNK_BYTES = 1024 * 1024;
/**
 * After each chunk, a pause of this many times the chunk's write and sync: the zeros take at most
 * a fifth of the disk's time, and a log's fdatasync waits behind one chunk at most. (Written in
 * one go and synced once, 64 MiB of zeros held the log's fsyncs for tens of milliseconds: SET p99
 * under `always` doubled while a spare was made.)
 */
const PAUSE_FACTOR = 4;
/** A spare is prepared only when the disk has this many times its size free. */
const FREE_SPACE_FACTOR = 4;
/** After a failed preparation, none is tried again for this long. */
const RETRY_AFTER_MS = 60_000;

export interface SpareSegmentOptions {
  fs: FileSystem;
  dir: string;
  /** The spare's file name in `dir` (a name the log's readers ignore). */
  name: string;
  /** The largest segment (and spare) size. */
  maxBytes: number;
  /** The segment file header, written at offset 0. */
  header: Buffer;
  log: (message: string) => void;
  clock?: () => number;
}

export class SpareSegment {
  private state: 'none' | 'preparing' | 'ready' = 'none';
  private preparing: Promise<void> | undefined;
  private closed = false;
  private failedAtMs = Number.NEGATIVE_INFINITY;
  private readonly path: string;
  private readonly temporaryPath: string;

  constructor(private readonly options: SpareSegmentOptions) {
    this.path = join(options.dir, options.name);
    this.temporaryPath = this.path + TEMPORARY_SUFFIX;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** At start: a spare left by an earlier run is ready if it is whole; a half-made one goes. */
  async adopt(): Promise<void> {
    const { fs, dir, name } = this.options;
    const names = await fs.readdir(dir);
    if (names.includes(name + TEMPORARY_SUFFIX)) await fs.unlink(this.temporaryPath);
    if (!names.includes(name)) return;
    // Renamed into place only once written and synced; a size past the largest segment comes
    // from another configuration: not ours to use.
    const size = fs.fileSize(this.path);
    if (size > FILE_HEADER_BYTES && size <= this.options.maxBytes) this.state = 'ready';
    else await fs.unlink(this.path);
  }

  /**
   * Called after each write to the current segment (and when one is opened), with what it holds
   * and its preallocated size (0: not preallocated): prepares the next spare when it is due.
   */
  consider(writtenBytes: number, preallocatedBytes: number): void {
    if (this.state !== 'none' || this.closed) return;
    if (preallocatedBytes === 0) this.prepareSoon(FIRST_SPARE_BYTES);
    else if (writtenBytes >= preallocatedBytes / 4) this.prepareSoon(2 * preallocatedBytes);
  }

  /** Starts preparing a spare in the background unless one is ready, under way, or failed lately. */
  private prepareSoon(wantedBytes: number): void {
    const bytes = Math.max(FILE_HEADER_BYTES + 1, Math.min(wantedBytes, this.options.maxBytes));
    const now = (this.options.clock ?? Date.now)();
    if (now - this.failedAtMs < RETRY_AFTER_MS) return;
    this.state = 'preparing';
    this.preparing = this.prepare(bytes).then(
      (made) => {
        this.state = made ? 'ready' : 'none';
      },
      (error: unknown) => {
        this.state = 'none';
        this.failedAtMs = (this.options.clock ?? Date.now)();
        this.options.log(`Could not prepare a log segment ahead of time: ${strerror(error)}`);
        return this.options.fs.unlink(this.temporaryPath).catch(() => undefined);
      },
    );
  }

  /**
   * A new segment at `path`, its header written: the ready spare renamed there (with its size),
   * or else a new file holding just the header (preallocated 0). Either way synced, directory
   * too: the name is durable before any entry in it is acknowledged.
   */
  async openSegment(path: string): Promise<{ handle: FileHandle; preallocatedBytes: number }> {
    const { fs, dir, header } = this.options;
    if (this.state === 'ready') {
      this.state = 'none';
      const preallocatedBytes = fs.fileSize(this.path);
      await fs.rename(this.path, path);
      await fs.syncDirectory(dir);
      return { handle: await fs.open(path, 'write'), preallocatedBytes };
    }
    const handle = await fs.open(path, 'create');
    try {
      await handle.write([header], 0);
      await handle.datasync();
      await fs.syncDirectory(dir);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return { handle, preallocatedBytes: 0 };
  }

  /** Frees the space: the log ran out of it, and a spare is worth less than the log's writes. */
  async discard(): Promise<void> {
    await this.preparing;
    if (this.state !== 'ready') return;
    this.state = 'none';
    await this.options.fs.unlink(this.path);
  }

  /** Stops a preparation under way (its file goes); a ready spare stays for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    await this.preparing;
  }

  /** True when a whole spare was made; false when closed before it was done (or no room). */
  private async prepare(bytes: number): Promise<boolean> {
    const { fs, dir, header } = this.options;
    if (fs.freeBytes !== undefined && (await fs.freeBytes(dir)) < bytes * FREE_SPACE_FACTOR) {
      this.failedAtMs = (this.options.clock ?? Date.now)();
      return false;
    }
    const handle = await fs.open(this.temporaryPath, 'create');
    let made = false;
    try {
      await handle.write([header], 0);
      const zeros = Buffer.alloc(Math.min(ZERO_CHUNK_BYTES, bytes));
      const clock = this.options.clock ?? Date.now;
      for (let at = FILE_HEADER_BYTES; at < bytes && !this.closed; at += zeros.length) {
        const started = clock();
        await handle.write([zeros.subarray(0, Math.min(zeros.length, bytes - at))], at);
        await handle.datasync();
        const pauseMs = (clock() - started) * PAUSE_FACTOR;
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      made = !this.closed;
    } finally {
      await handle.close();
    }
    if (!made) {
      await fs.unlink(this.temporaryPath);
      return false;
    }
    await fs.rename(this.temporaryPath, this.path);
    await fs.syncDirectory(dir);
    return true;
  }
}

/** Whether a segment is full: it holds its preallocated size, or the largest segment's. */
export function segmentFull(
  writtenBytes: number,
  preallocatedBytes: number,
  maxBytes: number,
): boolean {
  return writtenBytes >= (preallocatedBytes > 0 ? preallocatedBytes : maxBytes);
}
