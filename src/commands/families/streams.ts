// Stream commands (t_stream.c, Redis 7.0): XADD, XTRIM, XLEN, XRANGE, XDEL, XSETID, XREAD and
// XREADGROUP, and the table of every stream command (consumer groups in streams-groups.ts, XINFO
// in streams-info.ts, shared helpers in streams-common.ts). Every write resolves to stream effects
// (engine/types/stream.ts) with IDs and times decided here: an auto ID from ctx.nowMs, delivery
// times from ctx.nowMs, trimming as the rule it applies.

import {
  ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  type PendingEntry,
  sortedPending,
  StreamOp,
  StreamValue,
  TrimStrategy,
} from '../../engine/types/stream.js';
import {
  formatId,
  ID_MAX,
  ID_ZERO,
  idMs,
  idSeq,
  makeId,
  nextId,
  parseId,
  type StreamId,
} from '../../engine/types/stream-id.js';
import type { Value } from '../../engine/values.js';
import { parseInt64 } from '../../util/numbers.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { command, type CommandDefinition, oneKey } from '../spec.js';
import { replyHelp } from './keys.js';
import {
  INVALID_ID,
  U64_MAX,
  endArg,
  estimateDistanceFromFirstEverEntry,
  idArg,
  longArg,
  lookupStream,
  rangeHasTombstones,
  replyEntries,
  replyEntry,
  replyId,
  seeConsumer,
  startArg,
} from './streams-common.js';
import {
  xack,
  xautoclaim,
  xclaim,
  xgroupCreate,
  xgroupCreateConsumer,
  xgroupDelConsumer,
  xgroupDestroy,
  xgroupHelp,
  xgroupSetId,
  xpending,
} from './streams-groups.js';
import { xinfoConsumers, xinfoGroups, xinfoHelp, xinfoStream } from './streams-info.js';

// ---- XADD, XTRIM ----

export interface TrimArguments {
  strategy: number | undefined;
  maxLength: number;
  minId: StreamId;
  approx: boolean;
  limit: number;
  noMakeStream: boolean;
  id: StreamId | undefined;
  seqGiven: boolean;
  /** Index of the ID (XADD) or argv.length. */
  end: number;
}

export const BOTH_STRATEGIES =
  'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';

