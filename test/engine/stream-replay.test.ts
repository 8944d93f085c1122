// Determinism of stream effects: random stream commands (entries, trims, deletions, groups,
// deliveries, claims) run through the dispatcher, which records their effects; applying those
// effects to an empty engine gives the same streams (nodes, deleted entries, counters, groups,
// consumers, pending entries with their times), and so do dumpKey() of every key and a
// snapshot written by SnapshotJob and loaded back.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import type { EffectSink } from '../../src/commands/hooks.js';
import type { LogEntry } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { sortedPending, StreamValue } from '../../src/engine/types/stream.js';
import { formatId } from '../../src/engine/types/stream-id.js';
import { typeOf, type Value } from '../../src/engine/values.js';
import { ValueReply } from '../../src/embedded/value-reply.js';
import { SnapshotJob } from '../../src/persist/snapshot.js';
import { loadSnapshotBytes } from '../../src/persist/snapshot-bytes.js';
import { testHost } from '../helpers/host.js';

const host = testHost();

interface Recorder {
  engine: Engine;
  entries: LogEntry[];
  run(argv: string[]): unknown;
}

function recorder(): Recorder {
  const engine = new Engine(2);
  const config = new Config();
  // Small nodes, so that short sequences cross node boundaries and "~" trims whole nodes.
  config.setMany([['stream-node-max-entries', '4']], true);
  const entries: LogEntry[] = [];
  const sink: EffectSink = {
    writeRefusal: () => undefined,
    append: (entry) => entries.push(entry),
  };
  const executor = new Executor({ engine, config, host, sink, random: () => 0.5 });
  const client = new ClientState(1, 0, true);
  const reply = new ValueReply((text) => text);
  let nowMs = 1_000_000;
  return {
    engine,
    entries,
    run(argv) {
      executor.execute(client, argv, reply, (nowMs += 7));
      return reply.takeAll()[0];
    },
  };
}

