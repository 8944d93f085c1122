// The durability part of `npm run bench` (issue 4), side by side with Redis in the same run:
//   - SET throughput with `appendfsync always` and `everysec`, at -P 16 and -P 1, 50 clients,
//     against Redis with `--appendonly yes --appendfsync <same>`; a fresh server per run;
//   - restart time with N keys, from the log alone and after BGREWRITEAOF, against Redis loading
//     its AOF (without, then with, its own rewrite);
//   - p99 of GET/SET while BGSAVEs of N keys run back to back, against the same without BGSAVE.
// bench/run.ts calls runDurability; the parts are chosen with --durability, skipped with
// --skip-durability.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, median, pipeCommands, repoRoot } from './common.js';

export const DURABILITY_PARTS = ['always', 'everysec', 'restart', 'bgsave'] as const;
export type DurabilityPart = (typeof DURABILITY_PARTS)[number];

export interface DurabilityOptions {
  parts: DurabilityPart[];
  rounds: number;
  /** redis-benchmark -n for -P 16 in the throughput parts; -P 1 runs a quarter of it. */
  throughputRequests: number;
  /** Requests of the BGSAVE latency part (twice this, SET and GET). */
  requests: number;
  /** Keys loaded for the restart and BGSAVE parts. */
  keys: number;
  /** Whether redis-server is installed (else Shoal figures only). */
  withRedis: boolean;
}

type Kind = 'shoal' | 'redis';

interface Server {
  kind: Kind;
  port: number;
  dir: string;
  process: ChildProcess;
}

export function parseDurabilityParts(text: string): DurabilityPart[] {
  const parts = text.split(',').filter((part) => part !== '');
  for (const part of parts) {
    if (!(DURABILITY_PARTS as readonly string[]).includes(part)) {
      throw new Error(
        `--durability: unknown part '${part}' (known: ${DURABILITY_PARTS.join(',')})`,
      );
    }
  }
  return parts as DurabilityPart[];
}

