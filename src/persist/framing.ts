// Record framing and file headers. A frame is [u32 payload length][u32 CRC32C of payload][payload],
// little-endian. A file starts with a 16-byte header: an 8-byte magic naming the file kind, the
// u32 format version, and a u32 CRC32C of those 12 bytes.

import type { ByteWriter } from './codec.js';
import { FORMAT_VERSION } from './codec.js';
import { crc32c } from './crc32c.js';
import type { FileHandle } from './fs.js';

export const FRAME_HEADER_BYTES = 8;
export const FILE_HEADER_BYTES = 16;
/** The largest payload a frame may declare; a longer length is damage, not data. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024;

export const LOG_MAGIC = 'SHOALLOG';
export const SNAPSHOT_MAGIC = 'SHOALSNP';

/** Reserves a frame header; write the payload, then call endFrame with the returned offset. */
export function beginFrame(out: ByteWriter): number {
  out.ensure(FRAME_HEADER_BYTES);
  const at = out.length;
  out.length += FRAME_HEADER_BYTES;
  return at;
}

export function endFrame(out: ByteWriter, at: number): void {
  const start = at + FRAME_HEADER_BYTES;
  const length = out.length - start;
  out.u32At(at, length);
  out.u32At(at + 4, crc32c(out.buffer, start, out.length));
}

export function fileHeader(magic: string): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.write(magic, 0, 'latin1');
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(crc32c(header, 0, 12), 12);
  return header;
}

/** Undefined when the header is good, else what is wrong with it. */
export function checkFileHeader(data: Buffer, magic: string): string | undefined {
  if (data.length < FILE_HEADER_BYTES) return 'file header is incomplete';
  if (data.latin1Slice(0, 8) !== magic) return `not a ${magic} file (bad magic)`;
  if (data.readUInt32LE(12) !== crc32c(data, 0, 12)) return 'file header checksum mismatch';
  const version = data.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    return `format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`;
  }
  return undefined;
}

const EMPTY = Buffer.alloc(0);

export interface FrameProblem {
  /** Offset of the first bad frame in the file. */
  offset: number;
  reason: string;
  /** The frame's declared end lies past the end of the file (or its header is cut short). */
  pastEnd: boolean;
  /**
   * Zeros where data should be: a header of zeros (`reason` UNWRITTEN: nothing was ever written
   * here, the end of a preallocated segment's data) or a 512-byte sector of zeros inside a frame
   * that fails its checksum (a write cut short: the sector never reached the disk, as etcd's WAL
   * judges torn entries). Real damage rarely writes whole sectors of zeros.
   */
  unwritten: boolean;
}

/** The reason given for a header of zeros. */
export const UNWRITTEN = 'unwritten space';
/** A disk sector: the unit a write reaches the disk in, or does not. */
export const SECTOR_BYTES = 512;

export interface ScanResult {
  /** Offset just past the last good frame. */
  goodEnd: number;
  fileBytes: number;
  problem: FrameProblem | undefined;
}

/**
 * Reads frames from `start` to the end of the file in chunks, calling `visit` with each good
 * payload, its frame offset and the whole frame (views valid only during the call; the frame is
 * empty for a visitor declared without that parameter); stops at the first bad frame.
 * `visit` may return a promise (to yield to the event loop between chunks). `reread` is for
 * bytes this process has just scanned and checked through the same handle: up to `end` only,
 * without computing checksums again.
 */
