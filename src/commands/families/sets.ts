// Set commands (t_set.c): membership, random members, moves, and the algebra (intersection,
// union, difference, with STORE variants). Every write resolves to SetAdd / SetRemove effects
// (engine/types/set.ts) that name the exact members and the encoding that follows; random
// choices (SPOP) are made here and the effect removes exactly the members chosen.

import { Op } from '../../engine/effects.js';
import { SetOp, SetValue } from '../../engine/types/set.js';
import {
  difference,
  intersection,
  iterationOrder,
  SetBuilder,
  union,
} from '../../engine/types/set-algebra.js';
import {
  createdSetEncoding,
  isIntegerMember,
  SetEncoding,
  SetEncodingTracker,
  type SetLimits,
} from '../../engine/types/set-encoding.js';
import { parseInt64 } from '../../util/numbers.js';
import { cursorArg, intArg, isWord, replyEmptyScan, scanCollectionStep } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { allKeys, command, type CommandDefinition, oneKey, numkeysKeys } from '../spec.js';
import { checkRepeatCount, randomCountArg } from './hashes.js';

/** The set at `key`, undefined when absent, WRONGTYPE for another type. */
function lookupSet(ctx: CommandContext, key: string): SetValue | undefined {
  const value = ctx.lookup(key);
  if (value === undefined || value instanceof SetValue) return value;
  fail(Errors.wrongType);
}

function setLimits(ctx: CommandContext): SetLimits {
  return ctx.engine.encodingLimits;
}

/**
 * Adds `members` (each not yet in the set, no repeats) to the set at `key`, emitting SetAdd
 * effects. `sizeHint` is what Redis sizes the set for (the number of arguments). When an intset
 * turns into a listpack part-way, the members added before that point go in their own effect,
 * so the applier puts them in numeric order with the rest, as Redis's conversion does.
 */
function addMembers(
  ctx: CommandContext,
  key: string,
  set: SetValue | undefined,
  members: readonly string[],
  sizeHint: number,
): void {
  const limits = setLimits(ctx);
  const db = ctx.client.db;
  let tracker: SetEncodingTracker;
  if (set === undefined) {
    const first = members[0];
    if (first === undefined) return;
    tracker = new SetEncodingTracker(createdSetEncoding(first, sizeHint, limits), 0, limits);
  } else {
    tracker = new SetEncodingTracker(set.encodingCode, set.size, limits, () => set.values());
    tracker.expectAdditions(sizeHint);
  }
  let run: string[] = [];
  for (const member of members) {
    const before = tracker.encoding;
    tracker.add(member);
    if (before === SetEncoding.Intset && tracker.encoding === SetEncoding.Listpack && run.length) {
      ctx.emit([SetOp.Add, db, key, SetEncoding.Intset, ...run]);
      run = [];
    }
    run.push(member);
  }
  if (run.length > 0 || (set !== undefined && tracker.encoding !== set.encodingCode)) {
    ctx.emit([SetOp.Add, db, key, tracker.encoding, ...run]);
  }
}

/** The distinct members of `argv[from..]` that `set` lacks, in argument order. */
function newMembers(set: SetValue | undefined, argv: readonly string[], from: number): string[] {
  const fresh = new Set<string>();
  for (let i = from; i < argv.length; i++) {
    const member = argv[i] as string;
    if (set === undefined || !set.has(member)) fresh.add(member);
  }
  return [...fresh];
}

function sadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const set = lookupSet(ctx, key);
  const members = newMembers(set, argv, 2);
  addMembers(ctx, key, set, members, argv.length - 2);
  if (members.length > 0) ctx.notify(EventClass.set, 'sadd', key);
  ctx.reply.int(members.length);
}

function srem(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const set = lookupSet(ctx, key);
  if (set === undefined) return ctx.reply.int(0);
  const present = new Set<string>();
  for (let i = 2; i < argv.length; i++) {
    const member = argv[i] as string;
    if (set.has(member)) present.add(member);
  }
  if (present.size > 0) {
    ctx.emit([SetOp.Remove, ctx.client.db, key, set.encodingCode, ...present]);
    notifyRemoved(ctx, key, set, 'srem');
  }
  ctx.reply.int(present.size);
}

