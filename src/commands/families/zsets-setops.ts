// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (t_zset.c's
// zunionInterDiffGenericCommand): WEIGHTS, AGGREGATE SUM|MIN|MAX, WITHSCORES, LIMIT. Inputs may
// be sorted sets or plain sets (every member scoring 1). Keys are checked for type before the
// options are parsed, as Redis does.

import type { CollectionValue } from '../../engine/values.js';
import { SortedSetValue } from '../../engine/types/zset.js';
import { sortByKey } from '../../engine/types/zset-tree.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { longArg, scoreArg } from './zsets-args.js';
import { beginMembers, replyMember, storeSortedSet } from './zsets-reply.js';

type Operation = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

interface Input {
  value: CollectionValue | undefined;
  size: number;
  weight: number;
}

/**
 * How a plain set is read. The set type lives in its own module; any of the usual shapes is
 * accepted (iterable, or members()/keys()/values(), and has()), members as strings or numbers.
 */
interface SetShape {
  readonly size: number;
  has?(member: unknown): boolean;
  members?(): Iterable<string | number>;
  keys?(): Iterable<string | number>;
  values?(): Iterable<string | number>;
  [Symbol.iterator]?(): Iterator<string | number>;
}

function setMembers(value: CollectionValue): Iterable<string | number> {
  const set = value as unknown as SetShape;
  if (typeof set.members === 'function') return set.members();
  if (typeof set[Symbol.iterator] === 'function') return set as Iterable<string | number>;
  if (typeof set.keys === 'function') return set.keys();
  if (typeof set.values === 'function') return set.values();
  throw new TypeError('set values must expose their members');
}

function setHas(value: CollectionValue, member: string): boolean {
  const set = value as unknown as SetShape;
  if (typeof set.has === 'function') {
    if (set.has(member)) return true;
    const asNumber = Number(member);
    return String(asNumber) === member && set.has(asNumber);
  }
  for (const candidate of setMembers(value)) if (String(candidate) === member) return true;
  return false;
}

/** Visits every member of an input with its score, until `visit` returns false. */
function visitInput(input: Input, visit: (member: string, score: number) => boolean | void): void {
  const value = input.value;
  if (value === undefined) return;
  if (value instanceof SortedSetValue) {
    value.forEach((score, member) => visit(member, score));
  } else {
    for (const member of setMembers(value)) if (visit(String(member), 1) === false) return;
  }
}

function findInput(input: Input, member: string): number | undefined {
  const value = input.value;
  if (value === undefined) return undefined;
  if (value instanceof SortedSetValue) return value.score(member);
  return setHas(value, member) ? 1 : undefined;
}

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const total = target + value;
    // inf + -inf: Redis keeps the convention that the sum is 0.
    return Number.isNaN(total) ? 0 : total;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

interface Parsed {
  inputs: Input[];
  how: Aggregate;
  withScores: boolean;
  limit: number;
}

function parse(
  ctx: CommandContext,
  argv: string[],
  name: string,
  operation: Operation,
  store: boolean,
  cardinalityOnly: boolean,
): Parsed {
  const numkeysIndex = store ? 2 : 1;
  const setCount = longArg(argv[numkeysIndex]);
  if (setCount < 1) fail(`ERR at least 1 input key is needed for '${name}' command`);
  if (setCount > argv.length - (numkeysIndex + 1)) fail(Errors.syntax);
  const inputs: Input[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < setCount; i++, j++) {
    const value = ctx.lookup(argv[j] as string);
    if (
      value !== undefined &&
      (typeof value !== 'object' || (value.type !== 'zset' && value.type !== 'set'))
    ) {
      fail(Errors.wrongType);
    }
    inputs.push({ value, size: value === undefined ? 0 : value.size, weight: 1 });
  }
  const parsed: Parsed = { inputs, how: 'sum', withScores: false, limit: 0 };
  while (j < argv.length) {
    const word = argv[j];
    const remaining = argv.length - j;
    const weighted = operation !== 'diff' && !cardinalityOnly;
    if (weighted && remaining >= setCount + 1 && isWord(word, 'WEIGHTS')) {
      j++;
      for (const input of inputs)
        input.weight = scoreArg(argv[j++], 'ERR weight value is not a float');
    } else if (weighted && remaining >= 2 && isWord(word, 'AGGREGATE')) {
      const how = argv[j + 1];
      if (isWord(how, 'SUM')) parsed.how = 'sum';
      else if (isWord(how, 'MIN')) parsed.how = 'min';
      else if (isWord(how, 'MAX')) parsed.how = 'max';
      else fail(Errors.syntax);
      j += 2;
    } else if (!store && !cardinalityOnly && isWord(word, 'WITHSCORES')) {
      parsed.withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && isWord(word, 'LIMIT')) {
      parsed.limit = longArg(argv[j + 1], "ERR LIMIT can't be negative");
      if (parsed.limit < 0) fail("ERR LIMIT can't be negative");
      j += 2;
    } else {
      fail(Errors.syntax);
    }
  }
  return parsed;
}

