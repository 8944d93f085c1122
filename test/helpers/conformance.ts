// Side by side with a real redis-server: the same command lines against Redis and Shoal, and
// the replies must be the same (values, RESP3 types, error messages). Every suite here skips,
// saying so, where redis-server is not installed (CI installs it).
//
// - describeConformance: one client per server runs scripts line by line. A line is compared
//   exactly, compared as an unordered collection (Redis's hashtable order is its own), or only
//   run (setup, or HELLO whose reply names the server).
// - describeExchanges: several clients per server take turns (blocking commands, WATCH,
//   pub/sub), and the whole transcripts must match.
// - describeNotifications: the keyspace notifications a script causes must match.
// - describeWireBytes: the exact reply bytes must match, in RESP2 and RESP3.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Push, type Reply, ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from './raw-client.js';
import {
  type ChildServer,
  type RunningServer,
  spawnRedis,
  startShoal,
  waitFor,
} from './servers.js';

/** Replies as comparable plain data (errors by message). */
export function plain(reply: Reply): unknown {
  if (reply instanceof ReplyError) return { error: reply.message };
  if (reply instanceof Push) return { push: reply.items.map(plain) };
  if (Array.isArray(reply)) return reply.map(plain);
  if (reply instanceof Map) return [...reply].map(([k, v]) => [plain(k), plain(v)]);
  if (reply instanceof Set) return [...reply].map(plain);
  if (typeof reply === 'bigint') return `${reply}n`;
  if (reply !== null && typeof reply === 'object') return String(reply);
  return reply;
}

/** Replies as comparable data, with RESP3 aggregate types made visible. */
export function typed(reply: Reply, unordered = false): unknown {
  const order = (items: unknown[]): unknown[] =>
    unordered
      ? items.slice().sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
      : items;
  if (reply instanceof Set) return { set: order([...reply].map((item) => typed(item, unordered))) };
  if (reply instanceof Map) {
    return { map: order([...reply].map(([k, v]) => [typed(k, unordered), typed(v, unordered)])) };
  }
  if (reply instanceof Push) return { push: reply.items.map((item) => typed(item, unordered)) };
  if (Array.isArray(reply)) return order(reply.map((item) => typed(item, unordered)));
  return plain(reply);
}

/** A command line compared exactly, compared as an unordered collection, or only run. */
export type Line = string[] | { unordered: string[] } | { run: string[] };
export type Script = Line[];

function words(line: Line): { argv: string[]; mode: 'exact' | 'unordered' | 'run' } {
  if (Array.isArray(line)) return { argv: line, mode: 'exact' };
  if ('unordered' in line) return { argv: line.unordered, mode: 'unordered' };
  return { argv: line.run, mode: 'run' };
}

/** Settings every scenario starts from (redis-server's built-in defaults, and Shoal's). */
const DEFAULT_SETTINGS: [string, string][] = [
  ['hash-max-listpack-entries', '512'],
  ['hash-max-listpack-value', '64'],
  ['set-max-intset-entries', '512'],
  ['zset-max-listpack-entries', '128'],
  ['zset-max-listpack-value', '64'],
  ['list-max-listpack-size', '-2'],
  ['hll-sparse-max-bytes', '3000'],
  ['notify-keyspace-events', ''],
];

/** A Redis and a Shoal for the suite, started before its tests and stopped after them. */
export interface Pair {
  redis: ChildServer | undefined;
  shoal: RunningServer;
}

export function withRedisAndShoal(): Pair {
  const pair = {} as Pair;
  before(async () => {
    pair.redis = await spawnRedis();
    pair.shoal = await startShoal();
  });
  after(async () => {
    await pair.redis?.stop();
    await pair.shoal?.stop();
  });
  return pair;
}