/** streamParseAddOrTrimArgsOrReply (7.0). */
export function trimArguments(ctx: CommandContext, argv: string[], xadd: boolean): TrimArguments {
  const out: TrimArguments = {
    strategy: undefined,
    maxLength: -1,
    minId: ID_ZERO,
    approx: false,
    limit: 0,
    noMakeStream: false,
    id: undefined,
    seqGiven: true,
    end: argv.length,
  };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const option = argv[i] as string;
    if (xadd && option === '*') break;
    if (isWord(option, 'MAXLEN') && more > 0) {
      if (out.strategy !== undefined) fail(BOTH_STRATEGIES);
      out.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === '~') {
        out.approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      out.maxLength = longArg(argv[i + 1]);
      if (out.maxLength < 0) fail('ERR The MAXLEN argument must be >= 0.');
      i++;
      out.strategy = TrimStrategy.MaxLen;
    } else if (isWord(option, 'MINID') && more > 0) {
      if (out.strategy !== undefined) fail(BOTH_STRATEGIES);
      out.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === '~') {
        out.approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      out.minId = idArg(argv[i + 1] as string, 0n, true);
      i++;
      out.strategy = TrimStrategy.MinId;
    } else if (isWord(option, 'LIMIT') && more > 0) {
      out.limit = longArg(argv[i + 1]);
      if (out.limit < 0) fail('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && isWord(option, 'NOMKSTREAM')) {
      out.noMakeStream = true;
    } else if (xadd) {
      const parsed = parseId(option, 0n, true, true);
      if (parsed === undefined) fail(INVALID_ID);
      out.id = parsed.id;
      out.seqGiven = parsed.seqGiven;
      break;
    } else fail(Errors.syntax);
  }
  out.end = i;
  if (out.limit !== 0 && out.strategy === undefined) {
    fail('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  }
  if (!xadd && out.strategy === undefined) {
    fail('ERR syntax error, XTRIM must be called with a trimming strategy');
  }
  if (limitGiven) {
    if (!out.approx) fail('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (out.approx) {
    const perNode = ctx.engine.encodingLimits.streamNodeMaxEntries;
    out.limit = perNode > 0 ? 100 * perNode : 10000;
  } else out.limit = 0;
  return out;
}

/** Trims `key` as `args` say (a dry run first, so the effect is logged only when it removes). */
export function trimStream(
  ctx: CommandContext,
  key: string,
  stream: StreamValue,
  args: TrimArguments,
): number {
  const strategy = args.strategy as number;
  const removed = stream.trim(strategy, args.maxLength, args.minId, args.approx, args.limit, true);
  if (removed > 0) {
    const threshold = strategy === TrimStrategy.MaxLen ? args.maxLength : formatId(args.minId);
    ctx.emit([
      StreamOp.Trim,
      ctx.client.db,
      key,
      strategy,
      threshold,
      args.approx ? 1 : 0,
      args.limit,
    ]);
    ctx.notify(EventClass.stream, 'xtrim', key);
  }
  return removed;
}

export const TOP_ITEM =
  'ERR The ID specified in XADD is equal or smaller than the target stream top item';

/** The ID XADD gives a new entry (streamAppendItem / streamNextID). */
export function newEntryId(
  ctx: CommandContext,
  stream: StreamValue | undefined,
  args: TrimArguments,
) {
  const last = stream?.lastId ?? ID_ZERO;
  let id: StreamId;
  if (args.id !== undefined) {
    if (args.seqGiven) id = args.id;
    else if (idMs(last) === idMs(args.id)) {
      if (idSeq(last) === U64_MAX) fail(TOP_ITEM);
      id = last + 1n;
    } else id = args.id;
  } else {
    const now = BigInt(ctx.nowMs);
    id = now > idMs(last) ? makeId(now, 0n) : (nextId(last) as StreamId);
  }
  if (id <= last) fail(TOP_ITEM);
  return id;
}

export function xadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const args = trimArguments(ctx, argv, true);
  const fieldsAt = args.end + 1;
  const pairs = argv.length - fieldsAt;
  if (pairs < 2 || pairs % 2 === 1) fail(Errors.wrongArity('xadd'));
  if (args.id !== undefined && args.seqGiven && args.id === ID_ZERO) {
    fail('ERR The ID specified in XADD must be greater than 0-0');
  }
  let stream = lookupStream(ctx, key);
  if (stream === undefined && args.noMakeStream) return ctx.reply.nilArray();
  if (stream !== undefined && stream.lastId === ID_MAX) {
    fail('ERR The stream has exhausted the last possible ID, unable to add more items');
  }
  const id = newEntryId(ctx, stream, args);
  const fields = argv.slice(fieldsAt);
  const limits = ctx.engine.encodingLimits;
  const newNode =
    stream?.needsNewNode(fields, limits.streamNodeMaxBytes, limits.streamNodeMaxEntries) ?? true;
  ctx.emit([StreamOp.Add, ctx.client.db, key, newNode ? 1 : 0, formatId(id), ...fields]);
  replyId(ctx, id);
  ctx.notify(EventClass.stream, 'xadd', key);
  stream = lookupStream(ctx, key) as StreamValue;
  if (args.strategy !== undefined) trimStream(ctx, key, stream, args);
}

export function xtrim(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) return ctx.reply.int(0);
  const args = trimArguments(ctx, argv, false);
  ctx.reply.int(trimStream(ctx, key, stream, args));
}

export function xlen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupStream(ctx, argv[1] as string)?.length ?? 0);
}

export function xrangeFamily(reverse: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const start = startArg((reverse ? argv[3] : argv[2]) as string);
    const end = endArg((reverse ? argv[2] : argv[3]) as string);
    let count = -1;
    for (let i = 4; i < argv.length; i++) {
      if (isWord(argv[i], 'COUNT') && i + 1 < argv.length) {
        count = Math.max(0, longArg(argv[++i]));
      } else fail(Errors.syntax);
    }
    const stream = lookupStream(ctx, argv[1] as string);
    if (stream === undefined) return ctx.reply.array(0);
    if (count === 0) return ctx.reply.nilArray();
    replyEntries(ctx, stream.range(start, end, count < 0 ? 0 : count, reverse));
  };
}

export function xdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const ids = argv.slice(2).map((text) => idArg(text, 0n, true));
  const stream = lookupStream(ctx, key);
  if (stream === undefined) return ctx.reply.int(0);
  const present = new Set<StreamId>();
  for (const id of ids) if (stream.has(id)) present.add(id);
  if (present.size > 0) {
    ctx.emit([StreamOp.Delete, ctx.client.db, key, ...[...present].map(formatId)]);
    ctx.notify(EventClass.stream, 'xdel', key);
  }
  ctx.reply.int(present.size);
}

