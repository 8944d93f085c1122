// String commands (t_string.c): GET/SET and friends, counters, ranges, LCS.

import { constants as bufferConstants } from 'node:buffer';
import { ExpireKeep, ExpireNone, Op } from '../../engine/effects.js';
import { stringText, type StringValue } from '../../engine/values.js';
import { addFloatTexts, isInt64, normalizeInteger, parseInt64 } from '../../util/numbers.js';
import { floatArg, int64Arg, intArg } from '../args.js';
import type { CommandContext } from '../context.js';
import { EventClass } from '../notify.js';
import { Errors, fail } from '../errors.js';
import { command, type CommandDefinition, keyValuePairs, oneKey } from '../spec.js';

const MAX_EXPIRE_MS = 8_640_000_000_000_000; // Date's range; Redis's own limit is larger but unreachable

/** Absolute expiry for EX/PX/EXAT/PXAT values, with Redis's validation. */
function absoluteExpiry(ctx: CommandContext, unit: string, arg: string, name: string): number {
  const parsed = int64Arg(arg);
  if (parsed <= 0 || typeof parsed === 'bigint') fail(Errors.invalidExpire(name));
  const amount = parsed;
  const upper = unit.toUpperCase();
  const ms = upper === 'EX' || upper === 'EXAT' ? amount * 1000 : amount;
  const absolute = upper === 'EX' || upper === 'PX' ? ctx.nowMs + ms : ms;
  if (!Number.isSafeInteger(absolute) || absolute > MAX_EXPIRE_MS) {
    fail(Errors.invalidExpire(name));
  }
  return absolute;
}

/**
 * The longest string a command may build: proto-max-bulk-len, but never more than V8's string
 * limit (536,870,888 bytes), or building it would throw inside the effect's applier.
 */
function maxBulk(ctx: CommandContext): number {
  return Math.min(ctx.config.getNumber('proto-max-bulk-len'), bufferConstants.MAX_STRING_LENGTH);
}

function replyString(ctx: CommandContext, value: StringValue | undefined): void {
  if (value === undefined) ctx.reply.nil();
  else ctx.reply.bulk(typeof value === 'number' ? String(value) : value);
}

function get(ctx: CommandContext, argv: string[]): void {
  replyString(ctx, ctx.lookupString(argv[1] as string));
}

const enum SetFlag {
  NX = 1,
  XX = 2,
  GET = 4,
  KEEPTTL = 8,
  EX = 16,
  PX = 32,
  EXAT = 64,
  PXAT = 128,
  PERSIST = 256,
}

const EXPIRY_FLAGS =
  SetFlag.KEEPTTL | SetFlag.EX | SetFlag.PX | SetFlag.EXAT | SetFlag.PXAT | SetFlag.PERSIST;
const TIMED: Record<string, SetFlag> = {
  EX: SetFlag.EX,
  PX: SetFlag.PX,
  EXAT: SetFlag.EXAT,
  PXAT: SetFlag.PXAT,
};

interface ExtendedOptions {
  flags: number;
  expiryUnit: string | undefined;
  expiryArg: string | undefined;
}

/**
 * SET / GETEX options as Redis's parseExtendedStringArgumentsOrReply reads them: a word may
 * repeat (the last expiry wins) but two different expiry kinds, or NX with XX, conflict.
 */
function parseExtended(argv: string[], start: number, forSet: boolean): ExtendedOptions {
  const options: ExtendedOptions = { flags: 0, expiryUnit: undefined, expiryArg: undefined };
  for (let i = start; i < argv.length; i++) {
    const word = (argv[i] as string).toUpperCase();
    const flags = options.flags;
    const timed = TIMED[word];
    if (forSet && word === 'NX' && (flags & SetFlag.XX) === 0) options.flags |= SetFlag.NX;
    else if (forSet && word === 'XX' && (flags & SetFlag.NX) === 0) options.flags |= SetFlag.XX;
    else if (forSet && word === 'GET') options.flags |= SetFlag.GET;
    else if (forSet && word === 'KEEPTTL' && (flags & EXPIRY_FLAGS & ~SetFlag.KEEPTTL) === 0) {
      options.flags |= SetFlag.KEEPTTL;
    } else if (!forSet && word === 'PERSIST' && (flags & EXPIRY_FLAGS & ~SetFlag.PERSIST) === 0) {
      options.flags |= SetFlag.PERSIST;
    } else if (
      timed !== undefined &&
      (flags & EXPIRY_FLAGS & ~timed) === 0 &&
      i + 1 < argv.length
    ) {
      options.flags |= timed;
      options.expiryUnit = word;
      options.expiryArg = argv[++i];
    } else fail(Errors.syntax);
  }
  return options;
}

