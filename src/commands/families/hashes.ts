// Hash commands (t_hash.c): fields and values under one key, counters inside a hash, random
// fields, and HSCAN. Every write resolves to a HashSet or HashDelete effect (engine/types/hash.ts)
// that names the exact fields and values, and the encoding the hash has afterwards.

import { HashEncoding, type HashEncodingCode, HashOp, HashValue } from '../../engine/types/hash.js';
import {
  addFloatTexts,
  isInt64,
  normalizeInteger,
  parseDouble,
  parseInt64,
} from '../../util/numbers.js';
import {
  cursorArg,
  floatArg,
  int64Arg,
  isWord,
  replyEmptyScan,
  scanCollectionStep,
} from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { command, type CommandDefinition, oneKey } from '../spec.js';

/** The hash at `key`, undefined when absent, WRONGTYPE for another type. */
function lookupHash(ctx: CommandContext, key: string): HashValue | undefined {
  const value = ctx.lookup(key);
  if (value === undefined || value instanceof HashValue) return value;
  fail(Errors.wrongType);
}

/**
 * The encoding after writing the field/value pairs `words[from..]` (thresholds: the engine's
 * EncodingLimits): a listpack turns into a hashtable when a field or value is longer than
 * hash-max-listpack-value or the hash gets more than hash-max-listpack-entries fields; it never
 * turns back (t_hash.c hashTypeSet, 7.0).
 */
function encodingAfterWrite(
  ctx: CommandContext,
  hash: HashValue | undefined,
  sizeAfter: number,
  words: readonly string[],
  from: number,
): HashEncodingCode {
  if (hash !== undefined && hash.encodingCode === HashEncoding.Hashtable) {
    return HashEncoding.Hashtable;
  }
  const limits = ctx.engine.encodingLimits;
  if (sizeAfter > limits.hashMaxListpackEntries) return HashEncoding.Hashtable;
  const maxLength = limits.hashMaxListpackValue;
  for (let i = from; i < words.length; i++) {
    if ((words[i] as string).length > maxLength) return HashEncoding.Hashtable;
  }
  return HashEncoding.Listpack;
}

/** Writes field/value pairs `words[from..]` to `key`; returns how many fields were new. */
function writePairs(
  ctx: CommandContext,
  key: string,
  hash: HashValue | undefined,
  words: readonly string[],
  from: number,
): number {
  const fresh = new Set<string>();
  for (let i = from; i < words.length; i += 2) {
    const field = words[i] as string;
    if (hash === undefined || !hash.has(field)) fresh.add(field);
  }
  const encoding = encodingAfterWrite(ctx, hash, (hash?.size ?? 0) + fresh.size, words, from);
  ctx.emit([HashOp.Set, ctx.client.db, key, encoding, ...words.slice(from)]);
  return fresh.size;
}

function hsetFamily(name: 'hset' | 'hmset') {
  return (ctx: CommandContext, argv: string[]): void => {
    if (argv.length % 2 === 1) fail(Errors.wrongArity(name));
    const key = argv[1] as string;
    const created = writePairs(ctx, key, lookupHash(ctx, key), argv, 2);
    ctx.notify(EventClass.hash, 'hset', key);
    if (name === 'hset') ctx.reply.int(created);
    else ctx.reply.ok();
  };
}

function hsetnx(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const hash = lookupHash(ctx, key);
  if (hash !== undefined && hash.has(argv[2] as string)) return ctx.reply.int(0);
  writePairs(ctx, key, hash, argv, 2);
  ctx.notify(EventClass.hash, 'hset', key);
  ctx.reply.int(1);
}

function hget(ctx: CommandContext, argv: string[]): void {
  const value = lookupHash(ctx, argv[1] as string)?.get(argv[2] as string);
  if (value === undefined) ctx.reply.nil();
  else ctx.reply.bulk(value);
}

function hmget(ctx: CommandContext, argv: string[]): void {
  const hash = lookupHash(ctx, argv[1] as string);
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const value = hash?.get(argv[i] as string);
    if (value === undefined) ctx.reply.nil();
    else ctx.reply.bulk(value);
  }
}

function hdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const hash = lookupHash(ctx, key);
  if (hash === undefined) return ctx.reply.int(0);
  const present = new Set<string>();
  for (let i = 2; i < argv.length; i++) {
    const field = argv[i] as string;
    if (hash.has(field)) present.add(field);
  }
  if (present.size > 0) {
    ctx.emit([HashOp.Delete, ctx.client.db, key, ...present]);
    ctx.notify(EventClass.hash, 'hdel', key);
    if (hash.size === 0) ctx.notify(EventClass.generic, 'del', key);
  }
  ctx.reply.int(present.size);
}

function hlen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupHash(ctx, argv[1] as string)?.size ?? 0);
}

function hexists(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupHash(ctx, argv[1] as string)?.has(argv[2] as string) === true ? 1 : 0);
}

function hstrlen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupHash(ctx, argv[1] as string)?.get(argv[2] as string)?.length ?? 0);
}

function hkeys(ctx: CommandContext, argv: string[]): void {
  const hash = lookupHash(ctx, argv[1] as string);
  ctx.reply.array(hash?.size ?? 0);
  if (hash !== undefined) for (const field of hash.fields()) ctx.reply.bulk(field);
}

function hvals(ctx: CommandContext, argv: string[]): void {
  const hash = lookupHash(ctx, argv[1] as string);
  ctx.reply.array(hash?.size ?? 0);
  if (hash !== undefined) for (const value of hash.values()) ctx.reply.bulk(value);
}

function hgetall(ctx: CommandContext, argv: string[]): void {
  const hash = lookupHash(ctx, argv[1] as string);
  ctx.reply.map(hash?.size ?? 0);
  if (hash === undefined) return;
  for (const [field, value] of hash.entries()) {
    ctx.reply.bulk(field);
    ctx.reply.bulk(value);
  }
}

function hincrby(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const increment = int64Arg(argv[3]);
  const hash = lookupHash(ctx, key);
  const current = hash?.get(field);
  let base: number | bigint = 0;
  if (current !== undefined) {
    const parsed = parseInt64(current);
    if (parsed === undefined) fail('ERR hash value is not an integer');
    base = parsed;
  }
  const sum = typeof base === 'number' && typeof increment === 'number' ? base + increment : NaN;
  let result: number | bigint = sum;
  if (!Number.isSafeInteger(sum)) {
    // Past 2^53 (or with a bigint operand): exact int64 arithmetic.
    const exact = BigInt(base) + BigInt(increment);
    if (!isInt64(exact)) fail(Errors.overflow);
    result = normalizeInteger(exact);
  }
  writePairs(ctx, key, hash, [field, String(result)], 0);
  ctx.notify(EventClass.hash, 'hincrby', key);
  ctx.reply.int(result);
}

function hincrbyfloat(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const increment = argv[3] as string;
  if (!Number.isFinite(floatArg(increment))) fail('ERR value is NaN or Infinity');
  const hash = lookupHash(ctx, key);
  const current = hash?.get(field) ?? '0';
  if (parseDouble(current) === undefined) fail('ERR hash value is not a float');
  const result = addFloatTexts(current, increment);
  if (result === undefined) fail('ERR increment would produce NaN or Infinity');
  writePairs(ctx, key, hash, [field, result], 0);
  ctx.notify(EventClass.hash, 'hincrbyfloat', key);
  ctx.reply.bulk(result);
}

/** Replies to a random-count command are bounded: a negative count repeats elements. */
export const MAX_RANDOM_REPLY = 1 << 24;

