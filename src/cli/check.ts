// `shoal check --dir D`: verifies a data directory (snapshots and log segments) without changing
// it, and reports every problem with its file and offset. Exit 0 when clean, 1 otherwise.

import { parseArgs } from 'node:util';
import { nodeFileSystem } from '../persist/fs.js';
import { recover, RecoveryError } from '../persist/recovery.js';
import { UsageError } from './config-file.js';

export const CHECK_HELP = `Usage: shoal check --dir DIR

Verifies the snapshots and log segments in DIR (checksums, framing, sequence order) without
changing anything. Exit status 0 when everything is clean, 1 when something is wrong:
- a torn tail (a crash cut the last write short): the server truncates it by itself at start;
- a bad record in the middle of the log: the server refuses to start; 'shoal serve --repair'
  truncates the log at that record (the entries after it are lost);
- a damaged snapshot: the server falls back to an older one if the log still covers it.
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