export function xsetid(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const id = idArg(argv[2] as string, 0n, true);
  let entriesAdded = -1;
  let maxDeletedId = ID_ZERO;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    if (isWord(argv[i], 'ENTRIESADDED') && more > 0) {
      entriesAdded = longArg(argv[i + 1]);
      if (entriesAdded < 0) fail('ERR entries_added must be positive');
    } else if (isWord(argv[i], 'MAXDELETEDID') && more > 0) {
      maxDeletedId = idArg(argv[i + 1] as string, 0n, true);
      if (id < maxDeletedId) {
        fail('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      }
    } else fail(Errors.syntax);
  }
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(Errors.noSuchKey);
  if (stream.length > 0) {
    if (id < stream.lastValidId()) {
      fail('ERR The ID specified in XSETID is smaller than the target stream top item');
    }
    if (entriesAdded !== -1 && stream.length > entriesAdded) {
      fail('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  if (id < stream.maxDeletedId) {
    fail('ERR The ID specified in XSETID is smaller than current max_deleted_entry_id');
  }
  ctx.emit([
    StreamOp.SetId,
    ctx.client.db,
    key,
    formatId(id),
    entriesAdded === -1 ? stream.entriesAdded : entriesAdded,
    formatId(maxDeletedId === ID_ZERO ? stream.maxDeletedId : maxDeletedId),
  ]);
  ctx.reply.ok();
  ctx.notify(EventClass.stream, 'xsetid', key);
}

// ---- XREAD, XREADGROUP ----

export const BLOCKED_GROUP_GONE =
  'NOGROUP the consumer group this client was blocked on no longer exists';

export function isStreamValue(value: Value | undefined): value is StreamValue {
  return value instanceof StreamValue;
}

/** Keys of XREAD / XREADGROUP: the first half of the words after STREAMS. */
export function streamsKeys(from: number) {
  return (argv: readonly string[]): string[] => {
    for (let i = from; i < argv.length; i++) {
      if (isWord(argv[i], 'STREAMS')) {
        const count = Math.floor((argv.length - i - 1) / 2);
        return argv.slice(i + 1, i + 1 + count);
      }
    }
    return [];
  };
}

export function xreadFamily(withGroup: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    let timeoutMs = -1;
    let count = 0;
    let streamsAt = 0;
    let streamCount = 0;
    let noAck = false;
    let groupName: string | undefined;
    let consumerName = '';
    for (let i = 1; i < argv.length; i++) {
      const more = argv.length - i - 1;
      const option = argv[i] as string;
      if (isWord(option, 'BLOCK') && more > 0) {
        const value = parseInt64(argv[++i] as string);
        if (typeof value !== 'number') fail('ERR timeout is not an integer or out of range');
        if (value < 0) fail('ERR timeout is negative');
        timeoutMs = value;
      } else if (isWord(option, 'COUNT') && more > 0) {
        count = Math.max(0, longArg(argv[++i]));
      } else if (isWord(option, 'STREAMS') && more > 0) {
        streamsAt = i + 1;
        streamCount = argv.length - streamsAt;
        if (streamCount % 2 !== 0) {
          // Redis 7.0 names XREAD and '$' for XREADGROUP too.
          fail(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
          );
        }
        streamCount /= 2;
        break;
      } else if (isWord(option, 'GROUP') && more >= 2) {
        if (!withGroup) {
          fail('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
        }
        groupName = argv[i + 1] as string;
        consumerName = argv[i + 2] as string;
        i += 2;
      } else if (isWord(option, 'NOACK')) {
        if (!withGroup) {
          fail('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
        }
        noAck = true;
      } else fail(Errors.syntax);
    }
    if (streamsAt === 0) fail(Errors.syntax);
    if (withGroup && groupName === undefined) fail('ERR Missing GROUP option for XREADGROUP');

    const keys = argv.slice(streamsAt, streamsAt + streamCount);
    const ids: (StreamId | '>')[] = [];
    const groups: (ConsumerGroup | undefined)[] = [];
    for (let i = 0; i < streamCount; i++) {
      const key = keys[i] as string;
      const idText = argv[streamsAt + streamCount + i] as string;
      let value = ctx.lookup(key);
      if (ctx.retryingBlocked && !isStreamValue(value)) value = undefined;
      if (value !== undefined && !isStreamValue(value)) fail(Errors.wrongType);
      if (groupName !== undefined) {
        const group = value?.groups.get(groupName);
        if (group === undefined) {
          if (ctx.retryingBlocked) fail(BLOCKED_GROUP_GONE);
          fail(
            `NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`,
          );
        }
        groups.push(group);
      }
      if (idText === '$') {
        if (withGroup) {
          fail(
            'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
          );
        }
        ids.push(value?.lastId ?? ID_ZERO);
      } else if (idText === '>') {
        if (!withGroup) {
          fail(
            'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
          );
        }
        ids.push('>');
      } else ids.push(idArg(idText, 0n, true));
    }

    // Serve what can be served now.
    let served = 0;
    const reply = ctx.reply;
    const pending: (() => void)[] = [];
    for (let i = 0; i < streamCount; i++) {
      const key = keys[i] as string;
      const value = ctx.engine.database(ctx.client.db).get(key);
      if (!isStreamValue(value)) continue;
      const group = groups[i];
      const id = ids[i] as StreamId | '>';
      if (group !== undefined && id !== '>') {
        served++;
        pending.push(() => serveHistory(ctx, key, value, group, consumerName, id, count));
        continue;
      }
      const after = id === '>' ? (group as ConsumerGroup).lastId : id;
      if (value.length === 0 || value.lastValidId() <= after) continue;
      served++;
      pending.push(() => {
        if (group === undefined) {
          replyStream(ctx, key, value.range(after + 1n, ID_MAX, count, false));
        } else serveNew(ctx, key, value, group, consumerName, after, count, noAck);
      });
    }
    if (served > 0) {
      if (reply.protocol === 3) reply.map(served);
      else reply.array(served);
      for (const serve of pending) serve();
      return;
    }
    if (timeoutMs >= 0) {
      // "$" means the last ID now: the command runs again later with that ID in its place.
      const resolved = argv.slice();
      for (let i = 0; i < streamCount; i++) {
        const id = ids[i] as StreamId | '>';
        if (id !== '>') resolved[streamsAt + streamCount + i] = formatId(id);
      }
      ctx.currentArgv = resolved;
      return ctx.block(keys, timeoutMs, 'nilArray');
    }
    reply.nilArray();
  };
}

export function replyStream(
  ctx: CommandContext,
  key: string,
  entries: [StreamId, readonly string[]][],
): void {
  if (ctx.reply.protocol === 2) ctx.reply.array(2);
  ctx.reply.bulk(key);
  replyEntries(ctx, entries);
}

/** Creates or refreshes a consumer (seen time now); notifies a creation. */

export function serveNew(
  ctx: CommandContext,
  key: string,
  stream: StreamValue,
  group: ConsumerGroup,
  consumerName: string,
  after: StreamId,
  count: number,
  noAck: boolean,
): void {
  const entries = stream.range(after + 1n, ID_MAX, count, false);
  seeConsumer(ctx, key, group, consumerName);
  let lastId = group.lastId;
  let entriesRead = group.entriesRead;
  for (const [id] of entries) {
    if (id <= lastId) continue;
    if (entriesRead !== ENTRIES_READ_UNKNOWN && !rangeHasTombstones(stream, id)) entriesRead++;
    else if (stream.entriesAdded !== 0) {
      entriesRead = estimateDistanceFromFirstEverEntry(stream, id);
    }
    lastId = id;
  }
  ctx.emit([
    StreamOp.Deliver,
    ctx.client.db,
    key,
    group.name,
    consumerName,
    ctx.nowMs,
    formatId(lastId),
    entriesRead,
    noAck ? 1 : 0,
    ...entries.map(([id]) => formatId(id)),
  ]);
  replyStream(ctx, key, entries);
}

export function serveHistory(
  ctx: CommandContext,
  key: string,
  stream: StreamValue,
  group: ConsumerGroup,
  consumerName: string,
  after: StreamId,
  count: number,
): void {
  seeConsumer(ctx, key, group, consumerName);
  const consumer = group.consumers.get(consumerName);
  const start = nextId(after) ?? ID_MAX;
  const chosen: PendingEntry[] = [];
  for (const entry of sortedPending(consumer?.pending ?? new Map())) {
    if (entry.id < start) continue;
    if (count > 0 && chosen.length >= count) break;
    chosen.push(entry);
  }
  if (ctx.reply.protocol === 2) ctx.reply.array(2);
  ctx.reply.bulk(key);
  ctx.reply.array(chosen.length);
  const redelivered: string[] = [];
  for (const entry of chosen) {
    const pairs = stream.get(entry.id);
    if (pairs === undefined) {
      ctx.reply.array(2);
      replyId(ctx, entry.id);
      ctx.reply.nilArray();
    } else {
      replyEntry(ctx, entry.id, pairs);
      redelivered.push(formatId(entry.id));
    }
  }
  if (redelivered.length > 0) {
    ctx.emit([StreamOp.Redeliver, ctx.client.db, key, group.name, ctx.nowMs, ...redelivered]);
  }
}

// ---- the table ----

const sub = [2, 2, 1] as const;

const xgroupSubcommands: CommandDefinition[] = [
  command('create', -5, 'stream', 'Creates a consumer group.', xgroupCreate, {
    flags: ['write', 'denyoom'],
    keys: sub,
    since: '5.0.0',
  }),
  command('setid', -5, 'stream', "Sets a group's last delivered ID.", xgroupSetId, {
    flags: ['write'],
    keys: sub,
    since: '5.0.0',
  }),
  command('destroy', 4, 'stream', 'Destroys a consumer group.', xgroupDestroy, {
    flags: ['write'],
    keys: sub,
    since: '5.0.0',
  }),
  command('createconsumer', 5, 'stream', 'Creates a consumer.', xgroupCreateConsumer, {
    flags: ['write', 'denyoom'],
    keys: sub,
    since: '6.2.0',
  }),
  command('delconsumer', 5, 'stream', 'Deletes a consumer.', xgroupDelConsumer, {
    flags: ['write'],
    keys: sub,
    since: '5.0.0',
  }),
  command('help', 2, 'stream', 'Help for XGROUP.', (ctx) => replyHelp(ctx, xgroupHelp), {
    flags: ['loading', 'stale'],
    since: '5.0.0',
  }),
];

const xinfoSubcommands: CommandDefinition[] = [
  command('stream', -3, 'stream', 'Information about a stream.', xinfoStream, {
    flags: ['readonly'],
    keys: sub,
    since: '5.0.0',
  }),
  command('groups', 3, 'stream', "A stream's consumer groups.", xinfoGroups, {
    flags: ['readonly'],
    keys: sub,
    since: '5.0.0',
  }),
  command('consumers', 4, 'stream', "A group's consumers.", xinfoConsumers, {
    flags: ['readonly'],
    keys: sub,
    since: '5.0.0',
  }),
  command('help', 2, 'stream', 'Help for XINFO.', (ctx) => replyHelp(ctx, xinfoHelp), {
    flags: ['loading', 'stale'],
    since: '5.0.0',
  }),
];

export const streamCommands: CommandDefinition[] = [
  command('xadd', -5, 'stream', 'Appends an entry to a stream.', xadd, {
    flags: ['write', 'denyoom', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xlen', 2, 'stream', 'Number of entries.', xlen, {
    flags: ['readonly', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xrange', -4, 'stream', 'Entries in an ID range.', xrangeFamily(false), {
    flags: ['readonly'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xrevrange', -4, 'stream', 'Entries in an ID range, newest first.', xrangeFamily(true), {
    flags: ['readonly'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xdel', -3, 'stream', 'Deletes entries.', xdel, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xtrim', -4, 'stream', 'Trims a stream.', xtrim, {
    flags: ['write'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xsetid', -3, 'stream', "Sets a stream's last ID and counters.", xsetid, {
    flags: ['write', 'denyoom', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xread', -4, 'stream', 'Reads from streams, or blocks.', xreadFamily(false), {
    flags: ['readonly', 'blocking'],
    getKeys: streamsKeys(1),
    since: '5.0.0',
  }),
  command('xreadgroup', -7, 'stream', 'Reads from streams for a group.', xreadFamily(true), {
    flags: ['write', 'blocking'],
    getKeys: streamsKeys(4),
    since: '5.0.0',
  }),
  command('xack', -4, 'stream', 'Acknowledges pending entries.', xack, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xpending', -3, 'stream', "A group's pending entries.", xpending, {
    flags: ['readonly'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xclaim', -6, 'stream', 'Takes over pending entries.', xclaim, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '5.0.0',
  }),
  command('xautoclaim', -6, 'stream', 'Takes over idle pending entries.', xautoclaim, {
    flags: ['write', 'fast'],
    keys: oneKey,
    since: '6.2.0',
  }),
  command('xgroup', -2, 'stream', 'Consumer groups.', undefined, {
    subcommands: xgroupSubcommands,
    categories: [],
  }),
  command('xinfo', -2, 'stream', 'Stream introspection.', undefined, {
    subcommands: xinfoSubcommands,
    categories: [],
  }),
];