/** The count of HRANDFIELD / SRANDMEMBER: an int64 in -LONG_MAX..LONG_MAX (getRangeLong…). */
export function randomCountArg(arg: string | undefined): number | bigint {
  const count = int64Arg(arg);
  if (count === -9223372036854775808n) {
    fail(
      'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
  }
  return count;
}

/** A repeat count beyond what Shoal will build into one reply. */
export function checkRepeatCount(count: number | bigint): number {
  if (count > MAX_RANDOM_REPLY) {
    fail(`ERR count is too large (Shoal replies with at most ${MAX_RANDOM_REPLY} elements)`);
  }
  return Number(count);
}

function hrandfield(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  if (argv.length === 2) {
    const hash = lookupHash(ctx, key);
    if (hash === undefined) return ctx.reply.nil();
    return ctx.reply.bulk(hash.randomField(ctx.random));
  }
  const count = randomCountArg(argv[2]);
  if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'WITHVALUES'))) {
    fail(Errors.syntax);
  }
  const withValues = argv.length === 4;
  const half = 4611686018427387903n;
  if (withValues && (count < -half || count > half)) fail('ERR value is out of range');
  const hash = lookupHash(ctx, key);
  if (hash === undefined || count === 0) return ctx.reply.array(0);
  const reply = ctx.reply;
  const nested = withValues && reply.protocol === 3;
  const replyPairs = (length: number): void =>
    reply.array(withValues && !nested ? length * 2 : length);
  const replyField = (field: string): void => {
    if (nested) reply.array(2);
    reply.bulk(field);
    if (withValues) reply.bulk(hash.get(field) as string);
  };
  if (count < 0 || count === 1) {
    // Repeats allowed: each pick is independent (Redis's CASE 1, also used for a count of 1).
    const picks = checkRepeatCount(count < 0 ? -count : count);
    replyPairs(picks);
    for (let i = 0; i < picks; i++) replyField(hash.randomField(ctx.random));
    return;
  }
  if (count >= hash.size) {
    replyPairs(hash.size);
    for (const field of hash.fields()) replyField(field);
    return;
  }
  const fields = hash.randomFields(Number(count), ctx.random);
  replyPairs(fields.length);
  for (const field of fields) replyField(field);
}

function hscan(ctx: CommandContext, argv: string[]): void {
  cursorArg(argv[2]);
  const hash = lookupHash(ctx, argv[1] as string);
  if (hash === undefined) return replyEmptyScan(ctx.reply);
  const { next, found } = scanCollectionStep(
    argv,
    ctx.engine.scanCursors,
    () => hash.fields(),
    hash.encodingCode === HashEncoding.Listpack ? undefined : hash.scanSource(),
  );
  const reply = ctx.reply;
  reply.array(2);
  reply.bulk(next);
  reply.array(found.length * 2);
  for (const field of found) {
    reply.bulk(field);
    reply.bulk(hash.get(field) as string);
  }
}

const writeFast = { flags: ['write', 'denyoom', 'fast'], keys: oneKey } as const;
const readFast = { flags: ['readonly', 'fast'], keys: oneKey } as const;
const read = { flags: ['readonly'], keys: oneKey } as const;

export const hashCommands: CommandDefinition[] = [
  command('hset', -4, 'hash', 'Sets fields of a hash.', hsetFamily('hset'), {
    ...writeFast,
    since: '2.0.0',
  }),
  command('hmset', -4, 'hash', 'Sets fields of a hash (old name).', hsetFamily('hmset'), {
    ...writeFast,
    since: '2.0.0',
  }),
  command('hsetnx', 4, 'hash', 'Sets a field only when it does not exist.', hsetnx, writeFast),
  command('hget', 3, 'hash', 'Returns the value of a field.', hget, readFast),
  command('hmget', -3, 'hash', 'Returns the values of several fields.', hmget, readFast),
  command('hdel', -3, 'hash', 'Deletes fields.', hdel, {
    flags: ['write', 'fast'],
    keys: oneKey,
  }),
  command('hlen', 2, 'hash', 'Returns the number of fields.', hlen, readFast),
  command('hexists', 3, 'hash', 'Tells whether a field exists.', hexists, readFast),
  command('hstrlen', 3, 'hash', 'Returns the length of a value.', hstrlen, readFast),
  command('hkeys', 2, 'hash', 'Returns every field.', hkeys, read),
  command('hvals', 2, 'hash', 'Returns every value.', hvals, read),
  command('hgetall', 2, 'hash', 'Returns every field and value.', hgetall, read),
  command('hincrby', 4, 'hash', 'Increments the integer value of a field.', hincrby, writeFast),
  command(
    'hincrbyfloat',
    4,
    'hash',
    'Increments the floating point value of a field.',
    hincrbyfloat,
    writeFast,
  ),
  command('hrandfield', -2, 'hash', 'Returns random fields.', hrandfield, read),
  command('hscan', -3, 'hash', 'Iterates over fields and values.', hscan, read),
];
