// Argument parsing for the sorted set commands, with Redis's exact rules and error messages:
// scores (getDoubleFromObject), score range bounds (zslParseRange, which uses plain strtod),
// lexical range bounds (zslParseLexRangeItem) and long integers (getLongFromObject).

import { SortedSetValue } from '../../engine/types/zset.js';
import { parseDouble, parseInt64 } from '../../util/numbers.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';

/** The sorted set at `key`, undefined when absent, WRONGTYPE for any other type. */
export function lookupSortedSet(ctx: CommandContext, key: string): SortedSetValue | undefined {
  const value = ctx.lookup(key);
  if (value === undefined) return undefined;
  if (!(value instanceof SortedSetValue)) fail(Errors.wrongType);
  return value;
}

/**
 * A score argument as getDoubleFromObject reads it: no spaces, inf accepted, NaN refused, and
 * (like strtod's ERANGE) a finite spelling that overflows or underflows to zero refused.
 */
export function scoreArg(arg: string | undefined, message: string = Errors.notFloat): number {
  const value = arg === undefined ? undefined : parseDouble(arg);
  if (value === undefined) fail(message);
  if (!Number.isFinite(value) && !/inf/i.test(arg as string)) fail(message);
  if (value === 0 && /[1-9a-f]/i.test(mantissaDigits(arg as string))) fail(message);
  return value;
}

/** The digits before the exponent ("1.5" of "1.5e-400", "1f" of "0x1f"). */
function mantissaDigits(text: string): string {
  const unsigned = text.replace(/^[+-]/, '');
  if (/^0x/i.test(unsigned)) return unsigned.slice(2).split(/p/i)[0] ?? '';
  return unsigned.split(/e/i)[0] ?? '';
}

/** A count or index argument (a C long): an int64, or ERR not an integer. */
export function longArg(arg: string | undefined, message: string = Errors.notInteger): number {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (value === undefined) fail(message);
  // Beyond 2^53 only the magnitude matters to callers (they clamp to the set's size).
  return Number(value);
}

const STRTOD_SYNTAX =
  /^[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?)$/i;

/**
 * C's strtod over the whole text, as zslParseRange uses it: leading white space skipped, hex
 * floats read, and the empty text is 0 (strtod converts nothing and stops at the terminator).
 */
function strtodWhole(text: string): number | undefined {
  if (text.length === 0) return 0;
  const trimmed = text.replace(/^[ \t\n\v\f\r]+/, '');
  if (!STRTOD_SYNTAX.test(trimmed)) return undefined;
  const lowered = trimmed.toLowerCase();
  const negative = lowered.startsWith('-');
  const unsigned = lowered.replace(/^[+-]/, '');
  let value: number;
  if (unsigned.startsWith('inf')) value = Infinity;
  else if (unsigned.startsWith('nan')) return undefined;
  else if (unsigned.startsWith('0x')) value = hexFloat(unsigned.slice(2));
  else value = Number(unsigned);
  return negative ? -value : value;
}

function hexFloat(text: string): number {
  const [mantissa = '', exponentText] = text.split('p');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let value = 0;
  for (const digit of whole + fraction) value = value * 16 + parseInt(digit, 16);
  const exponent = (exponentText === undefined ? 0 : Number(exponentText)) - 4 * fraction.length;
  return value * Math.pow(2, exponent);
}

/** A score range: min/max with exclusive flags ("(1.5", "-inf", "+inf"). */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

function scoreBound(arg: string): [number, boolean] | undefined {
  const exclusive = arg.charCodeAt(0) === 40; // '('
  const value = strtodWhole(exclusive ? arg.slice(1) : arg);
  return value === undefined ? undefined : [value, exclusive];
}

export function scoreRangeArgs(minArg: string, maxArg: string): ScoreRange {
  const min = scoreBound(minArg);
  const max = scoreBound(maxArg);
  if (min === undefined || max === undefined) fail('ERR min or max is not a float');
  return { min: min[0], max: max[0], minExclusive: min[1], maxExclusive: max[1] };
}

/** True when no score can satisfy the range (zslIsInRange's first test). */
export function scoreRangeEmpty(range: ScoreRange): boolean {
  return (
    range.min > range.max || (range.min === range.max && (range.minExclusive || range.maxExclusive))
  );
}

export function scoreAboveMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min;
}

export function scoreBelowMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max;
}

/** A lexical bound: "-" (below everything), "+" (above everything), "[x" or "(x". */
export interface LexBound {
  /** -1: the "-" bound, 1: the "+" bound, 0: a member. */
  infinity: -1 | 0 | 1;
  value: string;
  exclusive: boolean;
}

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

function lexBound(arg: string): LexBound | undefined {
  const first = arg.charCodeAt(0);
  // Redis checks only that the byte after '+'/'-' is the string's terminator (a NUL).
  const alone = arg.length === 1 || arg.charCodeAt(1) === 0;
  if (first === 43) return alone ? { infinity: 1, value: '', exclusive: true } : undefined;
  if (first === 45) return alone ? { infinity: -1, value: '', exclusive: true } : undefined;
  if (first === 40) return { infinity: 0, value: arg.slice(1), exclusive: true };
  if (first === 91) return { infinity: 0, value: arg.slice(1), exclusive: false };
  return undefined;
}

export function lexRangeArgs(minArg: string, maxArg: string): LexRange {
  const min = lexBound(minArg);
  const max = lexBound(maxArg);
  if (min === undefined || max === undefined) {
    fail('ERR min or max not valid string range item');
  }
  return { min, max };
}

/** Orders a member against a bound (sdscmplex). */
export function compareToBound(member: string, bound: LexBound): number {
  if (bound.infinity !== 0) return -bound.infinity;
  return member < bound.value ? -1 : member > bound.value ? 1 : 0;
}

function compareBounds(a: LexBound, b: LexBound): number {
  if (a.infinity !== 0 || b.infinity !== 0) {
    return a.infinity === b.infinity ? 0 : a.infinity - b.infinity;
  }
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** True when no member can satisfy the range (zslIsInLexRange's first test). */
export function lexRangeEmpty(range: LexRange): boolean {
  const order = compareBounds(range.min, range.max);
  return order > 0 || (order === 0 && (range.min.exclusive || range.max.exclusive));
}

export function memberAboveMin(member: string, range: LexRange): boolean {
  const order = compareToBound(member, range.min);
  return range.min.exclusive ? order > 0 : order >= 0;
}

export function memberBelowMax(member: string, range: LexRange): boolean {
  const order = compareToBound(member, range.max);
  return range.max.exclusive ? order < 0 : order <= 0;
}

// (double)(LLONG_MAX / 2), the bound of Redis's double2ll
