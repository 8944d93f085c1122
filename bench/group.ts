// `npm run bench:group`: a 3-node Shoal replica group (every node fsyncing its Raft log before it
// acknowledges) side by side, in the same run, with a 3-member etcd cluster (where `etcd` is
// installed) and a single Redis with `appendfsync always` (where `redis-server` is installed).
// SET through redis-benchmark -c 50 at -P 16 and -P 1 against the Shoal leader and Redis; etcd
// puts from etcd-load.ts with as many requests in flight (50 × 16, 50 × 1) against its leader.
// Several rounds, alternating the order; medians of throughput and p99 latency; ratios
// Shoal/etcd and Shoal/Redis. Also the replication floor (replication-floor.ts: only the I/O of a
// replicated, fsynced SET, three Node processes) with the same load, and Shoal/floor: how close
// the group is to what the pattern itself allows on this machine. Then failover timing: kill -9
// of the leader under a writer, over N kills, the median and maximum time from the kill to the
// first acknowledged write.
//
//   npm run bench:group                3 rounds, 400,000 requests (etcd 100,000), 20 kills
//   npm run bench:group -- --rounds 1 --requests 20000 --etcd-requests 5000 --kills 3
//       a quick look
// 400,000 SETs take Redis about a second at -P 16 (100,000 took a quarter of one, mostly
// connection set-up and ramp); etcd, at a tenth of the rate, is steady well within 100,000.
//   npm run bench:group -- --skip-etcd --skip-redis --kills 0 --cpu-prof prof
//       V8 CPU profiles of the three Shoal nodes of the throughput run, written to prof/ when
//       they stop (open in Chrome DevTools; the leader's pid is printed)

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EtcdCluster } from './etcd-cluster.js';
import { measureFailover } from './failover.js';
import {
  freePort,
  hasCommand,
  killChildrenOnExit,
  median,
  parseOrUsage,
  repoRoot,
  run,
  stopChild,
  temporaryDirectory,
  track,
  waitForPing,
} from './common.js';
import { ReplicationFloor } from './replication-floor.js';
import { ShoalGroup } from './shoal-group.js';

const { values: options } = parseOrUsage(import.meta.url, () =>
  parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '400000' },
      'etcd-requests': { type: 'string', default: '100000' },
      pipelines: { type: 'string', default: '16,1' },
      kills: { type: 'string', default: '20' },
      'election-timeout-ms': { type: 'string', default: '1000' },
      'skip-etcd': { type: 'boolean', default: false },
      'skip-redis': { type: 'boolean', default: false },
      'skip-floor': { type: 'boolean', default: false },
      'skip-throughput': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
  }),
);

const CLIENTS = 50;
const requests = Number(options.requests);
const etcdRequests = Number(options['etcd-requests']);
const electionTimeoutMs = Number(options['election-timeout-ms']);
const SHOAL_ARGS = ['--appendfsync', 'always'];

interface Figures {
  opsPerSecond: number;
  p99Ms: number;
}

type System = 'shoal' | 'etcd' | 'redis' | 'floor';

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function redisBenchmarkArgs(port: number, pipeline: number): string[] {
  return [
    '-p',
    String(port),
    '-c',
    String(CLIENTS),
    '-n',
    String(requests),
    '-d',
    '32',
    '-r',
    '100000',
    '-t',
    'set',
    '-P',
    String(pipeline),
    '--csv',
  ];
}

/** redis-benchmark's CSV: "test","rps","avg_latency_ms","min_latency_ms","p50..","p95..","p99..". */
async function redisBenchmark(port: number, pipeline: number): Promise<Figures> {
  const output = await run('redis-benchmark', redisBenchmarkArgs(port, pipeline));
  const lines = output.trim().split('\n');
  const header = JSON.parse(`[${lines.find((l) => l.startsWith('"test"')) ?? ''}]`) as string[];
  const row = lines.find((l) => l.startsWith('"SET"'));
  if (row === undefined) throw new Error(`no SET result: ${output}`);
  const cells = JSON.parse(`[${row}]`) as string[];
  const p99 = header.indexOf('p99_latency_ms');
  if (p99 < 0) throw new Error(`redis-benchmark printed no p99 column: ${output}`);
  return { opsPerSecond: Number(cells[1]), p99Ms: Number(cells[p99]) };
}