/** Everything a stream holds, in storage order (nodes and deleted entries included). */
export function streamState(value: StreamValue): unknown {
  return {
    nodes: value.nodes.map((node) => ({
      master: formatId(node.masterId),
      fields: node.masterFields,
      entries: node.ids.map((id, i) => [formatId(id), node.alive[i], node.entries[i]]),
      live: node.live,
      deleted: node.deleted,
      bytes: node.bytes,
    })),
    length: value.length,
    lastId: formatId(value.lastId),
    maxDeletedId: formatId(value.maxDeletedId),
    entriesAdded: value.entriesAdded,
    groups: [...value.groups.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((group) => ({
        name: group.name,
        lastId: formatId(group.lastId),
        entriesRead: group.entriesRead,
        pending: sortedPending(group.pending).map((entry) => [
          formatId(entry.id),
          entry.consumer.name,
          entry.deliveryTimeMs,
          entry.deliveryCount,
        ]),
        consumers: group
          .sortedConsumers()
          .map((consumer) => [
            consumer.name,
            consumer.seenTimeMs,
            sortedPending(consumer.pending).map((entry) => formatId(entry.id)),
          ]),
      })),
  };
}

function snapshot(engine: Engine): unknown {
  return engine.databases.map((db) =>
    [...db.entries.keys()].sort().map((key) => {
      const value = db.get(key) as Value;
      return [key, typeOf(value), value instanceof StreamValue ? streamState(value) : value];
    }),
  );
}

const key = fc.constantFrom('s1', 's2', 'str');
const group = fc.constantFrom('g1', 'g2');
const consumer = fc.constantFrom('alice', 'bob', 'carol');
const field = fc.constantFrom('f', 'g', 'h', '1', 'long-value-'.repeat(3));
const pairs = fc
  .array(fc.tuple(field, field), { minLength: 1, maxLength: 3 })
  .map((list) => list.flat());
const idText = fc
  .tuple(fc.integer({ min: 0, max: 1_000_200 }), fc.integer({ min: 0, max: 3 }))
  .map(([ms, seq]) => `${ms}-${seq}`);
const start = fc.constantFrom('-', '0', '1000000', '(1000050-0');

const commandArb: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, pairs).map(([k, p]) => ['XADD', k, '*', ...p]) },
  fc.tuple(key, idText, pairs).map(([k, id, p]) => ['XADD', k, id, ...p]),
  fc
    .tuple(key, fc.constantFrom('MAXLEN', 'MINID'), fc.constantFrom('=', '~'), pairs)
    .map(([k, strategy, how, p]) => [
      'XADD',
      k,
      strategy,
      how,
      strategy === 'MAXLEN' ? '5' : '1000040',
      '*',
      ...p,
    ]),
  fc
    .tuple(key, fc.integer({ min: 0, max: 8 }), fc.boolean())
    .map(([k, n, approx]) => ['XTRIM', k, 'MAXLEN', ...(approx ? ['~'] : []), String(n)]),
  fc
    .tuple(key, fc.array(idText, { minLength: 1, maxLength: 3 }))
    .map(([k, ids]) => ['XDEL', k, ...ids]),
  fc
    .tuple(key, fc.integer({ min: 0, max: 20 }))
    .map(([k, n]) => ['XDEL', k, `${1_000_000 + n * 7}-0`]),
  fc.tuple(key, group).map(([k, g]) => ['XGROUP', 'CREATE', k, g, '0', 'MKSTREAM']),
  fc.tuple(key, group).map(([k, g]) => ['XGROUP', 'SETID', k, g, '0']),
  fc.tuple(key, group).map(([k, g]) => ['XGROUP', 'DESTROY', k, g]),
  fc.tuple(key, group, consumer).map(([k, g, c]) => ['XGROUP', 'CREATECONSUMER', k, g, c]),
  fc.tuple(key, group, consumer).map(([k, g, c]) => ['XGROUP', 'DELCONSUMER', k, g, c]),
  {
    weight: 4,
    arbitrary: fc
      .tuple(key, group, consumer, fc.boolean(), fc.integer({ min: 1, max: 4 }))
      .map(([k, g, c, noAck, n]) => [
        'XREADGROUP',
        'GROUP',
        g,
        c,
        'COUNT',
        String(n),
        ...(noAck ? ['NOACK'] : []),
        'STREAMS',
        k,
        '>',
      ]),
  },
  fc
    .tuple(key, group, consumer)
    .map(([k, g, c]) => ['XREADGROUP', 'GROUP', g, c, 'STREAMS', k, '0']),
  fc.tuple(key, group, idText).map(([k, g, id]) => ['XACK', k, g, id]),
  fc
    .tuple(key, group, consumer, fc.array(idText, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([k, g, c, ids, force]) => [
      'XCLAIM',
      k,
      g,
      c,
      '0',
      ...ids,
      ...(force ? ['FORCE'] : []),
      'IDLE',
      '5',
    ]),
  fc
    .tuple(key, group, consumer, start, fc.boolean())
    .map(([k, g, c, s, justId]) => [
      'XAUTOCLAIM',
      k,
      g,
      c,
      '0',
      s,
      'COUNT',
      '2',
      ...(justId ? ['JUSTID'] : []),
    ]),
  fc.tuple(key, idText).map(([k, id]) => ['XSETID', k, id]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
  key.map((k) => ['DEL', k]),
  fc.tuple(key, field).map(([k, v]) => ['SET', k, v]),
);

function replay(entries: readonly LogEntry[]): Engine {
  const engine = new Engine(2);
  for (const entry of entries) engine.apply(entry);
  return engine;
}

function reloadFromDump(source: Engine): Engine {
  const engine = new Engine(2);
  for (const db of source.databases) {
    for (const k of db.entries.keys()) {
      for (const effect of source.dumpKey(db.index, k)) engine.applyEffect(effect);
    }
  }
  return engine;
}

function reloadFromSnapshot(source: Engine): Engine {
  const job = new SnapshotJob(source, 1, 0);
  job.start();
  const parts: Buffer[] = [];
  while (!job.step(5)) parts.push(job.takeBytes());
  parts.push(job.finish());
  const engine = new Engine(2);
  loadSnapshotBytes(Buffer.concat(parts), 0, engine);
  return engine;
}

describe('stream effects', () => {
  it('replay, dump and snapshot rebuild the same streams', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 80 }), (commands) => {
        const primary = recorder();
        for (const argv of commands) primary.run(argv);
        const expected = snapshot(primary.engine);
        assert.deepEqual(snapshot(replay(primary.entries)), expected, 'replayed log');
        assert.deepEqual(snapshot(reloadFromDump(primary.engine)), expected, 'reloaded dump');
        assert.deepEqual(snapshot(reloadFromSnapshot(primary.engine)), expected, 'snapshot');
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an empty stream and its groups, and counts memory for it', () => {
    const primary = recorder();
    primary.run(['XADD', 's', 'MAXLEN', '0', '1-1', 'f', 'v']);
    primary.run(['XGROUP', 'CREATE', 's', 'g', '$']);
    assert.equal(primary.run(['TYPE', 's']), 'stream');
    assert.equal(primary.run(['OBJECT', 'ENCODING', 's']), 'stream');
    assert.ok((primary.run(['MEMORY', 'USAGE', 's']) as number) > 0);
    const db = primary.engine.database(0);
    assert.ok(db.datasetBytes > 0);
    primary.run(['DEL', 's']);
    assert.equal(db.datasetBytes, 0);
  });
});
