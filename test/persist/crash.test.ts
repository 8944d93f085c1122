// Crash tests with real processes: many pipelining clients under appendfsync always, kill -9 at a
// random moment (with and without a snapshot in progress), restart, and check that every
// acknowledged write is there: SET values, INCR counters (at least the acknowledged value), and
// multi-key entries wholly present or wholly absent. Set SHOAL_LONG_TESTS=1 for more rounds.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, spawnShoal } from '../helpers/servers.js';
import { seeded } from './helpers.js';

const LONG = Number(process.env['SHOAL_LONG_TESTS'] ?? 0) > 0;
const ROUNDS = LONG ? 12 : 4;
const CLIENTS = 8;
const PIPELINE = 16;

interface Acknowledged {
  counters: Map<string, number>;
  values: Map<string, string>;
  /** Keys written by one multi-key entry (MSET, or a MULTI/EXEC transaction): all or none. */
  groups: string[][];
  /** Every transaction sent, acknowledged or not: each must be wholly present or wholly absent. */
  transactions: string[][];
}

type Sent =
  | { kind: 'counter'; key: string }
  | { kind: 'value'; key: string; value: string }
  | { kind: 'group'; keys: string[] }
  | { kind: 'transaction'; keys: string[] };

/** Replies a sent record produces: MULTI, one QUEUED per command, EXEC. */
function replyCount(record: Sent): number {
  return record.kind === 'transaction' ? record.keys.length + 2 : 1;
}

/** One client: pipelines of PIPELINE commands until the connection dies; records what was acknowledged. */
async function runClient(port: number, id: number, seen: Acknowledged, random: () => number) {
  const client = await RawClient.connect(port);
  try {
    for (let batch = 0; ; batch++) {
      const sent: Sent[] = [];
      for (let i = 0; i < PIPELINE; i++) {
        const n = `${batch}:${i}`;
        const pick = random();
        if (pick < 0.35) {
          const key = `counter:${id}`;
          client.send('INCR', key);
          sent.push({ kind: 'counter', key });
        } else if (pick < 0.75) {
          const key = `value:${id}:${n}`;
          client.send('SET', key, n);
          sent.push({ kind: 'value', key, value: n });
        } else if (pick < 0.88) {
          const keys = Array.from({ length: 6 }, (_, j) => `group:${id}:${n}:${j}`);
          client.send('MSET', ...keys.flatMap((key) => [key, n]));
          sent.push({ kind: 'group', keys });
        } else {
          const keys = Array.from({ length: 4 }, (_, j) => `tx:${id}:${n}:${j}`);
          client.send('MULTI');
          for (const key of keys) client.send('SET', key, n);
          client.send('EXEC');
          seen.transactions.push(keys);
          sent.push({ kind: 'transaction', keys });
        }
      }
      const expected = sent.reduce((total, record) => total + replyCount(record), 0);
      const replies = await client.read(expected, 10_000);
      let at = 0;
      for (const record of sent) {
        // The last reply of a record says whether it was acknowledged (EXEC's array for a transaction).
        const reply = replies[at + replyCount(record) - 1];
        at += replyCount(record);
        if (reply === undefined || reply instanceof Error) continue;
        if (record.kind === 'group' || record.kind === 'transaction') seen.groups.push(record.keys);
        else if (record.kind === 'value') seen.values.set(record.key, record.value);
        else if (typeof reply === 'number') seen.counters.set(record.key, reply);
      }
      if (replies.length < expected || client.closed) return;
    }
  } catch {
    return; // the server died mid-read: what was acknowledged is recorded
  } finally {
    client.close();
  }
}

async function preload(port: number, keys: number): Promise<void> {
  const client = await RawClient.connect(port);
  const perCommand = 1000;
  for (let start = 0; start < keys; start += perCommand) {
    const words: string[] = [];
    for (let i = start; i < start + perCommand; i++) words.push(`bulk:${i}`, `${i}`);
    client.send('MSET', ...words);
  }
  await client.read(Math.ceil(keys / perCommand), 30_000);
  client.close();
}

async function verify(port: number, seen: Acknowledged, round: string): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    for (const [key, value] of seen.counters) {
      const stored = Number(await client.call('GET', key));
      assert.ok(stored >= value, `${round}: ${key} is ${stored}, acknowledged ${value}`);
    }
    const keys = [...seen.values.keys()];
    for (let i = 0; i < keys.length; i += 500) {
      const slice = keys.slice(i, i + 500);
      const stored = (await client.call('MGET', ...slice)) as (string | null)[];
      slice.forEach((key, j) => assert.equal(stored[j], seen.values.get(key), `${round}: ${key}`));
    }
    for (const group of seen.groups) {
      assert.equal(await client.call('EXISTS', ...group), group.length, `${round}: ${group[0]}`);
    }
    for (const transaction of seen.transactions) {
      const present = (await client.call('EXISTS', ...transaction)) as number;
      assert.ok(
        present === 0 || present === transaction.length,
        `${round}: transaction ${transaction[0]} is partly present (${present} of ${transaction.length})`,
      );
    }
  } finally {
    client.close();
  }
}

describe('crash (kill -9) with real processes', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const servers: ChildServer[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const withSnapshot of [false, true]) {
    it(`keeps every acknowledged write${withSnapshot ? ' with a snapshot in progress' : ''}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shoal-crash-'));
      dirs.push(dir);
      const args = ['--dir', dir, '--appendfsync', 'always', '--save', ''];
      const seen: Acknowledged = {
        counters: new Map(),
        values: new Map(),
        groups: [],
        transactions: [],
      };
      for (let round = 0; round < ROUNDS; round++) {
        const random = seeded(round * 7919 + (withSnapshot ? 1 : 0));
        // No launcher process: SIGKILL below must reach the server itself, not its parent.
        const server = await spawnShoal(args, undefined, { ...process.env, SHOAL_HEAP: 'keep' });
        servers.push(server);
        await verify(server.port, seen, `round ${round} start`);
        if (withSnapshot && round === 0) await preload(server.port, 200_000);
        const clients = Array.from({ length: CLIENTS }, (_, id) =>
          runClient(server.port, round * 100 + id, seen, seeded(round * 100 + id)),
        );
        if (withSnapshot) {
          const control = await RawClient.connect(server.port);
          await new Promise((resolve) => setTimeout(resolve, 50 + random() * 100));
          control.send('BGSAVE');
          control.close();
        }
        await new Promise((resolve) => setTimeout(resolve, 100 + random() * 400));
        server.process.kill('SIGKILL');
        await Promise.all(clients);
        await server.stop();
      }
      const last = await spawnShoal(args);
      servers.push(last);
      await verify(last.port, seen, 'final');
      assert.ok(seen.values.size > 0 && seen.groups.length > 0, 'the clients got acknowledgements');
      if (withSnapshot) assert.match(last.output(), /Loading snapshot|DB loaded/);
    });
  }
});
