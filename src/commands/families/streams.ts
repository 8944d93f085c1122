// Stream commands (t_stream.c, Redis 7.0): XADD, XRANGE, XREAD, consumer groups. Every write
// resolves to stream effects (engine/types/stream.ts) with IDs and times decided here: an auto
// ID from ctx.nowMs, delivery times from ctx.nowMs, trimming as the rule it applies.

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
  previousId,
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

const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
const U64_MAX = (1n << 64n) - 1n;

function lookupStream(ctx: CommandContext, key: string): StreamValue | undefined {
  const value = ctx.lookup(key);
  if (value === undefined || value instanceof StreamValue) return value;
  fail(Errors.wrongType);
}

/** A long long argument (getLongLongFromObjectOrReply), with Redis's message or `message`. */
function longArg(arg: string | undefined, message: string = Errors.notInteger): number {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (value === undefined) fail(message);
  return typeof value === 'bigint' ? Number(value) : value;
}

function idArg(text: string, missingSeq: bigint, strict: boolean): StreamId {
  const parsed = parseId(text, missingSeq, strict);
  if (parsed === undefined) fail(INVALID_ID);
  return parsed.id;
}

/** streamParseIntervalIDOrReply: "(" excludes the ID (strict then). */
function intervalArg(text: string, missingSeq: bigint): { id: StreamId; exclusive: boolean } {
  const exclusive = text.length > 1 && text[0] === '(';
  return { id: idArg(exclusive ? text.slice(1) : text, missingSeq, exclusive), exclusive };
}

function startArg(text: string): StreamId {
  const { id, exclusive } = intervalArg(text, 0n);
  if (!exclusive) return id;
  const next = nextId(id);
  if (next === undefined) fail('ERR invalid start ID for the interval');
  return next;
}

function endArg(text: string): StreamId {
  const { id, exclusive } = intervalArg(text, U64_MAX);
  if (!exclusive) return id;
  const previous = previousId(id);
  if (previous === undefined) fail('ERR invalid end ID for the interval');
  return previous;
}

function replyId(ctx: CommandContext, id: StreamId): void {
  ctx.reply.bulk(formatId(id));
}

function replyEntry(ctx: CommandContext, id: StreamId, pairs: readonly string[]): void {
  ctx.reply.array(2);
  replyId(ctx, id);
  ctx.reply.array(pairs.length);
  for (const text of pairs) ctx.reply.bulk(text);
}

function replyEntries(ctx: CommandContext, entries: [StreamId, readonly string[]][]): void {
  ctx.reply.array(entries.length);
  for (const [id, pairs] of entries) replyEntry(ctx, id, pairs);
}

// ---- counters of consumer groups (lag, entries-read), as t_stream.c 7.0 ----

function rangeHasTombstones(stream: StreamValue, start: StreamId): boolean {
  if (stream.length === 0 || stream.maxDeletedId === ID_ZERO) return false;
  if (stream.firstId() > stream.maxDeletedId) return false;
  return start <= stream.maxDeletedId;
}

function estimateDistanceFromFirstEverEntry(stream: StreamValue, id: StreamId): number {
  if (stream.entriesAdded === 0) return 0;
  if (stream.length === 0 && id <= stream.lastId) return stream.entriesAdded;
  if (id === stream.lastId) return stream.entriesAdded;
  if (id > stream.lastId) return ENTRIES_READ_UNKNOWN;
  const first = stream.firstId();
  if (stream.maxDeletedId === ID_ZERO || stream.maxDeletedId < first) {
    if (id < first) return stream.entriesAdded - stream.length;
    if (id === first) return stream.entriesAdded - stream.length + 1;
  }
  return ENTRIES_READ_UNKNOWN;
}

/** The group's lag (XINFO), undefined when it cannot be known. */
function groupLag(stream: StreamValue, group: ConsumerGroup): number | undefined {
  if (stream.entriesAdded === 0) return 0;
  if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !rangeHasTombstones(stream, group.lastId)) {
    return stream.entriesAdded - group.entriesRead;
  }
  const read = estimateDistanceFromFirstEverEntry(stream, group.lastId);
  return read === ENTRIES_READ_UNKNOWN ? undefined : stream.entriesAdded - read;
}

// ---- XADD, XTRIM ----

