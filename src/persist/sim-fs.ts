// A simulated disk for tests: files live in memory, and the model keeps apart what was written
// and what was made durable (fdatasync for a file's bytes, directory sync for its entries).
// `crash()` keeps only the durable state plus, for each file, a seeded-random prefix of the bytes
// appended after its last sync and a random subset of the 4 KiB pages it overwrote in place (a
// preallocated segment's writes), as a power loss would, in a new instance; the old
// one is dead (its operations never complete, like a process that lost power). `capacityBytes` makes the
// disk fill up (ENOSPC); `failNext` injects an error (EIO) into the next matching operation.

import { basename, dirname } from 'node:path';
import type { FileHandle, FileSystem } from './fs.js';

interface Inode {
  data: Buffer;
  length: number;
  /** The bytes that survive a crash. */
  durable: Buffer;
  /** The lowest offset written since the last sync (Infinity: none), so a sync copies only that. */
  dirtyFrom: number;
}

/** The unit in which overwritten bytes reach the disk or not at a crash. */
const PAGE_BYTES = 4096;

function fsError(code: string, message: string, operation: string): Error {
  return Object.assign(new Error(`${code}: ${message}, ${operation}`), { code });
}

export type SimulatedOperation = 'write' | 'datasync' | 'rename' | 'syncDirectory' | 'open';

export class SimulatedFileSystem implements FileSystem {
  /** Directory path → (name → inode): the live view, and the view that survives a crash. */
  private readonly live = new Map<string, Map<string, Inode>>();
  private readonly durable = new Map<string, Map<string, Inode>>();
  /** Total bytes the disk holds; writes past it fail with ENOSPC. Infinity by default. */
  capacityBytes = Number.POSITIVE_INFINITY;
  private readonly injected: { operation: SimulatedOperation; code: string; path?: RegExp }[] = [];
  /** Counts of operations, for assertions about fsync batching. */
  readonly counts: Record<SimulatedOperation, number> = {
    write: 0,
    datasync: 0,
    rename: 0,
    syncDirectory: 0,
    open: 0,
  };

  /** While set, fdatasync waits for it: a slow disk, so a test can act while a sync is pending. */
  syncGate: Promise<void> | undefined;

  /** The next `operation` (on a file whose path matches `path`, if given) fails with `code`. */
  failNext(operation: SimulatedOperation, code = 'EIO', path?: RegExp): void {
    this.injected.push({ operation, code, ...(path !== undefined ? { path } : {}) });
  }

  /** Injected failures not yet met by an operation. */
  get failuresPending(): number {
    return this.injected.length;
  }

  private check(operation: SimulatedOperation, path?: string): void {
    if (this.dead) throw fsError('EIO', 'the simulated machine has crashed', operation);
    this.counts[operation]++;
    const at = this.injected.findIndex(
      (entry) =>
        entry.operation === operation &&
        (entry.path === undefined || (path !== undefined && entry.path.test(path))),
    );
    if (at < 0) return;
    const [entry] = this.injected.splice(at, 1);
    const code = entry?.code ?? 'EIO';
    throw fsError(code, code === 'ENOSPC' ? 'no space left on device' : 'i/o error', operation);
  }

  usedBytes(): number {
    let total = 0;
    for (const entries of this.live.values())
      for (const inode of entries.values()) total += inode.length;
    return total;
  }

  private entries(dir: string, view = this.live): Map<string, Inode> {
    let entries = view.get(dir);
    if (entries === undefined) {
      entries = new Map();
      view.set(dir, entries);
    }
    return entries;
  }

  private lookup(path: string): Inode {
    const inode = this.live.get(dirname(path))?.get(basename(path));
    if (inode === undefined) throw fsError('ENOENT', 'no such file or directory', `open '${path}'`);
    return inode;
  }

  /** Set by crash(): every later operation on this instance hangs (the machine is off). */
  dead = false;

