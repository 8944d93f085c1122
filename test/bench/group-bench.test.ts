// The group benchmark (npm run bench:group) end to end at a tiny size, so it does not rot: a
// 3-node group with SET through redis-benchmark against its leader, the same load against the
// replication floor, one leader kill timed; and the etcd PutRequest frame its load generator
// sends, byte for byte. (etcd itself is not in CI: with --skip-etcd the run says so and prints no
// etcd figures.) And both bench scripts' --help.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { putFrame } from '../../bench/etcd-grpc.js';
import { repoRoot } from '../helpers/servers.js';

test('the etcd put is a gRPC frame around PutRequest { key = 1; value = 2 }', () => {
  assert.equal(
    putFrame(Buffer.from('k'), Buffer.from('v')).toString('hex'),
    '00' + '00000006' + '0a016b' + '120176',
  );
  const key = Buffer.alloc(200, 'a'); // a length past one varint byte: 200 = c8 01
  assert.equal(putFrame(key, Buffer.alloc(0)).subarray(5, 9).toString('hex'), '0ac80161');
});

test('bench:group runs a group, reports throughput and failover', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(repoRoot, 'dist', 'bench', 'group.js'),
      '--rounds',
      '1',
      '--requests',
      '2000',
      '--pipelines',
      '16',
      '--kills',
      '1',
      '--skip-etcd',
      '--skip-redis',
    ],
    { timeout: 120_000 },
  );
  assert.match(stdout, /etcd skipped \(--skip-etcd\)/);
  assert.match(stdout, /round 1: shoal -P 16 +\d+ ops\/s {2}p99 [\d.]+ ms/);
  // The replication floor answered every one of redis-benchmark's pipelined SETs (it would wait
  // for a missing reply until the timeout).
  assert.match(stdout, /round 1: floor -P 16 +\d+ ops\/s {2}p99 [\d.]+ ms/);
  assert.match(
    stdout,
    /\| -P 16 \(800 in flight\) \| \d+ \| [\d.]+ \| - \| - \| - \| - \| \d+ \| - \| - \| [\d.]+ \|/,
  );
  assert.match(stdout, /kill 1: node \d killed, first write acknowledged after \d+ ms/);
  assert.match(stdout, /kill → first acknowledged write: median \d+ ms, max \d+ ms over 1 kills/);
});

test('bench:snapshot-memory measures a node taking in a snapshot both ways', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(repoRoot, 'dist', 'bench', 'snapshot-memory.js'), '--keys', '20000', '--rounds', '1'],
    { timeout: 120_000 },
  );
  assert.match(
    stdout,
    /round 1: node \d receives and installs: peak \d+ MiB; restarts and loads it: peak \d+ MiB/,
  );
  assert.match(stdout, /\| received from the leader \(wiped, --join\), installed \| \d+ \|/);
  assert.match(stdout, /\| loaded from its file at a restart \| \d+ \|/);
});

test('the bench scripts answer --help with their usage and a bad option with exit 2', async () => {
  const run = promisify(execFile);
  for (const script of ['run.js', 'group.js', 'snapshot-memory.js']) {
    const path = join(repoRoot, 'dist', 'bench', script);
    const { stdout } = await run(process.execPath, [path, '--help']);
    assert.match(stdout, /npm run bench/);
    await assert.rejects(run(process.execPath, [path, '--no-such-option']), (error: unknown) => {
      const failed = error as { code: number; stderr: string };
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, /Unknown option '--no-such-option'[\s\S]*npm run bench/);
      return true;
    });
  }
});
