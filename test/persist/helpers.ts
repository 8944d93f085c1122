// Helpers for persistence tests: a seeded random source, a dataset fingerprint, embedded stores
// over the simulated disk, and a disk whose file handles a test intercepts.

import type { Engine } from '../../src/engine/engine.js';
import { open, type OpenOptions, type Shoal } from '../../src/embedded/index.js';
import type { FileHandle, FileSystem } from '../../src/persist/fs.js';
import type { Persistence, PersistenceOptions } from '../../src/persist/persistence.js';
import type { SimulatedFileSystem } from '../../src/persist/sim-fs.js';

/** mulberry32: a small seeded PRNG, so every failure replays from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `disk` with every file it opens handed to `intercept`, which replaces some of the handle's
 * methods (the rest, and everything else of the disk, are the original's).
 */
export function interceptingHandles(
  disk: FileSystem,
  intercept: (handle: FileHandle) => Partial<FileHandle>,
): FileSystem {
  const fs = Object.create(disk) as FileSystem;
  fs.open = async (path, mode): Promise<FileHandle> => {
    const handle = await disk.open(path, mode);
    return Object.assign(Object.create(handle) as FileHandle, intercept(handle));
  };
  return fs;
}

/** Every key of every database, as the effects that rebuild it: equal datasets give equal text. */
export function datasetOf(engine: Engine): string {
  const lines: string[] = [];
  for (const db of engine.databases) {
    for (const key of [...db.entries.keys()].sort()) {
      lines.push(JSON.stringify(engine.dumpKey(db.index, key)));
    }
  }
  return lines.join('\n');
}

interface StoreInternals {
  store: { engine: Engine; persistence: Persistence | undefined };
}

export function engineOf(handle: Shoal): Engine {
  return (handle as unknown as StoreInternals).store.engine;
}

export function persistenceOf(handle: Shoal): Persistence {
  const persistence = (handle as unknown as StoreInternals).store.persistence;
  if (persistence === undefined) throw new Error('no persistence');
  return persistence;
}

export const SIM_DIR = '/data';

export function openSimulated(
  fs: SimulatedFileSystem,
  persistence: Partial<PersistenceOptions> = {},
  options: OpenOptions = {},
): Promise<Shoal> {
  return open({
    dir: SIM_DIR,
    fileSystem: fs,
    persistence: { log: () => undefined, save: '', ...persistence },
    ...options,
  });
}
