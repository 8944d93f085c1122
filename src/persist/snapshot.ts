// Snapshots without fork and without stopping the server. A snapshot is the state after log entry
// `sequence`: a header, then a replica group's settings (Op.ConfigSet, Op.AclSetUser, …), then
// every key as the effects that rebuild it (engine dumpers), then a trailer with a checksum of
// the whole file. Loading one is applying effects, like log replay.
//
// Copy-on-write per key: while the snapshot runs, it observes the keyspace. The first time a key
// is about to change, the snapshot writes that key's current (pre-change) state at once and marks
// its entry object as handled, or, if the key is absent, notes the key; the iterator, walking the
// Maps captured at the start in slices across event-loop turns, skips handled entries and noted
// keys. An entry moves with its key (RENAME, MOVE), and the destination key is noted when it is
// about to change, so a handled entry is only ever found where it is skipped anyway. Marking the
// entry, not the key, keeps the commands' key strings (new objects) out of the job: a set of them
// survived into the old generation, one per SET, and lengthened every young collection. A key the
// iterator wrote may be written again by the observer with the same state; loading replaces a
// key it meets twice.
// FLUSHDB/FLUSHALL give a database new Maps (engine.ts), so the captured Maps keep the contents
// from before; SWAPDB moves Database objects, which the snapshot tracks by identity.

import type { Database, KeyEntry } from '../engine/database.js';
import { NO_SLOT, type StringArena } from '../engine/string-arena.js';
import { assert } from '../engine/assert.js';
import { ExpireNone } from '../engine/effects.js';
import { dumpValue, type Engine, type KeyspaceObserver } from '../engine/engine.js';
import { isStringValue } from '../engine/values.js';
import {
  ByteWriter,
  RecordKind,
  writeArenaStringKeyEffects,
  writeEffects,
  writeStringKeyEffects,
} from './codec.js';
import { crc32c } from './crc32c.js';
import { beginFrame, endFrame, fileHeader, SNAPSHOT_MAGIC } from './framing.js';
import type { FileSystem } from './fs.js';
import { join, snapshotName, TEMPORARY_SUFFIX } from './names.js';
import { runTurnEnd } from '../util/turn-end.js';

interface Captured {
  /** The database's index when the snapshot started (SWAPDB may move it since). */
  index: number;
  entries: Map<string, KeyEntry>;
  expires: Map<string, number>;
  /** The arena of the captured entries' short strings (a flush gives the database a new one). */
  arena: StringArena;
  /** Keys the observer found absent when about to change: the iterator skips them. */
  absent: Set<string>;
}

/** Keys per Keys record before it is closed. */
const RECORD_BYTES_TARGET = 64 * 1024;

export class SnapshotJob implements KeyspaceObserver {
  keysWritten = 0;
  recordsWritten = 0;
  /** Keys written by the observer ahead of the iterator (copy-on-write). */
  keysCopiedOnWrite = 0;
  private readonly captured: Captured[] = [];
  private readonly byDatabase = new Map<Database, Captured>();
  /** Entries the observer wrote before they changed: the iterator skips them. */
  private readonly handled = new Set<KeyEntry>();
  private out = new ByteWriter(256 * 1024);
  /** The other half of `out`'s double buffer (takeSlice). */
  private spare = new ByteWriter(256 * 1024);
  private readonly record = new ByteWriter(RECORD_BYTES_TARGET * 2);
  private recordKeys = 0;
  private fileCrc = 0;
  private bytesTaken = 0;
  private current = 0;
  /**
   * The captured Map's keys and values, walked in lockstep: entries() would allocate a pair per
   * key. Both iterators index the same table and are always advanced together, so the changes
   * made between slices (set, delete, rehash) move them alike and they stay aligned.
   */
  private keyIterator: Iterator<string> | undefined;
  private valueIterator: Iterator<KeyEntry> | undefined;
  private observing = false;
  /** Set by abort(): the writer stops at its next slice. */
  aborted = false;

  constructor(
    private readonly engine: Engine,
    readonly sequence: number,
    readonly timeMs: number,
  ) {
    for (const database of engine.databases) {
      const captured: Captured = {
        index: database.index,
        entries: database.entries,
        expires: database.expires,
        arena: database.arena,
        absent: new Set(),
      };
      this.captured.push(captured);
      this.byDatabase.set(database, captured);
    }
  }

  get totalKeys(): number {
    let total = 0;
    for (const captured of this.captured) total += captured.entries.size;
    return total;
  }

  /** Writes the file header and the snapshot header, and starts observing changes. */
  start(): void {
    this.out.bytes(fileHeader(SNAPSHOT_MAGIC));
    const at = beginFrame(this.out);
    this.out.u8(RecordKind.Header);
    this.out.varint(this.sequence);
    this.out.f64(this.timeMs);
    this.out.varint(this.captured.length);
    endFrame(this.out, at);
    this.recordsWritten++;
    // A replica group's settings, as of the snapshot's sequence (none standalone): each is an
    // entry of its own, before the keys, and loads as it is (snapshot-bytes.ts).
    for (const effect of this.engine.settingEffects()) {
      writeEffects(this.record, [effect]);
      this.recordKeys++;
      this.keysWritten++;
    }
    this.engine.addObserver(this);
    this.observing = true;
  }

