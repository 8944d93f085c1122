// Protocol fuzzing against a running server (a child process, so a crash or a stuck event loop is
// seen from outside): several connections send random and mutated RESP for a bounded time
// (SHOAL_FUZZ_SECONDS, 20 by default; SHOAL_FUZZ_SEED replays a run), while a checker connection
// must get PONG within a deadline and a well-behaved client's data must stay intact. A handler
// that throws (the server answers "internal error" and logs it) counts as a failure too.
//
// Every input that once broke something is kept in test/fuzz/corpus/ and replayed first.
// On failure the seed is printed and the last inputs of each connection are written to
// test/fuzz/failures/<seed>-<connection>.resp, ready to be minimized into the corpus.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, repoRoot, spawnShoal } from '../helpers/servers.js';
import { EXCLUDED, InputGenerator } from './generate.js';

const FUZZ_SECONDS = Number(process.env['SHOAL_FUZZ_SECONDS'] ?? '20');
const SEED = Number(process.env['SHOAL_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CONNECTIONS = 4;
const PING_DEADLINE_MS = 5000;
const RECENT_INPUTS = 64;
const corpusDir = join(repoRoot, 'test/fuzz/corpus');

/** Lines the server logs when a handler threw or an invariant broke: a bug. */
const BUG_IN_LOG = /internal error|InvariantError|fatal|Uncaught|TypeError|RangeError/;

async function startServer(): Promise<ChildServer> {
  return spawnShoal(['--appendonly', 'no', '--dir', '/tmp']);
}

/** A fuzzing connection: sends bytes, discards replies, reconnects when closed. */
class FuzzConnection {
  private socket: Socket | undefined;
  readonly recent: Buffer[] = [];
  sent = 0;

  constructor(private readonly port: number) {}

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.port, host: '127.0.0.1' }, () => resolve(socket));
      socket.on('data', () => undefined);
      socket.on('error', reject);
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
      });
    });
  }

  async send(input: Buffer, reconnect: boolean): Promise<void> {
    if (reconnect && this.socket !== undefined) {
      this.socket.destroy();
      this.socket = undefined;
    }
    this.socket ??= await this.open();
    this.recent.push(input);
    if (this.recent.length > RECENT_INPUTS) this.recent.shift();
    this.sent++;
    const socket = this.socket;
    await new Promise<void>((resolve) => {
      if (socket.write(input)) return resolve();
      // A server that reads no more (a blocked client's query buffer) must not stall us.
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200);
      socket.once('drain', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves once the server has sent nothing for `idleMs`, or closed the connection. */
  async quiet(idleMs: number): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    let last = Date.now();
    const onData = () => (last = Date.now());
    socket.on('data', onData);
    while (this.socket === socket && Date.now() - last < idleMs) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    socket.off('data', onData);
  }

  close(): void {
    this.socket?.destroy();
  }
}

/** Sends PING every 100 ms on its own connection; records the slowest answer. */
async function pingChecker(port: number, until: () => boolean): Promise<number> {
  const client = await RawClient.connect(port);
  let slowestMs = 0;
  try {
    while (!until()) {
      const started = Date.now();
      const reply = await client.call('PING').catch((error: Error) => error);
      const took = Date.now() - started;
      slowestMs = Math.max(slowestMs, took);
      if (reply !== 'PONG') throw new Error(`PING answered ${String(reply)} after ${took} ms`);
      if (took > PING_DEADLINE_MS) throw new Error(`PING took ${took} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
  return slowestMs;
}

/** Writes keys in database 9 and checks every one it wrote, throughout and at the end. */
async function wellBehaved(port: number, until: () => boolean): Promise<number> {
  const client = await RawClient.connect(port);
  const written = new Map<string, string>();
  let n = 0;
  const check = async (key: string, value: string) => {
    const got = await client.call('GET', key);
    if (got !== value) throw new Error(`well-behaved key ${key} was ${String(got)}`);
  };
  try {
    assert.equal(await client.call('SELECT', '9'), 'OK');
    while (!until()) {
      const key = `wellbehaved:${n++}`;
      const value = `${n}:${'\x00\xff\r\n'.repeat(n % 5)}`;
      assert.equal(await client.call('SET', key, value), 'OK');
      written.set(key, value);
      const [someKey, someValue] = [...written][Math.floor(Math.random() * written.size)] as [
        string,
        string,
      ];
      await check(someKey, someValue);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const [key, value] of written) await check(key, value);
  } finally {
    client.close();
  }
  return written.size;
}

function saveFailure(seed: number, connections: FuzzConnection[]): string {
  const dir = join(repoRoot, 'test/fuzz/failures');
  mkdirSync(dir, { recursive: true });
  connections.forEach((connection, i) =>
    writeFileSync(join(dir, `${seed}-${i}.resp`), Buffer.concat(connection.recent)),
  );
  return dir;
}

describe('protocol fuzzing', { timeout: (FUZZ_SECONDS + 120) * 1000 }, () => {
  it('replays every input in the corpus', async () => {
    const server = await startServer();
    try {
      const files = readdirSync(corpusDir).filter((name) => !name.startsWith('.'));
      for (const name of files) {
        const socket = new FuzzConnection(server.port);
        await socket.send(readFileSync(join(corpusDir, name)), false);
        await socket.quiet(150);
        const checker = await RawClient.connect(server.port);
        assert.equal(await checker.call('PING'), 'PONG', `server answers after ${name}`);
        checker.close();
        socket.close();
        assert.doesNotMatch(server.output(), BUG_IN_LOG, `corpus input ${name}`);
      }
    } finally {
      await server.stop();
    }
    assert.equal(server.process.signalCode ?? 'SIGTERM', 'SIGTERM');
  });

  it(`survives ${FUZZ_SECONDS} s of random and mutated RESP (seed ${SEED})`, async (t) => {
    t.diagnostic(`seed ${SEED} (replay with SHOAL_FUZZ_SEED=${SEED})`);
    const server = await startServer();
    const probe = await RawClient.connect(server.port);
    const names = ((await probe.call('COMMAND', 'LIST')) as string[]).filter(
      (name) => !EXCLUDED.has(name) && !EXCLUDED.has(name.split('|')[0] as string),
    );
    const arities = new Map<string, number>();
    for (const name of names) {
      const [info] = (await probe.call('COMMAND', 'INFO', name)) as [unknown[] | null];
      if (Array.isArray(info)) arities.set(name, info[1] as number);
    }
    probe.close();
    const deadline = Date.now() + FUZZ_SECONDS * 1000;
    let failed: Error | undefined;
    const done = () =>
      Date.now() > deadline || failed !== undefined || server.process.exitCode !== null;
    const connections = Array.from({ length: CONNECTIONS }, () => new FuzzConnection(server.port));
    const fuzz = async (connection: FuzzConnection, index: number) => {
      const generator = new InputGenerator(SEED + index, names, arities);
      while (!done()) {
        const input = generator.next();
        await connection.send(input, generator.random.chance(0.05)).catch(() => undefined);
        if (connection.sent % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const fail = (error: Error) => {
      failed ??= error;
    };
    try {
      const [slowestPingMs, keys] = await Promise.all([
        pingChecker(server.port, done).catch((error: Error) => (fail(error), -1)),
        wellBehaved(server.port, done).catch((error: Error) => (fail(error), -1)),
        ...connections.map((connection, i) => fuzz(connection, i).catch(fail)),
      ]);
      if (server.process.exitCode !== null) fail(new Error('the server exited'));
      const bug = BUG_IN_LOG.exec(server.output());
      if (bug !== null)
        fail(
          new Error(
            `the server logged a bug: ${server.output().slice(bug.index, bug.index + 2000)}`,
          ),
        );
      const sent = connections.reduce((sum, connection) => sum + connection.sent, 0);
      if (server.process.exitCode === null) {
        const stats = await RawClient.connect(server.port);
        const info = String(await stats.call('INFO', 'commandstats'));
        stats.close();
        const calls = [...info.matchAll(/calls=(\d+),.*rejected_calls=(\d+)/g)].reduce(
          (sum, m) => sum + Number(m[1]) + Number(m[2]),
          0,
        );
        const kinds = info.split('\n').filter((line) => line.startsWith('cmdstat_')).length;
        t.diagnostic(`${calls} commands run, ${kinds} different commands and subcommands`);
      }
      t.diagnostic(`${sent} inputs, slowest PING ${slowestPingMs} ms, ${keys} well-behaved keys`);
      if (failed !== undefined) {
        const dir = saveFailure(SEED, connections);
        assert.fail(`fuzzing failed with seed ${SEED} (last inputs in ${dir}): ${failed.message}`);
      }
    } finally {
      for (const connection of connections) connection.close();
      await server.stop();
    }
  });
});