interface TrimArguments {
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

const BOTH_STRATEGIES =
  'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';

/** streamParseAddOrTrimArgsOrReply (7.0). */
function trimArguments(ctx: CommandContext, argv: string[], xadd: boolean): TrimArguments {
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
function trimStream(
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

const TOP_ITEM = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';

/** The ID XADD gives a new entry (streamAppendItem / streamNextID). */
function newEntryId(ctx: CommandContext, stream: StreamValue | undefined, args: TrimArguments) {
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

function xadd(ctx: CommandContext, argv: string[]): void {
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

function xtrim(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) return ctx.reply.int(0);
  const args = trimArguments(ctx, argv, false);
  ctx.reply.int(trimStream(ctx, key, stream, args));
}

function xlen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(lookupStream(ctx, argv[1] as string)?.length ?? 0);
}

function xrangeFamily(reverse: boolean) {
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

function xdel(ctx: CommandContext, argv: string[]): void {
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

function xsetid(ctx: CommandContext, argv: string[]): void {
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

const BLOCKED_GROUP_GONE = 'NOGROUP the consumer group this client was blocked on no longer exists';

function isStreamValue(value: Value | undefined): value is StreamValue {
  return value instanceof StreamValue;
}

/** Keys of XREAD / XREADGROUP: the first half of the words after STREAMS. */
function streamsKeys(from: number) {
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

function xreadFamily(withGroup: boolean) {
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
      const value = ctx.engine.database(ctx.client.db).keys.get(key);
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

function replyStream(
  ctx: CommandContext,
  key: string,
  entries: [StreamId, readonly string[]][],
): void {
  if (ctx.reply.protocol === 2) ctx.reply.array(2);
  ctx.reply.bulk(key);
  replyEntries(ctx, entries);
}

/** Creates or refreshes a consumer (seen time now); notifies a creation. */
function seeConsumer(
  ctx: CommandContext,
  key: string,
  group: ConsumerGroup,
  consumerName: string,
): void {
  const created = !group.consumers.has(consumerName);
  ctx.emit([StreamOp.ConsumerSeen, ctx.client.db, key, group.name, consumerName, ctx.nowMs]);
  if (created) ctx.notify(EventClass.stream, 'xgroup-createconsumer', key);
}

function serveNew(
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

function serveHistory(
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

// ---- XGROUP ----

const NEEDS_KEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';

function noGroup(group: string, key: string): never {
  fail(`NOGROUP No such consumer group '${group}' for key name '${key}'`);
}

function entriesReadArg(arg: string | undefined): number {
  const value = longArg(arg);
  if (value < 0 && value !== ENTRIES_READ_UNKNOWN) {
    fail('ERR value for ENTRIESREAD must be positive or -1');
  }
  return value;
}

function xgroupCreate(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const groupName = argv[3] as string;
  let makeStream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  for (let i = 5; i < argv.length; i++) {
    if (isWord(argv[i], 'MKSTREAM')) makeStream = true;
    else if (isWord(argv[i], 'ENTRIESREAD') && i + 1 < argv.length) {
      entriesRead = entriesReadArg(argv[++i]);
    } else {
      fail(
        `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XGROUP HELP.`,
      );
    }
  }
  if (argv.length > 8) {
    fail(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XGROUP HELP.`);
  }
  const stream = lookupStream(ctx, key);
  if (stream === undefined && !makeStream) fail(NEEDS_KEY);
  const idText = argv[4] as string;
  const id = idText === '$' ? (stream?.lastId ?? ID_ZERO) : idArg(idText, 0n, true);
  if (stream?.groups.has(groupName) === true) fail('BUSYGROUP Consumer Group name already exists');
  if (stream === undefined) ctx.emit([StreamOp.Create, ctx.client.db, key]);
  ctx.emit([StreamOp.GroupCreate, ctx.client.db, key, groupName, formatId(id), entriesRead]);
  ctx.reply.ok();
  ctx.notify(EventClass.stream, 'xgroup-create', key);
}

/** The stream and group of an XGROUP subcommand that needs both. */
function streamAndGroup(ctx: CommandContext, argv: string[]): [StreamValue, ConsumerGroup] {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  const group = stream?.groups.get(argv[3] as string);
  if (group === undefined) noGroup(argv[3] as string, key);
  return [stream as StreamValue, group];
}

function xgroupSetId(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  if (lookupStream(ctx, key) === undefined) fail(NEEDS_KEY);
  const [stream, group] = streamAndGroup(ctx, argv);
  const idText = argv[4] as string;
  const id = idText === '$' ? stream.lastId : idArg(idText, 0n, false);
  let entriesRead = ENTRIES_READ_UNKNOWN;
  if (argv.length === 7) {
    if (!isWord(argv[5], 'ENTRIESREAD')) {
      fail(
        `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XGROUP HELP.`,
      );
    }
    entriesRead = entriesReadArg(argv[6]);
  } else if (argv.length !== 5) {
    fail(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XGROUP HELP.`);
  }
  ctx.emit([StreamOp.GroupSetId, ctx.client.db, key, group.name, formatId(id), entriesRead]);
  ctx.reply.ok();
  ctx.notify(EventClass.stream, 'xgroup-setid', key);
}

function xgroupDestroy(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(NEEDS_KEY);
  if (!stream.groups.has(argv[3] as string)) return ctx.reply.int(0);
  ctx.emit([StreamOp.GroupDestroy, ctx.client.db, key, argv[3] as string]);
  ctx.reply.int(1);
  ctx.notify(EventClass.stream, 'xgroup-destroy', key);
}

function xgroupCreateConsumer(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(NEEDS_KEY);
  const [, group] = streamAndGroup(ctx, argv);
  const name = argv[4] as string;
  if (group.consumers.has(name)) return ctx.reply.int(0);
  seeConsumer(ctx, key, group, name);
  ctx.reply.int(1);
}

function xgroupDelConsumer(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(NEEDS_KEY);
  const [, group] = streamAndGroup(ctx, argv);
  const consumer = group.consumers.get(argv[4] as string);
  if (consumer === undefined) return ctx.reply.int(0);
  const pendingCount = consumer.pending.size;
  ctx.emit([StreamOp.ConsumerDelete, ctx.client.db, key, group.name, consumer.name]);
  ctx.reply.int(pendingCount);
  ctx.notify(EventClass.stream, 'xgroup-delconsumer', key);
}

const xgroupHelp = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

// ---- XACK, XPENDING, XCLAIM, XAUTOCLAIM ----

function xack(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const stream = lookupStream(ctx, key);
  const group = stream?.groups.get(argv[2] as string);
  if (group === undefined) return ctx.reply.int(0);
  const ids = argv.slice(3).map((text) => idArg(text, 0n, true));
  const acked = new Set<StreamId>();
  for (const id of ids) if (group.pending.has(id)) acked.add(id);
  if (acked.size > 0) {
    ctx.emit([StreamOp.Ack, ctx.client.db, key, group.name, ...[...acked].map(formatId)]);
  }
  ctx.reply.int(acked.size);
}

function groupOrFail(
  ctx: CommandContext,
  key: string,
  groupName: string,
): [StreamValue, ConsumerGroup] {
  const stream = lookupStream(ctx, key);
  const group = stream?.groups.get(groupName);
  if (group === undefined) fail(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  return [stream as StreamValue, group];
}

function xpending(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) fail(Errors.syntax);
  let start = ID_ZERO;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (argv.length >= 6) {
    let at = 3;
    if (isWord(argv[3], 'IDLE')) {
      minIdle = longArg(argv[4]);
      if (argv.length < 8) fail(Errors.syntax);
      at += 2;
    }
    count = Math.max(0, longArg(argv[at + 2]));
    start = startArg(argv[at] as string);
    end = endArg(argv[at + 1] as string);
    if (at + 3 < argv.length) consumerName = argv[at + 3];
  }
  const [, group] = groupOrFail(ctx, key, argv[2] as string);
  const reply = ctx.reply;
  if (argv.length === 3) {
    const all = sortedPending(group.pending);
    reply.array(4);
    reply.int(all.length);
    if (all.length === 0) {
      reply.nil();
      reply.nil();
      reply.nilArray();
      return;
    }
    replyId(ctx, (all[0] as PendingEntry).id);
    replyId(ctx, (all[all.length - 1] as PendingEntry).id);
    const owners = group.sortedConsumers().filter((consumer) => consumer.pending.size > 0);
    reply.array(owners.length);
    for (const consumer of owners) {
      reply.array(2);
      reply.bulk(consumer.name);
      reply.bulk(String(consumer.pending.size));
    }
    return;
  }
  let source = group.pending;
  if (consumerName !== undefined) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) return reply.array(0);
    source = consumer.pending;
  }
  const chosen: PendingEntry[] = [];
  for (const entry of sortedPending(source)) {
    if (chosen.length >= count) break;
    if (entry.id < start) continue;
    if (entry.id > end) break;
    if (minIdle !== 0 && ctx.nowMs - entry.deliveryTimeMs < minIdle) continue;
    chosen.push(entry);
  }
  reply.array(chosen.length);
  for (const entry of chosen) {
    reply.array(4);
    replyId(ctx, entry.id);
    reply.bulk(entry.consumer.name);
    reply.int(Math.max(0, ctx.nowMs - entry.deliveryTimeMs));
    reply.int(entry.deliveryCount);
  }
}

function xclaim(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const [stream, group] = groupOrFail(ctx, key, argv[2] as string);
  const consumerName = argv[3] as string;
  const minIdle = Math.max(0, longArg(argv[4], 'ERR Invalid min-idle-time argument for XCLAIM'));
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const parsed = parseId(argv[j] as string, 0n, true);
    if (parsed === undefined) break;
    ids.push(parsed.id);
  }
  const now = ctx.nowMs;
  let force = false;
  let justId = false;
  let retryCount = -1;
  let deliveryTime = -1;
  let lastId = ID_ZERO;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j] as string;
    if (isWord(option, 'FORCE')) force = true;
    else if (isWord(option, 'JUSTID')) justId = true;
    else if (isWord(option, 'IDLE') && more > 0) {
      deliveryTime = now - longArg(argv[++j], 'ERR Invalid IDLE option argument for XCLAIM');
    } else if (isWord(option, 'TIME') && more > 0) {
      deliveryTime = longArg(argv[++j], 'ERR Invalid TIME option argument for XCLAIM');
    } else if (isWord(option, 'RETRYCOUNT') && more > 0) {
      retryCount = longArg(argv[++j], 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    } else if (isWord(option, 'LASTID') && more > 0) {
      lastId = idArg(argv[++j] as string, 0n, true);
    } else fail(`ERR Unrecognized XCLAIM option '${option}'`);
  }
  if (lastId > group.lastId) {
    ctx.emit([
      StreamOp.GroupSetId,
      ctx.client.db,
      key,
      group.name,
      formatId(lastId),
      group.entriesRead,
    ]);
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const gone: string[] = [];
  const claims: (string | number)[] = [];
  const claimed: StreamId[] = [];
  const seen = new Map<StreamId, number>();
  for (const id of ids) {
    const entry = group.pending.get(id);
    if (!stream.has(id)) {
      if (entry !== undefined && !gone.includes(formatId(id))) gone.push(formatId(id));
      continue;
    }
    let count = seen.get(id) ?? entry?.deliveryCount;
    if (count === undefined && !force) continue;
    if (count === undefined) count = 1;
    else if (entry !== undefined && !seen.has(id) && minIdle !== 0) {
      if (now - entry.deliveryTimeMs < minIdle) continue;
    }
    if (retryCount >= 0) count = retryCount;
    else if (!justId) count++;
    seen.set(id, count);
    claims.push(formatId(id), deliveryTime, count);
    claimed.push(id);
  }
  if (gone.length > 0) ctx.emit([StreamOp.Ack, ctx.client.db, key, group.name, ...gone]);
  if (claimed.length > 0) {
    seeConsumer(ctx, key, group, consumerName);
    ctx.emit([StreamOp.Claim, ctx.client.db, key, group.name, consumerName, ...claims]);
  }
  ctx.reply.array(claimed.length);
  for (const id of claimed) {
    if (justId) replyId(ctx, id);
    else replyEntry(ctx, id, stream.get(id) as readonly string[]);
  }
}

function xautoclaim(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const minIdle = Math.max(
    0,
    longArg(argv[4], 'ERR Invalid min-idle-time argument for XAUTOCLAIM'),
  );
  const start = startArg(argv[5] as string);
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'COUNT') && more > 0) {
      const value = parseInt64(argv[++j] as string);
      if (typeof value !== 'number' || value < 1 || value > Math.floor(2 ** 63 / 16)) {
        fail('ERR COUNT must be > 0');
      }
      count = value;
    } else if (isWord(argv[j], 'JUSTID')) justId = true;
    else fail(Errors.syntax);
  }
  const [stream, group] = groupOrFail(ctx, key, argv[2] as string);
  const now = ctx.nowMs;
  let attempts = count * 10;
  const all = sortedPending(group.pending);
  let at = all.findIndex((entry) => entry.id >= start);
  if (at < 0) at = all.length;
  const deleted: string[] = [];
  const claims: (string | number)[] = [];
  const claimed: StreamId[] = [];
  while (attempts-- > 0 && count > 0 && at < all.length) {
    const entry = all[at++] as PendingEntry;
    if (!stream.has(entry.id)) {
      deleted.push(formatId(entry.id));
      count--;
      continue;
    }
    if (minIdle !== 0 && now - entry.deliveryTimeMs < minIdle) continue;
    claims.push(formatId(entry.id), now, justId ? entry.deliveryCount : entry.deliveryCount + 1);
    claimed.push(entry.id);
    count--;
  }
  const cursor = at < all.length ? (all[at] as PendingEntry).id : ID_ZERO;
  if (deleted.length > 0) ctx.emit([StreamOp.Ack, ctx.client.db, key, group.name, ...deleted]);
  if (claimed.length > 0) {
    seeConsumer(ctx, key, group, argv[3] as string);
    ctx.emit([StreamOp.Claim, ctx.client.db, key, group.name, argv[3] as string, ...claims]);
  }
  const reply = ctx.reply;
  reply.array(3);
  replyId(ctx, cursor);
  reply.array(claimed.length);
  for (const id of claimed) {
    if (justId) replyId(ctx, id);
    else replyEntry(ctx, id, stream.get(id) as readonly string[]);
  }
  reply.array(deleted.length);
  for (const id of deleted) reply.bulk(id);
}

// ---- XINFO ----

function streamOrNoKey(ctx: CommandContext, key: string): StreamValue {
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(Errors.noSuchKey);
  return stream;
}

function replyOptionalEntry(ctx: CommandContext, entry: [StreamId, readonly string[]] | undefined) {
  if (entry === undefined) ctx.reply.nil();
  else replyEntry(ctx, entry[0], entry[1]);
}

function xinfoStream(ctx: CommandContext, argv: string[]): void {
  const stream = streamOrNoKey(ctx, argv[2] as string);
  let full = false;
  let count = 10;
  if (argv.length > 3) {
    const wrong = `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XINFO HELP.`;
    if (!isWord(argv[3], 'FULL')) fail(wrong);
    full = true;
    if (argv.length > 4) {
      if (argv.length !== 6 || !isWord(argv[4], 'COUNT')) fail(wrong);
      count = longArg(argv[5]);
      if (count < 0) count = 0;
    }
  }
  const reply = ctx.reply;
  reply.map(full ? 9 : 10);
  reply.bulk('length');
  reply.int(stream.length);
  reply.bulk('radix-tree-keys');
  reply.int(stream.nodes.length);
  reply.bulk('radix-tree-nodes');
  reply.int(radixTreeNodes(stream));
  reply.bulk('last-generated-id');
  replyId(ctx, stream.lastId);
  reply.bulk('max-deleted-entry-id');
  replyId(ctx, stream.maxDeletedId);
  reply.bulk('entries-added');
  reply.int(stream.entriesAdded);
  reply.bulk('recorded-first-entry-id');
  replyId(ctx, stream.firstId());
  if (!full) {
    reply.bulk('groups');
    reply.int(stream.groups.size);
    reply.bulk('first-entry');
    replyOptionalEntry(ctx, stream.range(ID_ZERO, ID_MAX, 1, false)[0]);
    reply.bulk('last-entry');
    replyOptionalEntry(ctx, stream.range(ID_ZERO, ID_MAX, 1, true)[0]);
    return;
  }
  reply.bulk('entries');
  replyEntries(ctx, stream.range(ID_ZERO, ID_MAX, count, false));
  reply.bulk('groups');
  const groups = [...stream.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  reply.array(groups.length);
  for (const group of groups) {
    reply.map(7);
    reply.bulk('name');
    reply.bulk(group.name);
    reply.bulk('last-delivered-id');
    replyId(ctx, group.lastId);
    reply.bulk('entries-read');
    if (group.entriesRead === ENTRIES_READ_UNKNOWN) reply.nil();
    else reply.int(group.entriesRead);
    reply.bulk('lag');
    const lag = groupLag(stream, group);
    if (lag === undefined) reply.nil();
    else reply.int(lag);
    reply.bulk('pel-count');
    reply.int(group.pending.size);
    reply.bulk('pending');
    const pending = sortedPending(group.pending);
    const shown = count === 0 ? pending : pending.slice(0, count);
    reply.array(shown.length);
    for (const entry of shown) {
      reply.array(4);
      replyId(ctx, entry.id);
      reply.bulk(entry.consumer.name);
      reply.int(entry.deliveryTimeMs);
      reply.int(entry.deliveryCount);
    }
    reply.bulk('consumers');
    const consumers = group.sortedConsumers();
    reply.array(consumers.length);
    for (const consumer of consumers) {
      reply.map(4);
      reply.bulk('name');
      reply.bulk(consumer.name);
      reply.bulk('seen-time');
      reply.int(consumer.seenTimeMs);
      reply.bulk('pel-count');
      reply.int(consumer.pending.size);
      reply.bulk('pending');
      const own = sortedPending(consumer.pending);
      const ownShown = count === 0 ? own : own.slice(0, count);
      reply.array(ownShown.length);
      for (const entry of ownShown) {
        reply.array(3);
        replyId(ctx, entry.id);
        reply.int(entry.deliveryTimeMs);
        reply.int(entry.deliveryCount);
      }
    }
  }
}

/**
 * Redis reports its rax's node count: the nodes of a compressed trie over the 16-byte big-endian
 * keys of its listpacks (each node's first ID): a node per run of shared bytes, per branching
 * point, and per key. Computed from the node keys as that trie would hold them.
 */
function radixTreeNodes(stream: StreamValue): number {
  if (stream.nodes.length === 0) return 1;
  return trieNodes(
    stream.nodes.map((node) => node.masterId),
    0,
  );
}

function keyByte(id: StreamId, at: number): number {
  return Number((id >> BigInt(8 * (15 - at))) & 0xffn);
}

function trieNodes(keys: StreamId[], depth: number): number {
  let shared = depth;
  const first = keys[0] as StreamId;
  while (shared < 16 && keys.every((key) => keyByte(key, shared) === keyByte(first, shared))) {
    shared++;
  }
  let count = shared > depth ? 1 : 0;
  if (shared === 16) return count + 1;
  count++;
  const children = new Map<number, StreamId[]>();
  for (const key of keys) {
    const byte = keyByte(key, shared);
    const group = children.get(byte);
    if (group === undefined) children.set(byte, [key]);
    else group.push(key);
  }
  for (const group of children.values()) count += trieNodes(group, shared + 1);
  return count;
}

function xinfoGroups(ctx: CommandContext, argv: string[]): void {
  const stream = streamOrNoKey(ctx, argv[2] as string);
  const groups = [...stream.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const reply = ctx.reply;
  reply.array(groups.length);
  for (const group of groups) {
    reply.map(6);
    reply.bulk('name');
    reply.bulk(group.name);
    reply.bulk('consumers');
    reply.int(group.consumers.size);
    reply.bulk('pending');
    reply.int(group.pending.size);
    reply.bulk('last-delivered-id');
    replyId(ctx, group.lastId);
    reply.bulk('entries-read');
    if (group.entriesRead === ENTRIES_READ_UNKNOWN) reply.nil();
    else reply.int(group.entriesRead);
    reply.bulk('lag');
    const lag = groupLag(stream, group);
    if (lag === undefined) reply.nil();
    else reply.int(lag);
  }
}

function xinfoConsumers(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const stream = streamOrNoKey(ctx, key);
  const group = stream.groups.get(argv[3] as string);
  if (group === undefined) noGroup(argv[3] as string, key);
  const consumers = group.sortedConsumers();
  const reply = ctx.reply;
  reply.array(consumers.length);
  for (const consumer of consumers) {
    reply.map(3);
    reply.bulk('name');
    reply.bulk(consumer.name);
    reply.bulk('pending');
    reply.int(consumer.pending.size);
    reply.bulk('idle');
    reply.int(Math.max(0, ctx.nowMs - consumer.seenTimeMs));
  }
}

const xinfoHelp = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

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
