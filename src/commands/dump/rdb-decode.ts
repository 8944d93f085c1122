// RESTORE's side of DUMP: checks a payload's footer (RDB version at most 10, CRC-64) and reads
// the value in any RDB encoding Redis 7.0 loads for strings, lists, sets, hashes and sorted sets:
// types 0-5 (plain), 9 (zipmap), 10/12/13 (ziplists), 11 (intset), 14 (quicklist of ziplists),
// 16/17 (listpacks) and 18 (quicklist of listpacks). Streams (15, 19) and modules (6, 7) are
// refused. Every malformed input is a BadPayload, never a crash; duplicates, NaN scores and
// empty collections are refused as Redis refuses them.

import { parseDouble } from '../../util/numbers.js';
import { BadPayload, ByteReader, check } from './bytes.js';
import { crc64 } from './crc64.js';
import { decodeIntset, decodeListpack, decodeZiplist, decodeZipmap } from './listpack.js';
import { lzfDecompress } from './lzf.js';
import { QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RDB_VERSION, RdbType } from './rdb-encode.js';

export type DecodedValue =
  | { type: 'string'; value: string }
  | { type: 'list'; elements: string[] }
  | { type: 'set'; members: string[]; fromIntset: boolean }
  | { type: 'hash'; pairs: string[] }
  | { type: 'zset'; scores: number[]; members: string[] };

const FOOTER_BYTES = 10;

/** verifyDumpPayload: at least the footer, a version Redis 7.0 knows, a matching CRC-64. */
export function verifyPayload(payload: Buffer): boolean {
  if (payload.length < FOOTER_BYTES) return false;
  const footer = payload.length - FOOTER_BYTES;
  if (payload.readUInt16LE(footer) > RDB_VERSION) return false;
  return crc64(payload, 0, payload.length - 8).equals(payload.subarray(payload.length - 8));
}

/** rdbLoadLen: a length, or a special encoding marker (`special` true, value 0..3). */
function readLengthOrSpecial(reader: ByteReader): { value: number; special: boolean } {
  const first = reader.byte();
  const kind = first >> 6;
  if (kind === 0) return { value: first & 0x3f, special: false };
  if (kind === 1) return { value: ((first & 0x3f) << 8) | reader.byte(), special: false };
  if (kind === 3) return { value: first & 0x3f, special: true };
  if (first === 0x80) return { value: reader.uint32BE(), special: false };
  if (first === 0x81) {
    const value = reader.uint64BE();
    check(value <= BigInt(Number.MAX_SAFE_INTEGER), 'length');
    return { value: Number(value), special: false };
  }
  throw new BadPayload('length encoding');
}

function readLength(reader: ByteReader): number {
  const { value, special } = readLengthOrSpecial(reader);
  check(!special, 'a length, not an encoded string');
  return value;
}

/** rdbGenericLoadStringObject: raw, INT8/16/32 or LZF; the bytes as a latin1 string. */
function readBytes(reader: ByteReader): Buffer {
  const { value, special } = readLengthOrSpecial(reader);
  if (!special) return reader.bytes(value);
  if (value === 0) return Buffer.from(String(reader.bytes(1).readInt8(0)), 'latin1');
  if (value === 1) return Buffer.from(String(reader.bytes(2).readInt16LE(0)), 'latin1');
  if (value === 2) return Buffer.from(String(reader.bytes(4).readInt32LE(0)), 'latin1');
  check(value === 3, 'string encoding');
  const compressedLength = readLength(reader);
  const length = readLength(reader);
  check(length > 0, 'LZF length');
  const data = lzfDecompress(reader.bytes(compressedLength), length);
  check(data !== undefined, 'LZF data');
  return data;
}

function readString(reader: ByteReader): string {
  return readBytes(reader).toString('latin1');
}

/** rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte and text, or 253/254/255 for nan/inf/-inf. */
function readTextDouble(reader: ByteReader): number {
  const length = reader.byte();
  if (length === 253) return NaN;
  if (length === 254) return Infinity;
  if (length === 255) return -Infinity;
  const value = parseDouble(reader.bytes(length).toString('latin1'));
  check(value !== undefined, 'double text');
  return value;
}

function distinct(items: readonly string[], what: string): void {
  check(new Set(items).size === items.length, `duplicate ${what}`);
}

function pairsFrom(elements: string[]): string[] {
  check(elements.length % 2 === 0 && elements.length > 0, 'field/value pairs');
  const fields: string[] = [];
  for (let i = 0; i < elements.length; i += 2) fields.push(elements[i] as string);
  distinct(fields, 'hash fields');
  return elements;
}

