// DUMP's serialization, as Redis 7.0 writes it (rdb.c rdbSaveObject, cluster.c
// createDumpPayload): the RDB type byte, the value in RDB encoding, the RDB version (10) as two
// little-endian bytes and the CRC-64 of everything before. Shoal keeps no quicklist nodes, no
// intset width history and no hash-table order, so where those decide Redis's bytes this writes
// what Redis writes for the same value built fresh: a list as RPUSH would split it into listpack
// nodes, an intset in its narrowest width, hash-table sets and hashes in insertion order.

import type { EncodingLimits } from '../../engine/encoding-limits.js';
import { HashEncoding, HashValue } from '../../engine/types/hash.js';
import { ListValue } from '../../engine/types/list.js';
import { LISTPACK_HEADER_BYTES, listpackEntryBytes } from '../../engine/types/list-encoding.js';
import { SetEncoding } from '../../engine/types/set-encoding.js';
import { SetValue } from '../../engine/types/set.js';
import { SortedSetValue } from '../../engine/types/zset.js';
import type { Value } from '../../engine/values.js';
import { parseInt64 } from '../../util/numbers.js';
import { ByteWriter } from './bytes.js';
import { crc64 } from './crc64.js';
import { encodeIntset, encodeListpack } from './listpack.js';
import { lzfCompress } from './lzf.js';

/** RDB_VERSION of Redis 7.0: the version DUMP writes and the newest RESTORE accepts. */
export const RDB_VERSION = 10;

/** RDB value type bytes (rdb.h), append-only as in Redis. */
export const RdbType = {
  String: 0,
  List: 1,
  Set: 2,
  Zset: 3,
  Hash: 4,
  Zset2: 5,
  HashZipmap: 9,
  ListZiplist: 10,
  SetIntset: 11,
  ZsetZiplist: 12,
  HashZiplist: 13,
  ListQuicklist: 14,
  StreamListpacks: 15,
  HashListpack: 16,
  ZsetListpack: 17,
  ListQuicklist2: 18,
  StreamListpacks2: 19,
} as const;

/** Quicklist node containers (quicklist.h). */
export const QUICKLIST_NODE_PLAIN = 1;
export const QUICKLIST_NODE_PACKED = 2;

const INT8_MARKER = 0xc0;
const INT16_MARKER = 0xc1;
const INT32_MARKER = 0xc2;
const LZF_MARKER = 0xc3;

/** A value DUMP cannot serialize yet (streams). */
export class UnsupportedDump extends Error {
  override name = 'UnsupportedDump';
}

export interface DumpOptions {
  limits: EncodingLimits;
  /** rdbcompression: LZF for strings over 20 bytes that shrink. */
  compression: boolean;
}

/** rdbSaveLen. */
export function writeLength(out: ByteWriter, length: number): void {
  if (length < 64) out.byte(length);
  else if (length < 16384) {
    out.byte((length >> 8) | 0x40);
    out.byte(length & 0xff);
  } else if (length <= 0xffffffff) {
    out.byte(0x80);
    out.uint32BE(length);
  } else {
    out.byte(0x81);
    out.uint64BE(BigInt(length));
  }
}

/** rdbEncodeInteger: an int32 in the smallest of INT8/16/32; false if it does not fit. */
function writeEncodedInteger(out: ByteWriter, value: number): boolean {
  if (value >= -128 && value <= 127) {
    out.byte(INT8_MARKER);
    out.byte(value & 0xff);
  } else if (value >= -32768 && value <= 32767) {
    out.byte(INT16_MARKER);
    out.uint16LE(value & 0xffff);
  } else if (value >= -2147483648 && value <= 2147483647) {
    out.byte(INT32_MARKER);
    out.uint32LE(value >>> 0);
  } else {
    return false;
  }
  return true;
}

