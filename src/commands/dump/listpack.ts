// The compact blobs inside RDB values, byte for byte as Redis lays them out: listpacks
// (listpack.c: entry encodings, back-lengths, header), intsets (intset.c), and, for RESTORE
// only, the older ziplists (ziplist.c) and zipmaps (zipmap.c). Elements are latin1 strings.

import {
  listpackBackLengthBytes,
  ListpackInt,
  listpackInteger,
  listpackIntegerKind,
  listpackStringHeaderBytes,
} from '../../engine/listpack-layout.js';
import { BadPayload, ByteReader, ByteWriter, check } from './bytes.js';

const LISTPACK_HEADER_BYTES = 6;
const LISTPACK_EOF = 0xff;
/** A listpack's element count field saturates here (then the elements must be counted). */
const LISTPACK_COUNT_UNKNOWN = 65535;

function writeBackLength(out: ByteWriter, length: number): void {
  const count = listpackBackLengthBytes(length);
  // Most significant 7-bit group first; every byte but the first has its top bit set.
  for (let i = count - 1; i >= 0; i--) {
    const group = Math.floor(length / 2 ** (7 * i)) & 127;
    out.byte(i === count - 1 ? group : group | 128);
  }
}

/** Appends one listpack entry (lpEncodeString / lpEncodeIntegerGetType and the back-length). */
function writeEntry(out: ByteWriter, element: string): void {
  const start = out.length;
  const value = listpackInteger(element);
  if (value !== undefined) {
    switch (listpackIntegerKind(value)) {
      case ListpackInt.U7:
        out.byte(Number(value));
        break;
      case ListpackInt.I13: {
        const unsigned = Number(value < 0n ? (1n << 13n) + value : value);
        out.byte((unsigned >> 8) | 0xc0);
        out.byte(unsigned & 0xff);
        break;
      }
      case ListpackInt.I16: {
        out.byte(0xf1);
        const unsigned = Number(value & 0xffffn);
        out.byte(unsigned & 0xff);
        out.byte(unsigned >> 8);
        break;
      }
      case ListpackInt.I24: {
        out.byte(0xf2);
        const unsigned = Number(value & 0xffffffn);
        out.byte(unsigned & 0xff);
        out.byte((unsigned >> 8) & 0xff);
        out.byte(unsigned >> 16);
        break;
      }
      case ListpackInt.I32:
        out.byte(0xf3);
        out.uint32LE(Number(value & 0xffffffffn));
        break;
      case ListpackInt.I64:
        out.byte(0xf4);
        out.int64LE(value);
        break;
    }
  } else {
    const length = element.length;
    const header = listpackStringHeaderBytes(length);
    if (header === 1) out.byte(0x80 | length);
    else if (header === 2) {
      out.byte((length >> 8) | 0xe0);
      out.byte(length & 0xff);
    } else {
      out.byte(0xf0);
      out.uint32LE(length);
    }
    out.latin1(element);
  }
  writeBackLength(out, out.length - start);
}

/** A listpack holding `elements` in order. */
export function encodeListpack(elements: readonly string[]): Buffer {
  const out = new ByteWriter();
  out.uint32LE(0);
  out.uint16LE(Math.min(elements.length, LISTPACK_COUNT_UNKNOWN));
  for (const element of elements) writeEntry(out, element);
  out.byte(LISTPACK_EOF);
  out.patchUint32LE(0, out.length);
  return Buffer.from(out.view());
}

function signExtend(value: number, bits: number): number {
  const sign = 2 ** (bits - 1);
  return value >= sign ? value - 2 * sign : value;
}

/** The elements of a listpack; BadPayload if it is malformed. */
export function decodeListpack(blob: Buffer): string[] {
  check(blob.length >= LISTPACK_HEADER_BYTES + 1, 'listpack header');
  check(blob.readUInt32LE(0) === blob.length, 'listpack size');
  check(blob[blob.length - 1] === LISTPACK_EOF, 'listpack end');
  const declared = blob.readUInt16LE(4);
  const reader = new ByteReader(blob.subarray(0, blob.length - 1));
  reader.offset = LISTPACK_HEADER_BYTES;
  const elements: string[] = [];
  while (reader.remaining > 0) {
    const start = reader.offset;
    const first = reader.byte();
    let element: string;
    if (first < 0x80) element = String(first);
    else if (first < 0xc0) element = reader.bytes(first & 0x3f).toString('latin1');
    else if (first < 0xe0) element = String(signExtend(((first & 0x1f) << 8) | reader.byte(), 13));
    else if (first < 0xf0) {
      element = reader.bytes(((first & 0x0f) << 8) | reader.byte()).toString('latin1');
    } else if (first === 0xf0) element = reader.bytes(reader.uint32LE()).toString('latin1');
    else if (first === 0xf1) element = String(signExtend(reader.uint16LE(), 16));
    else if (first === 0xf2) {
      const low = reader.uint16LE();
      element = String(signExtend(low + reader.byte() * 65536, 24));
    } else if (first === 0xf3) element = String(signExtend(reader.uint32LE(), 32));
    else if (first === 0xf4) element = reader.bytes(8).readBigInt64LE(0).toString();
    else throw new BadPayload('listpack entry encoding');
    const entryLength = reader.offset - start;
    const backLength = reader.bytes(listpackBackLengthBytes(entryLength));
    let decoded = 0;
    for (let i = 0; i < backLength.length; i++)
      decoded = decoded * 128 + ((backLength[i] as number) & 127);
    check(decoded === entryLength, 'listpack back-length');
    elements.push(element);
  }
  check(declared === LISTPACK_COUNT_UNKNOWN || declared === elements.length, 'listpack count');
  return elements;
}

