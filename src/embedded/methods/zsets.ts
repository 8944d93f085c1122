// Typed embedded methods for the sorted set commands. Scores go in as numbers (or Redis's bound
// texts such as '(1.5' and '-inf' where a range is asked for) and come back as numbers; members
// come back as strings, or Buffers on a handle opened with returnBuffers.

import type { Argument } from '../codec.js';
import { encodeArgument } from '../codec.js';
import type { Value } from '../handle-base.js';
import type { ReplyValue } from '../value-reply.js';
import { SetMethods } from './sets.js';

/** A score bound: a number, or Redis's text ('(1.5' exclusive, '-inf', '+inf'). */
export type ScoreBound = number | string;

export interface ZAddOptions {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  /** Count changed members, not only added ones. */
  ch?: boolean;
}

export interface ZRangeOptions {
  /** Rank indexes (default), a score range, or a lexical range ('[a', '(a', '-', '+'). */
  by?: 'score' | 'lex';
  rev?: boolean;
  limit?: { offset: number; count: number };
}

export interface ZAggregateOptions {
  weights?: number[];
  aggregate?: 'SUM' | 'MIN' | 'MAX';
}

export interface ScoredMember<V> {
  member: V;
  score: number;
}

/** A score as Redis reads it: infinities spelled out, everything else as JavaScript prints it. */
function scoreText(score: ScoreBound): string {
  if (typeof score === 'string') return score;
  if (score === Infinity) return '+inf';
  if (score === -Infinity) return '-inf';
  return String(score);
}

