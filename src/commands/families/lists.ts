// List commands (t_list.c): pushes and pops at both ends, ranges, index access, insert, remove,
// trim, search (LPOS) and moves between lists. The blocking variants (BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH, BLMPOP) live with the blocking framework and call the exported functions below
// (lookupList, popFromList, popFromFirstList, moveBetweenLists) once data is available.

import { ListOp, ListValue } from '../../engine/types/list.js';
import { parseInt64 } from '../../util/numbers.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail, ReplyError } from '../errors.js';
import { EventClass } from '../notify.js';
import { command, type CommandDefinition, numkeysKeys, oneKey } from '../spec.js';

const LONG_MIN = -9223372036854775808n;
const mustBePositive = 'ERR value is out of range, must be positive';

/** The list at `key` in the client's database, undefined if absent, WRONGTYPE if not a list. */
export function lookupList(ctx: CommandContext, key: string): ListValue | undefined {
  const value = ctx.lookup(key);
  if (value === undefined || value instanceof ListValue) return value;
  throw new ReplyError(Errors.wrongType);
}

/**
 * Pops up to `count` elements (at least one) from the list at `key`, which must exist, with one
 * effect. Returns them in the order they were popped.
 */
export function popFromList(
  ctx: CommandContext,
  key: string,
  fromLeft: boolean,
  count: number,
): string[] {
  const list = lookupList(ctx, key);
  if (list === undefined) throw new ReplyError(Errors.noSuchKey);
  return popElements(ctx, key, list, fromLeft, count);
}

function popElements(
  ctx: CommandContext,
  key: string,
  list: ListValue,
  fromLeft: boolean,
  count: number,
): string[] {
  const popped = Math.min(count, list.length);
  const out = new Array<string>(popped);
  const last = list.length - 1;
  for (let i = 0; i < popped; i++) out[i] = list.at(fromLeft ? i : last - i);
  ctx.emit([fromLeft ? ListOp.PopLeft : ListOp.PopRight, ctx.client.db, key, popped]);
  notifyRemoved(ctx, key, list, fromLeft ? 'lpop' : 'rpop');
  return out;
}

/** Redis's listElementsRemoved notifications: the event, then "del" if the list went. */
function notifyRemoved(ctx: CommandContext, key: string, list: ListValue, event: string): void {
  ctx.notify(EventClass.list, event, key);
  if (list.length === 0) ctx.notify(EventClass.generic, 'del', key);
}

/**
 * LMPOP's search: pops up to `count` elements from the first of `keys` that holds a list.
 * Undefined when none does; WRONGTYPE when a key before the first list holds another type.
 */
export function popFromFirstList(
  ctx: CommandContext,
  keys: readonly string[],
  fromLeft: boolean,
  count: number,
): { key: string; elements: string[] } | undefined {
  for (const key of keys) {
    const list = lookupList(ctx, key);
    if (list !== undefined) return { key, elements: popElements(ctx, key, list, fromLeft, count) };
  }
  return undefined;
}

/**
 * LMOVE: pops one element from `source` and pushes it onto `destination`. Returns the element,
 * or undefined when `source` does not exist (then `destination` is not looked at, as in Redis).
 */
export function moveBetweenLists(
  ctx: CommandContext,
  source: string,
  destination: string,
  fromLeft: boolean,
  toLeft: boolean,
): string | undefined {
  const list = lookupList(ctx, source);
  if (list === undefined) return undefined;
  lookupList(ctx, destination);
  const db = ctx.client.db;
  const element = list.at(fromLeft ? 0 : list.length - 1);
  if (source === destination) {
    ctx.emit([ListOp.Rotate, db, source, fromLeft ? 1 : 0, toLeft ? 1 : 0]);
  } else {
    ctx.emit([fromLeft ? ListOp.PopLeft : ListOp.PopRight, db, source, 1]);
    ctx.emit([toLeft ? ListOp.PushLeft : ListOp.PushRight, db, destination, element]);
  }
  // Redis announces the push onto the destination before the pop from the source.
  ctx.notify(EventClass.list, toLeft ? 'lpush' : 'rpush', destination);
  notifyRemoved(ctx, source, list, fromLeft ? 'lpop' : 'rpop');
  return element;
}

/**
 * A C `long` argument (getLongFromObjectOrReply) as a number. Values past 2^53 are clamped:
 * no list is that long, so every index or count beyond it behaves the same.
 */