/** The elements of a ziplist (RDB types 10, 12, 13 and quicklist 1 nodes). */
export function decodeZiplist(blob: Buffer): string[] {
  check(blob.length >= 11, 'ziplist header');
  check(blob.readUInt32LE(0) === blob.length, 'ziplist size');
  check(blob[blob.length - 1] === 0xff, 'ziplist end');
  const declared = blob.readUInt16LE(8);
  const reader = new ByteReader(blob.subarray(0, blob.length - 1));
  reader.offset = 10;
  const elements: string[] = [];
  while (reader.remaining > 0) {
    if (reader.byte() === 0xfe) reader.uint32LE(); // previous entry's length, 5-byte form
    const encoding = reader.byte();
    const kind = encoding >> 6;
    let element: string;
    if (kind === 0) element = reader.bytes(encoding & 0x3f).toString('latin1');
    else if (kind === 1)
      element = reader.bytes(((encoding & 0x3f) << 8) | reader.byte()).toString('latin1');
    else if (kind === 2) {
      check(encoding === 0x80, 'ziplist string encoding');
      element = reader.bytes(reader.uint32BE()).toString('latin1');
    } else if (encoding === 0xc0) element = String(signExtend(reader.uint16LE(), 16));
    else if (encoding === 0xd0) element = String(signExtend(reader.uint32LE(), 32));
    else if (encoding === 0xe0) element = reader.bytes(8).readBigInt64LE(0).toString();
    else if (encoding === 0xf0) {
      const low = reader.uint16LE();
      element = String(signExtend(low + reader.byte() * 65536, 24));
    } else if (encoding === 0xfe) element = String(signExtend(reader.byte(), 8));
    else if (encoding >= 0xf1 && encoding <= 0xfd) element = String((encoding & 0x0f) - 1);
    else throw new BadPayload('ziplist entry encoding');
    elements.push(element);
  }
  check(declared === 65535 || declared === elements.length, 'ziplist count');
  return elements;
}

/** An intset of canonical int64 texts: the narrowest width that holds them all, ascending. */
export function encodeIntset(members: readonly string[]): Buffer {
  const values = members
    .map((member) => BigInt(member))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const value of values) {
    if (value < -2147483648n || value > 2147483647n) width = 8;
    else if ((value < -32768n || value > 32767n) && width < 4) width = 4;
  }
  const out = Buffer.alloc(8 + width * values.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  values.forEach((value, i) => {
    const at = 8 + i * width;
    if (width === 2) out.writeInt16LE(Number(value), at);
    else if (width === 4) out.writeInt32LE(Number(value), at);
    else out.writeBigInt64LE(value, at);
  });
  return out;
}

export function decodeIntset(blob: Buffer): string[] {
  check(blob.length >= 8, 'intset header');
  const width = blob.readUInt32LE(0);
  const count = blob.readUInt32LE(4);
  check(width === 2 || width === 4 || width === 8, 'intset encoding');
  check(blob.length === 8 + width * count, 'intset size');
  const members: string[] = [];
  let previous: bigint | undefined;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const value =
      width === 2
        ? BigInt(blob.readInt16LE(at))
        : width === 4
          ? BigInt(blob.readInt32LE(at))
          : blob.readBigInt64LE(at);
    check(previous === undefined || value > previous, 'intset order');
    previous = value;
    members.push(value.toString());
  }
  return members;
}

/** Field/value pairs of a zipmap (RDB type 9, Redis before 2.6). */
export function decodeZipmap(blob: Buffer): string[] {
  const reader = new ByteReader(blob);
  reader.byte(); // element count hint
  const pairs: string[] = [];
  const length = (): number => {
    const first = reader.byte();
    return first < 254 ? first : first === 254 ? reader.uint32LE() : -1;
  };
  for (;;) {
    const fieldLength = length();
    if (fieldLength < 0) break;
    const field = reader.bytes(fieldLength).toString('latin1');
    const valueLength = length();
    check(valueLength >= 0, 'zipmap value');
    const free = reader.byte();
    pairs.push(field, reader.bytes(valueLength).toString('latin1'));
    reader.bytes(free);
  }
  check(reader.remaining === 0, 'zipmap end');
  return pairs;
}
