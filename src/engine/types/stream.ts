// The stream type: its value class, its effect op codes (inside OpRange.stream) and appliers.
//
// Storage follows Redis's shape, because its replies depend on it (XINFO's radix-tree-keys, and
// which entries "~" trimming removes): entries live in nodes, each node an append-only run of
// entries in ID order, as Redis's listpacks in a rax. A new node starts when the last one holds
// stream-node-max-entries entries (live and deleted) or would pass stream-node-max-bytes (the
// listpack's size, estimated entry by entry as listpack.c encodes it); the command decides and
// writes the decision into the effect. XDEL marks an entry deleted inside its node; a node whose
// last live entry goes is dropped. Nodes are found by binary search on their first ID, entries
// inside a node by binary search too, so a range read costs O(log n + returned).
//
// Consumer groups: last-delivered ID, entries-read, the pending entries list (PEL: ID →
// consumer, delivery time, delivery count) and consumers (seen time, their own PEL sharing the
// same PendingEntry objects). Maps keyed by ID or name; replies sort them (Redis keeps raxes).
//
// Op codes (written to disk and replicated: never renumber, never reuse). IDs are "ms-seq" text,
// times absolute milliseconds decided by the command:
//  100 Add            [100, db, key, newNode, id, field, value, ...]  create the stream if absent,
//                     append (in a new node when newNode is 1), last ID = id, entries-added + 1
//  101 Create         [101, db, key]  an empty stream (XGROUP CREATE MKSTREAM)
//  102 Delete         [102, db, key, ...ids]  mark entries deleted (XDEL)
//  103 Trim           [103, db, key, strategy, threshold, approx, limit]  Redis's streamTrim:
//                     strategy 0 MAXLEN (threshold a count) or 1 MINID (threshold an ID);
//                     limit 0 = none. Deterministic on the value, so the effect names the rule
//  104 SetId          [104, db, key, lastId, entriesAdded, maxDeletedId]
//  105 GroupCreate    [105, db, key, group, lastId, entriesRead]  (entriesRead -1 = unknown)
//  106 GroupSetId     [106, db, key, group, lastId, entriesRead]
//  107 GroupDestroy   [107, db, key, group]
//  108 ConsumerSeen   [108, db, key, group, consumer, timeMs]  create if absent; seen time
//  109 ConsumerDelete [109, db, key, group, consumer]  with its pending entries
//  110 Deliver        [110, db, key, group, consumer, timeMs, lastId, entriesRead, noack, ...ids]
//                     group position moves; each id pending for consumer (count 1) unless noack
//  111 Redeliver      [111, db, key, group, timeMs, ...ids]  delivery time = timeMs, count + 1
//  112 Ack            [112, db, key, group, ...ids]  drop pending entries
//  113 Claim          [113, db, key, group, consumer, id, timeMs, count, ...]  the pending entry
//                     (created if absent) belongs to consumer with that time and count
//  114 Tombstone      [114, db, key, ...ids]  mark entries deleted inside their node and nothing
//                     else (snapshots: rebuilds a node holding deleted entries)

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { CollectionEffect, Effect } from '../effects.js';
import type { CollectionValue } from '../values.js';
import { registerType } from './registry.js';
import { formatId, ID_MAX, ID_ZERO, idFromText, idMs, idSeq, type StreamId } from './stream-id.js';
import { listpackEntryBytes, listpackIntegerEntryBytes } from '../listpack-layout.js';

export const StreamOp = {
  Add: 100,
  Create: 101,
  Delete: 102,
  Trim: 103,
  SetId: 104,
  GroupCreate: 105,
  GroupSetId: 106,
  GroupDestroy: 107,
  ConsumerSeen: 108,
  ConsumerDelete: 109,
  Deliver: 110,
  Redeliver: 111,
  Ack: 112,
  Claim: 113,
  Tombstone: 114,
} as const;

export const TrimStrategy = { MaxLen: 0, MinId: 1 } as const;

/** Redis's SCG_INVALID_ENTRIES_READ. */
export const ENTRIES_READ_UNKNOWN = -1;