function set(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const value = argv[2] as string;
  if (argv.length === 3) {
    ctx.emit([Op.Set, ctx.client.db, key, value, ExpireNone]);
    ctx.notify(EventClass.string, 'set', key);
    ctx.reply.ok();
    return;
  }
  const options = parseExtended(argv, 3, true);
  let expireAtMs = (options.flags & SetFlag.KEEPTTL) !== 0 ? ExpireKeep : ExpireNone;
  if (options.expiryUnit !== undefined) {
    expireAtMs = absoluteExpiry(ctx, options.expiryUnit, options.expiryArg as string, 'set');
  }
  const returnOld = (options.flags & SetFlag.GET) !== 0;
  const old = returnOld ? ctx.lookupString(key) : undefined;
  const exists = returnOld ? old !== undefined : ctx.exists(key);
  if (
    ((options.flags & SetFlag.NX) !== 0 && exists) ||
    ((options.flags & SetFlag.XX) !== 0 && !exists)
  ) {
    if (returnOld) replyString(ctx, old);
    else ctx.reply.nil();
    return;
  }
  if (expireAtMs >= 0 && expireAtMs < ctx.nowMs) {
    // Already past its time: the key ends up absent, as Redis does for SET … EXAT <past>.
    if (exists) ctx.emit([Op.Delete, ctx.client.db, key]);
    ctx.notify(EventClass.string, 'set', key);
    ctx.notify(EventClass.generic, 'del', key);
  } else {
    ctx.emit([Op.Set, ctx.client.db, key, value, expireAtMs]);
    ctx.notify(EventClass.string, 'set', key);
    if (expireAtMs >= 0) ctx.notify(EventClass.generic, 'expire', key);
  }
  if (returnOld) replyString(ctx, old);
  else ctx.reply.ok();
}

function setnx(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  if (ctx.exists(key)) return ctx.reply.int(0);
  ctx.emit([Op.Set, ctx.client.db, key, argv[2] as string, ExpireNone]);
  ctx.notify(EventClass.string, 'set', key);
  ctx.reply.int(1);
}

function setexFamily(unit: 'EX' | 'PX', name: string) {
  return (ctx: CommandContext, argv: string[]): void => {
    const expireAtMs = absoluteExpiry(ctx, unit, argv[2] as string, name);
    ctx.emit([Op.Set, ctx.client.db, argv[1] as string, argv[3] as string, expireAtMs]);
    ctx.notify(EventClass.string, 'set', argv[1] as string);
    ctx.notify(EventClass.generic, 'expire', argv[1] as string);
    ctx.reply.ok();
  };
}

function getset(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const old = ctx.lookupString(key);
  ctx.emit([Op.Set, ctx.client.db, key, argv[2] as string, ExpireNone]);
  ctx.notify(EventClass.string, 'set', key);
  replyString(ctx, old);
}

function getdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const old = ctx.lookupString(key);
  if (old !== undefined) {
    ctx.emit([Op.Delete, ctx.client.db, key]);
    ctx.notify(EventClass.generic, 'del', key);
  }
  replyString(ctx, old);
}

