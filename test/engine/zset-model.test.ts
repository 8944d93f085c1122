// Model-based test of the sorted set commands: random command sequences against the real
// dispatcher and engine, and against a naive model (a Map and a sorted array) that implements
// Redis's documented semantics directly. Covers ranks, every score bound form ("(x", "x", "-inf",
// "+inf"), every lexical bound form ("[x", "(x", "-", "+"), LIMIT with negative offsets and counts,
// REV, removals by range and pops. Each run is seeded; a failure names its seed and step.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys } from '../../src/engine/types/zset-tree.js';
import { SortedSetValue } from '../../src/engine/types/zset.js';
import { harness } from './zset-harness.js';

interface Entry {
  member: string;
  score: number;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The model of one key: member → score. */
type ModelSet = Map<string, number>;

function sorted(set: ModelSet | undefined): Entry[] {
  const entries = [...(set ?? new Map<string, number>())].map(([member, score]) => ({
    member,
    score,
  }));
  return entries.sort((a, b) => compareKeys(a.score, a.member, b.score, b.member));
}

/** How Redis prints a score (the scores used here are integers, halves and infinities). */
function text(score: number): string {
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  return String(score);
}

function flatten(entries: Entry[], withScores: boolean): string[] {
  return withScores
    ? entries.flatMap((e) => [e.member, text(e.score)])
    : entries.map((e) => e.member);
}

interface ScoreBound {
  arg: string;
  value: number;
  exclusive: boolean;
}

interface LexBound {
  arg: string;
  value: string;
  exclusive: boolean;
  infinity: -1 | 0 | 1;
}

const SCORES = [-Infinity, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, Infinity];
const LETTERS = 'abcdef';

class Generator {
  constructor(
    readonly random: () => number,
    /** Distinct members of the mixed-score key, and most pairs per ZADD. */
    readonly memberSpace = 40,
    readonly pairsMax = 6,
    /** Extra share of steps that are ZADDs, so large sets keep growing. */
    readonly addBias = 0,
  ) {}
  int(limit: number): number {
    return Math.floor(this.random() * limit);
  }
  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)] as T;
  }
  member(): string {
    return `m${this.int(this.memberSpace)}`;
  }
  word(): string {
    let word = '';
    const length = 1 + this.int(3);
    for (let i = 0; i < length; i++) word += LETTERS[this.int(LETTERS.length)];
    return word;
  }
  score(): number {
    return this.pick(SCORES);
  }
  scoreBound(): ScoreBound {
    const form = this.int(6);
    if (form === 0) return { arg: '-inf', value: -Infinity, exclusive: false };
    if (form === 1) return { arg: '+inf', value: Infinity, exclusive: false };
    const value = this.pick(SCORES.slice(1, -1));
    return form < 4
      ? { arg: text(value), value, exclusive: false }
      : { arg: `(${text(value)}`, value, exclusive: true };
  }
  lexBound(): LexBound {
    const form = this.int(6);
    if (form === 0) return { arg: '-', value: '', exclusive: true, infinity: -1 };
    if (form === 1) return { arg: '+', value: '', exclusive: true, infinity: 1 };
    const value = this.word();
    return form < 4
      ? { arg: `[${value}`, value, exclusive: false, infinity: 0 }
      : { arg: `(${value}`, value, exclusive: true, infinity: 0 };
  }
  index(size: number): number {
    return this.int(size * 2 + 3) - size - 1;
  }
}

function inScore(entry: Entry, min: ScoreBound, max: ScoreBound): boolean {
  const aboveMin = min.exclusive ? entry.score > min.value : entry.score >= min.value;
  const belowMax = max.exclusive ? entry.score < max.value : entry.score <= max.value;
  return aboveMin && belowMax;
}

function compareLex(member: string, bound: LexBound): number {
  if (bound.infinity !== 0) return -bound.infinity;
  return member < bound.value ? -1 : member > bound.value ? 1 : 0;
}

function inLex(entry: Entry, min: LexBound, max: LexBound): boolean {
  const low = compareLex(entry.member, min);
  const high = compareLex(entry.member, max);
  return (min.exclusive ? low > 0 : low >= 0) && (max.exclusive ? high < 0 : high <= 0);
}

/** Redis's rank range: negative indexes from the end, clamped, empty when crossed. */
function rankSlice(entries: Entry[], start: number, stop: number): Entry[] {
  const size = entries.length;
  if (start < 0) start = size + start;
  if (stop < 0) stop = size + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return [];
  return entries.slice(start, Math.min(stop, size - 1) + 1);
}

