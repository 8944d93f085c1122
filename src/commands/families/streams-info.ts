// XINFO STREAM / GROUPS / CONSUMERS (t_stream.c, Redis 7.0), including the figures of Redis's
// own structures that XINFO reports (radix-tree keys and nodes).

import {
  type ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  sortedPending,
  StreamValue,
} from '../../engine/types/stream.js';
import { ID_MAX, ID_ZERO, type StreamId } from '../../engine/types/stream-id.js';

import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';

import {
  groupLag,
  longArg,
  lookupStream,
  noGroup,
  replyEntries,
  replyEntry,
  replyId,
} from './streams-common.js';

// ---- XINFO ----

export function streamOrNoKey(ctx: CommandContext, key: string): StreamValue {
  const stream = lookupStream(ctx, key);
  if (stream === undefined) fail(Errors.noSuchKey);
  return stream;
}

export function replyOptionalEntry(
  ctx: CommandContext,
  entry: [StreamId, readonly string[]] | undefined,
) {
  if (entry === undefined) ctx.reply.nil();
  else replyEntry(ctx, entry[0], entry[1]);
}

export function xinfoStream(ctx: CommandContext, argv: string[]): void {
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
    replyGroupCounters(ctx, stream, group);
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
export function radixTreeNodes(stream: StreamValue): number {
  if (stream.nodes.length === 0) return 1;
  return trieNodes(
    stream.nodes.map((node) => node.masterId),
    0,
  );
}

export function keyByte(id: StreamId, at: number): number {
  return Number((id >> BigInt(8 * (15 - at))) & 0xffn);
}

export function trieNodes(keys: StreamId[], depth: number): number {
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

export function xinfoGroups(ctx: CommandContext, argv: string[]): void {
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
    replyGroupCounters(ctx, stream, group);
  }
}

export function xinfoConsumers(ctx: CommandContext, argv: string[]): void {
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

export const xinfoHelp = [
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

/** A group's entries-read and lag fields of XINFO (nil where Redis cannot tell). */
function replyGroupCounters(ctx: CommandContext, stream: StreamValue, group: ConsumerGroup): void {
  const reply = ctx.reply;
  reply.bulk('entries-read');
  if (group.entriesRead === ENTRIES_READ_UNKNOWN) reply.nil();
  else reply.int(group.entriesRead);
  reply.bulk('lag');
  const lag = groupLag(stream, group);
  if (lag === undefined) reply.nil();
  else reply.int(lag);
}
