// SORT and SORT_RO (sort.c): the elements of a list, set or sorted set, ordered numerically or
// byte-wise, optionally by the values of other keys (BY pattern), with GET patterns that fetch
// other keys per element, LIMIT, and (SORT only) STORE into a list. A stored result is a Delete
// and a ListOp.PushRight effect, as any list write.
//
// Ties: numeric sorting breaks them by comparing the elements, so only ALPHA with BY has ties;
// those keep the order the elements were read in (glibc's qsort is a stable merge sort). Redis
// sorts a LIMIT with BY with its own partial quicksort, which can order such ties differently.

import { Op } from '../../engine/effects.js';
import { HashValue } from '../../engine/types/hash.js';
import { ListOp, ListValue } from '../../engine/types/list.js';
import { iterationOrder } from '../../engine/types/set-algebra.js';
import { SetValue } from '../../engine/types/set.js';
import { SortedSetValue, ZsetOp } from '../../engine/types/zset.js';
import { type CollectionEffect } from '../../engine/effects.js';
import { isStringValue, stringText } from '../../engine/values.js';
import { parseInt64 } from '../../util/numbers.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { command, type CommandDefinition, oneKey } from '../spec.js';

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  /** -1: no limit. */
  limitCount: number;
  /** The BY pattern when it has a '*' (undefined otherwise, or without BY). */
  by: string | undefined;
  /** BY with a pattern without '*': keep the stored order. */
  dontSort: boolean;
  gets: string[];
  store: string | undefined;
}

/** One element being sorted and what it sorts by. */
interface SortItem {
  element: string;
  score: number;
  /** ALPHA BY: the pattern's value, undefined when it names nothing. */
  compareWith: string | undefined;
}

/** The text C string functions see: up to the first NUL byte. */
function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/** A C long argument; beyond 2^53 only the sign matters (clamped to the collection's size). */
function longArg(arg: string | undefined): number {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (value === undefined) fail(Errors.notInteger);
  if (typeof value === 'number') return value;
  return value < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
}

/**
 * The options, in Redis's order of checks: each word left to right, a syntax error or a refused
 * BY/GET stopping at once. BY and GET patterns read keys no ACL check saw: Redis allows them only
 * to a user who may read every key (`readsEveryKey`).
 */
function parseOptions(ctx: CommandContext, argv: string[], readonly: boolean): SortOptions {
  const options: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    by: undefined,
    dontSort: false,
    gets: [],
    store: undefined,
  };
  let readsEveryKey: boolean | undefined;
  const mayReadEveryKey = (): boolean => {
    if (readsEveryKey === undefined) {
      const entry = ctx.executor.table.lookup(argv[0] as string);
      readsEveryKey =
        entry === undefined || ctx.executor.acl.readsEveryKey(ctx.client, entry, argv);
    }
    return readsEveryKey;
  };
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i];
    const left = argv.length - i - 1;
    if (isWord(word, 'ASC')) options.desc = false;
    else if (isWord(word, 'DESC')) options.desc = true;
    else if (isWord(word, 'ALPHA')) options.alpha = true;
    else if (isWord(word, 'LIMIT') && left >= 2) {
      options.limitStart = longArg(argv[i + 1]);
      options.limitCount = longArg(argv[i + 2]);
      i += 2;
    } else if (!readonly && isWord(word, 'STORE') && left >= 1) {
      options.store = argv[++i];
    } else if (isWord(word, 'BY') && left >= 1) {
      const pattern = argv[++i] as string;
      // A BY without '*' turns sorting off for good: a later BY with one does not undo it.
      if (!cString(pattern).includes('*')) {
        options.dontSort = true;
        options.by = undefined;
      } else {
        if (!mayReadEveryKey())
          fail('ERR BY option of SORT denied due to insufficient ACL permissions.');
        options.by = pattern;
      }
    } else if (isWord(word, 'GET') && left >= 1) {
      if (!mayReadEveryKey())
        fail('ERR GET option of SORT denied due to insufficient ACL permissions.');
      options.gets.push(argv[++i] as string);
    } else fail(Errors.syntax);
  }
  return options;
}