/** A score reply (text in RESP2, a number in RESP3) as a number. */
function parseScore(reply: ReplyValue): number {
  if (typeof reply === 'number') return reply;
  const text = String(reply);
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

function optionalScore(reply: ReplyValue): number | null {
  return reply === null ? null : parseScore(reply);
}

/** Member/score pairs from a flat (RESP2) or nested (RESP3) reply. */
function scoredMembers<V>(reply: ReplyValue): ScoredMember<V>[] {
  const items = (reply ?? []) as ReplyValue[];
  const out: ScoredMember<V>[] = [];
  if (items.length > 0 && Array.isArray(items[0])) {
    for (const pair of items as ReplyValue[][]) {
      out.push({ member: pair[0] as V, score: parseScore(pair[1] as ReplyValue) });
    }
    return out;
  }
  for (let i = 0; i + 1 < items.length; i += 2) {
    out.push({ member: items[i] as V, score: parseScore(items[i + 1] as ReplyValue) });
  }
  return out;
}

function keyMemberScore<V>(reply: ReplyValue): { key: V; member: V; score: number } | null {
  if (reply === null) return null;
  const [key, member, score] = reply as [V, V, ReplyValue];
  return { key, member, score: parseScore(score) };
}

function addFlags(options: ZAddOptions): string[] {
  const words: string[] = [];
  if (options.nx === true) words.push('NX');
  if (options.xx === true) words.push('XX');
  if (options.gt === true) words.push('GT');
  if (options.lt === true) words.push('LT');
  if (options.ch === true) words.push('CH');
  return words;
}

function rangeWords(options: ZRangeOptions): string[] {
  const words: string[] = [];
  if (options.by === 'score') words.push('BYSCORE');
  if (options.by === 'lex') words.push('BYLEX');
  if (options.rev === true) words.push('REV');
  if (options.limit !== undefined) {
    words.push('LIMIT', String(options.limit.offset), String(options.limit.count));
  }
  return words;
}

function aggregateWords(options: ZAggregateOptions): string[] {
  const words: string[] = [];
  if (options.weights !== undefined) words.push('WEIGHTS', ...options.weights.map(scoreText));
  if (options.aggregate !== undefined) words.push('AGGREGATE', options.aggregate);
  return words;
}

export class SortedSetMethods<V extends Value = string> extends SetMethods<V> {
  /**
   * Adds members or updates their scores: `[[score, member], ...]` or `{ member: score }`.
   * Resolves to the number added (with `ch`, the number changed).
   */
  async zadd(
    key: Argument,
    members: [number, Argument][] | Record<string, number>,
    options: ZAddOptions = {},
  ): Promise<number> {
    const pairs = Array.isArray(members)
      ? members.flatMap(([score, member]) => [scoreText(score), member])
      : Object.entries(members).flatMap(([member, score]) => [scoreText(score), member]);
    return this.int('ZADD', key, ...addFlags(options), ...pairs);
  }
  /** ZADD … INCR: the new score, or null when NX/XX/GT/LT prevented the change. */
  async zaddIncr(
    key: Argument,
    increment: number,
    member: Argument,
    options: ZAddOptions = {},
  ): Promise<number | null> {
    return optionalScore(
      this.run('ZADD', key, ...addFlags(options), 'INCR', scoreText(increment), member),
    );
  }
  async zincrby(key: Argument, increment: number, member: Argument): Promise<number> {
    return parseScore(this.run('ZINCRBY', key, scoreText(increment), member));
  }
  async zrem(key: Argument, ...members: Argument[]): Promise<number> {
    return this.int('ZREM', key, ...members);
  }
  async zcard(key: Argument): Promise<number> {
    return this.int('ZCARD', key);
  }
  async zscore(key: Argument, member: Argument): Promise<number | null> {
    return optionalScore(this.run('ZSCORE', key, member));
  }
  async zmscore(key: Argument, ...members: Argument[]): Promise<(number | null)[]> {
    return (this.run('ZMSCORE', key, ...members) as ReplyValue[]).map(optionalScore);
  }
  /** The 0-based rank by ascending score, or null for a missing member. */
  async zrank(key: Argument, member: Argument): Promise<number | null> {
    return this.run('ZRANK', key, member) as number | null;
  }
  async zrevrank(key: Argument, member: Argument): Promise<number | null> {
    return this.run('ZREVRANK', key, member) as number | null;
  }
  /** Rank and score together (ZRANK … WITHSCORE), or null for a missing member. */
  async zrankWithScore(
    key: Argument,
    member: Argument,
  ): Promise<{ rank: number; score: number } | null> {
    return rankWithScore(this.run('ZRANK', key, member, 'WITHSCORE'));
  }
  async zrevrankWithScore(
    key: Argument,
    member: Argument,
  ): Promise<{ rank: number; score: number } | null> {
    return rankWithScore(this.run('ZREVRANK', key, member, 'WITHSCORE'));
  }
  async zcount(key: Argument, min: ScoreBound, max: ScoreBound): Promise<number> {
    return this.int('ZCOUNT', key, scoreText(min), scoreText(max));
  }
  async zlexcount(key: Argument, min: string, max: string): Promise<number> {
    return this.int('ZLEXCOUNT', key, min, max);
  }
  /**
   * Members by rank (start/stop indexes, negative from the end), or by score or lexical range
   * with `by`; with `rev` the order (and, for ranges, the bounds: max first) is reversed.
   */
  async zrange(
    key: Argument,
    start: ScoreBound,
    stop: ScoreBound,
    options: ZRangeOptions = {},
  ): Promise<V[]> {
    return this.run(
      'ZRANGE',
      key,
      scoreText(start),
      scoreText(stop),
      ...rangeWords(options),
    ) as V[];
  }
  async zrangeWithScores(
    key: Argument,
    start: ScoreBound,
    stop: ScoreBound,
    options: ZRangeOptions = {},
  ): Promise<ScoredMember<V>[]> {
    const words = rangeWords(options);
    return scoredMembers(
      this.run('ZRANGE', key, scoreText(start), scoreText(stop), ...words, 'WITHSCORES'),
    );
  }
  /** Stores a range (as zrange selects it) at `destination`; resolves to its size. */
  async zrangestore(
    destination: Argument,
    source: Argument,
    start: ScoreBound,
    stop: ScoreBound,
    options: ZRangeOptions = {},
  ): Promise<number> {
    const words = rangeWords(options);
    return this.int(
      'ZRANGESTORE',
      destination,
      source,
      scoreText(start),
      scoreText(stop),
      ...words,
    );
  }
  async zremrangebyrank(key: Argument, start: number, stop: number): Promise<number> {
    return this.int('ZREMRANGEBYRANK', key, start, stop);
  }
  async zremrangebyscore(key: Argument, min: ScoreBound, max: ScoreBound): Promise<number> {
    return this.int('ZREMRANGEBYSCORE', key, scoreText(min), scoreText(max));
  }
  async zremrangebylex(key: Argument, min: string, max: string): Promise<number> {
    return this.int('ZREMRANGEBYLEX', key, min, max);
  }
  /** Removes and returns the `count` lowest-scored members (default 1). */
  async zpopmin(key: Argument, count = 1): Promise<ScoredMember<V>[]> {
    return scoredMembers(this.run('ZPOPMIN', key, count));
  }
  async zpopmax(key: Argument, count = 1): Promise<ScoredMember<V>[]> {
    return scoredMembers(this.run('ZPOPMAX', key, count));
  }
  /** Pops from the first non-empty key; null when all are empty. */
  async zmpop(
    keys: Argument[],
    where: 'MIN' | 'MAX',
    count = 1,
  ): Promise<{ key: V; members: ScoredMember<V>[] } | null> {
    const reply = this.run('ZMPOP', keys.length, ...keys, where, 'COUNT', count);
    if (reply === null) return null;
    const [key, members] = reply as [V, ReplyValue];
    return { key, members: scoredMembers(members) };
  }
  /** Pops the lowest-scored member of the first non-empty key, waiting for one if need be. */
  async bzpopmin(
    keys: Argument[],
    timeoutSeconds: number,
  ): Promise<{ key: V; member: V; score: number } | null> {
    return keyMemberScore<V>(await this.runBlocking('BZPOPMIN', ...keys, timeoutSeconds));
  }
  async bzpopmax(
    keys: Argument[],
    timeoutSeconds: number,
  ): Promise<{ key: V; member: V; score: number } | null> {
    return keyMemberScore<V>(await this.runBlocking('BZPOPMAX', ...keys, timeoutSeconds));
  }
  async bzmpop(
    timeoutSeconds: number,
    keys: Argument[],
    where: 'MIN' | 'MAX',
    count = 1,
  ): Promise<{ key: V; members: ScoredMember<V>[] } | null> {
    const reply = await this.runBlocking(
      'BZMPOP',
      timeoutSeconds,
      keys.length,
      ...keys,
      where,
      'COUNT',
      count,
    );
    if (reply === null) return null;
    const [key, members] = reply as [V, ReplyValue];
    return { key, members: scoredMembers(members) };
  }
  async zunion(keys: Argument[], options: ZAggregateOptions = {}): Promise<V[]> {
    return this.run('ZUNION', keys.length, ...keys, ...aggregateWords(options)) as V[];
  }
  async zunionWithScores(
    keys: Argument[],
    options: ZAggregateOptions = {},
  ): Promise<ScoredMember<V>[]> {
    const words = aggregateWords(options);
    return scoredMembers(this.run('ZUNION', keys.length, ...keys, ...words, 'WITHSCORES'));
  }
  async zinter(keys: Argument[], options: ZAggregateOptions = {}): Promise<V[]> {
    return this.run('ZINTER', keys.length, ...keys, ...aggregateWords(options)) as V[];
  }
  async zinterWithScores(
    keys: Argument[],
    options: ZAggregateOptions = {},
  ): Promise<ScoredMember<V>[]> {
    const words = aggregateWords(options);
    return scoredMembers(this.run('ZINTER', keys.length, ...keys, ...words, 'WITHSCORES'));
  }
  async zdiff(keys: Argument[]): Promise<V[]> {
    return this.run('ZDIFF', keys.length, ...keys) as V[];
  }
  async zdiffWithScores(keys: Argument[]): Promise<ScoredMember<V>[]> {
    return scoredMembers(this.run('ZDIFF', keys.length, ...keys, 'WITHSCORES'));
  }
  async zunionstore(
    destination: Argument,
    keys: Argument[],
    options: ZAggregateOptions = {},
  ): Promise<number> {
    return this.int('ZUNIONSTORE', destination, keys.length, ...keys, ...aggregateWords(options));
  }
  async zinterstore(
    destination: Argument,
    keys: Argument[],
    options: ZAggregateOptions = {},
  ): Promise<number> {
    return this.int('ZINTERSTORE', destination, keys.length, ...keys, ...aggregateWords(options));
  }
  async zdiffstore(destination: Argument, keys: Argument[]): Promise<number> {
    return this.int('ZDIFFSTORE', destination, keys.length, ...keys);
  }
  /** The size of the intersection, counting no further than `limit` (0: no limit). */
  async zintercard(keys: Argument[], limit = 0): Promise<number> {
    return this.int('ZINTERCARD', keys.length, ...keys, 'LIMIT', limit);
  }
  /** One random member, or null for a missing key. */
  async zrandmember(key: Argument): Promise<V | null> {
    return this.value('ZRANDMEMBER', key);
  }
  /** `count` distinct random members; a negative count allows repeats and returns -count. */
  async zrandmemberCount(key: Argument, count: number): Promise<V[]> {
    return this.run('ZRANDMEMBER', key, count) as V[];
  }
  async zrandmemberWithScores(key: Argument, count: number): Promise<ScoredMember<V>[]> {
    return scoredMembers(this.run('ZRANDMEMBER', key, count, 'WITHSCORES'));
  }
  /** Iterates over members and scores with ZSCAN; every member present throughout is yielded. */
  async *zscan(
    key: Argument,
    options: { match?: string; count?: number } = {},
  ): AsyncGenerator<ScoredMember<V>, void, undefined> {
    const words: string[] = [];
    if (options.match !== undefined) words.push('MATCH', encodeArgument(options.match));
    if (options.count !== undefined) words.push('COUNT', String(options.count));
    let cursor = '0';
    do {
      const [next, batch] = this.run('ZSCAN', key, cursor, ...words) as [Value, ReplyValue];
      cursor = next.toString();
      yield* scoredMembers<V>(batch);
    } while (cursor !== '0');
  }
}

function rankWithScore(reply: ReplyValue): { rank: number; score: number } | null {
  if (reply === null) return null;
  const [rank, score] = reply as [number, ReplyValue];
  return { rank, score: parseScore(score) };
}
