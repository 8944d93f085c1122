// The file operations persistence needs, as an interface, so tests can run the same code over a
// simulated disk that loses what was not fsynced (power loss) or fills up (disk full). The real
// implementation is node:fs. Positions are explicit on every write: a retry after a failed or
// partial write rewrites the same bytes at the same place.

import * as nodeFs from 'node:fs';
import { promisify } from 'node:util';

export interface FileHandle {
  /** Writes every buffer, in order, starting at `position`. */
  write(buffers: readonly Buffer[], position: number): Promise<void>;
  /** Reads up to `length` bytes at `position` into `into`; returns how many were read. */
  read(into: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Makes the written data durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
  /** Synchronous variants, for SAVE, which blocks the server as Redis's does. */
  writeSync(buffer: Buffer, position: number): void;
  datasyncSync(): void;
  closeSync(): void;
}

export interface FileSystem {
  /** 'read' an existing file; 'write' an existing file for writing; 'create' a new empty file (truncating). */
  open(path: string, mode: 'read' | 'write' | 'create'): Promise<FileHandle>;
  openSync(path: string, mode: 'create'): FileHandle;
  rename(from: string, to: string): Promise<void>;
  renameSync(from: string, to: string): void;
  /** Makes the directory's entries (created, renamed, deleted files) durable. */
  syncDirectory(path: string): Promise<void>;
  syncDirectorySync(path: string): void;
  /** A whole file, read at once and synchronously (a Raft snapshot, when it is needed). */
  readFile(path: string): Buffer;
  /** Bytes [start, end) of a file, synchronously (fewer at its end): a Raft snapshot's chunk. */
  readFileRange(path: string, start: number, end: number): Buffer;
  fileSize(path: string): number;
  readdir(path: string): Promise<string[]>;
  /** The names in a directory, synchronously; none if it does not exist. */
  readdirSync(path: string): string[];
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** Bytes free for this process on the file system holding `path`. */
  freeBytes?(path: string): Promise<number>;
}

const fsyncAsync = promisify(nodeFs.fsync);
const fdatasyncAsync = promisify(nodeFs.fdatasync);
const writevAsync = promisify(nodeFs.writev);
const readAsync = promisify(nodeFs.read);
const ftruncateAsync = promisify(nodeFs.ftruncate);
const fstatAsync = promisify(nodeFs.fstat);
const closeAsync = promisify(nodeFs.close);
const openAsync = promisify(nodeFs.open);

class NodeFileHandle implements FileHandle {
  constructor(private readonly fd: number) {}

  async write(buffers: readonly Buffer[], position: number): Promise<void> {
    let pending = buffers.filter((buffer) => buffer.length > 0);
    let at = position;
    while (pending.length > 0) {
      const result = (await writevAsync(this.fd, pending, at)) as unknown as
        number | { bytesWritten: number };
      let written = typeof result === 'number' ? result : result.bytesWritten;
      at += written;
      // A short write: continue with what is left.
      const rest: Buffer[] = [];
      for (const buffer of pending) {
        if (written >= buffer.length) written -= buffer.length;
        else {
          rest.push(written > 0 ? buffer.subarray(written) : buffer);
          written = 0;
        }
      }
      pending = rest;
    }
  }

  async read(into: Buffer, offset: number, length: number, position: number): Promise<number> {
    const result = (await readAsync(this.fd, into, offset, length, position)) as unknown as
      number | { bytesRead: number };
    return typeof result === 'number' ? result : result.bytesRead;
  }

  datasync(): Promise<void> {
    return fdatasyncAsync(this.fd);
  }

  truncate(size: number): Promise<void> {
    return ftruncateAsync(this.fd, size);
  }

  async size(): Promise<number> {
    return (await fstatAsync(this.fd)).size;
  }

  close(): Promise<void> {
    return closeAsync(this.fd);
  }

  writeSync(buffer: Buffer, position: number): void {
    let done = 0;
    while (done < buffer.length) {
      done += nodeFs.writeSync(this.fd, buffer, done, buffer.length - done, position + done);
    }
  }

  datasyncSync(): void {
    nodeFs.fdatasyncSync(this.fd);
  }

  closeSync(): void {
    nodeFs.closeSync(this.fd);
  }
}

const FLAGS = { read: 'r', write: 'r+', create: 'w+' } as const;

/** The real disk. */
export const nodeFileSystem: FileSystem = {
  async open(path, mode) {
    return new NodeFileHandle((await openAsync(path, FLAGS[mode])) as unknown as number);
  },
  openSync(path, mode) {
    return new NodeFileHandle(nodeFs.openSync(path, FLAGS[mode]));
  },
  readFile: (path) => nodeFs.readFileSync(path),
  readFileRange(path, start, end) {
    const fd = nodeFs.openSync(path, 'r');
    try {
      const out = Buffer.allocUnsafe(Math.max(0, end - start));
      let done = 0;
      while (done < out.length) {
        const read = nodeFs.readSync(fd, out, done, out.length - done, start + done);
        if (read === 0) break;
        done += read;
      }
      return out.subarray(0, done);
    } finally {
      nodeFs.closeSync(fd);
    }
  },
  fileSize: (path) => nodeFs.statSync(path).size,
  rename: (from, to) => nodeFs.promises.rename(from, to),
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  async syncDirectory(path) {
    const fd = (await openAsync(path, 'r')) as unknown as number;
    try {
      await fsyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  },
  syncDirectorySync(path) {
    const fd = nodeFs.openSync(path, 'r');
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  },
  readdir: (path) => nodeFs.promises.readdir(path),
  readdirSync(path) {
    try {
      return nodeFs.readdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
  unlink: (path) => nodeFs.promises.unlink(path),
  async mkdir(path) {
    await nodeFs.promises.mkdir(path, { recursive: true });
  },
  async freeBytes(path) {
    const stats = await nodeFs.promises.statfs(path);
    return stats.bavail * stats.bsize;
  },
};

/** The C library's strerror() text for the errors a disk gives, as Redis prints them. */
const STRERROR: Record<string, string> = {
  ENOSPC: 'No space left on device',
  EIO: 'Input/output error',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EBADF: 'Bad file descriptor',
  EFBIG: 'File too large',
  ENOENT: 'No such file or directory',
  EMFILE: 'Too many open files',
};

export function strerror(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && STRERROR[code] !== undefined) return STRERROR[code];
  return (error as Error).message ?? String(error);
}