function etcdLoadArgs(port: number, pipeline: number): string[] {
  return [
    join(repoRoot, 'dist', 'bench', 'etcd-load.js'),
    '--port',
    String(port),
    '--connections',
    String(CLIENTS),
    '--inflight',
    String(pipeline),
    '--requests',
    String(etcdRequests),
  ];
}

async function etcdLoad(port: number, pipeline: number): Promise<Figures & { clientCpu: number }> {
  const output = await run(process.execPath, etcdLoadArgs(port, pipeline));
  const result = JSON.parse(output) as {
    putsPerSecond: number;
    p99Ms: number;
    errors: number;
    firstError?: string;
    cpuSeconds: number;
    seconds: number;
  };
  if (result.errors > 0) throw new Error(`etcd puts failed: ${result.firstError ?? ''}`);
  return {
    opsPerSecond: result.putsPerSecond,
    p99Ms: result.p99Ms,
    clientCpu: result.cpuSeconds / result.seconds,
  };
}

async function startRedis(): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = temporaryDirectory('bench-redis-always-');
  const child = track(spawn('redis-server', redisArgs(port, dir), { stdio: 'ignore' }));
  await waitForPing(port);
  return { port, child, dir };
}

function redisArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--loglevel',
    'warning',
  ];
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function fmt(value: number | undefined, digits = 0): string {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

async function throughput(): Promise<void> {
  const withEtcd = options['skip-etcd'] !== true && hasCommand('etcd');
  const withRedis = options['skip-redis'] !== true && hasCommand('redis-server');
  if (!withEtcd) {
    console.log(
      options['skip-etcd'] === true
        ? 'etcd skipped (--skip-etcd)'
        : 'etcd is not installed (apt-get install etcd-server): no etcd figures, no Shoal/etcd ratio',
    );
  }
  if (!withRedis) console.log('redis-server skipped or not installed: no Shoal/Redis ratio');
  const profileDir = options['cpu-prof'];
  const nodeFlags =
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`];
  const group = await ShoalGroup.start(3, electionTimeoutMs, SHOAL_ARGS, nodeFlags);
  let etcd: EtcdCluster | undefined;
  let redis: { port: number; child: ChildProcess; dir: string } | undefined;
  let floor: ReplicationFloor | undefined;
  try {
    if (withEtcd) etcd = await EtcdCluster.start(3);
    if (withRedis) redis = await startRedis();
    if (options['skip-floor'] !== true) floor = await ReplicationFloor.start();
    const leader = await group.leader(30_000);
    if (profileDir !== undefined)
      console.log(`Shoal leader: node ${leader.id}, pid ${leader.child?.pid}`);
    const etcdLeader = etcd === undefined ? undefined : await etcd.leader(30_000);
    console.log('commands:');
    for (const member of group.members) console.log(`  ${group.commandLine(member).join(' ')}`);
    if (etcd !== undefined)
      for (const member of etcd.members) console.log(`  ${etcd.commandLine(member).join(' ')}`);
    if (redis !== undefined)
      console.log(`  redis-server ${redisArgs(redis.port, redis.dir).join(' ')}`);
    if (floor !== undefined) console.log(`  ${floor.commandLine()}  (replication floor)`);
    console.log(
      `  redis-benchmark ${redisBenchmarkArgs(leader.clientPort, 16).join(' ')}  (Shoal leader, Redis)`,
    );
    if (etcdLeader !== undefined)
      console.log(`  node ${etcdLoadArgs(etcdLeader, 16).join(' ')}  (etcd leader)`);
    const systems: System[] = ['shoal'];
    if (etcdLeader !== undefined) systems.push('etcd');
    if (redis !== undefined) systems.push('redis');
    if (floor !== undefined) systems.push('floor');
    const results = new Map<string, Figures[]>();
    const pipelines = (options.pipelines as string).split(',').map(Number);
    const rounds = Number(options.rounds);
    for (let round = 1; round <= rounds; round++) {
      for (const pipeline of pipelines) {
        const order = round % 2 === 1 ? systems : [...systems].reverse();
        for (const system of order) {
          let figures: Figures;
          let note = '';
          if (system === 'shoal') figures = await redisBenchmark(leader.clientPort, pipeline);
          else if (system === 'redis')
            figures = await redisBenchmark(redis?.port as number, pipeline);
          else if (system === 'floor')
            figures = await redisBenchmark(floor?.port as number, pipeline);
          else {
            const result = await etcdLoad(etcdLeader as number, pipeline);
            figures = result;
            note = `  (load generator CPU ${(result.clientCpu * 100).toFixed(0)}%)`;
          }
          const key = `${system} -P ${pipeline}`;
          results.set(key, [...(results.get(key) ?? []), figures]);
          console.log(
            `round ${round}: ${key.padEnd(12)} ${figures.opsPerSecond.toFixed(0).padStart(8)} ops/s  p99 ${figures.p99Ms.toFixed(2)} ms${note}  load ${load()}`,
          );
        }
      }
    }
    console.log(
      `\nSET, ${CLIENTS} clients, ${requests} requests (etcd ${etcdRequests}), 32-byte values, 100,000 random keys; median of ${rounds} rounds`,
    );
    console.log(
      row([
        'pipeline',
        'Shoal group ops/s',
        'p99 ms',
        'etcd puts/s',
        'p99 ms',
        'Redis always ops/s',
        'p99 ms',
        'floor ops/s',
        'Shoal/etcd',
        'Shoal/Redis',
        'Shoal/floor',
      ]),
    );
    console.log(
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    );
    for (const pipeline of pipelines) {
      const of = (system: System, pick: (f: Figures) => number): number => {
        const runs = results.get(`${system} -P ${pipeline}`);
        return runs === undefined ? NaN : median(runs.map(pick));
      };
      const ops = (s: System): number => of(s, (f) => f.opsPerSecond);
      const p99 = (s: System): number => of(s, (f) => f.p99Ms);
      console.log(
        row([
          `-P ${pipeline} (${CLIENTS * pipeline} in flight)`,
          fmt(ops('shoal')),
          fmt(p99('shoal'), 1),
          fmt(ops('etcd')),
          fmt(p99('etcd'), 1),
          fmt(ops('redis')),
          fmt(p99('redis'), 1),
          fmt(ops('floor')),
          fmt(ops('shoal') / ops('etcd'), 2),
          fmt(ops('shoal') / ops('redis'), 2),
          fmt(ops('shoal') / ops('floor'), 2),
        ]),
      );
    }
  } finally {
    await group.stop();
    await etcd?.stop();
    await floor?.stop();
    if (redis !== undefined) {
      await stopChild(redis.child);
      rmSync(redis.dir, { recursive: true, force: true });
    }
  }
}

async function failover(): Promise<void> {
  const kills = Number(options.kills);
  if (kills <= 0) return;
  const group = await ShoalGroup.start(3, electionTimeoutMs, SHOAL_ARGS);
  try {
    console.log(
      `\nfailover: ${kills} kills (SIGKILL of the leader) under a writer, election timeout ${electionTimeoutMs} ms`,
    );
    const result = await measureFailover(group, kills, (line) =>
      console.log(`${line}  load ${load()}`),
    );
    const max = Math.max(...result.samples);
    console.log(
      `kill → first acknowledged write: median ${median(result.samples).toFixed(0)} ms, max ${max.toFixed(0)} ms over ${result.samples.length} kills`,
    );
    const failures = [...result.failures].map(([kind, count]) => `${count} × ${kind}`).join(', ');
    console.log(`failed requests, retried on the next member: ${failures || 'none'}`);
  } finally {
    await group.stop();
  }
}

async function main(): Promise<void> {
  killChildrenOnExit();
  if (!hasCommand('redis-benchmark')) {
    throw new Error('npm run bench:group needs redis-benchmark (apt-get install redis-tools)');
  }
  console.log(`${cpus().length} cores, load average ${load()}, ${new Date().toISOString()}`);
  if (options['skip-throughput'] !== true) await throughput();
  await failover();
  console.log(`load average at the end ${load()}`);
}

await main();
