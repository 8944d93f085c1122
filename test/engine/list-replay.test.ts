// Determinism of list effects: a random command sequence, then (1) its recorded log entries
// applied to an empty engine and (2) dumpKey() of every key applied to an empty engine must both
// give the same dataset (contents, order, expiry; and, for the log replay, the encoding).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import type { EffectSink } from '../../src/commands/hooks.js';
import type { LogEntry } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { ListValue } from '../../src/engine/types/list.js';
import { testHost } from '../helpers/host.js';
import { ValueReply } from '../../src/embedded/value-reply.js';

const host = testHost();

const KEYS = ['a', 'b', 'c', 's'];
const key = fc.constantFrom(...KEYS);
const element = fc.oneof(
  fc.constantFrom('x', 'y', '1', '', '-7', '\u0000\u00ff'),
  fc.integer({ min: 100, max: 3000 }).map((n) => 'w'.repeat(n)),
);
const small = fc.integer({ min: -6, max: 6 }).map(String);
const side = fc.constantFrom('LEFT', 'RIGHT');

/** Write commands (and some that fail), plus expiry and other key commands that touch lists. */
const command: fc.Arbitrary<string[]> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'),
      key,
      fc.array(element, { minLength: 1, maxLength: 6 }),
    )
    .map(([name, k, elements]) => [name, k, ...elements]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, small).map(([name, k, n]) => [name, k, n]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key).map(([name, k]) => [name, k]),
  fc.tuple(key, small, element).map(([k, i, e]) => ['LSET', k, i, e]),
  fc
    .tuple(key, fc.constantFrom('BEFORE', 'AFTER', 'NOWHERE'), element, element)
    .map(([k, where, pivot, e]) => ['LINSERT', k, where, pivot, e]),
  fc.tuple(key, small, element).map(([k, n, e]) => ['LREM', k, n, e]),
  fc.tuple(key, small, small).map(([k, start, stop]) => ['LTRIM', k, start, stop]),
  fc.tuple(key, key, side, side).map(([s, d, from, to]) => ['LMOVE', s, d, from, to]),
  fc.tuple(key, key).map(([s, d]) => ['RPOPLPUSH', s, d]),
  fc
    .tuple(fc.uniqueArray(key, { minLength: 1, maxLength: 3 }), side, fc.integer({ max: 4 }))
    .map(([keys, from, n]) => ['LMPOP', String(keys.length), ...keys, from, 'COUNT', String(n)]),
  fc.tuple(key, element).map(([k, v]) => ['SET', k, v]),
  key.map((k) => ['DEL', k]),
  fc.tuple(key, key).map(([s, d]) => ['COPY', s, d, 'REPLACE']),
  fc.tuple(key, key).map(([s, d]) => ['RENAME', s, d]),
  fc.tuple(key, fc.integer({ min: 1, max: 3 })).map(([k, db]) => ['MOVE', k, String(db)]),
  // Absolute times: the run uses a fixed clock, so some keys are past their expiry later on.
  fc.tuple(key, fc.integer({ min: 990, max: 1100 })).map(([k, at]) => ['PEXPIREAT', k, String(at)]),
  key.map((k) => ['PERSIST', k]),
  fc.constantFrom('0', '1').map((db) => ['SELECT', db]),
);

interface KeySnapshot {
  value: string | string[];
  encoding: string;
  expireAtMs: number | undefined;
}

function snapshot(engine: Engine): Map<string, KeySnapshot> {
  const out = new Map<string, KeySnapshot>();
  for (const db of engine.databases) {
    for (const [k, entry] of db.entries) {
      const value = db.valueOf(entry);
      const contents = value instanceof ListValue ? value.toArray() : String(value);
      const encoding = typeof value === 'object' ? value.encoding() : 'string';
      out.set(`${db.index}/${k}`, { value: contents, encoding, expireAtMs: db.expireAt(k) });
    }
  }
  return out;
}

function withoutEncodings(state: Map<string, KeySnapshot>): Map<string, unknown> {
  return new Map([...state].map(([k, { value, expireAtMs }]) => [k, { value, expireAtMs }]));
}

describe('list effects', () => {
  it('replay from the log and rebuild from dumps to the same dataset', () => {
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 80 }),
        fc.constantFrom('-2', '-1', '3'),
        (commands, fill) => {
          const log: LogEntry[] = [];
          const sink: EffectSink = {
            writeRefusal: () => undefined,
            append: (entry) => log.push(entry),
          };
          const engine = new Engine();
          const config = new Config();
          config.set('list-max-listpack-size', fill);
          let seed = 1;
          const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
          const executor = new Executor({ engine, config, host, sink, random });
          const client = new ClientState(1, 0, true);
          const reply = new ValueReply((text) => text);
          let nowMs = 1000;
          for (const argv of commands) {
            executor.execute(client, argv, reply, nowMs++);
            reply.takeAll();
          }

          // The thresholds are data given to the engine: a replaying engine gets the same ones.
          const replayed = new Engine(16, { ...engine.encodingLimits });
          for (const entry of log) replayed.apply(entry);
          assert.deepEqual(snapshot(replayed), snapshot(engine), 'log replay');

          const rebuilt = new Engine();
          for (const db of engine.databases) {
            for (const k of db.entries.keys()) {
              for (const effect of engine.dumpKey(db.index, k)) rebuilt.applyEffect(effect);
            }
          }
          assert.deepEqual(
            withoutEncodings(snapshot(rebuilt)),
            withoutEncodings(snapshot(engine)),
            'rebuilt from dumps',
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('dumps a list as one effect that keeps its order', () => {
    const engine = new Engine();
    engine.applyEffect([21, 0, 'l', 'b', 'c']);
    engine.applyEffect([20, 0, 'l', 'a', 'z']);
    engine.applyEffect([3, 0, 'l', 5000]);
    assert.deepEqual(engine.dumpKey(0, 'l'), [
      [21, 0, 'l', 'z', 'a', 'b', 'c'],
      [3, 0, 'l', 5000],
    ]);
  });
});
