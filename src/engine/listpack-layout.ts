// How Redis's listpack.c lays out one element: which integer encoding a canonical integer takes,
// the header of a string, and the back-length after each entry. Shared by the stream type (which
// estimates a node's listpack bytes for stream-node-max-bytes) and DUMP (which writes listpacks
// byte for byte), so the two cannot disagree.

import { parseInt64 } from '../util/numbers.js';

/** The integer encodings, smallest first (lpEncodeIntegerGetType). */
export const ListpackInt = { U7: 0, I13: 1, I16: 2, I24: 3, I32: 4, I64: 5 } as const;
export type ListpackIntKind = (typeof ListpackInt)[keyof typeof ListpackInt];

/** Encoding byte(s) plus data bytes of each integer encoding, indexed by kind. */
const INTEGER_BYTES = [1, 2, 3, 4, 5, 9] as const;

export function listpackIntegerKind(value: bigint): ListpackIntKind {
  if (value >= 0n && value <= 127n) return ListpackInt.U7;
  if (value >= -4096n && value <= 4095n) return ListpackInt.I13;
  if (value >= -32768n && value <= 32767n) return ListpackInt.I16;
  if (value >= -8388608n && value <= 8388607n) return ListpackInt.I24;
  if (value >= -2147483648n && value <= 2147483647n) return ListpackInt.I32;
  return ListpackInt.I64;
}

/** The element as a listpack stores it: a canonical int64 as an integer, else a string. */
export function listpackInteger(text: string): bigint | undefined {
  const value = parseInt64(text);
  return value === undefined ? undefined : BigInt(value);
}

/** Header bytes of a string element of `length` bytes (6-bit, 12-bit or 32-bit length). */
export function listpackStringHeaderBytes(length: number): number {
  return length < 64 ? 1 : length < 4096 ? 2 : 5;
}

/** Bytes of the back-length after an entry of `length` bytes (lpEncodeBacklen). */
export function listpackBackLengthBytes(length: number): number {
  if (length <= 127) return 1;
  if (length < 16383) return 2;
  if (length < 2097151) return 3;
  if (length < 268435455) return 4;
  return 5;
}

/** Bytes of one entry holding the integer `value`, back-length included. */
export function listpackIntegerEntryBytes(value: bigint): number {
  const body = INTEGER_BYTES[listpackIntegerKind(value)];
  return body + listpackBackLengthBytes(body);
}

/** Bytes of one entry holding `text`, back-length included. */
export function listpackEntryBytes(text: string): number {
  const integer = listpackInteger(text);
  if (integer !== undefined) return listpackIntegerEntryBytes(integer);
  const body = listpackStringHeaderBytes(text.length) + text.length;
  return body + listpackBackLengthBytes(body);
}
