// Sorted set writes: ZADD (NX/XX/GT/LT/CH/INCR), ZINCRBY, ZREM, ZREMRANGEBYRANK/SCORE/LEX,
// ZPOPMIN/ZPOPMAX, ZMPOP, and popFromSortedSet for the blocking variants. Each handler validates,
// works out exactly what changes against the current state, and emits it as one effect.

import { type CollectionEffect } from '../../engine/effects.js';
import { type SortedSetValue, ZsetOp } from '../../engine/types/zset.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { lexRangeArgs, longArg, lookupSortedSet, scoreArg, scoreRangeArgs } from './zsets-args.js';
import { lexRangeRanks, scoreRangeRanks } from './zsets-range.js';

interface AddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** Leading option words, as zaddGenericCommand reads them; returns the first pair's index. */
function parseAddOptions(argv: string[], options: AddOptions): number {
  let index = 2;
  for (; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word.length > 4) break;
    const upper = word.toUpperCase();
    if (upper === 'NX') options.nx = true;
    else if (upper === 'XX') options.xx = true;
    else if (upper === 'CH') options.ch = true;
    else if (upper === 'INCR') options.incr = true;
    else if (upper === 'GT') options.gt = true;
    else if (upper === 'LT') options.lt = true;
    else break;
  }
  return index;
}