/** One entry: its ID and field/value pairs, undefined once deleted. */
export class StreamNode {
  readonly ids: StreamId[] = [];
  readonly entries: (readonly string[])[] = [];
  /** False for an entry marked deleted (its bytes stay in the node, as in Redis's listpack). */
  readonly alive: boolean[] = [];
  live = 0;
  deleted = 0;
  /** Estimated listpack bytes of this node (Redis's lpBytes), for stream-node-max-bytes. */
  bytes: number;

  constructor(
    readonly masterId: StreamId,
    readonly masterFields: readonly string[],
  ) {
    // Header (6) + end (1) + count, deleted, field count, fields, terminator.
    let bytes = 7 + 2 + 2 + listpackIntegerEntryBytes(BigInt(masterFields.length)) + 2;
    for (const field of masterFields) bytes += listpackEntryBytes(field);
    this.bytes = bytes;
  }

  get firstId(): StreamId {
    return this.ids[0] as StreamId;
  }

  get lastId(): StreamId {
    return this.ids[this.ids.length - 1] as StreamId;
  }

  append(id: StreamId, pairs: readonly string[]): void {
    let same = pairs.length / 2 === this.masterFields.length;
    for (let i = 0; same && i < this.masterFields.length; i++) {
      if (pairs[i * 2] !== this.masterFields[i]) same = false;
    }
    let bytes = 2; // flags
    bytes += listpackIntegerEntryBytes(idMs(id) - idMs(this.masterId));
    bytes += listpackIntegerEntryBytes(idSeq(id) - idSeq(this.masterId));
    let pieces = pairs.length / 2 + 3;
    if (!same) {
      bytes += listpackIntegerEntryBytes(BigInt(pairs.length / 2));
      pieces += pairs.length / 2 + 1;
    }
    for (let i = 0; i < pairs.length; i += 2) {
      if (!same) bytes += listpackEntryBytes(pairs[i] as string);
      bytes += listpackEntryBytes(pairs[i + 1] as string);
    }
    bytes += listpackIntegerEntryBytes(BigInt(pieces));
    this.bytes += bytes;
    this.ids.push(id);
    this.entries.push(pairs);
    this.alive.push(true);
    this.live++;
  }

