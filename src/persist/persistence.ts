// Persistence for one engine: recovery at start, the write-ahead log (an EffectSink for the
// command layer, structurally: this layer does not import commands/), durability waits for the
// hosts, snapshots (SAVE, BGSAVE, BGREWRITEAOF, `save` rules), MISCONF write refusal after disk
// errors, and the INFO persistence fields. The server and the embedded store each own one.

import { assert } from '../engine/assert.js';
import type { Engine } from '../engine/engine.js';
import { type Effect, type LogEntry, Op } from '../engine/effects.js';
import { type FileSystem, nodeFileSystem, strerror } from './fs.js';
import { type FsyncPolicy, type LogLine, LogWriter, type SegmentInfo } from './log.js';
import { classify, type DirectoryListing, join } from './names.js';
import { recover, type RecoveryProgress, type RecoveryResult } from './recovery.js';
import { SEGMENT_BYTES_DEFAULT } from './spare-segment.js';
import {
  SnapshotJob,
  type SnapshotSliceOptions,
  writeSnapshot,
  writeSnapshotSync,
} from './snapshot.js';

export const RDB_MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/**
 * How long one slice of a background snapshot may run before the event loop serves clients
 * again, when the loop was idle before it (snapshot.ts's sliceBudgetMs gives less after busy
 * turns): the added latency of a command that arrives meanwhile (the target is p99 under 5 ms
 * during a BGSAVE). Measured with 50 clients and BGSAVEs of 1,000,000 keys back to back: 10 ms
 * slices gave ~24 ms p99, 2 ms ~8 ms, 1 ms ~5.8 ms SET / 4.7 ms GET, 0.5 ms no better than 1 ms
 * (and half as many snapshots done).
 */
export const SNAPSHOT_SLICE_MS = 1;

export interface SaveRule {
  seconds: number;
  changes: number;
}

/** Parses Redis's `save` setting: "<seconds> <changes> ..." pairs, "" for none. */
export function parseSaveRules(text: string): SaveRule[] | undefined {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length % 2 !== 0) return undefined;
  const rules: SaveRule[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const seconds = Number(words[i]);
    const changes = Number(words[i + 1]);
    if (!Number.isSafeInteger(seconds) || !Number.isSafeInteger(changes)) return undefined;
    if (seconds < 0 || changes < 0) return undefined;
    rules.push({ seconds, changes });
  }
  return rules;
}

export interface PersistenceOptions {
  dir: string;
  appendfsync: FsyncPolicy;
  /** Redis `save` syntax. */
  save: string;
  stopWritesOnBgsaveError: boolean;
  log: LogLine;
  fs?: FileSystem;
  repair?: boolean;
  segmentBytesMax?: number;
  /** Pause between retries of a failed log write. */
  logRetryDelayMs?: number;
  /** After a failed background snapshot, the next automatic one waits this long (Redis: 5 s). */
  bgsaveRetryDelayMs?: number;
  snapshotSlices?: SnapshotSliceOptions;
  /** Work per event-loop turn while loading. */
  loadSliceMs?: number;
  clock?: () => number;
}

export type ControlReply = { status: string } | { error: string };

type SnapshotKind = 'bgsave' | 'rewrite';

interface RunningSnapshot {
  kind: SnapshotKind;
  startedMs: number;
  /** The snapshot a held log follows (writeFirstSnapshot). */
  first?: boolean;
  job?: SnapshotJob;
  done?: Promise<void>;
}