function zaddGeneric(ctx: CommandContext, argv: string[], incr: boolean): void {
  const key = argv[1] as string;
  const options: AddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr };
  const first = parseAddOptions(argv, options);
  const { nx, xx, gt, lt } = options;
  const words = argv.length - first;
  if (words === 0 || words % 2 !== 0) fail(Errors.syntax);
  if (nx && xx) fail('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    fail('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (options.incr && words > 2) fail('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let i = first; i < argv.length; i += 2) scores.push(scoreArg(argv[i]));
  const value = lookupSortedSet(ctx, key);
  if (value === undefined && xx) {
    return options.incr ? ctx.reply.nil() : ctx.reply.int(0);
  }
  // Decide every pair against the current state (and the pairs before it), as zsetAdd would.
  // One pair (the common case) needs no map of pending changes.
  const single = scores.length === 1;
  const changes = single ? undefined : new Map<string, number>();
  let singleChange: number | undefined;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  for (let pair = 0; pair < scores.length; pair++) {
    const member = argv[first + 2 * pair + 1] as string;
    let score = scores[pair] as number;
    const current = changes?.get(member) ?? value?.score(member);
    if (current !== undefined) {
      if (nx) continue;
      if (options.incr) {
        score += current;
        if (Number.isNaN(score)) fail('ERR resulting score is not a number (NaN)');
      }
      if ((lt && score >= current) || (gt && score <= current)) continue;
      if (score !== current) {
        if (changes === undefined) singleChange = score;
        else changes.set(member, score);
        updated++;
      }
    } else if (!xx) {
      if (changes === undefined) singleChange = score;
      else changes.set(member, score);
      added++;
    } else {
      continue;
    }
    processed++;
    lastScore = score;
  }
  if (singleChange !== undefined || (changes !== undefined && changes.size > 0)) {
    const effect: CollectionEffect = [ZsetOp.Add, ctx.client.db, key];
    if (changes === undefined) effect.push(singleChange as number, argv[first + 1] as string);
    else for (const [member, score] of changes) effect.push(score, member);
    ctx.emit(effect);
  }
  if (added + updated > 0) ctx.notify(EventClass.zset, options.incr ? 'zincr' : 'zadd', key);
  if (options.incr) {
    if (processed > 0) ctx.reply.double(lastScore);
    else ctx.reply.nil();
  } else {
    ctx.reply.int(options.ch ? added + updated : added);
  }
}

export function zadd(ctx: CommandContext, argv: string[]): void {
  zaddGeneric(ctx, argv, false);
}

export function zincrby(ctx: CommandContext, argv: string[]): void {
  zaddGeneric(ctx, argv, true);
}

export function zrem(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const value = lookupSortedSet(ctx, key);
  if (value === undefined) return ctx.reply.int(0);
  const removed = new Set<string>();
  for (let i = 2; i < argv.length; i++) {
    const member = argv[i] as string;
    if (value.score(member) !== undefined) removed.add(member);
  }
  if (removed.size > 0) {
    ctx.emit([ZsetOp.Remove, ctx.client.db, key, ...removed]);
    notifyRemoved(ctx, key, value, 'zrem');
  }
  ctx.reply.int(removed.size);
}

/** Redis's notifications after members left a sorted set: the event, then "del" if it went. */
function notifyRemoved(
  ctx: CommandContext,
  key: string,
  value: SortedSetValue,
  event: string,
): void {
  ctx.notify(EventClass.zset, event, key);
  if (value.size === 0) ctx.notify(EventClass.generic, 'del', key);
}

/**
 * Removes ranks [start, end) of the set at `key` as one effect (notifying `event`); replies
 * with the count.
 */
function removeRanks(
  ctx: CommandContext,
  key: string,
  value: SortedSetValue,
  start: number,
  end: number,
  event: string,
): void {
  if (end > start) {
    ctx.emit([ZsetOp.RemoveRanks, ctx.client.db, key, start, end - 1]);
    notifyRemoved(ctx, key, value, event);
  }
  ctx.reply.int(Math.max(0, end - start));
}

export function zremrangebyrank(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  let start = longArg(argv[2]);
  let stop = longArg(argv[3]);
  const value = lookupSortedSet(ctx, key);
  if (value === undefined) return ctx.reply.int(0);
  const size = value.size;
  if (start < 0) start = size + start;
  if (stop < 0) stop = size + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return ctx.reply.int(0);
  if (stop >= size) stop = size - 1;
  removeRanks(ctx, key, value, start, stop + 1, 'zremrangebyrank');
}

export function zremrangebyscore(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const range = scoreRangeArgs(argv[2] as string, argv[3] as string);
  const value = lookupSortedSet(ctx, key);
  if (value === undefined) return ctx.reply.int(0);
  const [start, end] = scoreRangeRanks(value, range);
  removeRanks(ctx, key, value, start, end, 'zremrangebyscore');
}

export function zremrangebylex(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const range = lexRangeArgs(argv[2] as string, argv[3] as string);
  const value = lookupSortedSet(ctx, key);
  if (value === undefined) return ctx.reply.int(0);
  const [start, end] = lexRangeRanks(value, range, 0, -1);
  removeRanks(ctx, key, value, start, end, 'zremrangebylex');
}

/** Popped elements, in the order they are replied (lowest first for MIN, highest for MAX). */
export interface Popped {
  members: string[];
  scores: number[];
}

/**
 * Pops up to `count` elements with the lowest (or, with `max`, highest) scores from the sorted
 * set at `key` and emits their removal as one effect. A missing key pops nothing; another type
 * is WRONGTYPE. ZPOPMIN/ZPOPMAX/ZMPOP use it, and the blocking variants call it once data is
 * there.
 */
export function popFromSortedSet(
  ctx: CommandContext,
  key: string,
  max: boolean,
  count: number,
): Popped {
  const popped: Popped = { members: [], scores: [] };
  const value = lookupSortedSet(ctx, key);
  if (value === undefined || count <= 0) return popped;
  const taken = Math.min(count, value.size);
  const start = max ? value.size - taken : 0;
  const collect = (score: number, member: string): void => {
    popped.members.push(member);
    popped.scores.push(score);
  };
  if (max) value.index.forEachReverse(start, start + taken, collect);
  else value.index.forEach(start, start + taken, collect);
  ctx.emit([ZsetOp.RemoveRanks, ctx.client.db, key, start, start + taken - 1]);
  notifyRemoved(ctx, key, value, max ? 'zpopmax' : 'zpopmin');
  return popped;
}

/** Replies popped elements as [member, score] pairs (nested) or a flat list. */
function replyPopped(ctx: CommandContext, popped: Popped, nested: boolean): void {
  const count = popped.members.length;
  ctx.reply.array(nested ? count : count * 2);
  for (let i = 0; i < count; i++) {
    if (nested) ctx.reply.array(2);
    ctx.reply.bulk(popped.members[i] as string);
    ctx.reply.double(popped.scores[i] as number);
  }
}

function zpopGeneric(ctx: CommandContext, argv: string[], max: boolean): void {
  if (argv.length > 3) fail(Errors.syntax);
  let count = 1;
  const counted = argv.length === 3;
  if (counted) {
    count = longArg(argv[2], 'ERR value is out of range, must be positive');
    if (count < 0) fail('ERR value is out of range, must be positive');
  }
  const key = argv[1] as string;
  const value = lookupSortedSet(ctx, key);
  if (value === undefined || count === 0) return ctx.reply.array(0);
  // RESP3 nests pairs only when a count was given, as Redis does.
  replyPopped(ctx, popFromSortedSet(ctx, key, max, count), counted && ctx.reply.protocol === 3);
}

export function zpopmin(ctx: CommandContext, argv: string[]): void {
  zpopGeneric(ctx, argv, false);
}

export function zpopmax(ctx: CommandContext, argv: string[]): void {
  zpopGeneric(ctx, argv, true);
}

/** ZMPOP's arguments (also BZMPOP's, after its timeout): numkeys key… MIN|MAX [COUNT n]. */
export interface MultiPopArguments {
  keys: string[];
  max: boolean;
  count: number;
}

export function multiPopArguments(argv: string[], numkeysIndex: number): MultiPopArguments {
  const numkeys = longArg(argv[numkeysIndex], 'ERR numkeys should be greater than 0');
  if (numkeys < 1) fail('ERR numkeys should be greater than 0');
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) fail(Errors.syntax);
  const where = argv[whereIndex];
  let max: boolean;
  if (isWord(where, 'MIN')) max = false;
  else if (isWord(where, 'MAX')) max = true;
  else fail(Errors.syntax);
  let count = -1;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count === -1 && isWord(argv[i], 'COUNT') && i + 1 < argv.length) {
      count = longArg(argv[++i], 'ERR count should be greater than 0');
      if (count < 1) fail('ERR count should be greater than 0');
    } else {
      fail(Errors.syntax);
    }
  }
  return { keys: argv.slice(numkeysIndex + 1, whereIndex), max, count: count === -1 ? 1 : count };
}

/** Pops from the first of `keys` holding a sorted set and replies [key, [[member, score]…]]; false if none. */
export function popFromFirstSortedSet(ctx: CommandContext, options: MultiPopArguments): boolean {
  for (const key of options.keys) {
    if (lookupSortedSet(ctx, key) === undefined) continue;
    const popped = popFromSortedSet(ctx, key, options.max, options.count);
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    replyPopped(ctx, popped, true);
    return true;
  }
  return false;
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
export function zmpop(ctx: CommandContext, argv: string[]): void {
  if (!popFromFirstSortedSet(ctx, multiPopArguments(argv, 1))) ctx.reply.nilArray();
}
