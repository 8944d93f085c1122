// Sorted set reads: ZCARD, ZSCORE, ZMSCORE, ZRANK/ZREVRANK (WITHSCORE), ZCOUNT, ZLEXCOUNT,
// ZRANDMEMBER and ZSCAN. Random choices use ctx.random and never write.

import type { SortedSetValue } from '../../engine/types/zset.js';
import { formatDouble, parseInt64 } from '../../util/numbers.js';
import { cursorArg, isWord, replyEmptyScan, scanCollectionStep } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { lexRangeArgs, lexRangeEmpty, lookupSortedSet, scoreRangeArgs } from './zsets-args.js';
import { lexEndRank, lexStartRank, scoreRangeRanks } from './zsets-range.js';
import { beginMembers, replyMember } from './zsets-reply.js';

export function zcard(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupSortedSet(ctx, argv[1] as string)?.size ?? 0);
}

function replyScore(ctx: CommandContext, score: number | undefined): void {
  if (score === undefined) ctx.reply.nil();
  else ctx.reply.double(score);
}

export function zscore(ctx: CommandContext, argv: string[]): void {
  replyScore(ctx, lookupSortedSet(ctx, argv[1] as string)?.score(argv[2] as string));
}

export function zmscore(ctx: CommandContext, argv: string[]): void {
  const value = lookupSortedSet(ctx, argv[1] as string);
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) replyScore(ctx, value?.score(argv[i] as string));
}

function rankGeneric(ctx: CommandContext, argv: string[], reverse: boolean): void {
  if (argv.length > 4) fail(Errors.wrongArity(reverse ? 'zrevrank' : 'zrank'));
  const withScore = argv.length === 4;
  if (withScore && !isWord(argv[3], 'WITHSCORE')) fail(Errors.syntax);
  const value = lookupSortedSet(ctx, argv[1] as string);
  const member = argv[2] as string;
  const rank = value?.rank(member);
  if (value === undefined || rank === undefined) {
    return withScore ? ctx.reply.nilArray() : ctx.reply.nil();
  }
  if (withScore) ctx.reply.array(2);
  ctx.reply.int(reverse ? value.size - 1 - rank : rank);
  if (withScore) ctx.reply.double(value.score(member) as number);
}

export function zrank(ctx: CommandContext, argv: string[]): void {
  rankGeneric(ctx, argv, false);
}

export function zrevrank(ctx: CommandContext, argv: string[]): void {
  rankGeneric(ctx, argv, true);
}

export function zcount(ctx: CommandContext, argv: string[]): void {
  const range = scoreRangeArgs(argv[2] as string, argv[3] as string);
  const value = lookupSortedSet(ctx, argv[1] as string);
  if (value === undefined) return ctx.reply.int(0);
  const [start, end] = scoreRangeRanks(value, range);
  ctx.reply.int(end - start);
}

export function zlexcount(ctx: CommandContext, argv: string[]): void {
  const range = lexRangeArgs(argv[2] as string, argv[3] as string);
  const value = lookupSortedSet(ctx, argv[1] as string);
  if (value === undefined || lexRangeEmpty(range)) return ctx.reply.int(0);
  ctx.reply.int(Math.max(0, lexEndRank(value, range) - lexStartRank(value, range)));
}

const LONG_MAX = 9223372036854775807n;

/** ZRANDMEMBER key [count [WITHSCORES]] */
export function zrandmember(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 2) {
    const value = lookupSortedSet(ctx, argv[1] as string);
    if (value === undefined) return ctx.reply.nil();
    return ctx.reply.bulk(value.index.memberAt(randomRank(ctx, value.size)));
  }
  const parsed = parseInt64(argv[2] as string);
  if (parsed === undefined) fail(Errors.notInteger);
  if (BigInt(parsed) < -LONG_MAX) {
    fail(
      'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
  }
  if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'WITHSCORES'))) {
    fail(Errors.syntax);
  }
  const withScores = argv.length === 4;
  // Twice the count must still fit a long (the RESP2 reply length).
  if (withScores && (BigInt(parsed) < -LONG_MAX / 2n || BigInt(parsed) > LONG_MAX / 2n)) {
    fail('ERR value is out of range');
  }
  const value = lookupSortedSet(ctx, argv[1] as string);
  const requested = Number(parsed);
  if (value === undefined || requested === 0) return ctx.reply.array(0);
  randomMembers(ctx, value, requested, withScores);
}

function randomRank(ctx: CommandContext, size: number): number {
  return Math.min(size - 1, Math.floor(ctx.random() * size));
}

function randomMembers(
  ctx: CommandContext,
  value: SortedSetValue,
  requested: number,
  withScores: boolean,
): void {
  const size = value.size;
  const index = value.index;
  if (requested < 0 || requested === 1) {
    // Repetitions allowed: each pick is an independent rank lookup, O(log n).
    const count = Math.abs(requested);
    beginMembers(ctx, count, withScores);
    for (let i = 0; i < count; i++) {
      const member = index.memberAt(randomRank(ctx, size));
      replyMember(ctx, member, value.score(member) as number, withScores);
    }
    return;
  }
  const count = Math.min(requested, size);
  beginMembers(ctx, count, withScores);
  if (count === size) {
    // The whole set, highest first: Redis iterates sorted sets from the tail here.
    return index.forEachReverse(0, size, (score, member) =>
      replyMember(ctx, member, score, withScores),
    );
  }
  for (const rank of distinctRanks(ctx, size, count)) {
    const member = index.memberAt(rank);
    replyMember(ctx, member, value.score(member) as number, withScores);
  }
}

/**
 * `count` distinct ranks below `size`, uniformly chosen (Floyd's algorithm) and returned in a
 * random order; O(count) whatever the size of the set.
 */
function distinctRanks(ctx: CommandContext, size: number, count: number): number[] {
  const chosen = new Set<number>();
  for (let top = size - count; top < size; top++) {
    const pick = Math.min(top, Math.floor(ctx.random() * (top + 1)));
    chosen.add(chosen.has(pick) ? top : pick);
  }
  const ranks = [...chosen];
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(ctx.random() * (i + 1)));
    const swap = ranks[i] as number;
    ranks[i] = ranks[j] as number;
    ranks[j] = swap;
  }
  return ranks;
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count] */
export function zscan(ctx: CommandContext, argv: string[]): void {
  cursorArg(argv[2]);
  const value = lookupSortedSet(ctx, argv[1] as string);
  if (value === undefined) return replyEmptyScan(ctx.reply);
  const inOrder = (): string[] => {
    const ordered: string[] = [];
    value.forEach((_score, member) => {
      ordered.push(member);
    });
    return ordered;
  };
  const { next, found } = scanCollectionStep(
    argv,
    ctx.engine.scanCursors,
    inOrder,
    value.compact ? undefined : value.scores,
  );
  ctx.reply.array(2);
  ctx.reply.bulk(next);
  ctx.reply.array(found.length * 2);
  for (const member of found) {
    ctx.reply.bulk(member);
    ctx.reply.bulk(formatDouble(value.score(member) as number));
  }
}
