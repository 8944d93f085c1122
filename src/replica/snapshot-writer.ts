// Writes one of this node's Raft snapshot files: the metadata prefix (snapshot-file.ts), then the
// engine snapshot written without fork (persist/snapshot.ts: sliced across event-loop turns,
// copy-on-write per key), durably (temporary name, fsync, rename, directory fsync); then reads
// the file back and verifies every checksum before anything may refer to it.

import type { Engine } from '../engine/engine.js';
import { readRegion } from '../persist/framing.js';
import type { FileSystem } from '../persist/fs.js';
import { SnapshotJob, writeSnapshot, type SnapshotSliceOptions } from '../persist/snapshot.js';
import {
  encodeSnapshotPrefix,
  parseSnapshotFile,
  type ParsedSnapshotFile,
  type RaftSnapshotMeta,
} from './snapshot-file.js';

export interface WrittenSnapshot {
  readonly path: string;
  readonly data: Buffer;
  readonly parsed: ParsedSnapshotFile;
}

/**
 * Captures the engine's keyspace before it returns (the snapshot is of the engine as it is now,
 * at `meta.index`); `done` settles once the file is durable and verified. `job.abort()` stops it
 * (the temporary file is removed).
 */
export function startSnapshotFile(
  engine: Engine,
  fs: FileSystem,
  dir: string,
  meta: RaftSnapshotMeta,
  slices: SnapshotSliceOptions,
): { job: SnapshotJob; done: Promise<WrittenSnapshot> } {
  const job = new SnapshotJob(engine, meta.index, Date.now());
  // writeSnapshot starts the job (captures the keyspace) before its first await.
  const writing = writeSnapshot(job, fs, dir, slices, encodeSnapshotPrefix(meta));
  const done = writing.then(async (path) => {
    const handle = await fs.open(path, 'read');
    let data: Buffer;
    try {
      data = await readRegion(handle, 0, await handle.size());
    } finally {
      await handle.close();
    }
    // Checked again on the other side of the disk write.
    const parsed = parseSnapshotFile(data);
    if (typeof parsed === 'string') throw new Error(`${path} does not verify: ${parsed}`);
    return { path, data, parsed };
  });
  return { job, done };
}