  abort(): void {
    this.aborted = true;
    this.stop();
  }

  stop(): void {
    if (this.observing) this.engine.removeObserver(this);
    this.observing = false;
  }

  keyWillChange(dbIndex: number, key: string): void {
    const database = this.engine.databases[dbIndex];
    if (database === undefined) return;
    const captured = this.byDatabase.get(database);
    // A flushed database has new Maps: its new contents are after the snapshot's sequence.
    if (captured === undefined || captured.entries !== database.entries) return;
    const entry = captured.entries.get(key);
    // Absent: created after the snapshot started (not in it), or written before its deletion.
    if (entry === undefined) captured.absent.add(key);
    else if (this.handled.has(entry) || isNoted(captured, key)) return;
    else {
      this.handled.add(entry);
      this.keysCopiedOnWrite++;
      this.writeKey(captured, key, entry);
    }
  }

  databaseWillChange(): void {
    // Nothing to do: a flush leaves the captured Maps intact, a swap keeps Database objects.
  }

  /** Writes up to `maxKeys` keys (or until `deadline` returns true); true when every key is done. */
  step(maxKeys: number, deadline: () => boolean = () => false): boolean {
    for (let written = 0; written < maxKeys;) {
      const captured = this.captured[this.current];
      if (captured === undefined) return true;
      const keyIterator = (this.keyIterator ??= captured.entries.keys());
      const valueIterator = (this.valueIterator ??= captured.entries.values());
      const nextKey = keyIterator.next();
      const nextValue = valueIterator.next();
      if (nextKey.done === true) {
        assert(nextValue.done === true, 'snapshot key and value iterators end together');
        this.keyIterator = this.valueIterator = undefined;
        this.current++;
        continue;
      }
      const key = nextKey.value;
      const entry = nextValue.value as KeyEntry;
      if (this.handled.has(entry) || isNoted(captured, key)) continue;
      if ((this.keysWritten & 4095) === 0) {
        assert(captured.entries.get(key) === entry, 'snapshot key and value iterators aligned');
      }
      this.writeKey(captured, key, entry);
      written++;
      if ((written & 255) === 0 && deadline()) break;
    }
    return this.current >= this.captured.length;
  }

  private writeKey(captured: Captured, key: string, entry: KeyEntry): void {
    const expireAtMs = captured.expires.get(key);
    const value = entry.inline;
    const index = captured.index;
    if (entry.slot !== NO_SLOT) {
      // Only entries unchanged since the start are written, so their slots still hold their bytes.
      writeArenaStringKeyEffects(
        this.record,
        index,
        key,
        captured.arena,
        entry.slot,
        expireAtMs ?? ExpireNone,
      );
    } else if (isStringValue(value)) {
      writeStringKeyEffects(this.record, index, key, value, expireAtMs ?? ExpireNone);
    } else {
      writeEffects(this.record, dumpValue(index, key, value, expireAtMs));
    }
    this.recordKeys++;
    this.keysWritten++;
    if (this.record.length >= RECORD_BYTES_TARGET) this.closeRecord();
  }

  private closeRecord(): void {
    if (this.recordKeys === 0) return;
    const out = this.out;
    const at = beginFrame(out);
    out.u8(RecordKind.Keys);
    out.varint(this.recordKeys);
    out.bytes(this.record.buffer.subarray(0, this.record.length));
    endFrame(out, at);
    this.record.length = 0;
    this.recordKeys = 0;
    this.recordsWritten++;
  }

  /** The bytes produced so far (closing the current record), as a copy of their own. */
  takeBytes(): Buffer {
    return Buffer.from(this.takeSlice());
  }

  /**
   * The bytes produced so far (closing the current record), in the job's own memory: valid until
   * the next takeSlice(), takeBytes() or finish(). Two buffers take turns, so a snapshot of any
   * size allocates nothing per slice. A new buffer per slice (~100 KB each, 50 MB for a million
   * keys) is memory outside the heap, which V8 counts toward starting an old-generation
   * collection (fewer of them ran during the BGSAVE bench without it).
   */
  takeSlice(): Buffer {
    this.closeRecord();
    const out = this.out;
    const bytes = out.buffer.subarray(0, out.length);
    this.fileCrc = crc32c(bytes, 0, bytes.length, this.fileCrc);
    this.bytesTaken += bytes.length;
    this.out = this.spare;
    this.out.length = 0;
    this.spare = out;
    return bytes;
  }

  /** The last bytes: whatever is left and the trailer. Call after stop(). */
  finish(): Buffer {
    const rest = this.takeBytes();
    const out = this.out;
    const at = beginFrame(out);
    out.u8(RecordKind.Trailer);
    out.varint(this.keysWritten);
    out.varint(this.recordsWritten);
    out.u32(this.fileCrc);
    endFrame(out, at);
    const trailer = out.take();
    this.bytesTaken += trailer.length;
    return Buffer.concat([rest, trailer]);
  }