function sortedSet(scores: number[], members: string[]): DecodedValue {
  check(members.length > 0, 'empty sorted set');
  for (const score of scores) check(!Number.isNaN(score), 'NaN score');
  distinct(members, 'sorted set members');
  return { type: 'zset', scores, members };
}

function sortedSetFromFlat(elements: string[]): DecodedValue {
  check(elements.length % 2 === 0, 'member/score pairs');
  const scores: number[] = [];
  const members: string[] = [];
  for (let i = 0; i < elements.length; i += 2) {
    members.push(elements[i] as string);
    const score = parseDouble(elements[i + 1] as string);
    check(score !== undefined, 'score text');
    scores.push(score);
  }
  return sortedSet(scores, members);
}

function list(elements: string[]): DecodedValue {
  check(elements.length > 0, 'empty list');
  return { type: 'list', elements };
}

function set(members: string[], fromIntset: boolean): DecodedValue {
  check(members.length > 0, 'empty set');
  distinct(members, 'set members');
  return { type: 'set', members, fromIntset };
}

function readCount(reader: ByteReader, itemBytes: number): number {
  const count = readLength(reader);
  // Each item takes at least `itemBytes`: a count the payload cannot hold is refused up front.
  check(count * itemBytes <= reader.remaining, 'count within the payload');
  return count;
}

/** The value of a payload whose footer was verified; BadPayload if it cannot be read. */
export function decodePayload(payload: Buffer): DecodedValue {
  // The whole payload, footer included: Redis's reader is not bounded by the footer either, so a
  // value whose lengths run into it loads the footer's bytes as Redis does.
  const reader = new ByteReader(payload);
  const type = reader.byte();
  switch (type) {
    case RdbType.String:
      return { type: 'string', value: readString(reader) };
    case RdbType.List: {
      const count = readCount(reader, 1);
      const elements: string[] = [];
      for (let i = 0; i < count; i++) elements.push(readString(reader));
      return list(elements);
    }
    case RdbType.Set: {
      const count = readCount(reader, 1);
      const members: string[] = [];
      for (let i = 0; i < count; i++) members.push(readString(reader));
      return set(members, false);
    }
    case RdbType.Zset:
    case RdbType.Zset2: {
      const count = readCount(reader, 2);
      const scores: number[] = [];
      const members: string[] = [];
      for (let i = 0; i < count; i++) {
        members.push(readString(reader));
        scores.push(type === RdbType.Zset2 ? reader.doubleLE() : readTextDouble(reader));
      }
      return sortedSet(scores, members);
    }
    case RdbType.Hash: {
      const count = readCount(reader, 2);
      const pairs: string[] = [];
      for (let i = 0; i < count; i++) pairs.push(readString(reader), readString(reader));
      return { type: 'hash', pairs: pairsFrom(pairs) };
    }
    case RdbType.HashZipmap:
      return { type: 'hash', pairs: pairsFrom(decodeZipmap(readBytes(reader))) };
    case RdbType.ListZiplist:
      return list(decodeZiplist(readBytes(reader)));
    case RdbType.SetIntset:
      return set(decodeIntset(readBytes(reader)), true);
    case RdbType.ZsetZiplist:
      return sortedSetFromFlat(decodeZiplist(readBytes(reader)));
    case RdbType.HashZiplist:
      return { type: 'hash', pairs: pairsFrom(decodeZiplist(readBytes(reader))) };
    case RdbType.HashListpack:
      return { type: 'hash', pairs: pairsFrom(decodeListpack(readBytes(reader))) };
    case RdbType.ZsetListpack:
      return sortedSetFromFlat(decodeListpack(readBytes(reader)));
    case RdbType.ListQuicklist:
    case RdbType.ListQuicklist2: {
      const nodes = readCount(reader, 1);
      const elements: string[] = [];
      for (let i = 0; i < nodes; i++) {
        let container = QUICKLIST_NODE_PACKED;
        if (type === RdbType.ListQuicklist2) {
          container = readLength(reader);
          check(container === QUICKLIST_NODE_PACKED || container === QUICKLIST_NODE_PLAIN, 'node');
        }
        const blob = readBytes(reader);
        if (container === QUICKLIST_NODE_PLAIN) {
          elements.push(blob.toString('latin1'));
          continue;
        }
        // An empty node adds nothing (Redis skips it).
        const node = type === RdbType.ListQuicklist ? decodeZiplist(blob) : decodeListpack(blob);
        for (const element of node) elements.push(element);
      }
      return list(elements);
    }
    default:
      throw new BadPayload(`RDB type ${type} is not loaded`);
  }
}
