// The lock that keeps two processes from using one data directory at once (two logs appended
// by two servers would interleave and corrupt each other). Node has no flock, so the lock is a
// file, `shoal.lock`, holding the owner's pid, created atomically (written under a private name,
// then hard-linked to the lock name, which fails if it exists). A lock whose pid is not running
// (a crash, kill -9) is stale and taken over; so is one naming our own pid that this process does
// not hold, which can only be a previous run's (pids are reused, e.g. pid 1 in a container).

import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE_NAME = 'shoal.lock';

export class DirectoryLockError extends Error {
  constructor(
    readonly dir: string,
    readonly ownerPid: number,
  ) {
    super(
      `the data directory ${dir} is in use by ${ownerPid === process.pid ? 'this process' : 'another Shoal process'} (pid ${ownerPid}, lock file ${join(dir, LOCK_FILE_NAME)}); stop it or use another --dir`,
    );
    this.name = 'DirectoryLockError';
  }
}

/** Locks held by this process, released at exit if nobody released them before. */
const held = new Set<string>();
let exitHookInstalled = false;

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the lock on `dir` (created if missing). If a live process holds it, waits up to `waitMs`
 * for it to let go (a server still closing after its launcher was stopped), then throws
 * DirectoryLockError.
 */
export function lockDirectory(dir: string, waitMs = 0): DirectoryLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE_NAME);
  if (held.has(path)) throw new DirectoryLockError(dir, process.pid);
  const deadline = Date.now() + waitMs;
  // Bounded: each round takes the lock, waits for a live owner, or removes a stale lock.
  for (let staleRemoved = 0; staleRemoved < 5;) {
    if (tryCreate(path)) {
      held.add(path);
      installExitHook();
      return lockHandle(path);
    }
    const owner = readOwner(path);
    if (owner === undefined) continue; // removed meanwhile: try again
    if (owner !== process.pid && isRunning(owner)) {
      if (Date.now() >= deadline) throw new DirectoryLockError(dir, owner);
      sleep(50);
      continue;
    }
    removeIfOwner(path, owner);
    staleRemoved++;
  }
  throw new Error(`could not take the lock ${path}: it keeps changing`);
}

/** Blocks the thread (start-up only, before anything is served). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockHandle(path: string): DirectoryLock {
  let released = false;
  return {
    path,
    release(): void {
      if (released) return;
      released = true;
      held.delete(path);
      removeIfOwner(path, process.pid);
    },
  };
}

/** Creates the lock file with our pid, atomically; false if it exists. */
function tryCreate(path: string): boolean {
  const draft = `${path}.${process.pid}.new`;
  writeFileSync(draft, `${process.pid}\n`);
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

function readOwner(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  // Not a pid: not ours to judge by a process, so treat it as stale (a damaged lock file).
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

function isRunning(pid: number): boolean {
  if (pid === 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the lock file if it still names `pid` (another process may have replaced it). */
function removeIfOwner(path: string, pid: number): void {
  if (readOwner(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of held) removeIfOwner(path, process.pid);
    held.clear();
  });
}