function getex(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const options = parseExtended(argv, 2, false);
  const expireAtMs =
    options.expiryUnit === undefined
      ? undefined
      : absoluteExpiry(ctx, options.expiryUnit, options.expiryArg as string, 'getex');
  const value = ctx.lookupString(key);
  if (value !== undefined) {
    const db = ctx.client.db;
    if ((options.flags & SetFlag.PERSIST) !== 0) {
      if (ctx.db.expireAt(key) !== undefined) {
        ctx.emit([Op.Persist, db, key]);
        ctx.notify(EventClass.generic, 'persist', key);
      }
    } else if (expireAtMs !== undefined) {
      if (expireAtMs < ctx.nowMs) {
        ctx.emit([Op.Delete, db, key]);
        ctx.notify(EventClass.generic, 'del', key);
      } else {
        ctx.emit([Op.ExpireAt, db, key, expireAtMs]);
        ctx.notify(EventClass.generic, 'expire', key);
      }
    }
  }
  replyString(ctx, value);
}

function mget(ctx: CommandContext, argv: string[]): void {
  ctx.reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const value = ctx.lookup(argv[i] as string);
    if (value === undefined || typeof value === 'object') ctx.reply.nil();
    else replyString(ctx, value);
  }
}

function checkPairs(argv: string[], name: string): void {
  if ((argv.length - 1) % 2 !== 0) fail(Errors.wrongArity(name));
}

function mset(ctx: CommandContext, argv: string[]): void {
  checkPairs(argv, 'mset');
  for (let i = 1; i < argv.length; i += 2) {
    ctx.emit([Op.Set, ctx.client.db, argv[i] as string, argv[i + 1] as string, ExpireNone]);
    ctx.notify(EventClass.string, 'set', argv[i] as string);
  }
  ctx.reply.ok();
}

function msetnx(ctx: CommandContext, argv: string[]): void {
  checkPairs(argv, 'msetnx');
  for (let i = 1; i < argv.length; i += 2) {
    if (ctx.exists(argv[i] as string)) return ctx.reply.int(0);
  }
  for (let i = 1; i < argv.length; i += 2) {
    ctx.emit([Op.Set, ctx.client.db, argv[i] as string, argv[i + 1] as string, ExpireNone]);
    ctx.notify(EventClass.string, 'set', argv[i] as string);
  }
  ctx.reply.int(1);
}

function append(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const suffix = argv[2] as string;
  const current = ctx.lookupString(key);
  const length = (current === undefined ? 0 : stringText(current).length) + suffix.length;
  if (length > maxBulk(ctx)) fail(Errors.stringTooLong);
  ctx.emit([Op.Append, ctx.client.db, key, suffix]);
  ctx.notify(EventClass.string, 'append', key);
  ctx.reply.int(length);
}

function strlen(ctx: CommandContext, argv: string[]): void {
  const value = ctx.lookupString(argv[1] as string);
  ctx.reply.int(value === undefined ? 0 : stringText(value).length);
}

function getrange(ctx: CommandContext, argv: string[]): void {
  let start = intArg(argv[2]);
  let end = intArg(argv[3]);
  const value = ctx.lookupString(argv[1] as string);
  if (value === undefined) return ctx.reply.bulk('');
  const text = stringText(value);
  const length = text.length;
  if (start < 0 && end < 0 && start > end) return ctx.reply.bulk('');
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (length === 0 || start > end) return ctx.reply.bulk('');
  ctx.reply.bulk(text.slice(start, end + 1));
}

function setrange(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const offset = intArg(argv[2]);
  const value = argv[3] as string;
  if (offset < 0) fail('ERR offset is out of range');
  const current = ctx.lookupString(key);
  const currentLength = current === undefined ? 0 : stringText(current).length;
  if (value.length === 0) return ctx.reply.int(currentLength);
  if (offset + value.length > maxBulk(ctx)) fail(Errors.stringTooLong);
  ctx.emit([Op.SetRange, ctx.client.db, key, offset, value]);
  ctx.notify(EventClass.string, 'setrange', key);
  ctx.reply.int(Math.max(currentLength, offset + value.length));
}

