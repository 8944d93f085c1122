// Bitmap commands (bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO.
// A bitmap is a string value (latin1, one char per byte, bit 0 the most significant bit of the
// first byte). Writes are effects: SETBIT and BITFIELD emit Op.SetRange of the bytes they change
// (the applier pads a string it grows with zero bytes), BITOP emits Op.Set or Op.Delete.

import { constants as bufferConstants } from 'node:buffer';
import { ExpireNone, Op } from '../../engine/effects.js';
import { stringText } from '../../engine/values.js';
import { normalizeInteger, parseInt64 } from '../../util/numbers.js';
import { int64Arg, isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { command, type CommandDefinition, oneKey } from '../spec.js';

const BIT_OFFSET_ERROR = 'ERR bit offset is not an integer or out of range';
const BIT_VALUE_ERROR = 'ERR bit is not an integer or out of range';
const BITFIELD_TYPE_ERROR =
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] as number);

/**
 * A bit offset as Redis's getBitOffsetFromArgument reads it: a non-negative int64 whose byte is
 * below proto-max-bulk-len. With `fieldBits` (BITFIELD), "#N" means N × fieldBits, multiplied in
 * int64 arithmetic that wraps as Redis's does. An offset beyond 2^53 comes back inexact, which
 * only matters for reads (past any string's end) and writes refuse it (checkGrowth).
 */
function bitOffsetArg(ctx: CommandContext, arg: string, fieldBits = 0): number {
  const hash = fieldBits > 0 && arg.charCodeAt(0) === 35; // '#'
  const parsed = parseInt64(hash ? arg.slice(1) : arg);
  if (parsed === undefined) fail(BIT_OFFSET_ERROR);
  let offset: number | bigint = parsed;
  if (hash) {
    const product = Number(parsed) * fieldBits;
    offset = Number.isSafeInteger(product)
      ? product
      : BigInt.asIntN(64, BigInt(parsed) * BigInt(fieldBits));
  }
  const protoMaxBulkLength = ctx.config.getNumber('proto-max-bulk-len');
  if (offset < 0 || Math.floor(Number(offset) / 8) >= protoMaxBulkLength) fail(BIT_OFFSET_ERROR);
  return Number(offset);
}

/**
 * Fails unless a write may make the string `length` bytes long: V8's string limit
 * (536,870,888 bytes) is below Redis's default proto-max-bulk-len, which Redis checks alone.
 */
function checkGrowth(length: number): void {
  if (length > bufferConstants.MAX_STRING_LENGTH) fail(BIT_OFFSET_ERROR);
}

function setbit(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const offset = bitOffsetArg(ctx, argv[2] as string);
  const on = parseInt64(argv[3] as string);
  if (on !== 0 && on !== 1) fail(BIT_VALUE_ERROR);
  const current = ctx.lookupString(key);
  const text = current === undefined ? '' : stringText(current);
  const byteIndex = Math.floor(offset / 8);
  checkGrowth(byteIndex + 1);
  const mask = 0x80 >> (offset & 7);
  const byte = byteIndex < text.length ? text.charCodeAt(byteIndex) : 0;
  const wasSet = (byte & mask) !== 0;
  // As Redis: nothing happens (no write, no event) unless the bit changes or the string grows.
  if (byteIndex >= text.length || wasSet !== (on === 1)) {
    const next = on === 1 ? byte | mask : byte & ~mask;
    ctx.emit([Op.SetRange, ctx.client.db, key, byteIndex, String.fromCharCode(next)]);
    ctx.notify(EventClass.string, 'setbit', key);
  }
  ctx.reply.int(wasSet ? 1 : 0);
}

function getbit(ctx: CommandContext, argv: string[]): void {
  const offset = bitOffsetArg(ctx, argv[2] as string);
  const value = ctx.lookupString(argv[1] as string);
  if (value === undefined) return ctx.reply.int(0);
  const text = stringText(value);
  const byteIndex = Math.floor(offset / 8);
  const byte = byteIndex < text.length ? text.charCodeAt(byteIndex) : 0;
  ctx.reply.int((byte & (0x80 >> (offset & 7))) !== 0 ? 1 : 0);
}

/**
 * A start or end index (int64, number or bigint) resolved against `total` as Redis does:
 * negative counts from the end, then clamped at 0. Values beyond 2^53 stay beyond any length.
 */
