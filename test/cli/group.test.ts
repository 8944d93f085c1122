// `shoal group`: start a three-node group as a user would, write through one node and read from
// another, ask a node for RAFT STATUS, then SIGTERM the group and check no node is left behind.

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { repoRoot, shoalBin, waitFor } from '../helpers/servers.js';

const run = promisify(execFile);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function groupPorts(base: number, nodes: number): number[] {
  const ports = [];
  for (let i = 0; i < nodes; i++) ports.push(base + i, base + 10_000 + i);
  return ports;
}

/** A base port where base.. and base+10000.. are free for `nodes` nodes. */
async function freeBase(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 25_000);
    const free = await Promise.all(groupPorts(base, nodes).map(portFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free base port found');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('shoal group', { timeout: 60_000 }, () => {
  it('explains itself and refuses ports above 65535', () => {
    const help = spawnSync(process.execPath, [shoalBin, 'group', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    for (const word of ['start', 'status', 'add', 'remove', 'transfer']) {
      assert.ok(help.stdout.includes(word), `group --help mentions ${word}`);
    }
    const top = spawnSync(process.execPath, [shoalBin, '--help'], { encoding: 'utf8' });
    assert.match(top.stdout, /group/);
    const high = spawnSync(
      process.execPath,
      [shoalBin, 'group', 'start', '--nodes', '3', '--base-port', '60000'],
      { encoding: 'utf8' },
    );
    assert.equal(high.status, 2);
    assert.match(high.stderr, /65535/);
  });

  it('starts a group, replicates, reports status and stops every node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-group-'));
    const base = await freeBase(3);
    const child = spawn(
      process.execPath,
      [
        shoalBin,
        'group',
        'start',
        '--nodes',
        '3',
        '--base-port',
        String(base),
        '--dir',
        dir,
        '--election-timeout-ms',
        '300',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const clients: Redis[] = [];
    try {
      const leader = await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`group exited: ${output}`);
          return /^leader: node (\d+)/m.exec(output)?.[1];
        },
        'the leader line',
        15_000,
      );
      const pids = [...output.matchAll(/^node \d+: .* pid (\d+)/gm)].map((m) => Number(m[1]));
      assert.equal(pids.length, 3, output);
      assert.match(output, new RegExp(`^peers: 1=127\\.0\\.0\\.1:${base}@${base + 10_000},`, 'm'));

      const writer = new Redis({ port: base, lazyConnect: true, maxRetriesPerRequest: 1 });
      const reader = new Redis({ port: base + 2, lazyConnect: true, maxRetriesPerRequest: 1 });
      clients.push(writer, reader);
      assert.equal(await writer.set('greeting', 'hello'), 'OK');
      assert.equal(await reader.get('greeting'), 'hello');

      const status = await run(
        process.execPath,
        [shoalBin, 'group', 'status', '--host', '127.0.0.1', '--port', String(base + 1)],
        { encoding: 'utf8' },
      );
      assert.match(status.stdout, new RegExp(`^leader:${leader}$`, 'm'));
      assert.match(status.stdout, /^role:(leader|follower)$/m);

      await assert.rejects(
        run(process.execPath, [shoalBin, 'group', 'transfer', '9', '--port', String(base)]),
        (error: { code?: number; stderr?: string }) =>
          error.code === 1 && /ERR/.test(error.stderr ?? ''),
      );

      for (const client of clients) client.disconnect();
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      assert.match(output, /all nodes stopped/);
      for (const pid of pids) assert.equal(alive(pid), false, `node pid ${pid} exited`);
      // Nothing (a launcher's child included) still holds a port of the group.
      const free = await Promise.all(groupPorts(base, 3).map(portFree));
      assert.deepEqual(free, [true, true, true, true, true, true]);
    } finally {
      for (const client of clients) client.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        for (const m of output.matchAll(/^node \d+: .* pid (\d+)/gm)) {
          try {
            process.kill(Number(m[1]), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
