// maxmemory and eviction through the dispatcher, with a controlled clock and a seeded random:
// the dataset estimate kept incrementally equals one computed from scratch; each policy evicts
// what Redis's would; noeviction refuses denyoom commands only; evictions are Delete effects in
// the log, so replaying the log gives the same dataset.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import type { EffectSink } from '../../src/commands/hooks.js';
import { type LogEntry, Op } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { keyCharge, recharge } from '../../src/engine/memory.js';
import { ValueReply } from '../../src/embedded/value-reply.js';
import { testHost } from '../helpers/host.js';

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

interface Harness {
  executor: Executor;
  engine: Engine;
  entries: LogEntry[];
  nowMs: number;
  run(...argv: string[]): unknown;
}

function harness(settings: [string, string][] = [], seed = 7): Harness {
  const engine = new Engine(2);
  const config = new Config();
  config.setMany(settings, true);
  const entries: LogEntry[] = [];
  const sink: EffectSink = { writeRefusal: () => undefined, append: (e) => entries.push(e) };
  const executor = new Executor({
    engine,
    config,
    host: testHost(),
    sink,
    random: seededRandom(seed),
  });
  const client = new ClientState(1, 0, true);
  const reply = new ValueReply((text) => text);
  const h: Harness = {
    executor,
    engine,
    entries,
    nowMs: 1_700_000_000_000,
    run(...argv) {
      executor.execute(client, argv, reply, h.nowMs);
      const value = reply.takeAll()[0];
      return value instanceof Error ? { error: value.message } : value;
    },
  };
  return h;
}

/** The running total, recomputed from nothing (what the engine must have kept). */
function recomputed(engine: Engine): number[] {
  return engine.databases.map((db) => {
    let total = 0;
    for (const [key, entry] of db.entries) {
      const value = db.valueOf(entry);
      if (typeof value === 'object') recharge(value);
      total += keyCharge(key, value);
    }
    return total;
  });
}

const value = 'v'.repeat(100);