function union(inputs: Input[], how: Aggregate): Map<string, number> {
  const result = new Map<string, number>();
  for (const input of inputs) {
    visitInput(input, (member, score) => {
      let weighted = input.weight * score;
      if (Number.isNaN(weighted)) weighted = 0;
      const current = result.get(member);
      result.set(member, current === undefined ? weighted : aggregate(current, weighted, how));
    });
  }
  return result;
}

/** The intersection, or (with `limit` >= 0 and `countOnly`) just its size up to the limit. */
function inter(
  inputs: Input[],
  how: Aggregate,
  countOnly: boolean,
  limit: number,
): Map<string, number> | number {
  const result = new Map<string, number>();
  let cardinality = 0;
  const first = inputs[0] as Input;
  if (first.size === 0) return countOnly ? 0 : result;
  visitInput(first, (member, score) => {
    let total = first.weight * score;
    if (Number.isNaN(total)) total = 0;
    for (let j = 1; j < inputs.length; j++) {
      const other = inputs[j] as Input;
      // The same key twice: its own score, without a lookup.
      const found = other.value === first.value ? score : findInput(other, member);
      if (found === undefined) return;
      total = aggregate(total, found * other.weight, how);
    }
    if (!countOnly) {
      result.set(member, total);
      return;
    }
    cardinality++;
    if (limit > 0 && cardinality >= limit) return false;
  });
  return countOnly ? cardinality : result;
}

function diff(inputs: Input[]): Map<string, number> {
  const result = new Map<string, number>();
  const first = inputs[0] as Input;
  if (first.size === 0) return result;
  // A key that is also subtracted leaves nothing.
  for (let j = 1; j < inputs.length; j++) if (inputs[j]?.value === first.value) return result;
  visitInput(first, (member, score) => {
    for (let j = 1; j < inputs.length; j++) {
      if (findInput(inputs[j] as Input, member) !== undefined) return;
    }
    result.set(member, score);
  });
  return result;
}

function setOperation(
  ctx: CommandContext,
  argv: string[],
  name: string,
  operation: Operation,
  store: boolean,
  cardinalityOnly = false,
): void {
  const parsed = parse(ctx, argv, name, operation, store, cardinalityOnly);
  const inputs = parsed.inputs;
  // Smallest first, as Redis orders them (fewer lookups for an intersection).
  if (operation !== 'diff') inputs.sort((a, b) => a.size - b.size);
  if (cardinalityOnly) {
    return ctx.reply.int(inter(inputs, parsed.how, true, parsed.limit) as number);
  }
  const result =
    operation === 'union'
      ? union(inputs, parsed.how)
      : operation === 'inter'
        ? (inter(inputs, parsed.how, false, 0) as Map<string, number>)
        : diff(inputs);
  const { scores, members } = sortByKey([...result.values()], [...result.keys()]);
  if (store) {
    storeSortedSet(ctx, argv[1] as string, scores, members, name);
    return ctx.reply.int(members.length);
  }
  beginMembers(ctx, members.length, parsed.withScores);
  for (let i = 0; i < members.length; i++) {
    replyMember(ctx, members[i] as string, scores[i] as number, parsed.withScores);
  }
}

export function zunion(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zunion', 'union', false);
}
export function zinter(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zinter', 'inter', false);
}
export function zdiff(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zdiff', 'diff', false);
}
export function zunionstore(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zunionstore', 'union', true);
}
export function zinterstore(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zinterstore', 'inter', true);
}
export function zdiffstore(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zdiffstore', 'diff', true);
}
export function zintercard(ctx: CommandContext, argv: string[]): void {
  setOperation(ctx, argv, 'zintercard', 'inter', false, true);
}