function resolveIndex(index: number | bigint, total: number): number {
  if (typeof index === 'bigint') return index < 0n ? 0 : Number.MAX_SAFE_INTEGER;
  const resolved = index < 0 ? total + index : index;
  return resolved < 0 ? 0 : resolved;
}

/** BIT or BYTE (the range unit of BITCOUNT and BITPOS). */
function isBitUnit(arg: string): boolean {
  if (isWord(arg, 'BIT')) return true;
  if (isWord(arg, 'BYTE')) return false;
  fail(Errors.syntax);
}

function popcount(text: string, startByte: number, endByte: number): number {
  let count = 0;
  for (let i = startByte; i <= endByte; i++) count += POPCOUNT[text.charCodeAt(i)] as number;
  return count;
}

function bitcount(ctx: CommandContext, argv: string[]): void {
  // Redis 7.0 looks the key up before reading the range: a missing key is 0 whatever follows.
  const value = ctx.lookupString(argv[1] as string);
  if (value === undefined) return ctx.reply.int(0);
  const text = stringText(value);
  if (argv.length === 2) return ctx.reply.int(popcount(text, 0, text.length - 1));
  if (argv.length !== 4 && argv.length !== 5) fail(Errors.syntax);
  const rawStart = int64Arg(argv[2]);
  const rawEnd = int64Arg(argv[3]);
  if (rawStart < 0 && rawEnd < 0 && rawStart > rawEnd) return ctx.reply.int(0);
  const bitUnit = argv.length === 5 && isBitUnit(argv[4] as string);
  const total = bitUnit ? text.length * 8 : text.length;
  const start = resolveIndex(rawStart, total);
  const end = Math.min(resolveIndex(rawEnd, total), total - 1);
  if (start > end) return ctx.reply.int(0);
  if (!bitUnit) return ctx.reply.int(popcount(text, start, end));
  const startByte = Math.floor(start / 8);
  const endByte = Math.floor(end / 8);
  let count = popcount(text, startByte, endByte);
  // Bits of the edge bytes outside the range.
  const before = text.charCodeAt(startByte) & ~(0xff >> (start & 7)) & 0xff;
  const after = text.charCodeAt(endByte) & (0xff >> ((end & 7) + 1));
  count -= (POPCOUNT[before] as number) + (POPCOUNT[after] as number);
  ctx.reply.int(count);
}

/** The first bit equal to `bit` in [startBit, endBit] of `text`, or -1. */
function findBit(text: string, startBit: number, endBit: number, bit: 0 | 1): number {
  let i = startBit;
  const bitAt = (at: number) => (text.charCodeAt(at >> 3) >> (7 - (at & 7))) & 1;
  for (; i <= endBit && (i & 7) !== 0; i++) if (bitAt(i) === bit) return i;
  const uninteresting = bit === 1 ? 0x00 : 0xff;
  for (; i + 7 <= endBit; i += 8) {
    const byte = text.charCodeAt(i >> 3);
    if (byte !== uninteresting) {
      const bits = bit === 1 ? byte : ~byte & 0xff;
      return i + Math.clz32(bits) - 24;
    }
  }
  for (; i <= endBit; i++) if (bitAt(i) === bit) return i;
  return -1;
}

function bitpos(ctx: CommandContext, argv: string[]): void {
  const parsedBit = int64Arg(argv[2]);
  if (parsedBit !== 0 && parsedBit !== 1) fail('ERR The bit argument must be 1 or 0.');
  const bit = parsedBit;
  // A missing key is an endless run of 0 bits (its range arguments are not even read).
  const value = ctx.lookupString(argv[1] as string);
  if (value === undefined) return ctx.reply.int(bit === 1 ? -1 : 0);
  const text = stringText(value);
  if (argv.length > 6) fail(Errors.syntax);
  let startBit = 0;
  let endBit = text.length * 8 - 1;
  let endGiven = false;
  if (argv.length >= 4) {
    const rawStart = int64Arg(argv[3]);
    const bitUnit = argv.length === 6 && isBitUnit(argv[5] as string);
    endGiven = argv.length >= 5;
    const total = bitUnit ? text.length * 8 : text.length;
    const rawEnd = endGiven ? int64Arg(argv[4]) : total - 1;
    const start = resolveIndex(rawStart, total);
    const end = Math.min(resolveIndex(rawEnd, total), total - 1);
    if (start > end) return ctx.reply.int(-1);
    startBit = bitUnit ? start : start * 8;
    endBit = bitUnit ? end : end * 8 + 7;
  }
  if (startBit > endBit) return ctx.reply.int(-1);
  const found = findBit(text, startBit, endBit, bit);
  if (found >= 0 || bit === 1 || endGiven) return ctx.reply.int(found);
  // Looking for a 0 with no end given: the string reads as padded with zeros on the right.
  ctx.reply.int(endBit + 1);
}