async function resetBoth(clients: RawClient[]): Promise<void> {
  for (const client of clients) {
    await client.call('HELLO', '2');
    await client.call('FLUSHALL');
    await client.call('SELECT', '0');
    for (const [setting, value] of DEFAULT_SETTINGS)
      await client.call('CONFIG', 'SET', setting, value);
  }
}

export function describeConformance(title: string, scenarios: Record<string, Script>): void {
  describe(title, { timeout: 60_000 }, () => {
    const pair = withRedisAndShoal();
    for (const [name, script] of Object.entries(scenarios)) {
      it(name, async (t) => {
        if (pair.redis === undefined) return t.skip('redis-server is not installed');
        const redisClient = await RawClient.connect(pair.redis.port);
        const shoalClient = await RawClient.connect(pair.shoal.port);
        try {
          await resetBoth([redisClient, shoalClient]);
          const differences: string[] = [];
          for (const line of script) {
            const { argv, mode } = words(line);
            const expected = await redisClient.call(...argv);
            const actual = await shoalClient.call(...argv);
            if (mode === 'run') continue;
            const want = typed(expected, mode === 'unordered');
            const got = typed(actual, mode === 'unordered');
            if (JSON.stringify(got) !== JSON.stringify(want)) {
              differences.push(
                `${argv.join(' ').slice(0, 200)}\n    redis: ${JSON.stringify(want)}\n    shoal: ${JSON.stringify(got)}`,
              );
            }
          }
          assert.deepEqual(differences, [], differences.join('\n'));
        } finally {
          redisClient.close();
          shoalClient.close();
        }
      });
    }
  });
}

/**
 * One step of an exchange: which client, its command line (empty: only read), and how many
 * replies to read then. 0 replies means the command blocks: the step waits until the server
 * counts one more blocked client. A word `{id:N}` in the command line is client N's CLIENT ID on
 * that server; with mode `ids`, integers in the replies that are a client's id read `{id:N}`;
 * with mode `ignore`, the replies are read and not compared (HELLO names the server).
 */
export type Step = [client: number, argv: string[], replies: number, mode?: 'ids' | 'ignore'];

const CLIENT_ID_WORD = /^\{id:(\d+)\}$/;

/** Replies with client ids replaced by `{id:N}` (ids differ between servers). */
function withIdsNamed(reply: unknown, ids: number[]): unknown {
  if (Array.isArray(reply)) return reply.map((item) => withIdsNamed(item, ids));
  if (typeof reply === 'number' && ids.includes(reply)) return `{id:${ids.indexOf(reply)}}`;
  if (reply !== null && typeof reply === 'object') {
    return Object.fromEntries(
      Object.entries(reply).map(([key, value]) => [key, withIdsNamed(value, ids)]),
    );
  }
  return reply;
}

