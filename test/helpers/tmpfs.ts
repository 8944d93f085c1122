// A small tmpfs for disk-full tests on a real file system. Mounting needs root (CI runs as
// root); where it cannot be mounted, the caller skips its test with the reason given here.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Fills the file system but for `roomBytes` with a file; returns a function that removes it. */
  fill(roomBytes: number): () => void;
  unmount(): void;
}

/** A tmpfs of `bytes` mounted on a new directory, or why it could not be. */
export function mountTmpfs(bytes: number): Tmpfs | { why: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const reason = mounted.error?.message ?? mounted.stderr.toString().trim();
    return { why: `cannot mount a tmpfs (needs root): ${reason}` };
  }
  return {
    dir,
    fill(roomBytes) {
      const filler = join(dir, 'filler');
      const free = statfsSync(dir);
      writeFileSync(filler, Buffer.alloc(Number(free.bavail * free.bsize) - roomBytes));
      return () => rmSync(filler);
    },
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
