// Blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP. Each tries its non-blocking
// form; with no data it blocks the client on its keys (ctx.block) and is run again, oldest
// client first, when one of the keys changes.

import { ListValue } from '../../engine/types/list.js';
import type { Value } from '../../engine/values.js';
import { parseDouble } from '../../util/numbers.js';
import type { CommandContext } from '../context.js';
import { fail } from '../errors.js';
import { command, type CommandDefinition, numkeysKeys } from '../spec.js';
import {
  moveBetweenLists,
  multiPopArguments,
  popFromFirstList,
  replyKeyAndElements,
} from './lists.js';

/**
 * A blocking timeout in seconds (fractions allowed, 0 = forever) as milliseconds. As Redis 7.2:
 * "inf" parses, and is out of range (7.0 overflows it into "timeout is negative").
 */
export function timeoutArg(arg: string | undefined): number {
  const seconds = arg === undefined ? undefined : parseDouble(arg);
  if (seconds === undefined || Number.isNaN(seconds)) {
    fail('ERR timeout is not a float or out of range');
  }
  if (seconds < 0) fail('ERR timeout is negative');
  const ms = Math.ceil(seconds * 1000);
  if (!Number.isSafeInteger(ms)) fail('ERR timeout is out of range');
  return ms;
}

/**
 * The keys a blocking command may take data from. On its first run, all of them (a key of
 * another type is WRONGTYPE at once). When it runs again for a blocked client, only those that
 * hold the type it waits for: Redis serves a blocked client only from a key of that type, and a
 * key that became another type (SET, SADD…) leaves the client blocked.
 */
export function servableKeys(
  ctx: CommandContext,
  keys: readonly string[],
  holdsWaitedType: (value: Value) => boolean,
): readonly string[] {
  if (!ctx.retryingBlocked) return keys;
  return keys.filter((key) => {
    const value = ctx.lookup(key);
    return value !== undefined && holdsWaitedType(value);
  });
}

const isList = (value: Value): boolean => value instanceof ListValue;

function side(arg: string | undefined): boolean {
  const word = (arg ?? '').toUpperCase();
  if (word === 'LEFT') return true;
  if (word === 'RIGHT') return false;
  return fail('ERR syntax error');
}

function bpopFamily(fromLeft: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const timeoutMs = timeoutArg(argv[argv.length - 1]);
    const keys = argv.slice(1, -1);
    const popped = popFromFirstList(ctx, servableKeys(ctx, keys, isList), fromLeft, 1);
    if (popped === undefined) return ctx.block(keys, timeoutMs, 'nilArray');
    ctx.reply.array(2);
    ctx.reply.bulk(popped.key);
    ctx.reply.bulk(popped.elements[0] as string);
  };
}

function blockingMove(
  ctx: CommandContext,
  source: string,
  destination: string,
  fromLeft: boolean,
  toLeft: boolean,
  timeoutMs: number,
): void {
  const element =
    servableKeys(ctx, [source], isList).length === 0
      ? undefined
      : moveBetweenLists(ctx, source, destination, fromLeft, toLeft);
  if (element === undefined) return ctx.block([source], timeoutMs, 'nil');
  ctx.reply.bulk(element);
}

function blmove(ctx: CommandContext, argv: string[]): void {
  const fromLeft = side(argv[3]);
  const toLeft = side(argv[4]);
  const timeoutMs = timeoutArg(argv[5]);
  blockingMove(ctx, argv[1] as string, argv[2] as string, fromLeft, toLeft, timeoutMs);
}

function brpoplpush(ctx: CommandContext, argv: string[]): void {
  const timeoutMs = timeoutArg(argv[3]);
  blockingMove(ctx, argv[1] as string, argv[2] as string, false, true, timeoutMs);
}

function blmpop(ctx: CommandContext, argv: string[]): void {
  const timeoutMs = timeoutArg(argv[1]);
  const { keys, fromLeft, count } = multiPopArguments(argv, 2);
  const popped = popFromFirstList(ctx, servableKeys(ctx, keys, isList), fromLeft, count);
  if (popped === undefined) return ctx.block(keys, timeoutMs, 'nilArray');
  replyKeyAndElements(ctx, popped.key, popped.elements);
}

// Redis 7.0 marks these noscript (BLMPOP excepted): a script cannot wait.
const blocking = (keys: readonly [number, number, number], denyoom = false, noscript = true) =>
  ({
    flags: [
      'write',
      ...(denyoom ? (['denyoom'] as const) : []),
      ...(noscript ? (['noscript'] as const) : []),
      'blocking',
    ],
    keys,
    categories: ['list'],
  }) as const;

export const blockingListCommands: CommandDefinition[] = [
  command('blpop', -3, 'list', 'Pops from the first non-empty list, or blocks.', bpopFamily(true), {
    ...blocking([1, -2, 1]),
    since: '2.0.0',
  }),
  command(
    'brpop',
    -3,
    'list',
    'Pops from the end of the first non-empty list, or blocks.',
    bpopFamily(false),
    {
      ...blocking([1, -2, 1]),
      since: '2.0.0',
    },
  ),
  command('blmove', 6, 'list', 'Moves an element between lists, or blocks.', blmove, {
    ...blocking([1, 2, 1], true),
    since: '6.2.0',
  }),
  command('brpoplpush', 4, 'list', 'Moves an element between lists, or blocks.', brpoplpush, {
    ...blocking([1, 2, 1], true),
    since: '2.2.0',
  }),
  command('blmpop', -5, 'list', 'Pops from the first non-empty list, or blocks.', blmpop, {
    ...blocking([0, 0, 0], false, false),
    getKeys: numkeysKeys(2),
    since: '7.0.0',
  }),
];