describe('memory accounting', () => {
  it('keeps the dataset estimate equal to a recomputation over random commands', () => {
    const keys = ['a', 'b', 'c', 'd'];
    const command = fc.oneof(
      fc
        .tuple(fc.constantFrom(...keys), fc.string({ maxLength: 60 }))
        .map(([k, v]) => ['SET', k, v]),
      fc.tuple(fc.constantFrom(...keys), fc.integer()).map(([k, n]) => ['SET', k, String(n)]),
      fc.tuple(fc.constantFrom(...keys), fc.string()).map(([k, v]) => ['APPEND', k, v]),
      fc
        .tuple(fc.constantFrom(...keys), fc.nat(20), fc.string())
        .map(([k, o, v]) => ['SETRANGE', k, String(o), v]),
      fc.constantFrom(...keys).map((k) => ['DEL', k]),
      fc
        .tuple(fc.constantFrom(...keys), fc.constantFrom(...keys))
        .map(([a, b]) => ['RENAME', a, b]),
      fc
        .tuple(fc.constantFrom(...keys), fc.constantFrom(...keys))
        .map(([a, b]) => ['COPY', a, b, 'DB', '1', 'REPLACE']),
      fc.constantFrom(...keys).map((k) => ['MOVE', k, '1']),
      fc
        .tuple(fc.constantFrom(...keys), fc.string({ maxLength: 70 }))
        .map(([k, v]) => ['RPUSH', k, v, 'x']),
      fc.constantFrom(...keys).map((k) => ['LPOP', k]),
      fc.tuple(fc.constantFrom(...keys), fc.string()).map(([k, f]) => ['HSET', k, f, value]),
      fc.tuple(fc.constantFrom(...keys), fc.string()).map(([k, m]) => ['SADD', k, m, '1']),
      fc.tuple(fc.constantFrom(...keys), fc.string()).map(([k, m]) => ['SREM', k, m, '1']),
      fc
        .tuple(fc.constantFrom(...keys), fc.double({ noNaN: true }), fc.string())
        .map(([k, s, m]) => ['ZADD', k, String(s), m]),
      fc.constantFrom(...keys).map((k) => ['EXPIRE', k, '100']),
      fc.constant(['SWAPDB', '0', '1']),
      fc.constant(['FLUSHDB']),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 80 }), (commands) => {
        const h = harness();
        for (const argv of commands) h.run(...argv);
        assert.deepEqual(
          h.engine.databases.map((db) => db.datasetBytes),
          recomputed(h.engine),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('reports used_memory from the estimate and MEMORY USAGE grows with the value', () => {
    const h = harness();
    h.run('SET', 'small', 'x');
    h.run('SET', 'big', 'x'.repeat(10_000));
    const small = h.run('MEMORY', 'USAGE', 'small') as number;
    const big = h.run('MEMORY', 'USAGE', 'big') as number;
    assert.ok(big - small >= 9_900 && big - small < 10_100, `${small} ${big}`);
    const info = String(h.run('INFO', 'memory'));
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    assert.ok(used >= big + small, info);
    assert.equal(h.run('MEMORY', 'USAGE', 'missing'), null);
    for (let i = 0; i < 200; i++) h.run('RPUSH', 'list', `element-${i}`.repeat(1 + (i % 7)));
    const sampled = h.run('MEMORY', 'USAGE', 'list') as number;
    const exact = h.run('MEMORY', 'USAGE', 'list', 'SAMPLES', '0') as number;
    assert.ok(sampled > 200 * 16 && exact > 200 * 16, `${sampled} ${exact}`);
  });
});

/** Fills keys 0..count-1 with 100-byte values; returns the key names. */
function fill(h: Harness, count: number, prefix = 'key:', ttl?: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}${i}`;
    names.push(name);
    if (ttl === undefined) h.run('SET', name, value);
    else h.run('SET', name, value, 'PX', String(ttl + i * 1000));
  }
  return names;
}

function limitTo(h: Harness, policy: string): void {
  const used = h.executor.memory.usedBytes();
  assert.equal(h.run('CONFIG', 'SET', 'maxmemory-policy', policy), 'OK');
  // Room for the keys present now, minus about 20 of them.
  assert.equal(h.run('CONFIG', 'SET', 'maxmemory', String(used - 20 * 250)), 'OK');
}

describe('eviction policies', () => {
  it('noeviction refuses denyoom commands, while reads, DEL and EXPIRE still work', () => {
    const h = harness();
    fill(h, 100);
    limitTo(h, 'noeviction');
    const oom = { error: "OOM command not allowed when used memory > 'maxmemory'." };
    assert.deepEqual(h.run('SET', 'new', 'x'), oom);
    assert.deepEqual(h.run('INCR', 'counter'), oom);
    assert.deepEqual(h.run('RPUSH', 'list', 'x'), oom);
    assert.equal(h.run('GET', 'key:1'), value);
    assert.equal(h.run('EXPIRE', 'key:1', '100'), 1);
    assert.equal(h.run('MULTI'), 'OK');
    assert.deepEqual(h.run('GET', 'key:2'), oom);
    assert.deepEqual(h.run('EXEC'), {
      error: 'EXECABORT Transaction discarded because of previous errors.',
    });
    for (let i = 0; i < 30; i++) assert.equal(h.run('DEL', `key:${i}`), 1);
    assert.equal(h.run('SET', 'new', 'x'), 'OK');
    assert.match(String(h.run('INFO', 'stats')), /evicted_keys:0\r\n/);
  });

  it('allkeys-lru keeps recently used keys far more than a random choice would', () => {
    const h = harness([['maxmemory-samples', '10']]);
    const names = fill(h, 400);
    // Half the keys are read a minute later: they are the recently used ones.
    h.nowMs += 60_000;
    const hot = names.filter((_, i) => i % 2 === 0);
    for (const name of hot) h.run('GET', name);
    h.nowMs += 1000;
    limitTo(h, 'allkeys-lru');
    for (let i = 0; i < 100; i++) h.run('SET', `new:${i}`, value);
    const evicted = names.filter((name) => h.engine.database(0).get(name) === undefined);
    const hotEvicted = evicted.filter((name) => hot.includes(name)).length;
    assert.ok(evicted.length >= 100, `evicted ${evicted.length}`);
    // Random eviction would take about half from the hot keys; sampling 10 keeps nearly all.
    assert.ok(hotEvicted < evicted.length * 0.1, `${hotEvicted} of ${evicted.length} were hot`);
    assert.equal(h.executor.memory.evictedKeys, evicted.length);
    // Eviction runs before each command (the last SET may leave it over), PING included.
    h.run('PING');
    assert.ok(h.executor.memory.usedBytes() <= h.executor.memory.maxmemory);
  });

  it('allkeys-lfu keeps frequently used keys', () => {
    const h = harness([['maxmemory-samples', '10']]);
    const names = fill(h, 400);
    const hot = names.filter((_, i) => i % 4 === 0);
    h.run('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    for (let round = 0; round < 20; round++) for (const name of hot) h.run('GET', name);
    assert.ok((h.run('OBJECT', 'FREQ', hot[0] as string) as number) > 5);
    limitTo(h, 'allkeys-lfu');
    for (let i = 0; i < 100; i++) h.run('SET', `new:${i}`, value);
    const evicted = names.filter((name) => !h.engine.database(0).has(name));
    assert.ok(evicted.length >= 100);
    assert.equal(evicted.filter((name) => hot.includes(name)).length, 0);
  });

  it('volatile policies evict only keys with a TTL, volatile-ttl the soonest first', () => {
    for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
      const h = harness();
      const persistent = fill(h, 200, 'keep:');
      const volatile = fill(h, 200, 'ttl:', 1_000_000);
      limitTo(h, policy);
      for (let i = 0; i < 50; i++) h.run('SET', `keep:new:${i}`, value);
      const db = h.engine.database(0);
      assert.ok(
        persistent.every((name) => db.has(name)),
        policy,
      );
      const gone = volatile.filter((name) => !db.has(name));
      assert.ok(gone.length >= 50, `${policy}: ${gone.length}`);
      if (policy === 'volatile-ttl') {
        // Sampling 5 of the pool at a time: the evicted keys are mostly the soonest to expire.
        const soonest = gone.filter((name) => Number(name.slice(4)) < 150).length;
        assert.ok(soonest >= gone.length * 0.8, `${soonest} of ${gone.length}`);
      }
    }
  });

  it('answers OOM when a volatile policy has no key with a TTL to evict', () => {
    const h = harness();
    fill(h, 100);
    limitTo(h, 'volatile-lru');
    assert.deepEqual(h.run('SET', 'x', 'y'), {
      error: "OOM command not allowed when used memory > 'maxmemory'.",
    });
  });

  it('allkeys-random evicts and counts, and the log replays to the same dataset', () => {
    const h = harness();
    fill(h, 300);
    h.run('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
    limitTo(h, 'allkeys-random');
    for (let i = 0; i < 80; i++) h.run('SET', `new:${i}`, value);
    h.run('PING'); // evicts what the last SET left over the limit
    const deletes = h.entries.flatMap((entry) => entry.effects).filter((e) => e[0] === Op.Delete);
    assert.ok(deletes.length >= 80);
    assert.match(String(h.run('INFO', 'stats')), new RegExp(`evicted_keys:${deletes.length}\r\n`));
    const replay = new Engine(2);
    for (const entry of h.entries) replay.apply(entry);
    const contents = (engine: Engine) =>
      engine.databases.map((db) =>
        [...db.entries].map(([key, entry]) => [key, db.valueOf(entry)]).sort(),
      );
    assert.deepEqual(contents(replay), contents(h.engine));
    assert.deepEqual(
      replay.databases.map((db) => db.datasetBytes),
      h.engine.databases.map((db) => db.datasetBytes),
    );
  });
});

describe('access clocks', () => {
  it('OBJECT IDLETIME counts seconds since the last access; OBJECT and NO-TOUCH do not touch', () => {
    const h = harness();
    h.run('SET', 'k', 'v');
    h.nowMs += 5_000;
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k'), 5);
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k'), 5);
    h.run('CLIENT', 'NO-TOUCH', 'ON');
    h.run('GET', 'k');
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k'), 5);
    h.run('TOUCH', 'k'); // TOUCH touches even for a NO-TOUCH client, as in Redis
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k'), 0);
    h.nowMs += 3_000;
    h.run('CLIENT', 'NO-TOUCH', 'OFF');
    h.run('GET', 'k');
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k'), 0);
    h.run('RENAME', 'k', 'k2');
    h.nowMs += 2_000;
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k2'), 2);
    // The clock travels with the key to another database (NO-TOUCH: MOVE's lookup leaves it).
    h.run('CLIENT', 'NO-TOUCH', 'ON');
    h.run('MOVE', 'k2', '1');
    h.nowMs += 2_000;
    h.run('SELECT', '1');
    assert.equal(h.run('OBJECT', 'IDLETIME', 'k2'), 4);
  });

  it('OBJECT FREQ starts at 5 under LFU, grows logarithmically and decays per minute', () => {
    const h = harness([['maxmemory-policy', 'allkeys-lfu']]);
    h.run('SET', 'k', 'v');
    assert.equal(h.run('OBJECT', 'FREQ', 'k'), 5);
    h.run('GET', 'k');
    assert.equal(h.run('OBJECT', 'FREQ', 'k'), 6);
    for (let i = 0; i < 2000; i++) h.run('GET', 'k');
    const frequency = h.run('OBJECT', 'FREQ', 'k') as number;
    assert.ok(frequency > 10 && frequency < 40, String(frequency));
    h.nowMs += 3 * 60_000;
    assert.equal(h.run('OBJECT', 'FREQ', 'k'), frequency - 3);
    // An overwrite keeps the counter (dbOverwrite); a key deleted and made again starts anew.
    h.run('SET', 'k', 'v2');
    assert.equal(h.run('OBJECT', 'FREQ', 'k'), frequency - 3);
    h.run('DEL', 'k');
    h.run('SET', 'k', 'v3');
    assert.equal(h.run('OBJECT', 'FREQ', 'k'), 5);
  });
});
