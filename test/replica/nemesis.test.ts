// Short nemesis runs in CI, the way a user runs them (`node dist/nemesis/run.js`, as `npm run
// nemesis` does): 3 real processes, 10 clients, partitions, kill -9, SIGSTOP and membership
// changes for 15 s must finish with no violation and no lost write (exit 0) after real work (a
// run that did nothing must not pass); and the same runner must fail a run whose clients opt
// into possibly stale follower reads (READONLY), so a pass means the checks could have failed.

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/servers.js';

const MIN_OPS = 300;
const children = new Set<ChildProcess>();

after(() => {
  // The runner stops its own processes on SIGTERM.
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

interface Outcome {
  code: number | null;
  ops: number;
  violations: number;
  lost: number;
  output: string;
}

async function runNemesis(args: string[]): Promise<Outcome> {
  const runner = spawn(process.execPath, [join(repoRoot, 'dist', 'nemesis', 'run.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(runner);
  let stdout = '';
  let stderr = '';
  runner.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  runner.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => runner.once('exit', resolve));
  children.delete(runner);
  const output = `exit ${code}\n${stdout}${stderr}`;
  const match = /^nemesis: (\d+) ops, (\d+) violations, (\d+) lost$/m.exec(stdout);
  assert.ok(match !== null, `no summary line:\n${output}`);
  return {
    code,
    ops: Number(match[1]),
    violations: Number(match[2]),
    lost: Number(match[3]),
    output,
  };
}

test(
  'nemesis: 3 nodes, 15 s of partition/kill/pause/membership/transfer, snapshots every 50 entries, no violation, nothing lost',
  { timeout: 180_000 },
  async () => {
    const outcome = await runNemesis([
      '--nodes',
      '3',
      '--seconds',
      '15',
      '--faults',
      'partition,kill,pause,membership,transfer',
      '--seed',
      '7',
      '--snapshot-entries',
      '50',
    ]);
    assert.equal(outcome.code, 0, outcome.output);
    const snapshots = /(\d+) Raft snapshots written/.exec(outcome.output);
    assert.ok(Number(snapshots?.[1]) > 0, `no Raft snapshot was written:\n${outcome.output}`);
    assert.equal(outcome.violations, 0, outcome.output);
    assert.equal(outcome.lost, 0, outcome.output);
    assert.ok(outcome.ops >= MIN_OPS, `only ${outcome.ops} operations:\n${outcome.output}`);
  },
);

test(
  'nemesis: stale follower reads (READONLY) are caught as violations',
  { timeout: 120_000 },
  async () => {
    const seed = 8;
    const outcome = await runNemesis([
      '--seconds',
      '5',
      '--faults',
      'partition',
      '--seed',
      String(seed),
      '--stale-reads',
    ]);
    rmSync(join(tmpdir(), `nemesis-history-${seed}.json`), { force: true });
    assert.equal(outcome.code, 1, outcome.output);
    assert.ok(outcome.violations > 0, outcome.output);
    assert.match(outcome.output, /NOT linearizable/);
  },
);