const BitOperation = { and: 0, or: 1, xor: 2, not: 3 } as const;

function bitop(ctx: CommandContext, argv: string[]): void {
  const name = (argv[1] as string).toLowerCase();
  const operation = (BitOperation as Record<string, number>)[name];
  if (operation === undefined || !Object.hasOwn(BitOperation, name)) fail(Errors.syntax);
  if (operation === BitOperation.not && argv.length !== 4) {
    fail('ERR BITOP NOT must be called with a single source key.');
  }
  const destination = argv[2] as string;
  const sources: Buffer[] = [];
  let longest = 0;
  for (let i = 3; i < argv.length; i++) {
    const value = ctx.lookupString(argv[i] as string);
    const source = Buffer.from(value === undefined ? '' : stringText(value), 'latin1');
    sources.push(source);
    if (source.length > longest) longest = source.length;
  }
  const db = ctx.client.db;
  if (longest === 0) {
    // An empty result deletes the destination (expired or not, as Redis's dbDelete).
    if (ctx.db.has(destination)) {
      ctx.emit([Op.Delete, db, destination]);
      ctx.notify(EventClass.generic, 'del', destination);
    }
    return ctx.reply.int(0);
  }
  const result = combine(operation, sources, longest);
  ctx.lookup(destination); // as Redis's setKey: an expired destination expires first
  ctx.emit([Op.Set, db, destination, result.toString('latin1'), ExpireNone]);
  ctx.notify(EventClass.string, 'set', destination);
  ctx.reply.int(longest);
}

/** BITOP's result over `length` bytes; a shorter source reads as padded with zero bytes. */
function combine(operation: number, sources: Buffer[], length: number): Buffer {
  const first = sources[0] as Buffer;
  const result = Buffer.alloc(length);
  first.copy(result);
  if (operation === BitOperation.not) {
    for (let i = 0; i < length; i++) result[i] = ~(result[i] as number) & 0xff;
    return result;
  }
  for (let s = 1; s < sources.length; s++) {
    const source = sources[s] as Buffer;
    if (operation === BitOperation.and) {
      for (let i = 0; i < length; i++) {
        result[i] = (result[i] as number) & (i < source.length ? (source[i] as number) : 0);
      }
    } else if (operation === BitOperation.or) {
      for (let i = 0; i < source.length; i++)
        result[i] = (result[i] as number) | (source[i] as number);
    } else {
      for (let i = 0; i < source.length; i++)
        result[i] = (result[i] as number) ^ (source[i] as number);
    }
  }
  return result;
}

const Overflow = { wrap: 0, sat: 1, fail: 2 } as const;
const FieldOp = { get: 0, set: 1, incrby: 2 } as const;

interface FieldOperation {
  op: number;
  signed: boolean;
  bits: number;
  offset: number;
  /** SET's value or INCRBY's increment (int64). */
  argument: bigint;
  overflow: number;
}

/** A bitfield type, "i1".."i64" or "u1".."u63" (the sign letter in lower case only). */
function fieldTypeArg(arg: string): { signed: boolean; bits: number } {
  const sign = arg.charCodeAt(0);
  if (sign !== 105 && sign !== 117) fail(BITFIELD_TYPE_ERROR); // 'i', 'u'
  const signed = sign === 105;
  // Redis reads the width as a C string: it ends at a zero byte.
  const zero = arg.indexOf('\0');
  const bits = parseInt64(arg.slice(1, zero < 0 ? undefined : zero));
  if (typeof bits !== 'number' || bits < 1 || bits > (signed ? 64 : 63)) fail(BITFIELD_TYPE_ERROR);
  return { signed, bits };
}