function sismember(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupSet(ctx, argv[1] as string)?.has(argv[2] as string) === true ? 1 : 0);
}

function smismember(ctx: CommandContext, argv: string[]): void {
  const set = lookupSet(ctx, argv[1] as string);
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.int(set?.has(argv[i] as string) === true ? 1 : 0);
  }
}

function scard(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupSet(ctx, argv[1] as string)?.size ?? 0);
}

function replySet(ctx: CommandContext, members: Iterable<string>, size: number): void {
  ctx.reply.set(size);
  for (const member of members) ctx.reply.bulk(member);
}

function smembers(ctx: CommandContext, argv: string[]): void {
  const set = lookupSet(ctx, argv[1] as string);
  if (set === undefined) return ctx.reply.set(0);
  replySet(ctx, iterationOrder(set), set.size);
}

/** How many members SPOP leaves: when few remain, Redis rebuilds the set from them (CASE 3). */
const SPOP_MOVE_STRATEGY_MUL = 5;

function spop(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const db = ctx.client.db;
  if (argv.length > 3) fail(Errors.syntax);
  if (argv.length === 2) {
    const set = lookupSet(ctx, key);
    if (set === undefined) return ctx.reply.nil();
    const member = set.randomMember(ctx.random);
    ctx.emit([SetOp.Remove, db, key, set.encodingCode, member]);
    notifyRemoved(ctx, key, set, 'spop');
    return ctx.reply.bulk(member);
  }
  // getPositiveLongFromObjectOrReply: one message for anything but a non-negative integer.
  const count = parseInt64(argv[2] as string);
  if (count === undefined || count < 0) fail('ERR value is out of range, must be positive');
  const set = lookupSet(ctx, key);
  if (set === undefined || count === 0) return ctx.reply.set(0);
  if (count >= set.size) {
    const everything = union([set], setLimits(ctx)).ordered();
    ctx.emit([Op.Delete, db, key]);
    notifyRemoved(ctx, key, set, 'spop');
    return replySet(ctx, everything, everything.length);
  }
  const popped = set.randomMembers(Number(count), ctx.random);
  const remaining = set.size - popped.length;
  let encoding = set.encodingCode;
  if (remaining * SPOP_MOVE_STRATEGY_MUL <= popped.length) {
    // Redis moves the survivors into a new set, which may get a more compact encoding.
    const start = encoding === SetEncoding.Intset ? SetEncoding.Intset : SetEncoding.Listpack;
    const rebuilt = new SetEncodingTracker(start, 0, setLimits(ctx));
    const chosen = new Set(popped);
    for (const member of set.values()) if (!chosen.has(member)) rebuilt.add(member);
    encoding = rebuilt.encoding;
  }
  ctx.emit([SetOp.Remove, db, key, encoding, ...popped]);
  ctx.notify(EventClass.set, 'spop', key);
  replySet(ctx, popped, popped.length);
}

function srandmember(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  if (argv.length > 3) fail(Errors.syntax);
  if (argv.length === 2) {
    const set = lookupSet(ctx, key);
    if (set === undefined) return ctx.reply.nil();
    return ctx.reply.bulk(set.randomMember(ctx.random));
  }
  const count = randomCountArg(argv[2]);
  const set = lookupSet(ctx, key);
  if (set === undefined || count === 0) return ctx.reply.array(0);
  if (count < 0 || count === 1) {
    const picks = checkRepeatCount(count < 0 ? -count : count);
    ctx.reply.array(picks);
    for (let i = 0; i < picks; i++) ctx.reply.bulk(set.randomMember(ctx.random));
    return;
  }
  const members =
    count >= set.size ? iterationOrder(set) : set.randomMembers(Number(count), ctx.random);
  ctx.reply.array(Math.min(set.size, Number(count)));
  for (const member of members) ctx.reply.bulk(member);
}