/** rdbSaveRawString: integer form for short canonical integers, LZF past 20 bytes, else raw. */
export function writeString(out: ByteWriter, text: string, compression: boolean): void {
  const length = text.length;
  if (length <= 11) {
    const integer = parseInt64(text);
    if (typeof integer === 'number' && writeEncodedInteger(out, integer)) return;
  }
  if (compression && length > 20) {
    const raw = Buffer.from(text, 'latin1');
    if (writeCompressed(out, raw)) return;
    writeLength(out, length);
    out.bytes(raw);
    return;
  }
  writeLength(out, length);
  out.latin1(text);
}

/** rdbSaveRawString of a blob (listpack, intset): LZF past 20 bytes when it shrinks. */
function writeBlob(out: ByteWriter, blob: Buffer, compression: boolean): void {
  if (compression && blob.length > 20 && writeCompressed(out, blob)) return;
  writeLength(out, blob.length);
  out.bytes(blob);
}

/** rdbSaveLzfStringObject: compressed into at most length - 4 bytes, or not at all. */
function writeCompressed(out: ByteWriter, raw: Buffer): boolean {
  if (raw.length <= 4) return false;
  const compressed = lzfCompress(raw, raw.length - 4);
  if (compressed === undefined) return false;
  out.byte(LZF_MARKER);
  writeLength(out, compressed.length);
  writeLength(out, raw.length);
  out.bytes(compressed);
  return true;
}

/** A string value: an int-encoded value is saved as Redis saves OBJ_ENCODING_INT. */
function writeStringValue(out: ByteWriter, value: string | number, compression: boolean): void {
  if (typeof value === 'number' && writeEncodedInteger(out, value)) return;
  writeString(out, typeof value === 'number' ? String(value) : value, compression);
}

/**
 * A list as Redis 7.0's quicklist holds it after RPUSH of its elements in order: a new listpack
 * node when the tail's bytes plus the element plus 8 would pass list-max-listpack-size
 * (_quicklistNodeAllowInsert), saved as QUICKLIST_2 with PACKED nodes.
 */
function writeList(out: ByteWriter, list: ListValue, options: DumpOptions): void {
  const fill = Math.max(-5, options.limits.listMaxListpackSize);
  const sizeLimits = [4096, 8192, 16384, 32768, 65536];
  const nodes: string[][] = [];
  let node: string[] = [];
  let nodeBytes = LISTPACK_HEADER_BYTES;
  for (let i = 0; i < list.length; i++) {
    const element = list.at(i);
    const estimate = nodeBytes + element.length + 8;
    const fits =
      node.length > 0 &&
      (fill < 0
        ? estimate <= (sizeLimits[-fill - 1] as number)
        : estimate <= 8192 && node.length < fill);
    if (!fits && node.length > 0) {
      nodes.push(node);
      node = [];
      nodeBytes = LISTPACK_HEADER_BYTES;
    }
    node.push(element);
    nodeBytes += listpackEntryBytes(element);
  }
  if (node.length > 0) nodes.push(node);
  writeLength(out, nodes.length);
  for (const elements of nodes) {
    writeLength(out, QUICKLIST_NODE_PACKED);
    writeBlob(out, encodeListpack(elements), options.compression);
  }
}

function writeSet(out: ByteWriter, set: SetValue, options: DumpOptions): number {
  if (set.encodingCode === SetEncoding.Intset) {
    writeBlob(out, encodeIntset([...set.values()]), options.compression);
    return RdbType.SetIntset;
  }
  // Redis 7.0 has no listpack sets: small sets of strings are hash tables there.
  writeLength(out, set.size);
  for (const member of set.values()) writeString(out, member, options.compression);
  return RdbType.Set;
}

function writeHash(out: ByteWriter, hash: HashValue, options: DumpOptions): number {
  if (hash.encodingCode === HashEncoding.Listpack) {
    const flat: string[] = [];
    for (const [field, value] of hash.entries()) flat.push(field, value);
    writeBlob(out, encodeListpack(flat), options.compression);
    return RdbType.HashListpack;
  }
  writeLength(out, hash.size);
  for (const [field, value] of hash.entries()) {
    writeString(out, field, options.compression);
    writeString(out, value, options.compression);
  }
  return RdbType.Hash;
}

