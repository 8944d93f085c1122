// Consumer-group commands of streams (t_stream.c, Redis 7.0): XGROUP, XACK, XPENDING, XCLAIM,
// XAUTOCLAIM. Delivery times and claim counts are decided here (ctx.nowMs) and written into the
// stream effects.

import {
  ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  type PendingEntry,
  sortedPending,
  StreamOp,
  StreamValue,
} from '../../engine/types/stream.js';
import { formatId, ID_MAX, ID_ZERO, parseId, type StreamId } from '../../engine/types/stream-id.js';

import { parseInt64 } from '../../util/numbers.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';

import {
  endArg,
  idArg,
  longArg,
  lookupStream,
  noGroup,
  replyEntry,
  replyId,
  seeConsumer,
  startArg,
} from './streams-common.js';

// ---- XGROUP ----

export const NEEDS_KEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';

export function entriesReadArg(arg: string | undefined): number {
  const value = longArg(arg);
  if (value < 0 && value !== ENTRIES_READ_UNKNOWN) {
    fail('ERR value for ENTRIESREAD must be positive or -1');
  }
  return value;
}

export function xgroupCreate(ctx: CommandContext, argv: string[]): void {
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
export function streamAndGroup(ctx: CommandContext, argv: string[]): [StreamValue, ConsumerGroup] {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  const group = stream?.groups.get(argv[3] as string);
  if (group === undefined) noGroup(argv[3] as string, key);
  return [stream as StreamValue, group];
}

export function xgroupSetId(ctx: CommandContext, argv: string[]): void {
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

export function xgroupDestroy(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(NEEDS_KEY);
  if (!stream.groups.has(argv[3] as string)) return ctx.reply.int(0);
  ctx.emit([StreamOp.GroupDestroy, ctx.client.db, key, argv[3] as string]);
  ctx.reply.int(1);
  ctx.notify(EventClass.stream, 'xgroup-destroy', key);
}

export function xgroupCreateConsumer(ctx: CommandContext, argv: string[]): void {
  const key = argv[2] as string;
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(NEEDS_KEY);
  const [, group] = streamAndGroup(ctx, argv);
  const name = argv[4] as string;
  if (group.consumers.has(name)) return ctx.reply.int(0);
  seeConsumer(ctx, key, group, name);
  ctx.reply.int(1);
}

export function xgroupDelConsumer(ctx: CommandContext, argv: string[]): void {
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

export const xgroupHelp = [
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

export function xack(ctx: CommandContext, argv: string[]): void {
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

export function groupOrFail(
  ctx: CommandContext,
  key: string,
  groupName: string,
): [StreamValue, ConsumerGroup] {
  const stream = lookupStream(ctx, key);
  const group = stream?.groups.get(groupName);
  if (group === undefined) fail(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  return [stream as StreamValue, group];
}

export function xpending(ctx: CommandContext, argv: string[]): void {
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

export function xclaim(ctx: CommandContext, argv: string[]): void {
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

export function xautoclaim(ctx: CommandContext, argv: string[]): void {
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
