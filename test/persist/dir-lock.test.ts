// The data directory lock: unit tests of persist/dir-lock.ts (held, released, stale, damaged),
// and through real processes: a second `shoal serve` on a directory in use refuses to start with
// a message naming the owner; after the owner is killed with SIGKILL, its stale lock is taken over.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { open } from '../../src/embedded/index.js';
import { DirectoryLockError, LOCK_FILE_NAME, lockDirectory } from '../../src/persist/dir-lock.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, shoalBin, spawnShoal, waitFor } from '../helpers/servers.js';

const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-lock-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(pid !== undefined && pid > 0);
  return pid;
}

describe('data directory lock', () => {
  it('is held until released, with the pid in the lock file', () => {
    const dir = newDir();
    const lock = lockDirectory(dir);
    assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'latin1').trim(), String(process.pid));
    assert.throws(() => lockDirectory(dir), DirectoryLockError);
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE_NAME)), false);
    lockDirectory(dir).release();
  });

  it('refuses a directory locked by a live process, after waiting', () => {
    const dir = newDir();
    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.ppid}\n`);
    const startedMs = Date.now();
    assert.throws(
      () => lockDirectory(dir, 100),
      (error: unknown) =>
        error instanceof DirectoryLockError &&
        error.ownerPid === process.ppid &&
        /in use by another Shoal process/.test(error.message),
    );
    assert.ok(Date.now() - startedMs >= 100, 'it waited for the owner first');
    assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'latin1').trim(), String(process.ppid));
  });

  it('takes over a lock whose process is gone, or a damaged lock file', () => {
    for (const content of [`${deadPid()}\n`, 'not a pid', '']) {
      const dir = newDir();
      writeFileSync(join(dir, LOCK_FILE_NAME), content);
      const lock = lockDirectory(dir);
      assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'latin1').trim(), String(process.pid));
      lock.release();
    }
  });

  it('the embedded store locks its directory while open, and refuses one locked elsewhere', async () => {
    const dir = newDir();
    const db = await open({ dir });
    assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'latin1').trim(), String(process.pid));
    await db.set('k', 'v');
    await db.close();
    assert.equal(existsSync(join(dir, LOCK_FILE_NAME)), false);

    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.ppid}\n`);
    await assert.rejects(open({ dir }), DirectoryLockError);
    rmSync(join(dir, LOCK_FILE_NAME));
    const again = await open({ dir });
    assert.equal(await again.get('k'), 'v');
    await again.close();
  });

  describe('between shoal serve processes', () => {
    const servers: ChildServer[] = [];
    after(async () => {
      for (const server of servers) await server.stop();
    });

    it('a second server on the same --dir refuses to start; a killed owner does not block', async () => {
      const dir = newDir();
      const args = ['--dir', dir, '--save', ''];
      const env = { ...process.env, SHOAL_HEAP: 'keep' };
      const first = await spawnShoal(args, undefined, env);
      servers.push(first);
      const ownerPid = Number(readFileSync(join(dir, LOCK_FILE_NAME), 'latin1'));
      assert.equal(ownerPid, first.process.pid);

      const second = spawn(process.execPath, [shoalBin, 'serve', '--port', '0', ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      second.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      second.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await waitFor(() => second.exitCode ?? undefined, 'the second server to exit');
      assert.equal(code, 2, output);
      assert.match(output, new RegExp(`in use by another Shoal process \\(pid ${ownerPid}`));
      assert.doesNotMatch(output, /Ready to accept connections/);

      // The first server is unaffected.
      const client = await RawClient.connect(first.port);
      assert.equal(await client.call('SET', 'k', 'v'), 'OK');
      client.close();

      first.process.kill('SIGKILL');
      await first.stop();
      const third = await spawnShoal(args, undefined, env);
      servers.push(third);
      const check = await RawClient.connect(third.port);
      assert.equal(await check.call('GET', 'k'), 'v');
      check.close();
      assert.equal(Number(readFileSync(join(dir, LOCK_FILE_NAME), 'latin1')), third.process.pid);
    });
  });
});