function longArg(arg: string | undefined, message: string = Errors.notInteger): number {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (value === undefined) fail(message);
  if (typeof value === 'number') return value;
  return value < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
}

/** getPositiveLongFromObjectOrReply: the same message for a non-integer and a negative one. */
function nonNegativeArg(arg: string | undefined, message: string): number {
  const value = longArg(arg, message);
  if (value < 0) fail(message);
  return value;
}

function sideArg(arg: string | undefined): boolean {
  if (isWord(arg, 'LEFT')) return true;
  if (isWord(arg, 'RIGHT')) return false;
  return fail(Errors.syntax);
}

function replyElements(ctx: CommandContext, elements: readonly string[]): void {
  ctx.reply.array(elements.length);
  for (const element of elements) ctx.reply.bulk(element);
}

function pushFamily(toLeft: boolean, onlyIfExists: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const key = argv[1] as string;
    const list = lookupList(ctx, key);
    if (list === undefined && onlyIfExists) return ctx.reply.int(0);
    const effect: [number, number, string, ...string[]] = [
      toLeft ? ListOp.PushLeft : ListOp.PushRight,
      ctx.client.db,
      key,
    ];
    for (let i = 2; i < argv.length; i++) effect.push(argv[i] as string);
    ctx.emit(effect);
    ctx.notify(EventClass.list, toLeft ? 'lpush' : 'rpush', key);
    // An existing list is the object the effect changed; a new one holds just these elements.
    ctx.reply.int(list === undefined ? argv.length - 2 : list.length);
  };
}

function popFamily(fromLeft: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    if (argv.length > 3) fail(Errors.wrongArity(fromLeft ? 'lpop' : 'rpop'));
    const withCount = argv.length === 3;
    const count = withCount ? nonNegativeArg(argv[2], mustBePositive) : 1;
    const key = argv[1] as string;
    const list = lookupList(ctx, key);
    if (list === undefined) return withCount ? ctx.reply.nilArray() : ctx.reply.nil();
    if (!withCount) return ctx.reply.bulk(popElements(ctx, key, list, fromLeft, 1)[0] as string);
    if (count === 0) return ctx.reply.array(0);
    replyElements(ctx, popElements(ctx, key, list, fromLeft, count));
  };
}

function llen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupList(ctx, argv[1] as string)?.length ?? 0);
}

/** A possibly negative index into a list of `length`, or -1 when outside it. */
function absoluteIndex(index: number, length: number): number {
  const absolute = index < 0 ? length + index : index;
  return absolute >= 0 && absolute < length ? absolute : -1;
}

function lindex(ctx: CommandContext, argv: string[]): void {
  const list = lookupList(ctx, argv[1] as string);
  if (list === undefined) return ctx.reply.nil();
  const index = absoluteIndex(longArg(argv[2]), list.length);
  if (index < 0) ctx.reply.nil();
  else ctx.reply.bulk(list.at(index));
}

function lset(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const list = lookupList(ctx, key);
  if (list === undefined) fail(Errors.noSuchKey);
  const index = absoluteIndex(longArg(argv[2]), list.length);
  if (index < 0) fail('ERR index out of range');
  ctx.emit([ListOp.SetAt, ctx.client.db, key, index, argv[3] as string]);
  ctx.notify(EventClass.list, 'lset', key);
  ctx.reply.ok();
}

/** LRANGE / LTRIM's normalisation: [start, end] inside the list, or undefined when empty. */
function clampRange(start: number, end: number, length: number): [number, number] | undefined {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  return [start, Math.min(end, length - 1)];
}

function lrange(ctx: CommandContext, argv: string[]): void {
  const start = longArg(argv[2]);
  const end = longArg(argv[3]);
  const list = lookupList(ctx, argv[1] as string);
  const range = list === undefined ? undefined : clampRange(start, end, list.length);
  if (list === undefined || range === undefined) return ctx.reply.array(0);
  ctx.reply.array(range[1] - range[0] + 1);
  for (let i = range[0]; i <= range[1]; i++) ctx.reply.bulk(list.at(i));
}

function ltrim(ctx: CommandContext, argv: string[]): void {
  const start = longArg(argv[2]);
  const end = longArg(argv[3]);
  const key = argv[1] as string;
  const list = lookupList(ctx, key);
  if (list === undefined) return ctx.reply.ok();
  const length = list.length;
  const range = clampRange(start, end, length);
  const left = range === undefined ? length : range[0];
  const right = range === undefined ? 0 : length - range[1] - 1;
  // Redis signals the key as modified even when nothing is trimmed; the effect does the same.
  ctx.emit([ListOp.Trim, ctx.client.db, key, left, right]);
  notifyRemoved(ctx, key, list, 'ltrim');
  ctx.reply.ok();
}