function incrementBy(ctx: CommandContext, key: string, increment: number | bigint): void {
  const current = ctx.lookupString(key);
  let base: number | bigint = 0;
  if (current !== undefined) {
    const parsed = typeof current === 'number' ? current : parseInt64(current);
    if (parsed === undefined) fail(Errors.notInteger);
    base = parsed;
  }
  let result: number | bigint;
  if (typeof base === 'number' && typeof increment === 'number') {
    result = base + increment;
    if (!Number.isSafeInteger(result)) result = BigInt(base) + BigInt(increment);
  } else {
    result = BigInt(base) + BigInt(increment);
  }
  if (typeof result === 'bigint') {
    if (!isInt64(result)) fail(Errors.overflow);
    result = normalizeInteger(result);
  }
  const stored = typeof result === 'number' ? result : String(result);
  ctx.emit([Op.Set, ctx.client.db, key, stored, ExpireKeep]);
  ctx.notify(EventClass.string, 'incrby', key);
  ctx.reply.int(result);
}

function incrbyfloat(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const increment = argv[2] as string;
  floatArg(increment);
  const current = ctx.lookupString(key);
  const base = current === undefined ? '0' : stringText(current);
  if (floatArgOrUndefined(base) === undefined) fail(Errors.notFloat);
  const result = addFloatTexts(base, increment);
  if (result === undefined) fail('ERR increment would produce NaN or Infinity');
  ctx.emit([Op.Set, ctx.client.db, key, result, ExpireKeep]);
  ctx.notify(EventClass.string, 'incrbyfloat', key);
  ctx.reply.bulk(result);
}

function floatArgOrUndefined(text: string): number | undefined {
  try {
    return floatArg(text);
  } catch {
    return undefined;
  }
}

function lcs(ctx: CommandContext, argv: string[]): void {
  let wantLength = false;
  let wantIndexes = false;
  let withMatchLength = false;
  let minMatchLength = 0;
  for (let i = 3; i < argv.length; i++) {
    const word = (argv[i] as string).toUpperCase();
    if (word === 'LEN') wantLength = true;
    else if (word === 'IDX') wantIndexes = true;
    else if (word === 'WITHMATCHLEN') withMatchLength = true;
    else if (word === 'MINMATCHLEN' && i + 1 < argv.length) {
      minMatchLength = Math.max(0, intArg(argv[++i]));
    } else fail(Errors.syntax);
  }
  if (wantLength && wantIndexes) {
    fail('ERR If you want both the length and indexes, please just use IDX.');
  }
  const readText = (key: string): string => {
    const value = ctx.lookup(key);
    if (value === undefined) return '';
    if (typeof value === 'object') fail('ERR The specified keys must contain string values');
    return stringText(value);
  };
  const a = readText(argv[1] as string);
  const b = readText(argv[2] as string);
  if ((a.length + 1) * (b.length + 1) > 256 * 1024 * 1024) {
    fail('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  const result = longestCommonSubsequence(a, b);
  if (wantLength) return ctx.reply.int(result.length);
  if (!wantIndexes) return ctx.reply.bulk(result.text);
  const matches = result.ranges.filter((range) => range.length >= minMatchLength);
  const reply = ctx.reply;
  reply.map(2);
  reply.bulk('matches');
  reply.array(matches.length);
  for (const range of matches) {
    reply.array(withMatchLength ? 3 : 2);
    reply.array(2);
    reply.int(range.aStart);
    reply.int(range.aStart + range.length - 1);
    reply.array(2);
    reply.int(range.bStart);
    reply.int(range.bStart + range.length - 1);
    if (withMatchLength) reply.int(range.length);
  }
  reply.bulk('len');
  reply.int(result.length);
}

interface MatchRange {
  aStart: number;
  bStart: number;
  length: number;
}

/** Dynamic-programming LCS walked back from the end, grouping matches into ranges as Redis does. */
function longestCommonSubsequence(
  a: string,
  b: string,
): { text: string; length: number; ranges: MatchRange[] } {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      table[i * width + j] =
        a.charCodeAt(i - 1) === b.charCodeAt(j - 1)
          ? (table[(i - 1) * width + j - 1] as number) + 1
          : Math.max(table[(i - 1) * width + j] as number, table[i * width + j - 1] as number);
    }
  }
  const length = table[a.length * width + b.length] as number;
  const chars: string[] = [];
  const ranges: MatchRange[] = [];
  let current: MatchRange | undefined;
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars.push(a[i - 1] as string);
      if (current !== undefined && current.aStart === i && current.bStart === j) {
        current.aStart--;
        current.bStart--;
        current.length++;
      } else {
        current = { aStart: i - 1, bStart: j - 1, length: 1 };
        ranges.push(current);
      }
      i--;
      j--;
    } else if ((table[(i - 1) * width + j] as number) > (table[i * width + j - 1] as number)) {
      i--;
    } else {
      j--;
    }
  }
  return { text: chars.reverse().join(''), length, ranges };
}