function limited(entries: Entry[], offset: number, count: number): Entry[] {
  if (offset < 0) return [];
  return entries.slice(offset, count < 0 ? undefined : offset + count);
}

/** One random step: runs a command on the harness and on the model, compares the replies. */
function step(
  generate: Generator,
  run: (...argv: string[]) => unknown,
  model: Map<string, ModelSet>,
): string[] {
  const lexKey = generate.random() < 0.4;
  const key = lexKey ? 'lex' : 'z';
  const set = model.get(key);
  const entries = sorted(set);
  const size = entries.length;
  const check = (argv: string[], expected: unknown): string[] => {
    assert.deepEqual(run(...argv), expected, argv.join(' '));
    return argv;
  };
  const write = (argv: string[], expected: unknown, next: Entry[] | undefined): string[] => {
    check(argv, expected);
    if (next === undefined) return argv;
    if (next.length === 0) model.delete(key);
    else model.set(key, new Map(next.map((e) => [e.member, e.score])));
    return argv;
  };
  const withScores = !lexKey && generate.random() < 0.5;
  const scoresWord = withScores ? ['WITHSCORES'] : [];
  switch (generate.random() < generate.addBias ? 0 : generate.int(14)) {
    case 0:
    case 1: {
      // ZADD with random flags (lexical keys keep every score at 0).
      const flags = generate.pick([[], ['NX'], ['XX'], ['GT'], ['LT'], ['XX', 'GT'], ['CH']]);
      const pairs: [number, string][] = [];
      const count = 1 + generate.int(generate.pairsMax);
      for (let i = 0; i < count; i++) {
        pairs.push([lexKey ? 0 : generate.score(), lexKey ? generate.word() : generate.member()]);
      }
      const next = new Map(set);
      let added = 0;
      let changed = 0;
      for (const [score, member] of pairs) {
        const current = next.get(member);
        if (current === undefined) {
          if (flags.includes('XX')) continue;
          next.set(member, score);
          added++;
          changed++;
        } else {
          if (flags.includes('NX')) continue;
          if (flags.includes('GT') && score <= current) continue;
          if (flags.includes('LT') && score >= current) continue;
          if (score !== current) changed++;
          next.set(member, score);
        }
      }
      const argv = ['ZADD', key, ...flags, ...pairs.flatMap(([s, m]) => [text(s), m])];
      return write(argv, flags.includes('CH') ? changed : added, sorted(next));
    }
    case 2: {
      const member = lexKey ? generate.word() : generate.member();
      const present = set?.has(member) === true;
      const next = entries.filter((e) => e.member !== member);
      return write(['ZREM', key, member], present ? 1 : 0, next);
    }
    case 3: {
      if (lexKey) return [];
      const member = generate.member();
      const by = generate.pick([1, -1, 0.5, 2]);
      const current = set?.get(member);
      const result = (current ?? 0) + by;
      const next = entries.filter((e) => e.member !== member).concat({ member, score: result });
      return write(
        ['ZINCRBY', key, text(by), member],
        text(result),
        sorted(new Map(next.map((e) => [e.member, e.score]))),
      );
    }
    case 4: {
      // Rank queries.
      const member =
        size > 0 && generate.random() < 0.8
          ? (entries[generate.int(size)]?.member as string)
          : 'absent';
      const rank = entries.findIndex((e) => e.member === member);
      check(['ZRANK', key, member], rank < 0 ? null : rank);
      check(['ZREVRANK', key, member], rank < 0 ? null : size - 1 - rank);
      check(['ZSCORE', key, member], rank < 0 ? null : text((entries[rank] as Entry).score));
      return check(['ZCARD', key], size);
    }
    case 5: {
      const start = generate.index(size);
      const stop = generate.index(size);
      const reverse = generate.random() < 0.5;
      const chosen = rankSlice(reverse ? [...entries].reverse() : entries, start, stop);
      const argv = [
        'ZRANGE',
        key,
        String(start),
        String(stop),
        ...(reverse ? ['REV'] : []),
        ...scoresWord,
      ];
      check(argv, flatten(chosen, withScores));
      if (!reverse)
        check(
          ['ZREVRANGE', key, String(start), String(stop)],
          flatten(rankSlice([...entries].reverse(), start, stop), false),
        );
      return argv;
    }
    case 6:
    case 7: {
      if (lexKey) return [];
      const min = generate.scoreBound();
      const max = generate.scoreBound();
      const reverse = generate.random() < 0.5;
      const limit =
        generate.random() < 0.5 ? [generate.int(6) - 1, generate.int(8) - 2] : undefined;
      let chosen = entries.filter((e) => inScore(e, min, max));
      check(['ZCOUNT', key, min.arg, max.arg], chosen.length);
      if (reverse) chosen = chosen.reverse();
      if (limit !== undefined) chosen = limited(chosen, limit[0] as number, limit[1] as number);
      const limitWords = limit === undefined ? [] : ['LIMIT', String(limit[0]), String(limit[1])];
      const bounds = reverse ? [max.arg, min.arg] : [min.arg, max.arg];
      const argv = [
        'ZRANGE',
        key,
        ...bounds,
        'BYSCORE',
        ...(reverse ? ['REV'] : []),
        ...limitWords,
        ...scoresWord,
      ];
      check(argv, flatten(chosen, withScores));
      const old = reverse ? 'ZREVRANGEBYSCORE' : 'ZRANGEBYSCORE';
      return check(
        [old, key, ...bounds, ...scoresWord, ...limitWords],
        flatten(chosen, withScores),
      );
    }
    case 8:
    case 9: {
      if (!lexKey) return [];
      const min = generate.lexBound();
      const max = generate.lexBound();
      const reverse = generate.random() < 0.5;
      const limit =
        generate.random() < 0.5 ? [generate.int(6) - 1, generate.int(8) - 2] : undefined;
      let chosen = entries.filter((e) => inLex(e, min, max));
      check(['ZLEXCOUNT', key, min.arg, max.arg], chosen.length);
      if (reverse) chosen = chosen.reverse();
      if (limit !== undefined) chosen = limited(chosen, limit[0] as number, limit[1] as number);
      const limitWords = limit === undefined ? [] : ['LIMIT', String(limit[0]), String(limit[1])];
      const bounds = reverse ? [max.arg, min.arg] : [min.arg, max.arg];
      const argv = ['ZRANGE', key, ...bounds, 'BYLEX', ...(reverse ? ['REV'] : []), ...limitWords];
      check(argv, flatten(chosen, false));
      const old = reverse ? 'ZREVRANGEBYLEX' : 'ZRANGEBYLEX';
      return check([old, key, ...bounds, ...limitWords], flatten(chosen, false));
    }
    case 10: {
      const start = generate.index(size);
      const stop = generate.index(size);
      const removed = rankSlice(entries, start, stop);
      const next = entries.filter((e) => !removed.includes(e));
      return write(['ZREMRANGEBYRANK', key, String(start), String(stop)], removed.length, next);
    }
    case 11: {
      if (lexKey) {
        const min = generate.lexBound();
        const max = generate.lexBound();
        const next = entries.filter((e) => !inLex(e, min, max));
        return write(['ZREMRANGEBYLEX', key, min.arg, max.arg], size - next.length, next);
      }
      const min = generate.scoreBound();
      const max = generate.scoreBound();
      const next = entries.filter((e) => !inScore(e, min, max));
      return write(['ZREMRANGEBYSCORE', key, min.arg, max.arg], size - next.length, next);
    }
    case 12: {
      const max = generate.random() < 0.5;
      const count = generate.int(4);
      const popped = max ? [...entries].reverse().slice(0, count) : entries.slice(0, count);
      const next = entries.filter((e) => !popped.includes(e));
      return write([max ? 'ZPOPMAX' : 'ZPOPMIN', key, String(count)], flatten(popped, true), next);
    }
    default: {
      // ZRANGESTORE into "dst", then read it back.
      const start = generate.index(size);
      const stop = generate.index(size);
      const chosen = rankSlice(entries, start, stop);
      check(['ZRANGESTORE', 'dst', key, String(start), String(stop)], chosen.length);
      return check(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], flatten(chosen, true));
    }
  }
}

describe('sorted set commands against a naive model', () => {
  // Seeds 1-6 keep sets small (one leaf, compact encoding); 7-8 grow them past several levels.
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}`, () => {
      const large = seed > 6;
      const generate = new Generator(
        mulberry32(seed),
        large ? 50_000 : 40,
        large ? 200 : 6,
        large ? 0.5 : 0,
      );
      const h = harness(mulberry32(seed + 1000));
      const model = new Map<string, ModelSet>();
      let largest = 0;
      for (let i = 0; i < 4000; i++) {
        largest = Math.max(largest, model.get('z')?.size ?? 0);
        try {
          step(generate, h.run, model);
        } catch (error) {
          (error as Error).message = `seed ${seed}, step ${i}: ${(error as Error).message}`;
          throw error;
        }
      }
      if (large) assert.ok(largest > 5000, `the set grew to ${largest} members`);
      for (const key of ['z', 'lex']) {
        const value = h.engine.database(0).get(key);
        if (value instanceof SortedSetValue) value.index.check();
      }
    });
  }
});