function writeSortedSet(out: ByteWriter, zset: SortedSetValue, options: DumpOptions): number {
  if (zset.compact) {
    const flat: string[] = [];
    zset.forEach((score, member) => {
      flat.push(member, scoreText(score));
    });
    writeBlob(out, encodeListpack(flat), options.compression);
    return RdbType.ZsetListpack;
  }
  // ZSET_2 lists the skiplist from the greatest element down, with binary doubles.
  writeLength(out, zset.size);
  zset.index.forEachReverse(0, zset.size, (score, member) => {
    writeString(out, member, options.compression);
    out.doubleLE(score);
  });
  return RdbType.Zset2;
}

/** (double)(LLONG_MAX / 2): Redis 7.0's double2ll keeps scores within it as integers. */
const INTEGER_SCORE_MAX = 4611686018427387904;

/**
 * A score as Redis 7.0's zzlInsertAt stores it in a listpack: an integral score within
 * ±LLONG_MAX/2 as an integer (double2ll; -0 too), anything else as d2string's printf("%.17g").
 */
export function scoreText(score: number): string {
  if (Number.isNaN(score)) return 'nan';
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  if (score === 0) return '0';
  if (score >= -INTEGER_SCORE_MAX && score <= INTEGER_SCORE_MAX && Number.isInteger(score)) {
    // Integral doubles below 1e21 print every digit.
    return BigInt(score).toString();
  }
  return formatG17(score);
}

/**
 * `d` to 17 significant digits as glibc rounds: an exact tie (the double's decimal expansion ends
 * with a 5 right after the 17th digit) goes to the even digit, where toExponential rounds up.
 */
function exponential17(d: number): string {
  const rounded = d.toExponential(16);
  // A tie needs an expansion of 18 significant digits, so 101 digits hold it exactly.
  const precise = Math.abs(d).toExponential(100);
  const marker = precise.indexOf('e');
  const digits = precise.slice(0, marker).replace('.', '');
  const tie = digits[17] === '5' && /^0*$/.test(digits.slice(18));
  if (!tie || Number(digits[16]) % 2 === 1) return rounded;
  return `${d < 0 ? '-' : ''}${digits[0]}.${digits.slice(1, 17)}${precise.slice(marker)}`;
}

/** C's printf("%.17g", d) for a finite, non-zero double. */
export function formatG17(d: number): string {
  const exponential = exponential17(d); // 17 significant digits, rounded as glibc does
  const marker = exponential.indexOf('e');
  const exponent = Number(exponential.slice(marker + 1));
  const negative = d < 0;
  const digits = exponential.slice(negative ? 1 : 0, marker).replace('.', '');
  const stripZeros = (text: string): string =>
    text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  let text: string;
  if (exponent < -4 || exponent >= 17) {
    const mantissa = stripZeros(digits[0] + '.' + digits.slice(1));
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    text = `${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  } else if (exponent >= 0) {
    text = stripZeros(digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1));
  } else {
    text = stripZeros('0.' + '0'.repeat(-exponent - 1) + digits);
  }
  return negative ? '-' + text : text;
}

/** The DUMP payload of `value`. Throws UnsupportedDump for a stream. */
export function dumpPayload(value: Value, options: DumpOptions): Buffer {
  const out = new ByteWriter();
  out.byte(0); // the type byte, patched below once the encoding is chosen
  let type: number;
  if (typeof value !== 'object') {
    writeStringValue(out, value, options.compression);
    type = RdbType.String;
  } else if (value instanceof ListValue) {
    writeList(out, value, options);
    type = RdbType.ListQuicklist2;
  } else if (value instanceof SetValue) {
    type = writeSet(out, value, options);
  } else if (value instanceof HashValue) {
    type = writeHash(out, value, options);
  } else if (value instanceof SortedSetValue) {
    type = writeSortedSet(out, value, options);
  } else {
    throw new UnsupportedDump(`DUMP of a ${value.type} is not supported`);
  }
  const payload = out.view();
  payload[0] = type;
  out.uint16LE(RDB_VERSION);
  out.bytes(crc64(out.view()));
  return Buffer.from(out.view());
}
