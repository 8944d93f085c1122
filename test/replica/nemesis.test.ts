// A short nemesis run in CI, the way a user runs it (`node dist/nemesis/run.js`, as `npm run
// nemesis` does): 3 real processes, 10 clients, partitions, kill -9, SIGSTOP and membership
// changes for 15 s; it must finish with no violation and no lost write (exit 0), and must have
// done real work (a run that did nothing must not pass).

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/servers.js';

const MIN_OPS = 300;
let child: ChildProcess | undefined;

after(() => {
  // The runner stops its own processes on SIGTERM.
  if (child !== undefined && child.exitCode === null) child.kill('SIGTERM');
});

test(
  'nemesis: 3 nodes, 15 s of partition/kill/pause/membership, no violation, nothing lost',
  { timeout: 180_000 },
  async () => {
    const runner = spawn(
      process.execPath,
      [
        join(repoRoot, 'dist', 'nemesis', 'run.js'),
        '--nodes',
        '3',
        '--seconds',
        '15',
        '--faults',
        'partition,kill,pause,membership',
        '--seed',
        '7',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = runner;
    let stdout = '';
    let stderr = '';
    runner.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => runner.once('exit', resolve));
    const match = /^nemesis: (\d+) ops, (\d+) violations, (\d+) lost$/m.exec(stdout);
    assert.ok(match !== null, `no summary line; stdout: ${stdout}\nstderr: ${stderr}`);
    assert.equal(code, 0, `exit ${code}\n${stdout}${stderr}`);
    assert.equal(match[2], '0');
    assert.equal(match[3], '0');
    assert.ok(Number(match[1]) >= MIN_OPS, `only ${match[1]} operations:\n${stderr}`);
  },
);