const rw = { flags: ['write', 'denyoom'], keys: oneKey } as const;
const rwFast = { flags: ['write', 'denyoom', 'fast'], keys: oneKey } as const;
const ro = { flags: ['readonly'], keys: oneKey } as const;
const roFast = { flags: ['readonly', 'fast'], keys: oneKey } as const;

export const stringCommands: CommandDefinition[] = [
  command('get', 2, 'string', 'Returns the string value of a key.', get, roFast),
  command('set', -3, 'string', 'Sets the string value of a key.', set, rw),
  command('setnx', 3, 'string', 'Sets a key only when it does not exist.', setnx, rwFast),
  command(
    'setex',
    4,
    'string',
    'Sets a key with an expiry in seconds.',
    setexFamily('EX', 'setex'),
    rw,
  ),
  command(
    'psetex',
    4,
    'string',
    'Sets a key with an expiry in ms.',
    setexFamily('PX', 'psetex'),
    rw,
  ),
  command('getset', 3, 'string', 'Sets a key and returns its old value.', getset, rwFast),
  command('getdel', 2, 'string', 'Returns a key and deletes it.', getdel, {
    flags: ['write', 'fast'],
    keys: oneKey,
  }),
  command('getex', -2, 'string', 'Returns a key and changes its expiry.', getex, {
    flags: ['write', 'fast'],
    keys: oneKey,
  }),
  command('mget', -2, 'string', 'Returns the values of several keys.', mget, {
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
  }),
  command('mset', -3, 'string', 'Sets several keys.', mset, {
    flags: ['write', 'denyoom'],
    keys: keyValuePairs,
  }),
  command('msetnx', -3, 'string', 'Sets several keys only if none exists.', msetnx, {
    flags: ['write', 'denyoom'],
    keys: keyValuePairs,
  }),
  command('append', 3, 'string', 'Appends to the value of a key.', append, rwFast),
  command('strlen', 2, 'string', 'Returns the length of a string.', strlen, roFast),
  command('getrange', 4, 'string', 'Returns a substring.', getrange, ro),
  command('substr', 4, 'string', 'Returns a substring (old name).', getrange, ro),
  command('setrange', 4, 'string', 'Overwrites part of a string.', setrange, rw),
  command(
    'incr',
    2,
    'string',
    'Increments an integer by one.',
    (ctx, argv) => incrementBy(ctx, argv[1] as string, 1),
    rwFast,
  ),
  command(
    'decr',
    2,
    'string',
    'Decrements an integer by one.',
    (ctx, argv) => incrementBy(ctx, argv[1] as string, -1),
    rwFast,
  ),
  command(
    'incrby',
    3,
    'string',
    'Increments an integer.',
    (ctx, argv) => incrementBy(ctx, argv[1] as string, int64Arg(argv[2])),
    rwFast,
  ),
  command(
    'decrby',
    3,
    'string',
    'Decrements an integer.',
    (ctx, argv) => {
      const decrement = int64Arg(argv[2]);
      if (decrement === -9223372036854775808n) fail('ERR decrement would overflow');
      incrementBy(ctx, argv[1] as string, typeof decrement === 'number' ? -decrement : -decrement);
    },
    rwFast,
  ),
  command('incrbyfloat', 3, 'string', 'Increments a floating point number.', incrbyfloat, rwFast),
  command('lcs', -3, 'string', 'Longest common subsequence of two strings.', lcs, {
    flags: ['readonly'],
    keys: [1, 2, 1],
  }),
];