function smove(ctx: CommandContext, argv: string[]): void {
  const sourceKey = argv[1] as string;
  const destinationKey = argv[2] as string;
  const member = argv[3] as string;
  const sourceValue = ctx.lookup(sourceKey);
  const destinationValue = ctx.lookup(destinationKey);
  if (sourceValue === undefined) return ctx.reply.int(0);
  if (!(sourceValue instanceof SetValue)) fail(Errors.wrongType);
  if (destinationValue !== undefined && !(destinationValue instanceof SetValue)) {
    fail(Errors.wrongType);
  }
  const source = sourceValue;
  const destination = destinationValue;
  if (sourceKey === destinationKey) return ctx.reply.int(source.has(member) ? 1 : 0);
  if (!source.has(member)) return ctx.reply.int(0);
  ctx.emit([SetOp.Remove, ctx.client.db, sourceKey, source.encodingCode, member]);
  notifyRemoved(ctx, sourceKey, source, 'srem');
  if (destination === undefined || !destination.has(member)) {
    addMembers(ctx, destinationKey, destination, [member], 1);
    ctx.notify(EventClass.set, 'sadd', destinationKey);
  }
  ctx.reply.int(1);
}

/** The sets at `keys`: undefined for a missing key; WRONGTYPE for any other type. */
function lookupSets(ctx: CommandContext, keys: readonly string[]): (SetValue | undefined)[] {
  return keys.map((key) => lookupSet(ctx, key));
}

/**
 * Replaces `destination` with the built set (or deletes it when empty); replies with its size.
 * Notifies `event` for a stored set, "del" for a destination deleted by an empty result.
 */
function store(
  ctx: CommandContext,
  destination: string,
  result: SetBuilder,
  event: 'sinterstore' | 'sunionstore' | 'sdiffstore',
): void {
  const db = ctx.client.db;
  const existed = ctx.lookup(destination) !== undefined;
  if (existed) ctx.emit([Op.Delete, db, destination]);
  if (result.size > 0) {
    ctx.emit([SetOp.Add, db, destination, result.encoding, ...result.ordered()]);
    ctx.notify(EventClass.set, event, destination);
  } else if (existed) {
    ctx.notify(EventClass.generic, 'del', destination);
  }
  ctx.reply.int(result.size);
}

/** Redis's notifications after members left a set: the event, then "del" if the set went. */
function notifyRemoved(ctx: CommandContext, key: string, set: SetValue, event: string): void {
  ctx.notify(EventClass.set, event, key);
  if (ctx.db.get(key) !== set) ctx.notify(EventClass.generic, 'del', key);
}

function sinter(ctx: CommandContext, argv: string[]): void {
  const sets = lookupSets(ctx, argv.slice(1));
  const found: string[] = [];
  intersection(sets, 0, (member) => found.push(member));
  replySet(ctx, found, found.length);
}

function sinterstore(ctx: CommandContext, argv: string[]): void {
  const sets = lookupSets(ctx, argv.slice(2));
  const smallest = sets.reduce<SetValue | undefined>(
    (best, set) =>
      set === undefined || (best !== undefined && best.size <= set.size) ? best : set,
    undefined,
  );
  // Redis starts the result as an intset if the smallest input is one, else as a listpack, and
  // makes it an intset at the end if every member is an integer.
  const start =
    smallest?.encodingCode === SetEncoding.Intset ? SetEncoding.Intset : SetEncoding.Listpack;
  const result = new SetBuilder(start, setLimits(ctx));
  let onlyIntegers = true;
  intersection(sets, 0, (member) => {
    if (onlyIntegers && !isIntegerMember(member)) onlyIntegers = false;
    result.add(member);
  });
  if (onlyIntegers && result.size > 0) result.convertToIntsetIfSmall();
  store(ctx, argv[1] as string, result, 'sinterstore');
}