  /** Index of the first entry with an ID >= id (entries.length if none). */
  lowerBound(id: StreamId): number {
    const ids = this.ids;
    let low = 0;
    let high = ids.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((ids[middle] as StreamId) < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Marks entry `at` deleted. */
  kill(at: number): void {
    assert(this.alive[at] === true, 'kill a live entry');
    this.alive[at] = false;
    this.live--;
    this.deleted++;
  }

  clone(): StreamNode {
    const copy = new StreamNode(this.masterId, this.masterFields);
    copy.ids.push(...this.ids);
    copy.entries.push(...this.entries);
    copy.alive.push(...this.alive);
    copy.live = this.live;
    copy.deleted = this.deleted;
    copy.bytes = this.bytes;
    return copy;
  }
}

export interface PendingEntry {
  readonly id: StreamId;
  consumer: Consumer;
  deliveryTimeMs: number;
  deliveryCount: number;
}

export class Consumer {
  readonly pending = new Map<StreamId, PendingEntry>();
  constructor(
    readonly name: string,
    public seenTimeMs: number,
  ) {}
}

export class ConsumerGroup {
  readonly pending = new Map<StreamId, PendingEntry>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamId,
    public entriesRead: number,
  ) {}

  /** Consumers in name order (Redis's rax order: bytes). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => compareBytes(a.name, b.name));
  }
}

export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pending entries in ID order. */
export function sortedPending(pending: Map<StreamId, PendingEntry>): PendingEntry[] {
  return [...pending.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export class StreamValue implements CollectionValue {
  readonly type = 'stream';
  /** A stream stays when its last entry goes (Redis keeps empty streams). */
  readonly keepsWhenEmpty = true;
  readonly nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;
  lastId: StreamId = ID_ZERO;
  maxDeletedId: StreamId = ID_ZERO;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();

  get size(): number {
    return this.length;
  }

  encoding(): string {
    return 'stream';
  }

  clone(): StreamValue {
    const copy = new StreamValue();
    for (const node of this.nodes) copy.nodes.push(node.clone());
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    for (const group of this.groups.values()) {
      const groupCopy = new ConsumerGroup(group.name, group.lastId, group.entriesRead);
      for (const consumer of group.consumers.values()) {
        groupCopy.consumers.set(consumer.name, new Consumer(consumer.name, consumer.seenTimeMs));
      }
      for (const entry of group.pending.values()) {
        const owner = groupCopy.consumers.get(entry.consumer.name) as Consumer;
        const entryCopy = { ...entry, consumer: owner };
        groupCopy.pending.set(entry.id, entryCopy);
        owner.pending.set(entry.id, entryCopy);
      }
      copy.groups.set(group.name, groupCopy);
    }
    return copy;
  }

  /** Whether an append of these pairs starts a new node (streamAppendItem, 7.0). */
  needsNewNode(pairs: readonly string[], maxBytes: number, maxEntries: number): boolean {
    const last = this.nodes[this.nodes.length - 1];
    if (last === undefined) return true;
    let total = 0;
    for (const text of pairs) total += text.length;
    const byteLimit = maxBytes === 0 || maxBytes > 1 << 30 ? 1 << 30 : maxBytes;
    if (last.bytes + total >= byteLimit) return true;
    return maxEntries > 0 && last.live + last.deleted >= maxEntries;
  }

  /** Index of the node that may hold `id` (the last node whose first ID <= id), or -1. */
  private nodeFor(id: StreamId): number {
    let low = 0;
    let high = this.nodes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.nodes[middle] as StreamNode).firstId <= id) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  get(id: StreamId): readonly string[] | undefined {
    const node = this.nodes[this.nodeFor(id)];
    if (node === undefined) return undefined;
    const at = node.lowerBound(id);
    return node.ids[at] === id && node.alive[at] === true ? node.entries[at] : undefined;
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /** Live entries with start <= ID <= end, in order (reverse: from end down), at most count (0 = all). */
  range(
    start: StreamId,
    end: StreamId,
    count: number,
    reverse: boolean,
  ): [StreamId, readonly string[]][] {
    const out: [StreamId, readonly string[]][] = [];
    if (start > end) return out;
    if (!reverse) {
      let nodeIndex = Math.max(0, this.nodeFor(start));
      let at = this.nodes[nodeIndex]?.lowerBound(start) ?? 0;
      for (; nodeIndex < this.nodes.length; nodeIndex++, at = 0) {
        const node = this.nodes[nodeIndex] as StreamNode;
        for (; at < node.ids.length; at++) {
          const id = node.ids[at] as StreamId;
          if (id > end) return out;
          if (node.alive[at] !== true) continue;
          out.push([id, node.entries[at] as readonly string[]]);
          if (count > 0 && out.length >= count) return out;
        }
      }
      return out;
    }
    let nodeIndex = this.nodeFor(end);
    if (nodeIndex < 0) return out;
    let node = this.nodes[nodeIndex] as StreamNode;
    let at = node.lowerBound(end);
    if (node.ids[at] !== end) at--;
    for (;;) {
      for (; at >= 0; at--) {
        const id = node.ids[at] as StreamId;
        if (id < start) return out;
        if (node.alive[at] !== true) continue;
        out.push([id, node.entries[at] as readonly string[]]);
        if (count > 0 && out.length >= count) return out;
      }
      if (--nodeIndex < 0) return out;
      node = this.nodes[nodeIndex] as StreamNode;
      at = node.ids.length - 1;
    }
  }

  /** First live entry's ID (Redis's first_id: 0-0 when empty). */
  firstId(): StreamId {
    return this.length === 0 ? ID_ZERO : (this.range(ID_ZERO, ID_MAX, 1, false)[0]?.[0] ?? ID_ZERO);
  }

  /** Last live entry's ID (streamLastValidID; 0-0 when empty). */
  lastValidId(): StreamId {
    return this.length === 0 ? ID_ZERO : (this.range(ID_ZERO, ID_MAX, 1, true)[0]?.[0] ?? ID_ZERO);
  }

  add(id: StreamId, pairs: readonly string[], newNode: boolean): void {
    assert(id > this.lastId, 'stream IDs grow');
    let node = this.nodes[this.nodes.length - 1];
    if (newNode || node === undefined) {
      const fields: string[] = [];
      for (let i = 0; i < pairs.length; i += 2) fields.push(pairs[i] as string);
      node = new StreamNode(id, fields);
      this.nodes.push(node);
    }
    node.append(id, pairs);
    this.length++;
    this.lastId = id;
    this.entriesAdded++;
  }

  /** XDEL of one entry; false if absent. A node left without live entries goes. */
  delete(id: StreamId): boolean {
    const nodeIndex = this.nodeFor(id);
    const node = this.nodes[nodeIndex];
    if (node === undefined) return false;
    const at = node.lowerBound(id);
    if (node.ids[at] !== id || node.alive[at] !== true) return false;
    if (node.live === 1) this.nodes.splice(nodeIndex, 1);
    else node.kill(at);
    this.length--;
    if (id > this.maxDeletedId) this.maxDeletedId = id;
    return true;
  }

  /**
   * streamTrim (7.0): whole nodes from the start while the rule allows, then (unless approx)
   * entries inside the first node that cannot go whole. Returns the count removed; with
   * `dryRun` changes nothing (the command's reply comes from a dry run before the effect).
   */
  trim(
    strategy: number,
    maxLength: number,
    minId: StreamId,
    approx: boolean,
    limit: number,
    dryRun: boolean,
  ): number {
    let removed = 0;
    let length = this.length;
    let nodeIndex = 0;
    while (nodeIndex < this.nodes.length) {
      if (strategy === TrimStrategy.MaxLen && length <= maxLength) break;
      const node = this.nodes[nodeIndex] as StreamNode;
      const entries = node.live;
      if (limit > 0 && removed + entries > limit) break;
      const removeNode =
        strategy === TrimStrategy.MaxLen ? length - entries >= maxLength : node.lastId < minId;
      if (removeNode) {
        if (dryRun) nodeIndex++;
        else this.nodes.splice(nodeIndex, 1);
        length -= entries;
        removed += entries;
        continue;
      }
      if (approx) break;
      for (let at = 0; at < node.ids.length; at++) {
        const stop =
          strategy === TrimStrategy.MaxLen
            ? length <= maxLength
            : (node.ids[at] as StreamId) >= minId;
        if (stop) break;
        if (node.alive[at] !== true) continue;
        if (!dryRun) node.kill(at);
        length--;
        removed++;
      }
      break;
    }
    if (!dryRun) this.length = length;
    return removed;
  }
}

function streamAt(db: Database, key: string): StreamValue | undefined {
  const value = db.get(key);
  assert(
    value === undefined || value instanceof StreamValue,
    'stream effect on a stream or a free key',
  );
  return value;
}

function existingStream(db: Database, key: string): StreamValue {
  const value = streamAt(db, key);
  assert(value !== undefined, 'stream effect on an existing stream');
  return value;
}

function groupOf(db: Database, effect: CollectionEffect): [StreamValue, ConsumerGroup] {
  const stream = existingStream(db, effect[2]);
  const group = stream.groups.get(effect[3] as string);
  assert(group !== undefined, 'stream group effect on an existing group');
  return [stream, group];
}

function consumerOf(group: ConsumerGroup, name: string, timeMs: number): Consumer {
  let consumer = group.consumers.get(name);
  if (consumer === undefined) {
    consumer = new Consumer(name, timeMs);
    group.consumers.set(name, consumer);
  }
  return consumer;
}

/** Makes `id` pending for `consumer` (moving it from another consumer), with time and count. */
function setPending(
  group: ConsumerGroup,
  consumer: Consumer,
  id: StreamId,
  timeMs: number,
  count: number,
): void {
  let entry = group.pending.get(id);
  if (entry === undefined) {
    entry = { id, consumer, deliveryTimeMs: timeMs, deliveryCount: count };
    group.pending.set(id, entry);
  } else {
    if (entry.consumer !== consumer) entry.consumer.pending.delete(id);
    entry.consumer = consumer;
    entry.deliveryTimeMs = timeMs;
    entry.deliveryCount = count;
  }
  consumer.pending.set(id, entry);
}

function applyAdd(db: Database, effect: CollectionEffect): void {
  const key = effect[2];
  let stream = streamAt(db, key);
  if (stream === undefined) {
    stream = new StreamValue();
    db.set(key, stream);
  }
  stream.add(idFromText(effect[4] as string), effect.slice(5) as string[], effect[3] === 1);
}

function applyCreate(db: Database, effect: CollectionEffect): void {
  assert(streamAt(db, effect[2]) === undefined, 'stream create on a free key');
  db.set(effect[2], new StreamValue());
}

function applyDelete(db: Database, effect: CollectionEffect): void {
  const stream = existingStream(db, effect[2]);
  for (let i = 3; i < effect.length; i++) stream.delete(idFromText(effect[i] as string));
}

function applyTombstone(db: Database, effect: CollectionEffect): void {
  const stream = existingStream(db, effect[2]);
  for (let i = 3; i < effect.length; i++) {
    const id = idFromText(effect[i] as string);
    const node = stream.nodes.find(
      (candidate) => candidate.firstId <= id && candidate.lastId >= id,
    );
    assert(node !== undefined, 'tombstone inside a node');
    node.kill(node.lowerBound(id));
    stream.length--;
  }
}

function applyTrim(db: Database, effect: CollectionEffect): void {
  const stream = existingStream(db, effect[2]);
  const strategy = effect[3] as number;
  const threshold = effect[4] as string | number;
  stream.trim(
    strategy,
    strategy === TrimStrategy.MaxLen ? (threshold as number) : 0,
    strategy === TrimStrategy.MinId ? idFromText(threshold as string) : ID_ZERO,
    effect[5] === 1,
    effect[6] as number,
    false,
  );
}

function applySetId(db: Database, effect: CollectionEffect): void {
  const stream = existingStream(db, effect[2]);
  stream.lastId = idFromText(effect[3] as string);
  stream.entriesAdded = effect[4] as number;
  stream.maxDeletedId = idFromText(effect[5] as string);
}

function applyGroupCreate(db: Database, effect: CollectionEffect): void {
  const stream = existingStream(db, effect[2]);
  const name = effect[3] as string;
  assert(!stream.groups.has(name), 'a new group');
  stream.groups.set(
    name,
    new ConsumerGroup(name, idFromText(effect[4] as string), effect[5] as number),
  );
}

function applyGroupSetId(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  group.lastId = idFromText(effect[4] as string);
  group.entriesRead = effect[5] as number;
}

function applyGroupDestroy(db: Database, effect: CollectionEffect): void {
  const stream = existingStream(db, effect[2]);
  assert(stream.groups.delete(effect[3] as string), 'destroy an existing group');
}

function applyConsumerSeen(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  consumerOf(group, effect[4] as string, effect[5] as number).seenTimeMs = effect[5] as number;
}

function applyConsumerDelete(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  const consumer = group.consumers.get(effect[4] as string);
  assert(consumer !== undefined, 'delete an existing consumer');
  for (const id of consumer.pending.keys()) group.pending.delete(id);
  group.consumers.delete(consumer.name);
}

function applyDeliver(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  const timeMs = effect[5] as number;
  const consumer = consumerOf(group, effect[4] as string, timeMs);
  group.lastId = idFromText(effect[6] as string);
  group.entriesRead = effect[7] as number;
  if (effect[8] === 1) return;
  for (let i = 9; i < effect.length; i++) {
    setPending(group, consumer, idFromText(effect[i] as string), timeMs, 1);
  }
}

function applyRedeliver(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  const timeMs = effect[4] as number;
  for (let i = 5; i < effect.length; i++) {
    const entry = group.pending.get(idFromText(effect[i] as string));
    assert(entry !== undefined, 'redeliver a pending entry');
    entry.deliveryTimeMs = timeMs;
    entry.deliveryCount++;
  }
}

function applyAck(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  for (let i = 4; i < effect.length; i++) {
    const id = idFromText(effect[i] as string);
    const entry = group.pending.get(id);
    if (entry === undefined) continue;
    group.pending.delete(id);
    entry.consumer.pending.delete(id);
  }
}

function applyClaim(db: Database, effect: CollectionEffect): void {
  const [, group] = groupOf(db, effect);
  const consumer = group.consumers.get(effect[4] as string);
  assert(consumer !== undefined, 'claim for an existing consumer');
  assert((effect.length - 5) % 3 === 0, 'claim effect has id/time/count triples');
  for (let i = 5; i < effect.length; i += 3) {
    setPending(
      group,
      consumer,
      idFromText(effect[i] as string),
      effect[i + 1] as number,
      effect[i + 2] as number,
    );
  }
}

/**
 * Rebuilds a stream exactly: its nodes (entries deleted inside a node are added, then deleted),
 * its counters, and its groups with consumers and pending entries.
 */
function dumpStream(db: number, key: string, value: CollectionValue): Effect[] {
  assert(value instanceof StreamValue, 'stream dumper given a stream');
  const effects: Effect[] = [];
  if (value.nodes.length === 0) effects.push([StreamOp.Create, db, key]);
  for (const node of value.nodes) {
    const deleted: string[] = [];
    for (let i = 0; i < node.ids.length; i++) {
      const id = formatId(node.ids[i] as StreamId);
      effects.push([StreamOp.Add, db, key, i === 0 ? 1 : 0, id, ...(node.entries[i] as string[])]);
      if (node.alive[i] !== true) deleted.push(id);
    }
    if (deleted.length > 0) effects.push([StreamOp.Tombstone, db, key, ...deleted]);
  }
  effects.push([
    StreamOp.SetId,
    db,
    key,
    formatId(value.lastId),
    value.entriesAdded,
    formatId(value.maxDeletedId),
  ]);
  for (const group of value.groups.values()) {
    effects.push([
      StreamOp.GroupCreate,
      db,
      key,
      group.name,
      formatId(group.lastId),
      group.entriesRead,
    ]);
    for (const consumer of group.consumers.values()) {
      effects.push([
        StreamOp.ConsumerSeen,
        db,
        key,
        group.name,
        consumer.name,
        consumer.seenTimeMs,
      ]);
      const claims: (string | number)[] = [];
      for (const entry of consumer.pending.values()) {
        claims.push(formatId(entry.id), entry.deliveryTimeMs, entry.deliveryCount);
      }
      if (claims.length > 0)
        effects.push([StreamOp.Claim, db, key, group.name, consumer.name, ...claims]);
    }
  }
  return effects;
}

registerType(
  'stream',
  {
    [StreamOp.Add]: applyAdd,
    [StreamOp.Create]: applyCreate,
    [StreamOp.Delete]: applyDelete,
    [StreamOp.Trim]: applyTrim,
    [StreamOp.SetId]: applySetId,
    [StreamOp.GroupCreate]: applyGroupCreate,
    [StreamOp.GroupSetId]: applyGroupSetId,
    [StreamOp.GroupDestroy]: applyGroupDestroy,
    [StreamOp.ConsumerSeen]: applyConsumerSeen,
    [StreamOp.ConsumerDelete]: applyConsumerDelete,
    [StreamOp.Deliver]: applyDeliver,
    [StreamOp.Redeliver]: applyRedeliver,
    [StreamOp.Ack]: applyAck,
    [StreamOp.Claim]: applyClaim,
    [StreamOp.Tombstone]: applyTombstone,
  },
  dumpStream,
);