export class Persistence {
  state: 'new' | 'loading' | 'ready' | 'closed' = 'new';
  readonly progress: RecoveryProgress = { loadedBytes: 0, totalBytes: 0 };
  recovery: RecoveryResult | undefined;
  private log: LogWriter | undefined;
  /** Held replies of batches that wrote nothing: they go once the disk refuses writes. */
  private readers: { sequence: number; release: () => void }[] = [];
  private readonly fs: FileSystem;
  private readonly clock: () => number;
  private saveRules: SaveRule[];
  private stopWritesOnBgsaveError: boolean;
  private policy: FsyncPolicy;
  private timer: NodeJS.Timeout | undefined;
  private loadingStartedMs = 0;
  // Snapshot bookkeeping (Redis's names in INFO).
  private running: RunningSnapshot | undefined;
  private scheduled: SnapshotKind | undefined;
  private changesAtLastSave = 0;
  private lastSaveMs: number;
  private lastBgsaveOk = true;
  private lastBgsaveTryMs = 0;
  private lastBgsaveSeconds = -1;
  private lastRewriteOk = true;
  private lastRewriteSeconds = -1;
  private saves = 0;
  private rewrites = 0;
  private keysExpiredAtLoad = 0;
  private keysLoaded = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly options: PersistenceOptions,
  ) {
    this.fs = options.fs ?? nodeFileSystem;
    this.clock = options.clock ?? Date.now;
    this.saveRules = parseSaveRules(options.save) ?? [];
    this.stopWritesOnBgsaveError = options.stopWritesOnBgsaveError;
    this.policy = options.appendfsync;
    this.lastSaveMs = this.clock();
  }

  /** Loads the data directory into the engine (in slices) and starts the log. */
  async open(): Promise<RecoveryResult> {
    this.state = 'loading';
    this.loadingStartedMs = this.clock();
    const { dir, log } = this.options;
    const result = await recover(this.engine, {
      fs: this.fs,
      dir,
      repair: this.options.repair === true,
      log,
      sliceMs: this.options.loadSliceMs ?? 20,
      progress: this.progress,
    });
    this.recovery = result;
    await this.startLog(result.lastSequence, result.segments);
    this.keysLoaded = this.keyCount();
    this.expireAtLoad();
    const seconds = ((this.clock() - this.loadingStartedMs) / 1000).toFixed(3);
    if (result.lastSequence > 0 || result.snapshotSequence > 0) {
      log(
        'notice',
        `DB loaded from disk: ${seconds} seconds (snapshot at ${result.snapshotSequence}, ${result.entriesReplayed} log entries replayed, ${this.keysLoaded} keys)`,
      );
    }
    this.becomeReady();
    return result;
  }

  /**
   * CONFIG SET appendonly yes: starts persisting a dataset that lived only in memory, with an
   * empty log after `lastSequence`. The directory holds no dataset (holdsDataset), or, when this
   * process logged before (appendonly was yes, then no), the files it left, all at or below
   * `lastSequence`: the next snapshot covers them and compaction deletes them. The caller then
   * sends every later write to append() and calls writeFirstSnapshot() in one turn of the event
   * loop, so the snapshot is exactly the dataset before the log's first entry. The log is held
   * (LogWriter.hold) until that snapshot is durable.
   */
  async openEmpty(lastSequence: number): Promise<void> {
    const { dir } = this.options;
    await this.fs.mkdir(dir);
    const listing = classify(this.fs.readdirSync(dir));
    if (lastSequence === 0 && holdsDataset(listing)) {
      throw new Error(`${dir} holds a Shoal dataset already`);
    }
    const segments = listing.segments
      .filter((segment) => segment.firstSequence <= lastSequence)
      .map((segment) => ({ firstSequence: segment.firstSequence, path: join(dir, segment.name) }));
    this.log = this.newLog(lastSequence, segments);
    this.log.hold();
    this.becomeReady();
  }

  /**
   * After openEmpty: snapshots the dataset in the background (as BGREWRITEAOF; its job starts
   * now, in the caller's turn), then starts writing the log. True once both are done; false if
   * the snapshot failed or was abandoned (close), and then nothing was logged. Until then
   * nothing appended is durable, so replies do not wait for the disk (holdUntil).
   */
  writeFirstSnapshot(): Promise<boolean> {
    const log = this.log as LogWriter;
    assert(log.isHeld && this.running === undefined, 'the first snapshot of a held log');
    const running: RunningSnapshot = { kind: 'rewrite', startedMs: this.clock(), first: true };
    this.running = running;
    running.done = this.runSnapshot(running);
    return running.done.then(() => !log.isHeld);
  }

  /** Whether `dir` holds log segments or snapshots. */
  static holdsDataset(fs: FileSystem, dir: string): boolean {
    return holdsDataset(classify(fs.readdirSync(dir)));
  }

  private async startLog(lastSequence: number, segments: SegmentInfo[]): Promise<void> {
    this.log = this.newLog(lastSequence, segments);
    await this.log.open();
  }

  private newLog(lastSequence: number, segments: SegmentInfo[]): LogWriter {
    return new LogWriter(
      {
        fs: this.fs,
        dir: this.options.dir,
        fsync: this.policy,
        segmentBytesMax: this.options.segmentBytesMax ?? SEGMENT_BYTES_DEFAULT,
        retryDelayMs: this.options.logRetryDelayMs ?? 250,
        log: this.options.log,
        onFailure: () => this.releaseReaders(),
      },
      lastSequence,
      segments,
    );
  }

  private becomeReady(): void {
    this.changesAtLastSave = this.engine.changes;
    this.state = 'ready';
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  private keyCount(): number {
    let keys = 0;
    for (const db of this.engine.databases) keys += db.size;
    return keys;
  }

  /** Keys whose time passed while the server was down are deleted, as logged effects. */
  private expireAtLoad(): void {
    const nowMs = this.clock();
    const effects: Effect[] = [];
    for (const db of this.engine.databases) {
      for (const [key, expireAtMs] of db.expires) {
        if (nowMs > expireAtMs) effects.push([Op.Delete, db.index, key]);
      }
    }
    if (effects.length === 0) return;
    const entry: LogEntry = { timeMs: nowMs, effects };
    this.engine.apply(entry);
    this.append(entry);
    this.keysExpiredAtLoad = effects.length;
    this.keysLoaded -= effects.length;
  }

  // EffectSink.

  writeRefusal(): string | undefined {
    const failure = this.log?.failure;
    if (failure !== undefined)
      return `MISCONF Errors writing to the AOF file: ${strerror(failure)}`;
    if (this.stopWritesOnBgsaveError && this.saveRules.length > 0 && !this.lastBgsaveOk) {
      return RDB_MISCONF;
    }
    return undefined;
  }

  append(entry: LogEntry): void {
    const log = this.log;
    if (log === undefined || this.state === 'closed') {
      throw new Error('persistence: append before open() or after close()');
    }
    log.append(entry);
  }

  // Durability, for the hosts.

  get lastAppendedSequence(): number {
    return this.log?.lastAppended ?? 0;
  }

  get lastDurableSequence(): number {
    return this.log?.lastDurable ?? 0;
  }

  /** Whether acknowledgements wait for fsync (appendfsync always). */
  get acknowledgeAfterSync(): boolean {
    return this.policy === 'always';
  }

  /**
   * The sequence a batch of replies must wait for before it is sent, or undefined to send now.
   * `appendedBefore` is lastAppendedSequence when the batch started. Under `always` a reply
   * waits for everything appended up to its end, its own writes and others' (so it never
   * reveals a write that could still be lost). One exception while the disk refuses writes:
   * a batch that wrote nothing is answered at once (reads keep working), though it may show
   * writes accepted just before the error that are still waiting for the disk.
   */
  holdUntil(appendedBefore: number): number | undefined {
    const log = this.log;
    if (log === undefined || this.policy !== 'always' || log.isHeld) return undefined;
    const last = log.lastAppended;
    if (last <= log.lastDurable) return undefined;
    if (log.failure !== undefined && last === appendedBefore) return undefined;
    return last;
  }

  whenDurable(sequence: number, callback: () => void): void {
    const log = this.log;
    if (log === undefined || sequence <= log.lastDurable) return callback();
    log.whenDurable(sequence, callback);
  }

  get failing(): boolean {
    return this.log?.failure !== undefined;
  }

  /**
   * As whenDurable, and also as soon as the disk refuses writes, for a batch that wrote nothing:
   * a read that came in just before the error must not wait for the disk to have room again.
   */
  whenDurableOrFailing(sequence: number, callback: () => void): void {
    const log = this.log;
    if (log === undefined || sequence <= log.lastDurable || log.failure !== undefined) {
      return callback();
    }
    let called = false;
    const release = (): void => {
      if (called) return;
      called = true;
      callback();
    };
    log.whenDurable(sequence, release);
    if (this.readers.length >= 1024) {
      this.readers = this.readers.filter((reader) => reader.sequence > log.lastDurable);
    }
    this.readers.push({ sequence, release });
  }

  private releaseReaders(): void {
    const readers = this.readers;
    this.readers = [];
    for (const reader of readers) reader.release();
  }

  durable(sequence: number): Promise<void> {
    return new Promise((resolve) => this.whenDurable(sequence, resolve));
  }

  // Settings that may change at run time.

  setFsyncPolicy(policy: FsyncPolicy): void {
    this.policy = policy;
    this.log?.setPolicy(policy);
  }

  setSaveRules(text: string): void {
    this.saveRules = parseSaveRules(text) ?? this.saveRules;
  }

  setStopWritesOnBgsaveError(value: boolean): void {
    this.stopWritesOnBgsaveError = value;
  }

  // Commands.

  lastSaveTimeSeconds(): number {
    return Math.floor(this.lastSaveMs / 1000);
  }

  /** SAVE: a blocking snapshot. Undefined when saved, else the error to reply. */
  save(): string | undefined {
    if (this.state !== 'ready') return 'ERR the dataset is loading';
    if (this.running !== undefined) return 'ERR Background save already in progress';
    const log = this.log as LogWriter;
    const startedMs = this.clock();
    const changesAtStart = this.engine.changes;
    const job = new SnapshotJob(this.engine, log.lastAppended, startedMs);
    try {
      writeSnapshotSync(job, this.fs, this.options.dir);
    } catch (error) {
      this.options.log('warning', `Failed saving the DB: ${strerror(error)}`);
      return 'ERR';
    }
    this.options.log('notice', 'DB saved on disk');
    this.saved(job, changesAtStart, startedMs);
    void this.compact(job.sequence);
    return undefined;
  }

  bgsave(schedule: boolean): ControlReply {
    if (this.state !== 'ready') return { error: 'ERR the dataset is loading' };
    if (this.running?.kind === 'bgsave')
      return { error: 'ERR Background save already in progress' };
    if (this.running !== undefined) {
      if (!schedule) {
        return {
          error:
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        };
      }
      this.scheduled = 'bgsave';
      return { status: 'Background saving scheduled' };
    }
    this.startSnapshot('bgsave');
    return { status: 'Background saving started' };
  }

  bgrewriteaof(): ControlReply {
    if (this.state !== 'ready') return { error: 'ERR the dataset is loading' };
    if (this.running?.kind === 'rewrite') {
      return { error: 'ERR Background append only file rewriting already in progress' };
    }
    if (this.running !== undefined) {
      this.scheduled = 'rewrite';
      return { status: 'Background append only file rewriting scheduled' };
    }
    this.startSnapshot('rewrite');
    return { status: 'Background append only file rewriting started' };
  }

  get snapshotInProgress(): boolean {
    return this.running !== undefined;
  }

  /**
   * Starts a background snapshot. The job itself begins on the next turn of the event loop, never
   * inside a command: every effect applied by then has been appended, so the snapshot's state is
   * exactly the state after entry `lastAppended`.
   */
  private startSnapshot(kind: SnapshotKind): void {
    const running: RunningSnapshot = { kind, startedMs: this.clock() };
    this.running = running;
    running.done = new Promise<void>((resolve) =>
      setImmediate(() => void this.runSnapshot(running).finally(resolve)),
    );
  }

  private async runSnapshot(running: RunningSnapshot): Promise<void> {
    if (this.state !== 'ready') {
      this.running = undefined;
      return;
    }
    const log = this.log as LogWriter;
    const changesAtStart = this.engine.changes;
    const job = new SnapshotJob(this.engine, log.lastAppended, this.clock());
    running.job = job;
    this.lastBgsaveTryMs = this.clock();
    if (running.first !== true) log.requestRotation();
    this.options.log(
      'notice',
      running.kind === 'bgsave'
        ? 'Background saving started'
        : 'Background append only file rewriting started',
    );
    let ok = true;
    try {
      await writeSnapshot(
        job,
        this.fs,
        this.options.dir,
        this.options.snapshotSlices ?? { sliceKeys: 10_000, sliceMs: SNAPSHOT_SLICE_MS },
      );
      if (running.first === true) log.release();
      this.saved(job, changesAtStart, running.startedMs);
      await this.compact(job.sequence);
      this.options.log(
        'notice',
        `${running.kind === 'bgsave' ? 'Background saving' : 'Background log rewrite'} terminated with success (${job.keysWritten} keys, ${job.keysCopiedOnWrite} copied on write)`,
      );
    } catch (error) {
      ok = false;
      if (job.aborted) {
        this.running = undefined;
        return;
      }
      this.options.log('warning', `Write error saving DB on disk: ${strerror(error)}`);
      this.options.log('warning', 'Background saving error');
    }
    const seconds = Math.round((this.clock() - running.startedMs) / 1000);
    if (running.kind === 'bgsave') {
      this.lastBgsaveOk = ok;
      this.lastBgsaveSeconds = seconds;
    } else {
      this.lastRewriteOk = ok;
      this.lastRewriteSeconds = seconds;
      if (ok) this.rewrites++;
      // A rewrite is a snapshot too: a good one clears a failed BGSAVE's refusal.
      if (ok) this.lastBgsaveOk = true;
    }
    this.running = undefined;
    const next = this.scheduled;
    this.scheduled = undefined;
    if (next !== undefined && this.state === 'ready') this.startSnapshot(next);
  }

  private saved(job: SnapshotJob, changesAtStart: number, startedMs: number): void {
    this.changesAtLastSave = changesAtStart;
    this.lastSaveMs = startedMs;
    this.lastBgsaveOk = true;
    this.saves++;
    void job;
  }

  /** After a snapshot of `sequence` is durable: older snapshots and covered segments go. */
  private async compact(sequence: number): Promise<void> {
    const { dir } = this.options;
    try {
      const listing = classify(await this.fs.readdir(dir));
      for (const snapshot of listing.snapshots) {
        if (snapshot.sequence < sequence) await this.fs.unlink(join(dir, snapshot.name));
      }
      const dropped = await (this.log as LogWriter).dropSegmentsCoveredBy(sequence);
      if (dropped > 0)
        this.options.log('verbose', `Removed ${dropped} log segments covered by the snapshot`);
    } catch (error) {
      this.options.log(
        'warning',
        `Could not remove old files after a snapshot: ${strerror(error)}`,
      );
    }
  }

  /** Once a second: the `save` rules (Redis's serverCron). */
  private tick(): void {
    if (this.state !== 'ready' || this.running !== undefined) return;
    const nowMs = this.clock();
    const changes = this.engine.changes - this.changesAtLastSave;
    const elapsedSeconds = (nowMs - this.lastSaveMs) / 1000;
    const retryOk =
      this.lastBgsaveOk || nowMs - this.lastBgsaveTryMs > (this.options.bgsaveRetryDelayMs ?? 5000);
    for (const rule of this.saveRules) {
      if (changes >= rule.changes && elapsedSeconds > rule.seconds && retryOk) {
        this.options.log('notice', `${rule.changes} changes in ${rule.seconds} seconds. Saving...`);
        this.startSnapshot('bgsave');
        return;
      }
    }
  }

  /** INFO persistence fields (Redis's names, plus Shoal's log_* fields). */
  info(): Record<string, string | number> {
    const nowMs = this.clock();
    const log = this.log;
    const running = this.running;
    const loading = this.state === 'loading' || this.state === 'new';
    const fields: Record<string, string | number> = { loading: loading ? 1 : 0, async_loading: 0 };
    if (loading) {
      const { loadedBytes, totalBytes } = this.progress;
      const elapsedSeconds = (nowMs - this.loadingStartedMs) / 1000;
      const fraction = totalBytes === 0 ? 0 : loadedBytes / totalBytes;
      Object.assign(fields, {
        loading_start_time: Math.floor(this.loadingStartedMs / 1000),
        loading_total_bytes: totalBytes,
        loading_rdb_used_mem: 0,
        loading_loaded_bytes: loadedBytes,
        loading_loaded_perc: (fraction * 100).toFixed(2),
        loading_eta_seconds:
          fraction === 0 ? 1 : Math.round((elapsedSeconds / fraction) * (1 - fraction)),
      });
    }
    const currentSeconds =
      running === undefined ? -1 : Math.round((nowMs - running.startedMs) / 1000);
    Object.assign(fields, {
      current_save_keys_processed: running?.job?.keysWritten ?? 0,
      current_save_keys_total: running?.job?.totalKeys ?? 0,
      rdb_changes_since_last_save: this.engine.changes - this.changesAtLastSave,
      rdb_bgsave_in_progress: running?.kind === 'bgsave' ? 1 : 0,
      rdb_last_save_time: this.lastSaveTimeSeconds(),
      rdb_last_bgsave_status: this.lastBgsaveOk ? 'ok' : 'err',
      rdb_last_bgsave_time_sec: this.lastBgsaveSeconds,
      rdb_current_bgsave_time_sec: running?.kind === 'bgsave' ? currentSeconds : -1,
      rdb_saves: this.saves,
      rdb_last_load_keys_expired: this.keysExpiredAtLoad,
      rdb_last_load_keys_loaded: this.keysLoaded,
      aof_enabled: 1,
      aof_rewrite_in_progress: running?.kind === 'rewrite' ? 1 : 0,
      aof_rewrite_scheduled: this.scheduled === 'rewrite' ? 1 : 0,
      aof_last_rewrite_time_sec: this.lastRewriteSeconds,
      aof_current_rewrite_time_sec: running?.kind === 'rewrite' ? currentSeconds : -1,
      aof_last_bgrewrite_status: this.lastRewriteOk ? 'ok' : 'err',
      aof_rewrites: this.rewrites,
      aof_last_write_status: log?.failure === undefined ? 'ok' : 'err',
      aof_fsync_policy: this.policy,
      log_last_appended_sequence: log?.lastAppended ?? 0,
      log_last_durable_sequence: log?.lastDurable ?? 0,
      log_writes: log?.writeCount ?? 0,
      log_fsyncs: log?.syncCount ?? 0,
      log_segments: log?.segments.length ?? 0,
    });
    return fields;
  }

  /** Writes and syncs the log, then stops. A snapshot in progress is abandoned (its temporary file is removed at the next start). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer);
      const log = this.log;
      this.state = 'closed';
      this.scheduled = undefined;
      const running = this.running;
      running?.job?.abort();
      await running?.done;
      await log?.close();
    })();
    return this.closing;
  }
}

function holdsDataset(listing: DirectoryListing): boolean {
  return listing.segments.length > 0 || listing.snapshots.length > 0;
}

/** INFO persistence fields when there is no persistence (appendonly no, or memory only). */
export function disabledPersistenceInfo(startedAtMs: number): Record<string, string | number> {
  return {
    loading: 0,
    async_loading: 0,
    rdb_changes_since_last_save: 0,
    rdb_bgsave_in_progress: 0,
    rdb_last_save_time: Math.floor(startedAtMs / 1000),
    rdb_last_bgsave_status: 'ok',
    rdb_last_bgsave_time_sec: -1,
    rdb_current_bgsave_time_sec: -1,
    aof_enabled: 0,
    aof_rewrite_in_progress: 0,
    aof_rewrite_scheduled: 0,
    aof_last_bgrewrite_status: 'ok',
    aof_last_write_status: 'ok',
  };
}
