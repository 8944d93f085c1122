// ZRANGE and its older spellings (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE,
// and the rank arithmetic that turns a score or lexical range into ranks (shared with ZCOUNT,
// ZLEXCOUNT and ZREMRANGEBY*). Follows t_zset.c's zrangeGenericCommand: options, their errors,
// then the key; LIMIT with a negative offset selects nothing, a negative count means no limit.

import type { SortedSetValue } from '../../engine/types/zset.js';
import { Below } from '../../engine/types/zset-tree.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import {
  type LexRange,
  lexRangeArgs,
  lexRangeEmpty,
  longArg,
  lookupSortedSet,
  memberAboveMin,
  memberBelowMax,
  type ScoreRange,
  scoreRangeArgs,
  scoreRangeEmpty,
} from './zsets-args.js';
import { beginMembers, replyMember, storeSortedSet } from './zsets-reply.js';

/** Ranks [start, end) of the elements inside a score range. */
export function scoreRangeRanks(value: SortedSetValue, range: ScoreRange): [number, number] {
  if (scoreRangeEmpty(range)) return [0, 0];
  const index = value.index;
  const start = index.countWhere(
    range.minExclusive ? Below.scoreAtMost : Below.scoreLess,
    range.min,
    '',
  );
  const end = index.countWhere(
    range.maxExclusive ? Below.scoreLess : Below.scoreAtMost,
    range.max,
    '',
  );
  return end > start ? [start, end] : [0, 0];
}

/** The rank of the first member not below the range's minimum (members assumed in order). */
export function lexStartRank(value: SortedSetValue, range: LexRange): number {
  const min = range.min;
  if (min.infinity !== 0) return min.infinity < 0 ? 0 : value.size;
  return value.index.countWhere(
    min.exclusive ? Below.memberAtMost : Below.memberLess,
    0,
    min.value,
  );
}

/** The rank just after the last member not above the range's maximum. */
export function lexEndRank(value: SortedSetValue, range: LexRange): number {
  const max = range.max;
  if (max.infinity !== 0) return max.infinity < 0 ? 0 : value.size;
  return value.index.countWhere(
    max.exclusive ? Below.memberLess : Below.memberAtMost,
    0,
    max.value,
  );
}

/** Ranks [start, end) of a lexical range, walking from its first member as Redis does. */
export function lexRangeRanks(
  value: SortedSetValue,
  range: LexRange,
  offset: number,
  limit: number,
): [number, number] {
  if (lexRangeEmpty(range) || offset < 0) return [0, 0];
  const first = lexStartRank(value, range);
  if (first >= value.size || !memberBelowMax(value.index.memberAt(first), range)) return [0, 0];
  const start = first + offset;
  let end = start;
  value.index.forEach(start, value.size, (_score, member) => {
    if (end - start === limit || !memberBelowMax(member, range)) return false;
    end++;
  });
  return [start, end];
}

/** The same walking backwards from the range's last member: ranks [start, end), reversed. */
function lexRangeRanksReverse(
  value: SortedSetValue,
  range: LexRange,
  offset: number,
  limit: number,
): [number, number] {
  if (lexRangeEmpty(range) || offset < 0) return [0, 0];
  const last = lexEndRank(value, range) - 1;
  if (last < 0 || !memberAboveMin(value.index.memberAt(last), range)) return [0, 0];
  const end = last - offset + 1;
  if (end <= 0) return [0, 0];
  let start = end;
  value.index.forEachReverse(0, end, (_score, member) => {
    if (end - start === limit || !memberAboveMin(member, range)) return false;
    start--;
  });
  return [start, end];
}

type RangeKind = 'rank' | 'score' | 'lex';

interface RangeOptions {
  kind: RangeKind | undefined;
  reverse: boolean | undefined;
  withScores: boolean;
  offset: number;
  /** -1: no LIMIT given (Redis's default), any negative: no limit. */
  limit: number;
  limitGiven: boolean;
}

function parseOptions(
  argv: string[],
  from: number,
  store: boolean,
  kind: RangeKind | undefined,
  reverse: boolean | undefined,
): RangeOptions {
  const options: RangeOptions = {
    kind,
    reverse,
    withScores: false,
    offset: 0,
    limit: -1,
    limitGiven: false,
  };
  for (let i = from; i < argv.length; i++) {
    const word = argv[i];
    const left = argv.length - i - 1;
    if (!store && isWord(word, 'WITHSCORES')) options.withScores = true;
    else if (isWord(word, 'LIMIT') && left >= 2) {
      options.offset = longArg(argv[i + 1]);
      options.limit = longArg(argv[i + 2]);
      options.limitGiven = true;
      i += 2;
    } else if (options.reverse === undefined && isWord(word, 'REV')) options.reverse = true;
    else if (options.kind === undefined && isWord(word, 'BYLEX')) options.kind = 'lex';
    else if (options.kind === undefined && isWord(word, 'BYSCORE')) options.kind = 'score';
    else fail(Errors.syntax);
  }
  return options;
}

