// A dispatcher over a fresh engine for the sorted set engine tests: runs command lines, returns
// replies as plain values (latin1 strings kept as they are), and records every log entry.

import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import { Engine } from '../../src/engine/engine.js';
import type { LogEntry } from '../../src/engine/effects.js';
import { SortedSetValue } from '../../src/engine/types/zset.js';
import { testHost } from '../helpers/host.js';
import { ReplyError, type ReplyValue, ValueReply } from '../../src/embedded/value-reply.js';

const host = testHost();

export interface Harness {
  engine: Engine;
  log: LogEntry[];
  /** Runs one command; an error reply comes back as { error: message }. */
  run(...argv: string[]): ReplyValue | { error: string };
  /** The same for an argument list too long to spread. */
  runArgv(argv: string[]): ReplyValue | { error: string };
  nowMs: number;
}

export function harness(random: () => number = Math.random): Harness {
  const engine = new Engine();
  const log: LogEntry[] = [];
  const executor = new Executor({
    engine,
    config: new Config(),
    host,
    random,
    sink: { writeRefusal: () => undefined, append: (entry) => log.push(entry) },
  });
  const client = new ClientState(1, 0, true);
  const reply = new ValueReply((latin1) => latin1);
  const self: Harness = {
    engine,
    log,
    nowMs: 1_700_000_000_000,
    run(...argv) {
      return self.runArgv(argv);
    },
    runArgv(argv) {
      executor.execute(client, argv, reply, self.nowMs);
      const [value] = reply.takeAll();
      if (value instanceof ReplyError) return { error: value.message };
      return value ?? null;
    },
  };
  return self;
}

/** Everything observable about an engine's data: per key its type, contents, encoding, expiry. */
export function snapshot(engine: Engine): unknown[] {
  const out: unknown[] = [];
  for (const db of engine.databases) {
    const keys = [...db.entries.keys()].sort();
    for (const key of keys) {
      const value = db.get(key);
      let shown: unknown = value;
      if (value instanceof SortedSetValue) {
        value.index.check();
        const { scores, members } = value.index.toArrays();
        // Object.is keeps -0 apart from 0.
        shown = {
          encoding: value.encoding(),
          pairs: members.map((member, i) => [member, Object.is(scores[i], -0) ? '-0' : scores[i]]),
          map: members.every((member, i) => Object.is(value.scores.get(member), scores[i])),
        };
      }
      out.push([db.index, key, shown, db.expires.get(key)]);
    }
  }
  return out;
}