async function blockedClients(client: RawClient): Promise<number> {
  const info = String(await client.call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Runs an exchange on one server with `clientCount` clients; returns its transcript. */
async function transcriptOf(port: number, steps: Step[], clientCount: number): Promise<string[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < clientCount; i++) clients.push(await RawClient.connect(port));
  const observer = await RawClient.connect(port);
  try {
    await resetBoth([observer]);
    const usesIds = steps.some(
      ([, argv, , mode]) => mode === 'ids' || argv.some((word) => CLIENT_ID_WORD.test(word)),
    );
    const ids: number[] = [];
    if (usesIds) for (const client of clients) ids.push(Number(await client.call('CLIENT', 'ID')));
    const transcript: string[] = [];
    for (const [index, argv, count, mode] of steps) {
      const client = clients[index] as RawClient;
      const blockedBefore = count === 0 ? await blockedClients(observer) : 0;
      const words = argv.map((word) => {
        const match = CLIENT_ID_WORD.exec(word);
        return match === null ? word : String(ids[Number(match[1])]);
      });
      if (argv.length > 0) client.send(...words);
      if (count === 0) {
        await waitFor(
          async () => (await blockedClients(observer)) > blockedBefore,
          `${argv.join(' ')} to block`,
        );
        continue;
      }
      const replies = await client.read(count);
      const seen = mode === 'ignore' ? [] : replies.map((reply) => typed(reply));
      transcript.push(
        JSON.stringify([index, argv.join(' '), mode === 'ids' ? withIdsNamed(seen, ids) : seen]),
      );
    }
    return transcript;
  } finally {
    for (const client of [...clients, observer]) client.close();
  }
}

export function describeExchanges(title: string, exchanges: Record<string, Step[]>): void {
  describe(title, { timeout: 60_000 }, () => {
    const pair = withRedisAndShoal();
    for (const [name, steps] of Object.entries(exchanges)) {
      it(name, async (t) => {
        if (pair.redis === undefined) return t.skip('redis-server is not installed');
        // Clients named only as {id:N} (a REDIRECT target) are connected too.
        const named = steps.flatMap(([, argv]) =>
          argv.map((word) => Number(CLIENT_ID_WORD.exec(word)?.[1] ?? 0)),
        );
        const clientCount = Math.max(...steps.map(([index]) => index), ...named) + 1;
        const expected = await transcriptOf(pair.redis.port, steps, clientCount);
        const actual = await transcriptOf(pair.shoal.port, steps, clientCount);
        assert.deepEqual(actual, expected);
      });
    }
  });
}

/** The keyspace notifications (notify-keyspace-events KEA) a script causes, in order. */
async function notificationsOf(port: number, script: string[][]): Promise<unknown[]> {
  const [writer, listener] = [await RawClient.connect(port), await RawClient.connect(port)];
  try {
    await resetBoth([writer]);
    await writer.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await listener.call('PSUBSCRIBE', '__key*__:*');
    await listener.call('SUBSCRIBE', 'end-of-script');
    for (const argv of script) await writer.call(...argv);
    await writer.call('PUBLISH', 'end-of-script', 'x');
    const messages: unknown[] = [];
    for (;;) {
      const [message] = await listener.read(1);
      const data = plain(message as Reply) as unknown[];
      if (data[0] === 'message') return messages;
      messages.push(data);
    }
  } finally {
    await writer.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    writer.close();
    listener.close();
  }
}

export function describeNotifications(title: string, scripts: Record<string, string[][]>): void {
  describe(title, { timeout: 60_000 }, () => {
    const pair = withRedisAndShoal();
    for (const [name, script] of Object.entries(scripts)) {
      it(name, async (t) => {
        if (pair.redis === undefined) return t.skip('redis-server is not installed');
        const expected = await notificationsOf(pair.redis.port, script);
        const actual = await notificationsOf(pair.shoal.port, script);
        assert.ok(expected.length > 0, 'the script causes notifications');
        assert.deepEqual(actual, expected);
      });
    }
  });
}

/** The exact reply bytes of each line of a script, in one protocol. */
async function bytesOf(port: number, script: string[][], protocol: '2' | '3'): Promise<string[]> {
  const client = await RawClient.connect(port);
  try {
    await resetBoth([client]);
    await client.call('HELLO', protocol);
    const out: string[] = [];
    for (const argv of script) {
      client.chunks = [];
      await client.call(...argv);
      out.push(
        `${argv.join(' ')} => ${JSON.stringify(Buffer.concat(client.chunks).toString('latin1'))}`,
      );
    }
    return out;
  } finally {
    client.close();
  }
}

export function describeWireBytes(title: string, script: string[][]): void {
  describe(title, { timeout: 60_000 }, () => {
    const pair = withRedisAndShoal();
    for (const protocol of ['2', '3'] as const) {
      it(`byte for byte in RESP${protocol}`, async (t) => {
        if (pair.redis === undefined) return t.skip('redis-server is not installed');
        assert.deepEqual(
          await bytesOf(pair.shoal.port, script, protocol),
          await bytesOf(pair.redis.port, script, protocol),
        );
      });
    }
  });
}