/**
 * lookupKeyByPattern: the value `pattern` names for `element`. '#' is the element; otherwise the
 * first '*' is replaced by the element, and "key->field" (a non-empty field after the '*') reads
 * a hash field. Undefined for no '*', a missing key or field, or a key of another type.
 */
function lookupByPattern(
  ctx: CommandContext,
  pattern: string,
  element: string,
): string | undefined {
  const visible = cString(pattern);
  if (visible === '#') return element;
  const star = visible.indexOf('*');
  if (star < 0) return undefined;
  const arrow = visible.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < visible.length;
  const keyEnd = hasField ? arrow : pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, keyEnd);
  const value = ctx.lookup(key);
  if (value === undefined) return undefined;
  if (hasField) {
    if (!(value instanceof HashValue)) return undefined;
    return value.get(pattern.slice(arrow + 2));
  }
  return isStringValue(value) ? stringText(value) : undefined;
}

const STRTOD_SYNTAX =
  /^[+-]?(?:inf(?:inity)?|nan(?:\([0-9a-z_]*\))?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?)$/i;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * What SORT makes of a value as a number: C's strtod over the text up to its first NUL, which
 * must use it all (leading white space allowed; the empty text is 0), not NaN, and without
 * ERANGE (overflow, or a result that underflows inexactly). Undefined when it fails.
 */
export function sortScore(text: string): number | undefined {
  const whole = cString(text);
  if (whole.length === 0) return 0;
  const trimmed = whole.replace(/^[ \t\n\v\f\r]+/, '');
  if (!STRTOD_SYNTAX.test(trimmed)) return undefined;
  const lowered = trimmed.toLowerCase();
  const negative = lowered.startsWith('-');
  const unsigned = lowered.replace(/^[+-]/, '');
  if (unsigned.startsWith('nan')) return undefined;
  if (unsigned.startsWith('inf')) return negative ? -Infinity : Infinity;
  const value = unsigned.startsWith('0x') ? hexValue(unsigned.slice(2)) : decimalValue(unsigned);
  if (value === undefined) return undefined;
  return negative ? -value : value;
}

function decimalValue(text: string): number | undefined {
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  // A decimal fraction is (all but) never exactly a subnormal double: glibc reports ERANGE.
  if (value < MIN_NORMAL && /[1-9]/.test(text.split('e')[0] as string)) return undefined;
  return value;
}

function hexValue(text: string): number | undefined {
  const [mantissa = '', exponentText] = text.split('p');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = BigInt(`0x${whole + fraction || '0'}`);
  let exponent = (exponentText === undefined ? 0 : Number(exponentText)) - 4 * fraction.length;
  if (digits === 0n) return 0;
  // Keep 64 significant bits (a sticky bit for the rest), so the conversion rounds once.
  const extra = digits.toString(2).length - 64;
  if (extra > 0) {
    const dropped = digits & ((1n << BigInt(extra)) - 1n);
    digits = (digits >> BigInt(extra)) | (dropped === 0n ? 0n : 1n);
    exponent += extra;
  }
  let value = Number(digits);
  const exact = BigInt(value) === digits;
  for (; exponent > 0; exponent -= Math.min(exponent, 1000)) value *= 2 ** Math.min(exponent, 1000);
  for (; exponent < 0; exponent += Math.min(-exponent, 1000)) {
    const step = Math.min(-exponent, 1000);
    const scaled = value / 2 ** step;
    // Past the smallest normal, an inexact step is an underflow (ERANGE).
    if (scaled < MIN_NORMAL && scaled * 2 ** step !== value) return undefined;
    value = scaled;
  }
  if (!Number.isFinite(value)) return undefined;
  if (value < MIN_NORMAL && !exact) return undefined;
  return value;
}

/** Byte order (memcmp, then length): latin1 strings compare that way. */
function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C locale: byte order up to the first NUL. */
function compareCollated(a: string, b: string): number {
  return compareBinary(cString(a), cString(b));
}