function sintercard(ctx: CommandContext, argv: string[]): void {
  const numkeysMessage = 'ERR numkeys should be greater than 0';
  const parsed = parseInt64(argv[1] as string);
  if (parsed === undefined || parsed < 1) fail(numkeysMessage);
  if (parsed > argv.length - 2) fail("ERR Number of keys can't be greater than number of args");
  const numkeys = Number(parsed);
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (isWord(argv[i], 'LIMIT') && i + 1 < argv.length) {
      limit = intArg(argv[++i], "ERR LIMIT can't be negative");
      if (limit < 0) fail("ERR LIMIT can't be negative");
    } else fail(Errors.syntax);
  }
  let cardinality = 0;
  intersection(lookupSets(ctx, argv.slice(2, 2 + numkeys)), limit, () => cardinality++);
  ctx.reply.int(cardinality);
}

function algebra(
  operation: typeof union | typeof difference,
  storing: 'sunionstore' | 'sdiffstore' | undefined,
) {
  return (ctx: CommandContext, argv: string[]): void => {
    const result = operation(lookupSets(ctx, argv.slice(storing ? 2 : 1)), setLimits(ctx));
    if (storing !== undefined) return store(ctx, argv[1] as string, result, storing);
    replySet(ctx, result.ordered(), result.size);
  };
}

function sscan(ctx: CommandContext, argv: string[]): void {
  cursorArg(argv[2]);
  const set = lookupSet(ctx, argv[1] as string);
  if (set === undefined) return replyEmptyScan(ctx.reply);
  const { next, found } = scanCollectionStep(
    argv,
    ctx.engine.scanCursors,
    () => iterationOrder(set),
    set.encodingCode === SetEncoding.Hashtable ? set.scanSource() : undefined,
  );
  const reply = ctx.reply;
  reply.array(2);
  reply.bulk(next);
  reply.array(found.length);
  for (const member of found) reply.bulk(member);
}

const writeFast = { flags: ['write', 'denyoom', 'fast'], keys: oneKey } as const;
const readFast = { flags: ['readonly', 'fast'], keys: oneKey } as const;
const read = { flags: ['readonly'], keys: oneKey } as const;
const readMany = { flags: ['readonly'], keys: allKeys } as const;
const storing = { flags: ['write', 'denyoom'], keys: allKeys } as const;

export const setCommands: CommandDefinition[] = [
  command('sadd', -3, 'set', 'Adds members to a set.', sadd, writeFast),
  command('srem', -3, 'set', 'Removes members from a set.', srem, {
    flags: ['write', 'fast'],
    keys: oneKey,
  }),
  command('sismember', 3, 'set', 'Tells whether a member is in a set.', sismember, readFast),
  command('smismember', -3, 'set', 'Tells whether each member is in a set.', smismember, {
    ...readFast,
    since: '6.2.0',
  }),
  command('scard', 2, 'set', 'Returns the number of members.', scard, readFast),
  command('smembers', 2, 'set', 'Returns every member.', smembers, read),
  command('spop', -2, 'set', 'Removes and returns random members.', spop, {
    flags: ['write', 'fast'],
    keys: oneKey,
  }),
  command('srandmember', -2, 'set', 'Returns random members.', srandmember, read),
  command('smove', 4, 'set', 'Moves a member from one set to another.', smove, {
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
  }),
  command('sinter', -2, 'set', 'Intersection of sets.', sinter, readMany),
  command('sintercard', -3, 'set', 'Size of the intersection of sets.', sintercard, {
    getKeys: numkeysKeys(1),
    flags: ['readonly'],
    since: '7.0.0',
  }),
  command('sinterstore', -3, 'set', 'Stores the intersection of sets.', sinterstore, storing),
  command('sunion', -2, 'set', 'Union of sets.', algebra(union, undefined), readMany),
  command(
    'sunionstore',
    -3,
    'set',
    'Stores the union of sets.',
    algebra(union, 'sunionstore'),
    storing,
  ),
  command('sdiff', -2, 'set', 'Difference of sets.', algebra(difference, undefined), readMany),
  command(
    'sdiffstore',
    -3,
    'set',
    'Stores the difference of sets.',
    algebra(difference, 'sdiffstore'),
    storing,
  ),
  command('sscan', -3, 'set', 'Iterates over members.', sscan, { ...read, since: '2.8.0' }),
];