  /** @internal waits a turn of the event loop (so writes interleave as on a real disk), or forever once dead. */
  async turn(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.dead) await new Promise(() => undefined);
  }

  /**
   * Simulates a power loss: returns the disk as it comes back (only durable state, plus a random
   * prefix of each file's unsynced bytes); this instance is dead from now on.
   */
  crash(random: () => number = Math.random): SimulatedFileSystem {
    const after = new SimulatedFileSystem();
    const survivors = new Map<Inode, Inode>();
    this.dead = true;
    for (const [dir, entries] of this.durable) {
      const copy = new Map<string, Inode>();
      for (const [name, inode] of entries) {
        let survivor = survivors.get(inode);
        if (survivor === undefined) {
          const data = survivingBytes(inode, random);
          survivor = { data, length: data.length, durable: Buffer.from(data), dirtyFrom: Infinity };
          survivors.set(inode, survivor);
        }
        copy.set(name, survivor);
      }
      after.live.set(dir, copy);
      after.durable.set(dir, new Map(copy));
    }
    return after;
  }

  /** The bytes of a file as a reader sees them now (tests corrupt or truncate with these). */
  readFile(path: string): Buffer {
    const inode = this.lookup(path);
    return Buffer.from(inode.data.subarray(0, inode.length));
  }

  readFileRange(path: string, start: number, end: number): Buffer {
    const inode = this.lookup(path);
    return Buffer.from(inode.data.subarray(start, Math.min(end, inode.length)));
  }

  fileSize(path: string): number {
    return this.lookup(path).length;
  }

  /** Replaces a file's contents durably (tests use it to damage files). */
  writeFileDurably(path: string, data: Buffer): void {
    const inode = this.lookup(path);
    inode.data = Buffer.from(data);
    inode.length = data.length;
    inode.durable = Buffer.from(data);
    inode.dirtyFrom = Infinity;
  }

  async open(path: string, mode: 'read' | 'write' | 'create'): Promise<FileHandle> {
    await this.turn();
    return this.openNow(path, mode);
  }

  openSync(path: string, mode: 'create'): FileHandle {
    return this.openNow(path, mode);
  }

  private openNow(path: string, mode: 'read' | 'write' | 'create'): FileHandle {
    this.check('open', path);
    if (mode !== 'create') return new SimulatedHandle(this, this.lookup(path), path);
    const inode: Inode = {
      data: Buffer.alloc(0),
      length: 0,
      durable: Buffer.alloc(0),
      dirtyFrom: Infinity,
    };
    const entries = this.entries(dirname(path));
    const previous = entries.get(basename(path));
    if (previous !== undefined) {
      // Truncating an existing file keeps its inode (and its directory entry).
      previous.length = 0;
      previous.dirtyFrom = 0;
      return new SimulatedHandle(this, previous, path);
    }
    entries.set(basename(path), inode);
    return new SimulatedHandle(this, inode, path);
  }

  /** @internal */
  writeInode(inode: Inode, buffers: readonly Buffer[], position: number, path?: string): void {
    this.check('write', path);
    let at = position;
    for (const buffer of buffers) {
      const end = at + buffer.length;
      const growth = Math.max(0, end - inode.length);
      if (growth > 0 && this.usedBytes() + growth > this.capacityBytes) {
        // A partial write of what fits, then ENOSPC, as a real disk does.
        const room = Math.max(0, this.capacityBytes - this.usedBytes());
        this.place(inode, buffer.subarray(0, Math.max(0, inode.length - at) + room), at);
        throw fsError('ENOSPC', 'no space left on device', 'write');
      }
      this.place(inode, buffer, at);
      at = end;
    }
  }

  private place(inode: Inode, buffer: Buffer, at: number): void {
    const end = at + buffer.length;
    if (end > inode.data.length) {
      const grown = Buffer.alloc(Math.max(end, inode.data.length * 2));
      inode.data.copy(grown, 0, 0, inode.length);
      inode.data = grown;
    }
    if (at > inode.length) inode.data.fill(0, inode.length, at);
    buffer.copy(inode.data, at);
    inode.dirtyFrom = Math.min(inode.dirtyFrom, at, inode.length);
    inode.length = Math.max(inode.length, end);
  }

  /** @internal */
  datasyncInode(inode: Inode, path?: string): void {
    this.check('datasync', path);
    if (inode.durable.length === inode.length) {
      // Same size (writes in place, as into a preallocated segment): copy what changed.
      if (inode.dirtyFrom < inode.length)
        inode.data.copy(inode.durable, inode.dirtyFrom, inode.dirtyFrom, inode.length);
    } else {
      inode.durable = Buffer.from(inode.data.subarray(0, inode.length));
    }
    inode.dirtyFrom = Infinity;
  }

  async freeBytes(): Promise<number> {
    await this.turn();
    return this.capacityBytes - this.usedBytes();
  }

  async rename(from: string, to: string): Promise<void> {
    await this.turn();
    this.renameSync(from, to);
  }

  renameSync(from: string, to: string): void {
    this.check('rename', from);
    const inode = this.lookup(from);
    this.entries(dirname(from)).delete(basename(from));
    this.entries(dirname(to)).set(basename(to), inode);
  }

  async syncDirectory(path: string): Promise<void> {
    await this.turn();
    this.syncDirectorySync(path);
  }

  syncDirectorySync(path: string): void {
    this.check('syncDirectory', path);
    this.durable.set(path, new Map(this.entries(path)));
  }

  async readdir(path: string): Promise<string[]> {
    await this.turn();
    return this.readdirSync(path);
  }

  readdirSync(path: string): string[] {
    return [...this.entries(path).keys()];
  }

  async unlink(path: string): Promise<void> {
    await this.turn();
    this.lookup(path);
    this.entries(dirname(path)).delete(basename(path));
  }

  async mkdir(path: string): Promise<void> {
    await this.turn();
    this.entries(path);
    this.entries(path, this.durable);
  }
}