/** Parses BITFIELD's operations, with Redis's errors in Redis's order. */
function parseFieldOperations(ctx: CommandContext, argv: string[]): FieldOperation[] {
  const operations: FieldOperation[] = [];
  let overflow: number = Overflow.wrap;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const word = argv[j] as string;
    let op: number;
    if (isWord(word, 'GET') && remaining >= 2) op = FieldOp.get;
    else if (isWord(word, 'SET') && remaining >= 3) op = FieldOp.set;
    else if (isWord(word, 'INCRBY') && remaining >= 3) op = FieldOp.incrby;
    else if (isWord(word, 'OVERFLOW') && remaining >= 1) {
      const kind = (argv[++j] as string).toLowerCase();
      const chosen = (Overflow as Record<string, number>)[kind];
      if (chosen === undefined || !Object.hasOwn(Overflow, kind)) {
        fail('ERR Invalid OVERFLOW type specified');
      }
      overflow = chosen;
      continue;
    } else fail(Errors.syntax);
    const { signed, bits } = fieldTypeArg(argv[j + 1] as string);
    const offset = bitOffsetArg(ctx, argv[j + 2] as string, bits);
    const argument = op === FieldOp.get ? 0n : BigInt(int64Arg(argv[j + 3]));
    operations.push({ op, signed, bits, offset, argument, overflow });
    j += op === FieldOp.get ? 2 : 3;
  }
  return operations;
}

/**
 * The bytes a BITFIELD may change, [start, start + bytes.length), copied from the string (zero
 * beyond its end); reads outside them see the string as it is.
 */
class ByteWindow {
  constructor(
    private readonly text: string,
    readonly start: number,
    readonly bytes: Uint8Array,
  ) {
    for (let i = 0; i < bytes.length && start + i < text.length; i++) {
      bytes[i] = text.charCodeAt(start + i);
    }
  }

  byteAt(index: number): number {
    const inside = index - this.start;
    if (inside >= 0 && inside < this.bytes.length) return this.bytes[inside] as number;
    return index < this.text.length ? this.text.charCodeAt(index) : 0;
  }

  /** The field's bits as an unsigned integer. */
  read(offset: number, bits: number): bigint {
    const first = Math.floor(offset / 8);
    const last = Math.floor((offset + bits - 1) / 8);
    let value = 0n;
    for (let i = first; i <= last; i++) value = (value << 8n) | BigInt(this.byteAt(i));
    return BigInt.asUintN(bits, value >> BigInt((last + 1) * 8 - offset - bits));
  }

  /** Writes the low `bits` of `value` (inside the window). */
  write(offset: number, bits: number, value: bigint): void {
    const first = Math.floor(offset / 8);
    const last = Math.floor((offset + bits - 1) / 8);
    const shift = BigInt((last + 1) * 8 - offset - bits);
    let span = this.read(first * 8, (last - first + 1) * 8);
    const mask = ((1n << BigInt(bits)) - 1n) << shift;
    span = (span & ~mask) | (BigInt.asUintN(bits, value) << shift);
    for (let i = last; i >= first; i--) {
      this.bytes[i - this.start] = Number(span & 0xffn);
      span >>= 8n;
    }
  }
}

/** Redis's checkUnsignedBitfieldOverflow: whether it overflows, and the value to store instead. */
function unsignedOverflow(value: bigint, increment: bigint, bits: number, mode: number) {
  const max = (1n << BigInt(bits)) - 1n;
  const maxIncrement = BigInt.asIntN(64, max - value);
  const minIncrement = BigInt.asIntN(64, -value);
  const wrapped = BigInt.asUintN(bits, value + increment);
  if (value > max || (increment > 0n && increment > maxIncrement)) {
    return { overflow: true, limit: mode === Overflow.wrap ? wrapped : max };
  }
  if (increment < 0n && increment < minIncrement) {
    return { overflow: true, limit: mode === Overflow.wrap ? wrapped : 0n };
  }
  return { overflow: false, limit: 0n };
}

/** Redis's checkSignedBitfieldOverflow, with its int64 wrap-arounds. */
function signedOverflow(value: bigint, increment: bigint, bits: number, mode: number) {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxIncrement = BigInt.asIntN(64, max - value);
  const minIncrement = BigInt.asIntN(64, min - value);
  const wrapped = BigInt.asIntN(bits, value + increment);
  const partial = bits !== 64;
  if (
    value > max ||
    (partial && increment > maxIncrement) ||
    (value >= 0n && increment > 0n && increment > maxIncrement)
  ) {
    return { overflow: true, limit: mode === Overflow.wrap ? wrapped : max };
  }
  if (
    value < min ||
    (partial && increment < minIncrement) ||
    (value < 0n && increment < 0n && increment < minIncrement)
  ) {
    return { overflow: true, limit: mode === Overflow.wrap ? wrapped : min };
  }
  return { overflow: false, limit: 0n };
}

