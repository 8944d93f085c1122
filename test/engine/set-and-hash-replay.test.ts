// Determinism of hash and set effects: a random command sequence runs through the dispatcher,
// which records its effects; applying those effects to an empty engine gives the same dataset
// (members, values, order, encodings, expiry), and so does applying dumpKey() of every key.
// Read-only random commands (SRANDMEMBER, HRANDFIELD) record nothing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import type { EffectSink } from '../../src/commands/hooks.js';
import type { LogEntry } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { HashValue } from '../../src/engine/types/hash.js';
import { SetValue } from '../../src/engine/types/set.js';
import { encodingOf, stringText, type Value } from '../../src/engine/values.js';
import { testHost } from '../helpers/host.js';
import { ValueReply } from '../../src/embedded/value-reply.js';

const host = testHost();

/** Small thresholds, so that short sequences cross every encoding boundary. */
const THRESHOLDS: [string, string][] = [
  ['set-max-intset-entries', '6'],
  ['set-max-listpack-entries', '5'],
  ['set-max-listpack-value', '3'],
  ['hash-max-listpack-entries', '4'],
  ['hash-max-listpack-value', '3'],
];

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

interface Recorder {
  executor: Executor;
  engine: Engine;
  entries: LogEntry[];
  run(argv: string[]): unknown;
}

function recorder(seed: number): Recorder {
  const engine = new Engine(2);
  const config = new Config();
  config.setMany(THRESHOLDS, true);
  const entries: LogEntry[] = [];
  const sink: EffectSink = {
    writeRefusal: () => undefined,
    append: (entry) => entries.push(entry),
  };
  const executor = new Executor({ engine, config, host, sink, random: seededRandom(seed) });
  const client = new ClientState(1, 0, true);
  const reply = new ValueReply((text) => text);
  let nowMs = 1_000_000;
  return {
    executor,
    engine,
    entries,
    run(argv) {
      executor.execute(client, argv, reply, (nowMs += 10));
      return reply.takeAll()[0];
    },
  };
}

/** Everything observable about a dataset, in storage order. */
function snapshot(engine: Engine): unknown {
  return engine.databases.map((db) =>
    [...db.entries.keys()].sort().map((key) => {
      const value = db.get(key) as Value;
      return [key, encodingOf(value), db.expires.get(key) ?? null, contents(value)];
    }),
  );
}

function contents(value: Value): unknown {
  if (value instanceof SetValue) return [...value.values()];
  if (value instanceof HashValue) return [...value.entries()];
  if (typeof value === 'object') return value.type;
  return stringText(value);
}

const keys = ['s1', 's2', 's3', 'h1', 'h2', 'str'];
const members = ['1', '2', '3', '10', '-4', '99', 'a', 'b', 'ccc', 'long-member'];
const fieldsOrValues = ['f', 'g', 'h', 'i', 'j', '1', '22', 'long-value'];

const key = fc.constantFrom(...keys);
const memberArb = fc.constantFrom(...members);
const word = fc.constantFrom(...fieldsOrValues);
const someMembers = fc.array(memberArb, { minLength: 1, maxLength: 6 });
const someKeys = fc.array(key, { minLength: 1, maxLength: 3 });

const commandArb: fc.Arbitrary<string[]> = fc.oneof(
  someMembers.chain((ms) => key.map((k) => ['SADD', k, ...ms])),
  someMembers.chain((ms) => key.map((k) => ['SREM', k, ...ms])),
  key.map((k) => ['SPOP', k]),
  fc.tuple(key, fc.integer({ min: 0, max: 12 })).map(([k, n]) => ['SPOP', k, String(n)]),
  fc.tuple(key, fc.integer({ min: -5, max: 12 })).map(([k, n]) => ['SRANDMEMBER', k, String(n)]),
  fc.tuple(key, key, memberArb).map(([a, b, m]) => ['SMOVE', a, b, m]),
  fc
    .tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, someKeys)
    .map(([name, destination, sources]) => [name, destination, ...sources]),
  fc
    .tuple(key, fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 4 }))
    .map(([k, pairs]) => ['HSET', k, ...pairs.flat()]),
  fc.tuple(key, word, word).map(([k, f, v]) => ['HSETNX', k, f, v]),
  fc
    .tuple(key, fc.array(word, { minLength: 1, maxLength: 3 }))
    .map(([k, fs]) => ['HDEL', k, ...fs]),
  fc
    .tuple(key, word, fc.integer({ min: -1000, max: 1000 }))
    .map(([k, f, n]) => ['HINCRBY', k, f, String(n)]),
  fc
    .tuple(key, word, fc.constantFrom('0.1', '-2.5', '1e3'))
    .map(([k, f, n]) => ['HINCRBYFLOAT', k, f, n]),
  fc
    .tuple(key, fc.integer({ min: -4, max: 6 }))
    .map(([k, n]) => ['HRANDFIELD', k, String(n), 'WITHVALUES']),
  fc.tuple(key, word).map(([k, v]) => ['SET', k, v]),
  key.map((k) => ['DEL', k]),
  key.map((k) => ['EXPIRE', k, '1000']),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  key.map((k) => ['MOVE', k, '1']),
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

describe('hash and set effects', () => {
  it('replay and dump rebuild the same dataset', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 80 }), fc.integer(), (commands, seed) => {
        const primary = recorder(seed);
        for (const argv of commands) primary.run(argv);
        const expected = snapshot(primary.engine);
        assert.deepEqual(snapshot(replay(primary.entries)), expected, 'replayed log');
        assert.deepEqual(snapshot(reloadFromDump(primary.engine)), expected, 'reloaded dump');
      }),
      { numRuns: 300 },
    );
  });

  it('records one effect per write, none for reads, and exactly the members SPOP chose', () => {
    const primary = recorder(42);
    primary.run(['SADD', 's', ...Array.from({ length: 100 }, (_, i) => `m${i}`)]);
    primary.run(['HSET', 'h', 'a', '1', 'b', '2']);
    const before = primary.entries.length;
    primary.run(['SRANDMEMBER', 's', '-5']);
    primary.run(['SRANDMEMBER', 's', '5']);
    primary.run(['HRANDFIELD', 'h', '-5', 'WITHVALUES']);
    primary.run(['SMEMBERS', 's']);
    assert.equal(primary.entries.length, before, 'reads log nothing');
    const popped = primary.run(['SPOP', 's', '3']) as string[];
    const entry = primary.entries.at(-1) as LogEntry;
    assert.equal(entry.effects.length, 1);
    assert.deepEqual((entry.effects[0] as unknown[]).slice(4), popped);
    const single = primary.run(['SPOP', 's']) as string;
    assert.deepEqual(((primary.entries.at(-1) as LogEntry).effects[0] as unknown[]).slice(4), [
      single,
    ]);
  });

  it('dumps a set and a hash as one effect each, with their encoding', () => {
    const primary = recorder(7);
    primary.run(['SADD', 'ints', '3', '1', '2']);
    primary.run(['SADD', 'mixed', '3', '1', 'a', '2']);
    primary.run(['HSET', 'h', 'a', '1', 'b', '2']);
    assert.deepEqual(primary.engine.dumpKey(0, 'ints'), [[60, 0, 'ints', 0, '3', '1', '2']]);
    // The intset became a listpack at 'a': its integers went first, in ascending order.
    assert.deepEqual(primary.engine.dumpKey(0, 'mixed'), [[60, 0, 'mixed', 1, '1', '3', 'a', '2']]);
    assert.deepEqual(primary.engine.dumpKey(0, 'h'), [[40, 0, 'h', 0, 'a', '1', 'b', '2']]);
  });
});
