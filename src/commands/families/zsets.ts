// Sorted set commands (t_zset.c): the command table entries. The handlers live in zsets-write.ts
// (changes), zsets-read.ts (lookups, counts, random members, ZSCAN), zsets-range.ts (ZRANGE and
// friends) and zsets-setops.ts (union, intersection, difference). The blocking variants
// (BZPOPMIN, BZPOPMAX, BZMPOP) are built on popFromSortedSet by the blocking framework.

import { command, type CommandDefinition, oneKey, numkeysKeys } from '../spec.js';
import * as read from './zsets-read.js';
import * as range from './zsets-range.js';
import * as setops from './zsets-setops.js';
import * as write from './zsets-write.js';

export { popFromSortedSet, type Popped } from './zsets-write.js';

const group = 'sortedset';
const noKeys = [0, 0, 0] as const; // keys follow a count (movable keys)
const destinationKey = oneKey;

export const sortedSetCommands: CommandDefinition[] = [
  command('zadd', -4, group, 'Adds members to a sorted set, or updates their scores.', write.zadd, {
    flags: ['write', 'denyoom', 'fast'],
    keys: oneKey,
    since: '1.2.0',
  }),
  command('zincrby', 4, group, "Increments a member's score.", write.zincrby, {
    flags: ['write', 'denyoom', 'fast'],
    keys: oneKey,
    since: '1.2.0',
  }),
  command('zrem', -3, group, 'Removes members from a sorted set.', write.zrem, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '1.2.0',
  }),
  command('zcard', 2, group, 'Returns the number of members.', read.zcard, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '1.2.0',
  }),
  command('zscore', 3, group, "Returns a member's score.", read.zscore, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '1.2.0',
  }),
  command('zmscore', -3, group, 'Returns the scores of several members.', read.zmscore, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '6.2.0',
  }),
  // Arity -3: Redis 7.2 added WITHSCORE (7.0 declares 3).
  command('zrank', -3, group, "Returns a member's rank by ascending score.", read.zrank, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '2.0.0',
  }),
  command('zrevrank', -3, group, "Returns a member's rank by descending score.", read.zrevrank, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '2.0.0',
  }),
  command('zcount', 4, group, 'Counts members within a score range.', read.zcount, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '2.0.0',
  }),
  command('zlexcount', 4, group, 'Counts members within a lexical range.', read.zlexcount, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '2.8.9',
  }),
  command(
    'zrange',
    -4,
    group,
    'Returns members in a range of ranks, scores or members.',
    range.zrange,
    {
      flags: ['readonly'],
      keys: oneKey,
      since: '1.2.0',
    },
  ),
  command('zrangestore', -5, group, 'Stores a range of members in a new key.', range.zrangestore, {
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    since: '6.2.0',
  }),
  command('zrangebyscore', -4, group, 'Returns members in a score range.', range.zrangebyscore, {
    flags: ['readonly'],
    keys: oneKey,
    since: '1.0.5',
  }),
  command(
    'zrevrangebyscore',
    -4,
    group,
    'Returns members in a score range, highest first.',
    range.zrevrangebyscore,
    { flags: ['readonly'], keys: oneKey, since: '2.2.0' },
  ),
  command('zrangebylex', -4, group, 'Returns members in a lexical range.', range.zrangebylex, {
    flags: ['readonly'],
    keys: oneKey,
    since: '2.8.9',
  }),
  command(
    'zrevrangebylex',
    -4,
    group,
    'Returns members in a lexical range, in reverse.',
    range.zrevrangebylex,
    { flags: ['readonly'], keys: oneKey, since: '2.8.9' },
  ),
  command(
    'zrevrange',
    -4,
    group,
    'Returns members in a range of ranks, highest first.',
    range.zrevrange,
    {
      flags: ['readonly'],
      keys: oneKey,
      since: '1.2.0',
    },
  ),
  command(
    'zremrangebyrank',
    4,
    group,
    'Removes members in a range of ranks.',
    write.zremrangebyrank,
    { flags: ['write'], keys: oneKey, since: '2.0.0' },
  ),
  command(
    'zremrangebyscore',
    4,
    group,
    'Removes members in a score range.',
    write.zremrangebyscore,
    { flags: ['write'], keys: oneKey, since: '1.2.0' },
  ),
  command('zremrangebylex', 4, group, 'Removes members in a lexical range.', write.zremrangebylex, {
    flags: ['write'],
    keys: oneKey,
    since: '2.8.9',
  }),
  command('zpopmin', -2, group, 'Removes and returns the lowest-scored members.', write.zpopmin, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('zpopmax', -2, group, 'Removes and returns the highest-scored members.', write.zpopmax, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('zmpop', -4, group, 'Pops members from the first non-empty sorted set.', write.zmpop, {
    flags: ['write'],
    keys: noKeys,
    getKeys: numkeysKeys(1),
    since: '7.0.0',
  }),
  command('zunion', -3, group, 'Returns the union of sorted sets.', setops.zunion, {
    flags: ['readonly'],
    keys: noKeys,
    getKeys: numkeysKeys(1),
    since: '6.2.0',
  }),
  command('zinter', -3, group, 'Returns the intersection of sorted sets.', setops.zinter, {
    flags: ['readonly'],
    keys: noKeys,
    getKeys: numkeysKeys(1),
    since: '6.2.0',
  }),
  command('zdiff', -3, group, 'Returns the difference of sorted sets.', setops.zdiff, {
    flags: ['readonly'],
    keys: noKeys,
    getKeys: numkeysKeys(1),
    since: '6.2.0',
  }),
  command('zunionstore', -4, group, 'Stores the union of sorted sets.', setops.zunionstore, {
    flags: ['write', 'denyoom'],
    keys: destinationKey,
    getKeys: numkeysKeys(2, [1]),
    since: '2.0.0',
  }),
  command('zinterstore', -4, group, 'Stores the intersection of sorted sets.', setops.zinterstore, {
    flags: ['write', 'denyoom'],
    keys: destinationKey,
    getKeys: numkeysKeys(2, [1]),
    since: '2.0.0',
  }),
  command('zdiffstore', -4, group, 'Stores the difference of sorted sets.', setops.zdiffstore, {
    flags: ['write', 'denyoom'],
    keys: destinationKey,
    getKeys: numkeysKeys(2, [1]),
    since: '6.2.0',
  }),
  command('zintercard', -3, group, 'Counts the intersection of sorted sets.', setops.zintercard, {
    flags: ['readonly'],
    keys: noKeys,
    getKeys: numkeysKeys(1),
    since: '7.0.0',
  }),
  command('zrandmember', -2, group, 'Returns random members.', read.zrandmember, {
    flags: ['readonly'],
    keys: oneKey,
    since: '6.2.0',
  }),
  command('zscan', -3, group, 'Iterates over members and scores.', read.zscan, {
    flags: ['readonly'],
    keys: oneKey,
    since: '2.8.0',
  }),
];