/** Resolves once the server answers PING with PONG (not -LOADING); polls every 5 ms. */
async function waitForPong(port: number, deadlineMs = 120_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`server on port ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function serverArgs(kind: Kind, port: number, dir: string, fsync: string): string[] {
  const common = ['--port', String(port), '--dir', dir, '--save', '', '--loglevel', 'warning'];
  if (kind === 'shoal') {
    return [join(repoRoot, 'bin', 'shoal'), 'serve', ...common, '--appendfsync', fsync];
  }
  // No automatic AOF rewrite: "from the log" compares a log with a log.
  return [
    ...common,
    '--appendonly',
    'yes',
    '--appendfsync',
    fsync,
    '--auto-aof-rewrite-percentage',
    '0',
  ];
}

/** Starts a server on `dir` (a new one when omitted); resolves when it answers PONG. */
async function startServer(
  kind: Kind,
  fsync: string,
  dir = mkdtempSync(join(tmpdir(), `bench-durable-${kind}-`)),
): Promise<{ server: Server; readyMs: number }> {
  const port = await freePort();
  const startedMs = performance.now();
  const child = spawn(
    kind === 'shoal' ? process.execPath : 'redis-server',
    serverArgs(kind, port, dir, fsync),
    // SHOAL_HEAP=keep: no launcher child process, so the restart time is the server's own.
    { stdio: 'ignore', env: { ...process.env, SHOAL_HEAP: 'keep' } },
  );
  await waitForPong(port);
  return { server: { kind, port, dir, process: child }, readyMs: performance.now() - startedMs };
}

/** SHUTDOWN NOSAVE (the log is what a restart reads), then waits for the process to end. */
async function stopServer(server: Server, removeDir: boolean): Promise<void> {
  await new Promise<void>((resolve) => {
    if (server.process.exitCode !== null) return resolve();
    server.process.once('exit', () => resolve());
    execFile('redis-cli', ['-p', String(server.port), 'SHUTDOWN', 'NOSAVE'], () => undefined);
  });
  if (removeDir) rmSync(server.dir, { recursive: true, force: true });
}

function cli(server: Server, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(server.port), ...args], {
    encoding: 'utf8',
  }).trim();
}

/**
 * One connection for the polls of a wait: a redis-cli process every 20 ms, as before, took CPU
 * from the server under test on this 2-core machine while its latency was being measured.
 */
async function withConnection<T>(server: Server, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

function infoField(info: string, field: string): number {
  return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1]);
}

function ratio(shoal: number, redis: number | undefined): string {
  return redis === undefined || Number.isNaN(redis) ? '-' : (shoal / redis).toFixed(2);
}

interface BenchmarkRow {
  test: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs redis-benchmark (asynchronously, so BGSAVEs can be sent meanwhile); parses its CSV. */
function redisBenchmark(server: Server, args: string[]): Promise<BenchmarkRow[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-benchmark',
      ['-p', String(server.port), '-c', '50', '-d', '32', ...args, '--csv'],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        if (error !== null) return reject(error);
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",...
        const rows = stdout
          .split('\n')
          .filter((line) => line.startsWith('"') && !line.startsWith('"test"'))
          .map((line) => JSON.parse(`[${line}]`) as string[])
          .map((cells) => ({
            test: cells[0] as string,
            rps: Number(cells[1]),
            p50Ms: Number(cells[4]),
            p99Ms: Number(cells[6]),
          }));
        resolve(rows);
      },
    );
  });
}

/** Loads `count` keys `key:%012d` with 32-byte values through redis-cli --pipe. */
function loadKeys(server: Server, count: number): void {
  const value = 'v'.repeat(32);
  pipeCommands(server.port, count, (i) => ['SET', `key:${String(i).padStart(12, '0')}`, value]);
  const keys = Number(cli(server, 'DBSIZE'));
  if (keys !== count) throw new Error(`${server.kind}: loaded ${keys} keys, expected ${count}`);
}

/** The kinds to run, alternating which goes first by round. */
function kindsFor(options: DurabilityOptions, round: number): Kind[] {
  const kinds: Kind[] = options.withRedis ? ['shoal', 'redis'] : ['shoal'];
  return round % 2 === 1 ? kinds : kinds.reverse();
}

async function throughput(options: DurabilityOptions, fsync: 'always' | 'everysec'): Promise<void> {
  const results = new Map<string, number[]>();
  const pipelines = [16, 1];
  for (let round = 1; round <= options.rounds; round++) {
    for (const pipeline of pipelines) {
      const requests =
        pipeline === 1 ? Math.ceil(options.throughputRequests / 4) : options.throughputRequests;
      for (const kind of kindsFor(options, round)) {
        // A fresh server (and an empty log) per run, so runs do not inherit each other's files.
        const { server } = await startServer(kind, fsync);
        try {
          // Warm up (Shoal's JIT) with a tenth of the run, not counted.
          await redisBenchmark(server, ['-n', String(Math.ceil(requests / 10)), '-t', 'set']);
          const rows = await redisBenchmark(server, [
            '-n',
            String(requests),
            '-r',
            '100000',
            '-t',
            'set',
            '-P',
            String(pipeline),
          ]);
          const rps = rows[0]?.rps ?? NaN;
          const key = `${kind} -P ${pipeline}`;
          results.set(key, [...(results.get(key) ?? []), rps]);
          console.log(
            `round ${round}: ${fsync} ${key.padEnd(12)} ${rps.toFixed(0).padStart(10)} SET/s`,
          );
        } finally {
          await stopServer(server, true);
        }
      }
    }
  }
  console.log(
    `\nSET, appendfsync ${fsync}: redis-benchmark -c 50 -d 32 -r 100000 -t set, -n ${options.throughputRequests} (-P 16) / ${Math.ceil(options.throughputRequests / 4)} (-P 1), median of ${options.rounds} rounds, a fresh server per run`,
  );
  console.log('| test | Shoal SET/s | Redis SET/s | Shoal/Redis |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const pipeline of pipelines) {
    const shoal = median(results.get(`shoal -P ${pipeline}`) ?? []);
    const redisRuns = results.get(`redis -P ${pipeline}`);
    const redis = redisRuns === undefined ? undefined : median(redisRuns);
    console.log(
      `| SET -P ${pipeline} ${fsync} | ${shoal.toFixed(0)} | ${redis?.toFixed(0) ?? '-'} | ${ratio(shoal, redis)} |`,
    );
  }
}

/** Starts the server on its existing `dir`; returns the time from spawn to the first PONG. */
async function restartTime(kind: Kind, dir: string): Promise<number> {
  const { server, readyMs } = await startServer(kind, 'everysec', dir);
  const keys = Number(cli(server, 'DBSIZE'));
  await stopServer(server, false);
  if (Number.isNaN(keys)) throw new Error(`${kind}: no DBSIZE after restart`);
  return readyMs;
}

async function restart(options: DurabilityOptions): Promise<void> {
  const kinds: Kind[] = options.withRedis ? ['shoal', 'redis'] : ['shoal'];
  const dirs = new Map<Kind, string>();
  const rows: string[] = [];
  try {
    for (const kind of kinds) {
      const { server } = await startServer(kind, 'everysec');
      dirs.set(kind, server.dir);
      loadKeys(server, options.keys);
      await stopServer(server, false);
    }
    for (const stage of ['log', 'rewritten'] as const) {
      const times = new Map<Kind, number[]>();
      // Alternate the two servers' restarts, one at a time.
      for (let round = 1; round <= options.rounds; round++) {
        for (const kind of kindsFor(options, round)) {
          const ms = await restartTime(kind, dirs.get(kind) as string);
          times.set(kind, [...(times.get(kind) ?? []), ms]);
          console.log(
            `round ${round}: restart ${stage} ${kind.padEnd(6)} ${(ms / 1000).toFixed(2)} s`,
          );
        }
      }
      const shoal = median(times.get('shoal') ?? []);
      const redisTimes = times.get('redis');
      const redis = redisTimes === undefined ? undefined : median(redisTimes);
      const label =
        stage === 'log'
          ? 'from the log (Shoal) / AOF without rewrite (Redis)'
          : 'after BGREWRITEAOF (Shoal: snapshot; Redis: RDB preamble)';
      rows.push(
        `| ${label} | ${(shoal / 1000).toFixed(2)} s | ${redis === undefined ? '-' : `${(redis / 1000).toFixed(2)} s`} | ${ratio(shoal, redis)} |`,
      );
      if (stage === 'log') {
        for (const kind of kinds) {
          const { server } = await startServer(kind, 'everysec', dirs.get(kind) as string);
          cli(server, 'BGREWRITEAOF');
          await waitUntil(server, 'aof_rewrite_in_progress', 0);
          await stopServer(server, false);
        }
      }
    }
  } finally {
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nrestart with ${options.keys} keys (SET key:%012d <32 B>, appendfsync everysec, SHUTDOWN NOSAVE), time from spawn to the first PONG, median of ${options.rounds}`,
  );
  console.log('| restart | Shoal | Redis | Shoal/Redis |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}

/** Polls INFO persistence until `field` has `value` (and no rewrite is scheduled). */
async function waitUntil(server: Server, field: string, value: number): Promise<void> {
  await withConnection(server, (client) => untilInfo(client, server, field, value));
}

async function untilInfo(
  client: Redis,
  server: Server,
  field: string,
  value: number,
): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const info = await client.info('persistence');
    if (infoField(info, field) === value && infoField(info, 'aof_rewrite_scheduled') !== 1) return;
    if (Date.now() > deadline) throw new Error(`${server.kind}: ${field} never became ${value}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** BGSAVE again as soon as the last one finished, until `running()` turns false. */
function bgsaveLoop(server: Server, running: () => boolean): Promise<number> {
  return withConnection(server, async (client) => {
    let completed = 0;
    while (running()) {
      const before = infoField(await client.info('persistence'), 'rdb_last_save_time');
      const answer = await client.bgsave().catch((error: Error) => error.message);
      if (!answer.startsWith('Background saving started')) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      await untilInfo(client, server, 'rdb_bgsave_in_progress', 0);
      const info = await client.info('persistence');
      if (infoField(info, 'rdb_last_save_time') >= before) completed++;
    }
    return completed;
  });
}

async function bgsaveLatency(options: DurabilityOptions): Promise<void> {
  const rows: string[] = [];
  const requests = options.requests * 2;
  for (const kind of options.withRedis ? (['shoal', 'redis'] as Kind[]) : ['shoal' as Kind]) {
    const { server } = await startServer(kind, 'everysec');
    try {
      loadKeys(server, options.keys);
      for (const withSaves of [false, true]) {
        const p99 = { SET: [] as number[], GET: [] as number[] };
        const p50 = { SET: [] as number[], GET: [] as number[] };
        let saves = 0;
        for (let round = 1; round <= options.rounds; round++) {
          let running = true;
          const loop = withSaves ? bgsaveLoop(server, () => running) : Promise.resolve(0);
          const benchmarkRows = await redisBenchmark(server, [
            '-n',
            String(requests),
            '-r',
            String(options.keys),
            '-t',
            'set,get',
          ]).finally(() => {
            running = false;
          });
          saves += await loop;
          for (const row of benchmarkRows) {
            const test = row.test as 'SET' | 'GET';
            p99[test]?.push(row.p99Ms);
            p50[test]?.push(row.p50Ms);
          }
          console.log(
            `round ${round}: ${kind} ${withSaves ? 'BGSAVE back to back' : 'no BGSAVE'}: ${benchmarkRows.map((row) => `${row.test} p99 ${row.p99Ms} ms`).join(', ')}`,
          );
        }
        rows.push(
          `| ${kind === 'shoal' ? 'Shoal' : 'Redis (fork)'} | ${withSaves ? `BGSAVE back to back (${saves} done)` : 'no BGSAVE'} | ${median(p99.SET).toFixed(2)} ms | ${median(p99.GET).toFixed(2)} ms | ${median(p50.SET).toFixed(2)} ms | ${median(p50.GET).toFixed(2)} ms |`,
        );
      }
    } finally {
      await stopServer(server, true);
    }
  }
  console.log(
    `\nlatency with ${options.keys} keys loaded, redis-benchmark -c 50 -n ${requests} -d 32 -r ${options.keys} -t set,get, appendfsync everysec, medians of ${options.rounds} rounds (target: p99 under 5 ms during BGSAVE)`,
  );
  console.log('| server | snapshots | SET p99 | GET p99 | SET p50 | GET p50 |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}

export async function runDurability(options: DurabilityOptions): Promise<void> {
  for (const part of options.parts) {
    console.log(`\n--- durability: ${part}`);
    if (part === 'always' || part === 'everysec') await throughput(options, part);
    else if (part === 'restart') await restart(options);
    else await bgsaveLatency(options);
  }
}