/** sortCompare: ascending order (the caller reverses it for DESC). */
function comparator(options: SortOptions): (a: SortItem, b: SortItem) => number {
  // A result that is stored compares bytes; one sent to the client uses strcoll.
  const compareText = options.store !== undefined ? compareBinary : compareCollated;
  if (!options.alpha) {
    return (a, b) =>
      a.score > b.score ? 1 : a.score < b.score ? -1 : compareBinary(a.element, b.element);
  }
  if (options.by === undefined) return (a, b) => compareText(a.element, b.element);
  return (a, b) => {
    if (a.compareWith === undefined || b.compareWith === undefined) {
      if (a.compareWith === b.compareWith) return 0;
      return a.compareWith === undefined ? -1 : 1;
    }
    return compareText(a.compareWith, b.compareWith);
  };
}

type Sortable = ListValue | SetValue | SortedSetValue;

function lookupSortable(ctx: CommandContext, key: string): Sortable | undefined {
  const value = ctx.lookup(key);
  if (value === undefined) return undefined;
  if (value instanceof ListValue || value instanceof SetValue || value instanceof SortedSetValue)
    return value;
  fail(Errors.wrongType);
}

/** Elements `from` .. `from + count - 1` in stored order, or counted from the end when `reverse`. */
function storedRange(
  value: ListValue | SortedSetValue,
  from: number,
  count: number,
  reverse: boolean,
): string[] {
  const out: string[] = [];
  const length = value.size;
  if (value instanceof ListValue) {
    for (let i = 0; i < count; i++) out.push(value.at(reverse ? length - 1 - from - i : from + i));
    return out;
  }
  const collect = (_score: number, member: string): void => {
    out.push(member);
  };
  if (reverse) value.index.forEachReverse(length - from - count, length - from, collect);
  else value.index.forEach(from, from + count, collect);
  return out;
}

function allElements(value: Sortable): string[] {
  if (value instanceof SetValue) return [...iterationOrder(value)];
  return storedRange(value, 0, value.size, false);
}

/** The sorted (or stored-order) elements and the range [start, end] of them to answer. */
function sortedElements(
  ctx: CommandContext,
  value: Sortable | undefined,
  options: SortOptions,
): { elements: string[]; start: number; end: number; failed: boolean } {
  const length = value?.size ?? 0;
  // LIMIT's clamping (the inputs first bounded by the size, so nothing overflows).
  let start = Math.min(Math.max(options.limitStart, 0), length);
  const count = Math.min(Math.max(options.limitCount, -1), length);
  let end = count < 0 ? length - 1 : start + count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;
  if (value === undefined) return { elements: [], start, end, failed: false };
  if (options.dontSort && !(value instanceof SetValue)) {
    // Lists and sorted sets keep their order (reversed by DESC) and read just the range.
    const elements = end >= start ? storedRange(value, start, end - start + 1, options.desc) : [];
    return { elements, start: 0, end: end - start, failed: false };
  }
  const elements = allElements(value);
  if (options.dontSort) return { elements, start, end, failed: false };
  const items: SortItem[] = elements.map((element) => ({
    element,
    score: 0,
    compareWith: undefined,
  }));
  let failed = false;
  for (const item of items) {
    const by =
      options.by === undefined ? item.element : lookupByPattern(ctx, options.by, item.element);
    if (by === undefined) continue;
    if (options.alpha) {
      if (options.by !== undefined) item.compareWith = by;
    } else {
      const score = sortScore(by);
      if (score === undefined) failed = true;
      else item.score = score;
    }
  }
  const ascending = comparator(options);
  items.sort(options.desc ? (a, b) => -ascending(a, b) : ascending);
  return { elements: items.map((item) => item.element), start, end, failed };
}

