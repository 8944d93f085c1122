// `shoal check --dir D`: verifies a data directory (snapshots and log segments) without changing
// it, and reports every problem with its file and offset. Exit 0 when clean, 1 otherwise.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeFileSystem } from '../persist/fs.js';
import { recover, RecoveryError } from '../persist/recovery.js';
import { RaftDiskStorage, RaftStorageError } from '../replica/disk-storage.js';
import { UsageError } from './config-file.js';

export const CHECK_HELP = `Usage: shoal check --dir DIR

Verifies the snapshots and log segments in DIR (checksums, framing, sequence order) without
changing anything. Exit status 0 when everything is clean, 1 when something is wrong:
- a torn tail (a crash cut the last write short): the server truncates it by itself at start;
- a bad record in the middle of the log: the server refuses to start; 'shoal serve --repair'
  truncates the log at that record (the entries after it are lost);
- a damaged snapshot: the server falls back to an older one if the log still covers it.
A replica group member's Raft directory (DIR/raft) is checked too: its segments, the snapshot
its log names (every checksum) and that the log continues the snapshot; a node refuses to start
on any damage there (restart it with an empty directory and --join to copy the leader's state).
`;

export async function check(args: string[], write: (text: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { dir: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) {
    write(CHECK_HELP);
    return 0;
  }
  const dir = values.dir;
  if (dir === undefined) throw new UsageError('--dir is required');
  const raftProblems = await checkRaft(join(dir, 'raft'), write);
  if (raftProblems !== undefined) return raftProblems === 0 ? 0 : 1;
  try {
    const result = await recover(undefined, {
      fs: nodeFileSystem,
      dir,
      repair: false,
      log: () => undefined,
      sliceMs: 1000,
      checkOnly: true,
    });
    for (const problem of result.problems) write(`${problem.kind}: ${problem.message}\n`);
    write(
      `${dir}: snapshot at log sequence ${result.snapshotSequence} (${result.snapshotKeys} keys), ` +
        `log up to sequence ${result.lastSequence} in ${result.segments.length} segment(s): ` +
        `${result.problems.length === 0 ? 'clean' : `${result.problems.length} problem(s)`}\n`,
    );
    return result.problems.length === 0 ? 0 : 1;
  } catch (error) {
    if (!(error instanceof RecoveryError)) throw error;
    write(`error: ${error.message}\n`);
    return 1;
  }
}

/** A replica's Raft directory: undefined if there is none, else how many problems were found. */
async function checkRaft(dir: string, write: (text: string) => void): Promise<number | undefined> {
  try {
    if (!statSync(dir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  let storage;
  try {
    storage = await RaftDiskStorage.open({ fs: nodeFileSystem, dir, readOnly: true });
  } catch (error) {
    if (!(error instanceof RaftStorageError)) throw error;
    write(`error: ${error.message}\n`);
    return 1;
  }
  for (const note of storage.notes) write(`note: ${note}\n`);
  const snapshot = storage.snapshotFile;
  write(
    `${dir}: Raft snapshot at ${storage.snapshotIndex}` +
      (snapshot !== undefined ? ` (${snapshot.parsed.keyCount} keys)` : '') +
      `, log ${storage.firstIndex()}..${storage.lastIndex()} in ${storage.segmentFirstIndexes.length} segment(s), ` +
      `commit ${storage.hardState().commit}: clean\n`,
  );
  return 0;
}