function bitfieldGeneric(ctx: CommandContext, argv: string[], readOnly: boolean): void {
  const key = argv[1] as string;
  const operations = parseFieldOperations(ctx, argv);
  let firstByte = Infinity;
  let lastByte = -1;
  for (const operation of operations) {
    if (operation.op === FieldOp.get) continue;
    firstByte = Math.min(firstByte, Math.floor(operation.offset / 8));
    lastByte = Math.max(lastByte, Math.floor((operation.offset + operation.bits - 1) / 8));
  }
  const writes = lastByte >= 0;
  if (writes && readOnly) fail('ERR BITFIELD_RO only supports the GET subcommand');
  const current = ctx.lookupString(key);
  const text = current === undefined ? '' : stringText(current);
  if (writes) checkGrowth(lastByte + 1);
  // As Redis, a write creates the key or grows it to reach the last field, even if every write
  // then fails (OVERFLOW FAIL); a field counts as changed if its value does or the string grew.
  const grows = lastByte >= text.length;
  const window = new ByteWindow(
    text,
    writes ? firstByte : 0,
    new Uint8Array(lastByte + 1 - (writes ? firstByte : 0)),
  );
  let changes = 0;
  ctx.reply.array(operations.length);
  for (const operation of operations) {
    const { bits, offset, signed } = operation;
    const stored = window.read(offset, bits);
    const old = signed ? BigInt.asIntN(bits, stored) : stored;
    if (operation.op === FieldOp.get) {
      ctx.reply.int(normalizeInteger(old));
      continue;
    }
    const incrementing = operation.op === FieldOp.incrby;
    const candidate = incrementing
      ? old + operation.argument
      : signed
        ? operation.argument
        : BigInt.asUintN(64, operation.argument);
    const check = signed ? signedOverflow : unsignedOverflow;
    const { overflow, limit } = incrementing
      ? check(old, operation.argument, bits, operation.overflow)
      : check(candidate, 0n, bits, operation.overflow);
    if (overflow && operation.overflow === Overflow.fail) {
      ctx.reply.nil();
      continue;
    }
    const next = overflow ? limit : candidate;
    ctx.reply.int(normalizeInteger(incrementing ? next : old));
    window.write(offset, bits, next);
    if (grows || next !== old) changes++;
  }
  if (!writes) return;
  if (grows || changed(window, text)) {
    const bytes = Buffer.from(window.bytes.buffer, window.bytes.byteOffset, window.bytes.length);
    ctx.emit([Op.SetRange, ctx.client.db, key, window.start, bytes.toString('latin1')]);
  }
  if (changes > 0) ctx.notify(EventClass.string, 'setbit', key);
}

/** Whether the window's bytes differ from the string's. */
function changed(window: ByteWindow, text: string): boolean {
  for (let i = 0; i < window.bytes.length; i++) {
    if (window.bytes[i] !== text.charCodeAt(window.start + i)) return true;
  }
  return false;
}

const write = { flags: ['write', 'denyoom'], keys: oneKey } as const;
const read = { flags: ['readonly'], keys: oneKey } as const;
const readFast = { flags: ['readonly', 'fast'], keys: oneKey } as const;

export const bitmapCommands: CommandDefinition[] = [
  command('setbit', 4, 'bitmap', 'Sets or clears a bit.', setbit, { ...write, since: '2.2.0' }),
  command('getbit', 3, 'bitmap', 'Returns a bit.', getbit, { ...readFast, since: '2.2.0' }),
  command('bitcount', -2, 'bitmap', 'Counts set bits.', bitcount, { ...read, since: '2.6.0' }),
  command('bitpos', -3, 'bitmap', 'Finds the first set or clear bit.', bitpos, {
    ...read,
    since: '2.8.7',
  }),
  command('bitop', -4, 'bitmap', 'Bitwise operations between strings.', bitop, {
    flags: ['write', 'denyoom'],
    keys: [2, -1, 1],
    since: '2.6.0',
  }),
  command(
    'bitfield',
    -2,
    'bitmap',
    'Integer fields of a string.',
    (ctx, argv) => bitfieldGeneric(ctx, argv, false),
    { ...write, since: '3.2.0' },
  ),
  command(
    'bitfield_ro',
    -2,
    'bitmap',
    'Integer fields of a string, read only.',
    (ctx, argv) => bitfieldGeneric(ctx, argv, true),
    { ...readFast, since: '6.0.0' },
  ),
];