function linsert(ctx: CommandContext, argv: string[]): void {
  let after: boolean;
  if (isWord(argv[2], 'AFTER')) after = true;
  else if (isWord(argv[2], 'BEFORE')) after = false;
  else fail(Errors.syntax);
  const key = argv[1] as string;
  const list = lookupList(ctx, key);
  if (list === undefined) return ctx.reply.int(0);
  const pivot = argv[3] as string;
  let index = -1;
  for (let i = 0; i < list.length; i++) {
    if (list.at(i) === pivot) {
      index = i;
      break;
    }
  }
  if (index < 0) return ctx.reply.int(-1);
  ctx.emit([ListOp.InsertAt, ctx.client.db, key, after ? index + 1 : index, argv[4] as string]);
  ctx.notify(EventClass.list, 'linsert', key);
  ctx.reply.int(list.length);
}

function lrem(ctx: CommandContext, argv: string[]): void {
  const count = longArg(argv[2]);
  const key = argv[1] as string;
  const element = argv[3] as string;
  const list = lookupList(ctx, key);
  if (list === undefined) return ctx.reply.int(0);
  // Count first, so that a command that removes nothing emits nothing.
  const limit = Math.abs(count);
  let matches = 0;
  for (let i = 0; i < list.length && (limit === 0 || matches < limit); i++) {
    if (list.at(i) === element) matches++;
  }
  if (matches > 0) {
    ctx.emit([ListOp.Remove, ctx.client.db, key, count, element]);
    notifyRemoved(ctx, key, list, 'lrem');
  }
  ctx.reply.int(matches);
}

interface LposOptions {
  rank: number;
  /** -1 when COUNT was not given (single reply), 0 for all matches. */
  count: number;
  maxLength: number;
}

function lposOptions(argv: string[]): LposOptions {
  const options: LposOptions = { rank: 1, count: -1, maxLength: 0 };
  for (let i = 3; i < argv.length; i++) {
    const hasValue = i + 1 < argv.length;
    if (isWord(argv[i], 'RANK') && hasValue) {
      const text = argv[++i] as string;
      if (parseInt64(text) === LONG_MIN) {
        fail(
          'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
        );
      }
      options.rank = longArg(text);
      if (options.rank === 0) {
        fail(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... " +
            'or use negative to start from the end of the list',
        );
      }
    } else if (isWord(argv[i], 'COUNT') && hasValue) {
      options.count = nonNegativeArg(argv[++i], "ERR COUNT can't be negative");
    } else if (isWord(argv[i], 'MAXLEN') && hasValue) {
      options.maxLength = nonNegativeArg(argv[++i], "ERR MAXLEN can't be negative");
    } else fail(Errors.syntax);
  }
  return options;
}

function lpos(ctx: CommandContext, argv: string[]): void {
  const options = lposOptions(argv);
  const list = lookupList(ctx, argv[1] as string);
  const many = options.count !== -1;
  if (list === undefined) return many ? ctx.reply.array(0) : ctx.reply.nil();
  const element = argv[2] as string;
  const fromTail = options.rank < 0;
  const rank = Math.abs(options.rank);
  const length = list.length;
  const scan = options.maxLength === 0 ? length : Math.min(options.maxLength, length);
  const found: number[] = [];
  let matches = 0;
  for (let step = 0; step < scan; step++) {
    const index = fromTail ? length - 1 - step : step;
    if (list.at(index) !== element) continue;
    matches++;
    if (matches < rank) continue;
    found.push(index);
    if (!many || (options.count !== 0 && found.length >= options.count)) break;
  }
  if (!many) {
    const [index] = found;
    return index === undefined ? ctx.reply.nil() : ctx.reply.int(index);
  }
  ctx.reply.array(found.length);
  for (const index of found) ctx.reply.int(index);
}

function lmove(ctx: CommandContext, argv: string[]): void {
  const fromLeft = sideArg(argv[3]);
  const toLeft = sideArg(argv[4]);
  const element = moveBetweenLists(ctx, argv[1] as string, argv[2] as string, fromLeft, toLeft);
  if (element === undefined) ctx.reply.nil();
  else ctx.reply.bulk(element);
}