class SimulatedHandle implements FileHandle {
  constructor(
    private readonly fs: SimulatedFileSystem,
    private readonly inode: Inode,
    private readonly path: string,
  ) {}

  async write(buffers: readonly Buffer[], position: number): Promise<void> {
    await this.fs.turn();
    this.fs.writeInode(this.inode, buffers, position, this.path);
  }

  async read(into: Buffer, offset: number, length: number, position: number): Promise<number> {
    await this.fs.turn();
    const end = Math.min(this.inode.length, position + length);
    if (end <= position) return 0;
    this.inode.data.copy(into, offset, position, end);
    return end - position;
  }

  async datasync(): Promise<void> {
    await this.fs.turn();
    await this.fs.syncGate;
    this.fs.datasyncInode(this.inode, this.path);
  }

  async truncate(size: number): Promise<void> {
    await this.fs.turn();
    this.inode.length = Math.min(this.inode.length, size);
    this.inode.dirtyFrom = Math.min(this.inode.dirtyFrom, this.inode.length);
  }

  async size(): Promise<number> {
    await this.fs.turn();
    return this.inode.length;
  }

  async close(): Promise<void> {
    await this.fs.turn();
  }

  writeSync(buffer: Buffer, position: number): void {
    this.fs.writeInode(this.inode, [buffer], position, this.path);
  }

  datasyncSync(): void {
    this.fs.datasyncInode(this.inode, this.path);
  }

  closeSync(): void {}
}

/**
 * What of a file survives a power loss: its durable bytes; each page overwritten in place since
 * the last sync, new or old at random; and a random prefix of what was appended, unless the
 * file was cut shorter than its durable size (then the durable bytes alone).
 */
function survivingBytes(inode: Inode, random: () => number): Buffer {
  const durable = inode.durable;
  if (inode.length < durable.length) return Buffer.from(durable);
  const data = Buffer.from(inode.data.subarray(0, inode.length));
  for (let page = 0; page < durable.length; page += PAGE_BYTES) {
    const end = Math.min(durable.length, page + PAGE_BYTES);
    const changed = !data.subarray(page, end).equals(durable.subarray(page, end));
    if (changed && random() < 0.5) durable.copy(data, page, page, end);
  }
  const kept = Math.floor(random() * (inode.length - durable.length + 1));
  return data.subarray(0, durable.length + kept);
}