function sortGeneric(ctx: CommandContext, argv: string[], readonly: boolean): void {
  const options = parseOptions(ctx, argv, readonly);
  const value = lookupSortable(ctx, argv[1] as string);
  // A set's own order is no order: a stored result is sorted byte-wise instead (as Redis does
  // for replication's sake).
  if (options.dontSort && value instanceof SetValue && options.store !== undefined) {
    options.dontSort = false;
    options.alpha = true;
    options.by = undefined;
  }
  // Redis converts a listpack sorted set to a skiplist for SORT, for good. Only a node that
  // decides changes does it (not a follower serving a read, not while clients are paused).
  if (
    value instanceof SortedSetValue &&
    value.compact &&
    ctx.decidesChanges &&
    !ctx.executor.pause.active
  )
    ctx.emit([ZsetOp.Unpack, ctx.client.db, argv[1] as string]);
  const { elements, start, end, failed } = sortedElements(ctx, value, options);
  if (failed) fail("ERR One or more scores can't be converted into double");
  const gets = options.gets;
  const selected = end - start + 1;
  if (options.store === undefined) {
    ctx.reply.array(gets.length > 0 ? gets.length * selected : selected);
    for (let j = start; j <= end; j++) {
      const element = elements[j] as string;
      if (gets.length === 0) ctx.reply.bulk(element);
      for (const pattern of gets) {
        const found = lookupByPattern(ctx, pattern, element);
        if (found === undefined) ctx.reply.nil();
        else ctx.reply.bulk(found);
      }
    }
    return;
  }
  const stored: string[] = [];
  for (let j = start; j <= end; j++) {
    const element = elements[j] as string;
    if (gets.length === 0) stored.push(element);
    for (const pattern of gets) stored.push(lookupByPattern(ctx, pattern, element) ?? '');
  }
  store(ctx, options.store, stored);
  ctx.reply.int(stored.length);
}

/** STORE: the destination becomes a list of `elements`, or is deleted when there are none. */
function store(ctx: CommandContext, key: string, elements: readonly string[]): void {
  const db = ctx.client.db;
  if (elements.length === 0) {
    // dbDelete: a key still present counts, even if its time is up.
    if (!ctx.db.has(key)) return;
    ctx.emit([Op.Delete, db, key]);
    ctx.notify(EventClass.generic, 'del', key);
    return;
  }
  if (ctx.lookup(key) !== undefined) ctx.emit([Op.Delete, db, key]);
  const effect: CollectionEffect = [ListOp.PushRight, db, key];
  for (const element of elements) effect.push(element);
  ctx.emit(effect);
  ctx.notify(EventClass.list, 'sortstore', key);
}

function sort(ctx: CommandContext, argv: string[]): void {
  sortGeneric(ctx, argv, false);
}

function sortReadOnly(ctx: CommandContext, argv: string[]): void {
  sortGeneric(ctx, argv, true);
}

const SKIPPED_ARGUMENTS = new Map([
  ['LIMIT', 2],
  ['GET', 1],
  ['BY', 1],
]);

/**
 * sortGetKeys: the sorted key, and the destination of the last STORE. LIMIT, GET and BY skip
 * their arguments; any other word is read as an option without one.
 */
function sortKeys(argv: readonly string[]): string[] {
  const keys = argv.length > 1 ? [argv[1] as string] : [];
  let destination: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const word = (argv[i] as string).toUpperCase();
    const skip = SKIPPED_ARGUMENTS.get(word);
    if (skip !== undefined) i += skip;
    else if (word === 'STORE' && i + 1 < argv.length) destination = argv[i + 1];
  }
  if (destination !== undefined) keys.push(destination);
  return keys;
}

const categories = ['set', 'sortedset', 'list', 'dangerous'];
const complexity =
  'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).';

export const sortCommands: CommandDefinition[] = [
  command(
    'sort',
    -2,
    'generic',
    'Sorts a list, set or sorted set, optionally storing the result.',
    sort,
    {
      flags: ['write', 'denyoom'],
      keys: oneKey,
      getKeys: sortKeys,
      categories,
      complexity,
    },
  ),
  command('sort_ro', -2, 'generic', 'Sorts a list, set or sorted set (read-only).', sortReadOnly, {
    flags: ['readonly'],
    keys: oneKey,
    categories,
    complexity,
    since: '7.0.0',
  }),
];