/** The selected ranks [start, end) and the direction to visit them in. */
interface Selection {
  start: number;
  end: number;
  reverse: boolean;
}

type Bounds =
  | { kind: 'rank'; start: number; stop: number }
  | { kind: 'score'; range: ScoreRange }
  | { kind: 'lex'; range: LexRange };

function select(value: SortedSetValue, bounds: Bounds, options: RangeOptions): Selection {
  const reverse = options.reverse === true;
  const size = value.size;
  if (bounds.kind === 'rank') {
    let { start, stop } = bounds;
    if (start < 0) start = size + start;
    if (stop < 0) stop = size + stop;
    if (start < 0) start = 0;
    if (start > stop || start >= size) return { start: 0, end: 0, reverse };
    if (stop >= size) stop = size - 1;
    // Reverse ranks count from the highest score.
    return reverse
      ? { start: size - 1 - stop, end: size - start, reverse }
      : { start, end: stop + 1, reverse };
  }
  const { offset, limit } = options;
  if (bounds.kind === 'lex') {
    const [start, end] = reverse
      ? lexRangeRanksReverse(value, bounds.range, offset, limit)
      : lexRangeRanks(value, bounds.range, offset, limit);
    return { start, end, reverse };
  }
  const [first, after] = scoreRangeRanks(value, bounds.range);
  if (offset < 0 || first >= after) return { start: 0, end: 0, reverse };
  const available = after - first - offset;
  const count = Math.max(0, limit < 0 ? available : Math.min(available, limit));
  return reverse
    ? { start: after - offset - count, end: after - offset, reverse }
    : { start: first + offset, end: first + offset + count, reverse };
}

function parseBounds(kind: RangeKind, minArg: string, maxArg: string): Bounds {
  if (kind === 'rank') return { kind, start: longArg(minArg), stop: longArg(maxArg) };
  if (kind === 'score') return { kind, range: scoreRangeArgs(minArg, maxArg) };
  return { kind, range: lexRangeArgs(minArg, maxArg) };
}

/**
 * zrangeGenericCommand: argv[keyIndex] is the source key, then min, max and options. `kind` and
 * `reverse` are fixed by the older commands and chosen by options for ZRANGE / ZRANGESTORE.
 */
function rangeGeneric(
  ctx: CommandContext,
  argv: string[],
  keyIndex: number,
  store: boolean,
  fixedKind: RangeKind | undefined,
  fixedReverse: boolean | undefined,
): void {
  const options = parseOptions(argv, keyIndex + 3, store, fixedKind, fixedReverse);
  const kind = options.kind ?? 'rank';
  if (options.limitGiven && kind === 'rank') {
    fail('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (options.withScores && kind === 'lex') {
    fail('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  }
  // BYSCORE and BYLEX ranges are given as max, min when reversed.
  const swap = options.reverse === true && kind !== 'rank';
  const minArg = argv[swap ? keyIndex + 2 : keyIndex + 1] as string;
  const maxArg = argv[swap ? keyIndex + 1 : keyIndex + 2] as string;
  const bounds = parseBounds(kind, minArg, maxArg);
  const value = lookupSortedSet(ctx, argv[keyIndex] as string);
  const selection: Selection =
    value === undefined ? { start: 0, end: 0, reverse: false } : select(value, bounds, options);
  const count = selection.end - selection.start;
  if (store) return storeRange(ctx, argv[1] as string, value, selection);
  const withScores = options.withScores;
  beginMembers(ctx, count, withScores);
  if (value === undefined || count === 0) return;
  const visit = (score: number, member: string): void =>
    replyMember(ctx, member, score, withScores);
  if (selection.reverse) value.index.forEachReverse(selection.start, selection.end, visit);
  else value.index.forEach(selection.start, selection.end, visit);
}

function storeRange(
  ctx: CommandContext,
  destination: string,
  value: SortedSetValue | undefined,
  selection: Selection,
): void {
  const scores: number[] = [];
  const members: string[] = [];
  if (value !== undefined) {
    value.index.forEach(selection.start, selection.end, (score, member) => {
      scores.push(score);
      members.push(member);
    });
  }
  storeSortedSet(ctx, destination, scores, members, 'zrangestore');
  ctx.reply.int(members.length);
}

export function zrange(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 1, false, undefined, undefined);
}

export function zrangestore(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 2, true, undefined, undefined);
}

export function zrevrange(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 1, false, 'rank', true);
}

export function zrangebyscore(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 1, false, 'score', false);
}

export function zrevrangebyscore(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 1, false, 'score', true);
}

export function zrangebylex(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 1, false, 'lex', false);
}

export function zrevrangebylex(ctx: CommandContext, argv: string[]): void {
  rangeGeneric(ctx, argv, 1, false, 'lex', true);
}