export async function scanFrames(
  handle: FileHandle,
  start: number,
  visit: (payload: Buffer, offset: number, frame: Buffer) => void | Promise<void>,
  chunkBytes = 4 * 1024 * 1024,
  reread?: { end: number },
): Promise<ScanResult> {
  const fileBytes = reread?.end ?? (await handle.size());
  const verifyChecksums = reread === undefined;
  // A view costs an allocation per frame: the whole frame is made only for a visitor that takes it.
  const wantsFrame = visit.length >= 3;
  let buffer = Buffer.allocUnsafe(chunkBytes);
  let bufferStart = start; // file offset of buffer[0]
  let filled = 0;
  let position = start; // file offset of the next frame
  const fill = async (): Promise<void> => {
    // Keep the unread bytes, read more after them.
    const used = position - bufferStart;
    if (used > 0) {
      buffer.copy(buffer, 0, used, filled);
      filled -= used;
      bufferStart = position;
    }
    const want = Math.min(buffer.length - filled, fileBytes - (bufferStart + filled));
    if (want <= 0) return;
    const read = await handle.read(buffer, filled, want, bufferStart + filled);
    filled += read;
  };
  for (;;) {
    if (position >= fileBytes) return { goodEnd: position, fileBytes, problem: undefined };
    let local = position - bufferStart;
    if (filled - local < FRAME_HEADER_BYTES) {
      await fill();
      local = position - bufferStart;
    }
    if (filled - local < FRAME_HEADER_BYTES) {
      return problem(position, fileBytes, 'frame header cut short', true);
    }
    const length = buffer.readUInt32LE(local);
    const expectedCrc = buffer.readUInt32LE(local + 4);
    const frameEnd = position + FRAME_HEADER_BYTES + length;
    if (length === 0) {
      return expectedCrc === 0
        ? problem(position, fileBytes, UNWRITTEN, false, true)
        : problem(position, fileBytes, 'zero-length frame', false);
    }
    if (length > MAX_PAYLOAD_BYTES || frameEnd > fileBytes) {
      return problem(position, fileBytes, `frame of ${length} bytes runs past the end`, true);
    }
    if (filled - local < FRAME_HEADER_BYTES + length) {
      if (buffer.length < FRAME_HEADER_BYTES + length) {
        const grown = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
        buffer.copy(grown, 0, local, filled);
        filled -= local;
        bufferStart = position;
        buffer = grown;
      }
      await fill();
      local = position - bufferStart;
    }
    const payloadStart = local + FRAME_HEADER_BYTES;
    const payloadEnd = payloadStart + length;
    if (verifyChecksums && crc32c(buffer, payloadStart, payloadEnd) !== expectedCrc) {
      const unwritten = hasZeroSector(buffer, local, local + FRAME_HEADER_BYTES + length, position);
      return problem(position, fileBytes, 'checksum mismatch', frameEnd === fileBytes, unwritten);
    }
    // Await only what is a promise: an await per frame would cost a microtask turn each.
    const visited = visit(
      buffer.subarray(payloadStart, payloadEnd),
      position,
      wantsFrame ? buffer.subarray(local, payloadEnd) : EMPTY,
    );
    if (visited !== undefined) await visited;
    position = frameEnd;
  }
}

function problem(
  offset: number,
  fileBytes: number,
  reason: string,
  pastEnd: boolean,
  unwritten = false,
): ScanResult {
  return { goodEnd: offset, fileBytes, problem: { offset, reason, pastEnd, unwritten } };
}

/** Whether `data[start, end)`, which sits at file offset `fileOffset`, holds a whole disk sector of zeros. */
function hasZeroSector(data: Buffer, start: number, end: number, fileOffset: number): boolean {
  // Sectors are aligned in the file, not in the frame; the frame's first and last pieces count
  // even when they are shorter than a sector.
  let at = start;
  while (at < end) {
    const sectorEnd = Math.min(end, at + SECTOR_BYTES - ((fileOffset + at - start) % SECTOR_BYTES));
    let zero = true;
    for (let i = at; i < sectorEnd; i++) {
      if (data[i] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero) return true;
    at = sectorEnd;
  }
  return false;
}

/**
 * Where the written data of `[start, end)` ends: the offset just past its last byte that is not
 * zero (`start` when every byte is zero). Reads backwards a chunk at a time, so a segment's
 * preallocated zeros cost a read, not a scan of every byte.
 */
export async function writtenEnd(handle: FileHandle, start: number, end: number): Promise<number> {
  const bytes = Math.min(1024 * 1024, Math.max(0, end - start));
  const chunk = Buffer.allocUnsafe(bytes);
  const zeros = Buffer.alloc(bytes);
  let chunkEnd = end;
  while (chunkEnd > start) {
    const chunkStart = Math.max(start, chunkEnd - chunk.length);
    const length = await handle.read(chunk, 0, chunkEnd - chunkStart, chunkStart);
    if (chunk.subarray(0, length).equals(zeros.subarray(0, length))) {
      chunkEnd = chunkStart;
      continue;
    }
    for (let i = length - 1; i >= 0; i--) if (chunk[i] !== 0) return chunkStart + i + 1;
    chunkEnd = chunkStart;
  }
  return start;
}

/** Reads the whole of a file region into memory. */
export async function readRegion(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(Math.max(0, end - start));
  let done = 0;
  while (done < out.length) {
    const read = await handle.read(out, done, out.length - done, start + done);
    if (read === 0) break;
    done += read;
  }
  return out.subarray(0, done);
}