function rpoplpush(ctx: CommandContext, argv: string[]): void {
  const element = moveBetweenLists(ctx, argv[1] as string, argv[2] as string, false, true);
  if (element === undefined) ctx.reply.nil();
  else ctx.reply.bulk(element);
}

/** LMPOP's arguments (also BLMPOP's, after its timeout): numkeys key… LEFT|RIGHT [COUNT n]. */
export interface MultiPopArguments {
  keys: string[];
  fromLeft: boolean;
  count: number;
}

/** Parses numkeys key [key …] LEFT|RIGHT [COUNT count] starting at argv[numkeysIndex]. */
export function multiPopArguments(argv: string[], numkeysIndex: number): MultiPopArguments {
  const numkeys = longArg(argv[numkeysIndex], 'ERR numkeys should be greater than 0');
  if (numkeys < 1) fail('ERR numkeys should be greater than 0');
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) fail(Errors.syntax);
  const fromLeft = sideArg(argv[whereIndex]);
  let count = -1;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count === -1 && isWord(argv[i], 'COUNT') && i + 1 < argv.length) {
      count = longArg(argv[++i], 'ERR count should be greater than 0');
      if (count < 1) fail('ERR count should be greater than 0');
    } else fail(Errors.syntax);
  }
  const keys = argv.slice(numkeysIndex + 1, whereIndex);
  return { keys, fromLeft, count: count === -1 ? 1 : count };
}

/** LMPOP's reply: [key, [elements…]]. */
export function replyKeyAndElements(
  ctx: CommandContext,
  key: string,
  elements: readonly string[],
): void {
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  replyElements(ctx, elements);
}

function lmpop(ctx: CommandContext, argv: string[]): void {
  const { keys, fromLeft, count } = multiPopArguments(argv, 1);
  const popped = popFromFirstList(ctx, keys, fromLeft, count);
  if (popped === undefined) ctx.reply.nilArray();
  else replyKeyAndElements(ctx, popped.key, popped.elements);
}

const writeFast = { flags: ['write', 'denyoom', 'fast'], keys: oneKey } as const;
const write = { flags: ['write', 'denyoom'], keys: oneKey } as const;
const popFlags = { flags: ['write', 'fast'], keys: oneKey } as const;
const removeFlags = { flags: ['write'], keys: oneKey } as const;
const read = { flags: ['readonly'], keys: oneKey } as const;
const twoKeys = { flags: ['write', 'denyoom'], keys: [1, 2, 1] } as const;

export const listCommands: CommandDefinition[] = [
  command('lpush', -3, 'list', 'Prepends elements to a list.', pushFamily(true, false), writeFast),
  command('rpush', -3, 'list', 'Appends elements to a list.', pushFamily(false, false), writeFast),
  command(
    'lpushx',
    -3,
    'list',
    'Prepends elements to an existing list.',
    pushFamily(true, true),
    writeFast,
  ),
  command(
    'rpushx',
    -3,
    'list',
    'Appends elements to an existing list.',
    pushFamily(false, true),
    writeFast,
  ),
  command('lpop', -2, 'list', 'Removes and returns the first elements.', popFamily(true), popFlags),
  command('rpop', -2, 'list', 'Removes and returns the last elements.', popFamily(false), popFlags),
  command('llen', 2, 'list', 'Returns the length of a list.', llen, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
  }),
  command('lrange', 4, 'list', 'Returns a range of elements.', lrange, read),
  command('lindex', 3, 'list', 'Returns an element by its index.', lindex, read),
  command('lset', 4, 'list', 'Sets an element by its index.', lset, write),
  command('linsert', 5, 'list', 'Inserts an element before or after another.', linsert, write),
  command('lrem', 4, 'list', 'Removes elements equal to a value.', lrem, removeFlags),
  command('ltrim', 4, 'list', 'Keeps only a range of elements.', ltrim, removeFlags),
  command('lpos', -3, 'list', 'Returns the indexes of matching elements.', lpos, read),
  command('lmove', 5, 'list', 'Moves an element from one list to another.', lmove, twoKeys),
  command(
    'rpoplpush',
    3,
    'list',
    'Moves the last element of a list to the head of another.',
    rpoplpush,
    twoKeys,
  ),
  command('lmpop', -4, 'list', 'Pops elements from the first non-empty list.', lmpop, {
    flags: ['write'],
    getKeys: numkeysKeys(1),
  }),
];
