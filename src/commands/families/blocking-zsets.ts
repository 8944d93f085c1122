// Blocking sorted set commands: BZPOPMIN, BZPOPMAX, BZMPOP, on the blocking framework (see
// blocking-lists.ts for the pattern).

import { SortedSetValue } from '../../engine/types/zset.js';
import type { Value } from '../../engine/values.js';
import type { CommandContext } from '../context.js';
import { command, type CommandDefinition, numkeysKeys } from '../spec.js';
import { servableKeys, timeoutArg } from './blocking-lists.js';
import { lookupSortedSet } from './zsets-args.js';
import { multiPopArguments, popFromFirstSortedSet, popFromSortedSet } from './zsets-write.js';

const isSortedSet = (value: Value): boolean => value instanceof SortedSetValue;

function bzpopFamily(max: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const timeoutMs = timeoutArg(argv[argv.length - 1]);
    const keys = argv.slice(1, -1);
    for (const key of servableKeys(ctx, keys, isSortedSet)) {
      if (lookupSortedSet(ctx, key) === undefined) continue;
      const popped = popFromSortedSet(ctx, key, max, 1);
      ctx.reply.array(3);
      ctx.reply.bulk(key);
      ctx.reply.bulk(popped.members[0] as string);
      ctx.reply.double(popped.scores[0] as number);
      return;
    }
    ctx.block(keys, timeoutMs, 'nilArray');
  };
}

function bzmpop(ctx: CommandContext, argv: string[]): void {
  const timeoutMs = timeoutArg(argv[1]);
  const options = multiPopArguments(argv, 2);
  const keys = options.keys;
  const served = popFromFirstSortedSet(ctx, {
    ...options,
    keys: [...servableKeys(ctx, keys, isSortedSet)],
  });
  if (!served) ctx.block(keys, timeoutMs, 'nilArray');
}

export const blockingSortedSetCommands: CommandDefinition[] = [
  command(
    'bzpopmin',
    -3,
    'sortedset',
    'Pops the lowest-scored member, or blocks.',
    bzpopFamily(false),
    {
      flags: ['write', 'noscript', 'blocking', 'fast'],
      keys: [1, -2, 1],
      categories: ['sortedset'],
      since: '5.0.0',
    },
  ),
  command(
    'bzpopmax',
    -3,
    'sortedset',
    'Pops the highest-scored member, or blocks.',
    bzpopFamily(true),
    {
      flags: ['write', 'noscript', 'blocking', 'fast'],
      keys: [1, -2, 1],
      categories: ['sortedset'],
      since: '5.0.0',
    },
  ),
  command(
    'bzmpop',
    -5,
    'sortedset',
    'Pops from the first non-empty sorted set, or blocks.',
    bzmpop,
    {
      flags: ['write', 'blocking'],
      keys: [0, 0, 0],
      getKeys: numkeysKeys(2),
      categories: ['sortedset'],
      since: '7.0.0',
    },
  ),
];