  get bytesWritten(): number {
    return this.bytesTaken;
  }
}

export interface SnapshotSliceOptions {
  /** Keys per slice, and the time a slice may take, before yielding to the event loop. */
  sliceKeys: number;
  sliceMs: number;
}

/**
 * A slice's time: the full slice when the event loop was idle since the last one, less when it
 * was busy serving clients (down to a quarter), so that one turn of client work plus one slice
 * stays near `sliceMs` and a command's wait does not double while a snapshot runs. A busy server
 * snapshots more slowly instead.
 */
export function sliceBudgetMs(sliceMs: number, busySinceLastSliceMs: number): number {
  return Math.max(sliceMs / 4, sliceMs - busySinceLastSliceMs);
}

/** True if the observer found `key` absent before a change (most snapshots find none). */
function isNoted(captured: Captured, key: string): boolean {
  return captured.absent.size !== 0 && captured.absent.has(key);
}

function paths(dir: string, sequence: number): { temporary: string; final: string } {
  const final = join(dir, snapshotName(sequence));
  return { temporary: final + TEMPORARY_SUFFIX, final };
}

/** Loop time (ms) spent on other work while a slice's bytes are written: clients are being served. */
const CLIENT_WORK_MS = 0.05;

/**
 * Writes the snapshot in slices across event-loop turns: temporary name, fsync, rename, directory
 * fsync. Returns the final path. On error the temporary file is removed and the error rethrown.
 * `prefix` (a Raft snapshot's metadata frame) goes before the snapshot's own bytes, outside its
 * file checksum.
 */
export async function writeSnapshot(
  job: SnapshotJob,
  fs: FileSystem,
  dir: string,
  slices: SnapshotSliceOptions,
  prefix?: Buffer,
): Promise<string> {
  const { temporary, final } = paths(dir, job.sequence);
  // Observe from now on: the keyspace may change while the file is being created.
  job.start();
  let handle;
  try {
    handle = await fs.open(temporary, 'create');
  } catch (error) {
    job.stop();
    throw error;
  }
  let position = 0;
  try {
    if (prefix !== undefined && prefix.length > 0) {
      await handle.write([prefix], 0);
      position = prefix.length;
    }
    let sliceEnded = performance.now();
    let owedMs = 0;
    for (let done = false; !done;) {
      if (job.aborted) throw new Error('snapshot abandoned');
      // Replies that are ready go out before the slice, not a slice later.
      runTurnEnd();
      const started = performance.now();
      const budgetMs = sliceBudgetMs(slices.sliceMs, started - sliceEnded);
      done = job.step(slices.sliceKeys, () => performance.now() - started > budgetMs);
      sliceEnded = performance.now();
      const bytes = job.takeSlice(); // written before the next slice takes its buffer
      const written =
        bytes.length > 0
          ? handle.write([bytes], position)
          : new Promise((resolve) => setImmediate(resolve));
      position += bytes.length;
      const loopWhileWriting = performance.eventLoopUtilization();
      await written;
      // While clients keep the loop busy, the snapshot takes at most half of its time: each
      // slice's length is owed to them, and once a millisecond is owed (a timer's grain) the
      // snapshot waits it out. Redis's child takes another core; here the snapshot shares this
      // one. An idle server owes nothing.
      if (performance.eventLoopUtilization(loopWhileWriting).active > CLIENT_WORK_MS) {
        owedMs = Math.max(0, owedMs + (sliceEnded - started) - (performance.now() - sliceEnded));
        if (owedMs >= 1) {
          const restStarted = performance.now();
          await new Promise((resolve) => setTimeout(resolve, 1));
          owedMs -= performance.now() - restStarted;
        }
      }
    }
    job.stop();
    await handle.write([job.finish()], position);
    await handle.datasync();
    await handle.close();
    await fs.rename(temporary, final);
    await fs.syncDirectory(dir);
    return final;
  } catch (error) {
    job.stop();
    await handle.close().catch(() => undefined);
    await fs.unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** The same, all at once, blocking (SAVE). */
export function writeSnapshotSync(job: SnapshotJob, fs: FileSystem, dir: string): string {
  const { temporary, final } = paths(dir, job.sequence);
  const handle = fs.openSync(temporary, 'create');
  let position = 0;
  try {
    job.start();
    while (!job.step(4096)) {
      const bytes = job.takeSlice(); // written before the next slice takes its buffer
      handle.writeSync(bytes, position);
      position += bytes.length;
    }
    job.stop();
    handle.writeSync(job.finish(), position);
    handle.datasyncSync();
    handle.closeSync();
    fs.renameSync(temporary, final);
    fs.syncDirectorySync(dir);
    return final;
  } catch (error) {
    job.stop();
    try {
      handle.closeSync();
    } catch {
      // Already failing: the first error is the one to report.
    }
    void fs.unlink(temporary).catch(() => undefined);
    throw error;
  }
}
