// What the stream command files share (t_stream.c, Redis 7.0): looking a stream up, reading IDs
// and ranges from arguments, replying entries, and the consumer-group counters (lag,
// entries-read) that XINFO and XREADGROUP compute.

import {
  ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  StreamOp,
  StreamValue,
} from '../../engine/types/stream.js';
import {
  formatId,
  ID_ZERO,
  nextId,
  parseId,
  previousId,
  type StreamId,
} from '../../engine/types/stream-id.js';

import { parseInt64 } from '../../util/numbers.js';

import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
export const U64_MAX = (1n << 64n) - 1n;

export function lookupStream(ctx: CommandContext, key: string): StreamValue | undefined {
  const value = ctx.lookup(key);
  if (value === undefined || value instanceof StreamValue) return value;
  fail(Errors.wrongType);
}

/** A long long argument (getLongLongFromObjectOrReply), with Redis's message or `message`. */
export function longArg(arg: string | undefined, message: string = Errors.notInteger): number {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (value === undefined) fail(message);
  return typeof value === 'bigint' ? Number(value) : value;
}

export function idArg(text: string, missingSeq: bigint, strict: boolean): StreamId {
  const parsed = parseId(text, missingSeq, strict);
  if (parsed === undefined) fail(INVALID_ID);
  return parsed.id;
}

/** streamParseIntervalIDOrReply: "(" excludes the ID (strict then). */
export function intervalArg(
  text: string,
  missingSeq: bigint,
): { id: StreamId; exclusive: boolean } {
  const exclusive = text.length > 1 && text[0] === '(';
  return { id: idArg(exclusive ? text.slice(1) : text, missingSeq, exclusive), exclusive };
}

export function startArg(text: string): StreamId {
  const { id, exclusive } = intervalArg(text, 0n);
  if (!exclusive) return id;
  const next = nextId(id);
  if (next === undefined) fail('ERR invalid start ID for the interval');
  return next;
}

export function endArg(text: string): StreamId {
  const { id, exclusive } = intervalArg(text, U64_MAX);
  if (!exclusive) return id;
  const previous = previousId(id);
  if (previous === undefined) fail('ERR invalid end ID for the interval');
  return previous;
}

export function replyId(ctx: CommandContext, id: StreamId): void {
  ctx.reply.bulk(formatId(id));
}

export function replyEntry(ctx: CommandContext, id: StreamId, pairs: readonly string[]): void {
  ctx.reply.array(2);
  replyId(ctx, id);
  ctx.reply.array(pairs.length);
  for (const text of pairs) ctx.reply.bulk(text);
}

export function replyEntries(ctx: CommandContext, entries: [StreamId, readonly string[]][]): void {
  ctx.reply.array(entries.length);
  for (const [id, pairs] of entries) replyEntry(ctx, id, pairs);
}

// ---- counters of consumer groups (lag, entries-read), as t_stream.c 7.0 ----

export function rangeHasTombstones(stream: StreamValue, start: StreamId): boolean {
  if (stream.length === 0 || stream.maxDeletedId === ID_ZERO) return false;
  if (stream.firstId() > stream.maxDeletedId) return false;
  return start <= stream.maxDeletedId;
}

export function estimateDistanceFromFirstEverEntry(stream: StreamValue, id: StreamId): number {
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
export function groupLag(stream: StreamValue, group: ConsumerGroup): number | undefined {
  if (stream.entriesAdded === 0) return 0;
  if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !rangeHasTombstones(stream, group.lastId)) {
    return stream.entriesAdded - group.entriesRead;
  }
  const read = estimateDistanceFromFirstEverEntry(stream, group.lastId);
  return read === ENTRIES_READ_UNKNOWN ? undefined : stream.entriesAdded - read;
}

export function seeConsumer(
  ctx: CommandContext,
  key: string,
  group: ConsumerGroup,
  consumerName: string,
): void {
  const created = !group.consumers.has(consumerName);
  ctx.emit([StreamOp.ConsumerSeen, ctx.client.db, key, group.name, consumerName, ctx.nowMs]);
  if (created) ctx.notify(EventClass.stream, 'xgroup-createconsumer', key);
}

export function noGroup(group: string, key: string): never {
  fail(`NOGROUP No such consumer group '${group}' for key name '${key}'`);
}
