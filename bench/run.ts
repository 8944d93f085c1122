// `npm run bench`: Shoal side by side with Redis on this machine, in the same run. Starts Shoal
// (--appendonly no) and, where redis-server is installed, a Redis with persistence off; runs
// redis-benchmark against both, alternating, several rounds; prints ops/s, the median
// Shoal/Redis ratio per test, and bytes per key after loading 1,000,000 keys of 32-byte values.
//
//   npm run bench                    the full run (3 rounds, 200,000 requests per test)
//   npm run bench -- --rounds 1 --requests 50000 --keys 100000    a quick look
//   npm run bench -- --tests '' --skip-memory --durability always  one durability part only
//     (its SET runs: --durability-requests, default 1,000,000 at -P 16 and a quarter at -P 1)
// The durability parts (appendfsync always/everysec, restart, BGSAVE latency) are in durability.ts.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  freePort,
  hasCommand,
  median,
  parseOrUsage,
  pipeCommands,
  repoRoot,
  waitForPing,
} from './common.js';
import { DURABILITY_PARTS, parseDurabilityParts, runDurability } from './durability.js';

interface Server {
  name: 'shoal' | 'redis';
  port: number;
  process: ChildProcess;
  dir: string;
}

interface Test {
  name: string;
  command: string;
  pipeline: number;
}

const { values: options } = parseOrUsage(import.meta.url, () =>
  parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '200000' },
      // A -P 16 run of 200,000 SETs lasts well under a second, half of it creating the 100,000
      // keys; the fsync throughput parts measure a steadier state over a million.
      'durability-requests': { type: 'string', default: '1000000' },
      keys: { type: 'string', default: '1000000' },
      tests: { type: 'string', default: 'set,get,lpush,lpop,sadd,hset,zadd,lrange_100' },
      pipelines: { type: 'string', default: '1,16' },
      memory: { type: 'string', default: 'strings,hash,set,zset' },
      'skip-memory': { type: 'boolean', default: false },
      durability: { type: 'string', default: DURABILITY_PARTS.join(',') },
      'skip-durability': { type: 'boolean', default: false },
    },
  }),
);

async function startServer(name: 'shoal' | 'redis'): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const args =
    name === 'shoal'
      ? [
          '--expose-gc',
          join(repoRoot, 'bin', 'shoal'),
          'serve',
          '--port',
          String(port),
          '--dir',
          dir,
          '--appendonly',
          'no',
          '--save',
          '',
          '--loglevel',
          'warning',
        ]
      : [
          '--port',
          String(port),
          '--dir',
          dir,
          '--appendonly',
          'no',
          '--save',
          '',
          '--loglevel',
          'warning',
        ];
  const child = spawn(name === 'shoal' ? process.execPath : 'redis-server', args, {
    stdio: 'ignore',
  });
  await waitForPing(port);
  return { name, port, process: child, dir };
}

async function stopServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    if (server.process.exitCode !== null) return resolve();
    server.process.once('exit', () => resolve());
    server.process.kill('SIGTERM');
  });
  rmSync(server.dir, { recursive: true, force: true });
}

function cli(server: Server, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(server.port), ...args], {
    encoding: 'utf8',
  }).trim();
}

function benchmark(server: Server, test: Test): number {
  const output = execFileSync(
    'redis-benchmark',
    [
      '-p',
      String(server.port),
      '-c',
      '50',
      '-n',
      options.requests as string,
      '-d',
      '32',
      '-r',
      '100000',
      '-t',
      test.command,
      '-P',
      String(test.pipeline),
      '--csv',
    ],
    { encoding: 'utf8' },
  );
  const line = output.split('\n').find((row) => row.startsWith(`"${test.command.toUpperCase()}`));
  if (line === undefined) throw new Error(`no result for ${test.name}: ${output}`);
  return Number(JSON.parse(`[${line}]`)[1]);
}

function usedMemory(server: Server): number {
  if (server.name === 'shoal') cli(server, 'DEBUG', 'GC');
  // Shoal's used_memory is its own estimate (what maxmemory uses); measure V8's heap instead.
  const field = server.name === 'shoal' ? 'allocator_allocated' : 'used_memory';
  const match = new RegExp(`${field}:(\\d+)`).exec(cli(server, 'INFO', 'memory'));
  return Number(match?.[1]);
}

type MemoryKind = 'strings' | 'hash' | 'set' | 'zset';

/** The i-th command of a memory load: 32-byte string values, or elements of one big collection. */
function loadCommand(kind: MemoryKind, i: number): string[] {
  const name = String(i).padStart(12, '0');
  const value = 'v'.repeat(32);
  switch (kind) {
    case 'strings':
      return ['SET', `key:${name}`, value];
    case 'hash':
      return ['HSET', 'bighash', `field:${name}`, value];
    case 'set':
      return ['SADD', 'bigset', `member:${name}`];
    case 'zset':
      return ['ZADD', 'bigzset', String(i), `member:${name}`];
  }
}

/** Loads `count` keys or elements with redis-cli --pipe; returns bytes per key or element. */
function bytesPerItem(server: Server, kind: MemoryKind, count: number): number {
  cli(server, 'FLUSHALL');
  const before = usedMemory(server);
  pipeCommands(server.port, count, (i) => loadCommand(kind, i));
  const sizeCommand = {
    strings: ['DBSIZE'],
    hash: ['HLEN', 'bighash'],
    set: ['SCARD', 'bigset'],
    zset: ['ZCARD', 'bigzset'],
  }[kind];
  const items = Number(cli(server, ...sizeCommand));
  if (items !== count)
    throw new Error(`${server.name} ${kind}: expected ${count} items, found ${items}`);
  const after = usedMemory(server);
  cli(server, 'FLUSHALL');
  return (after - before) / count;
}

async function main(): Promise<void> {
  if (!hasCommand('redis-benchmark') || !hasCommand('redis-cli')) {
    throw new Error(
      'npm run bench needs redis-benchmark and redis-cli (apt-get install redis-tools)',
    );
  }
  const servers = [await startServer('shoal')];
  if (hasCommand('redis-server')) servers.push(await startServer('redis'));
  else console.log('redis-server is not installed: Shoal figures only, no ratios');
  const tests: Test[] = [];
  for (const command of (options.tests as string).split(',').filter(Boolean)) {
    for (const pipeline of (options.pipelines as string).split(',').map(Number))
      tests.push({ name: `${command.toUpperCase()} -P ${pipeline}`, command, pipeline });
  }
  const results = new Map<string, number[]>();
  try {
    const rounds = Number(options.rounds);
    for (let round = 1; round <= rounds; round++) {
      for (const test of tests) {
        for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
          const ops = benchmark(server, test);
          const key = `${server.name} ${test.name}`;
          results.set(key, [...(results.get(key) ?? []), ops]);
          console.log(`round ${round}: ${key.padEnd(20)} ${ops.toFixed(0).padStart(10)} ops/s`);
        }
      }
    }
    console.log(
      `\nredis-benchmark -c 50 -n ${options.requests} -d 32 -r 100000, median of ${rounds} rounds`,
    );
    console.log('| test | Shoal ops/s | Redis ops/s | Shoal/Redis |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const test of tests) {
      const shoal = median(results.get(`shoal ${test.name}`) ?? []);
      const redisRuns = results.get(`redis ${test.name}`);
      const redis = redisRuns === undefined ? NaN : median(redisRuns);
      console.log(
        `| ${test.name} | ${shoal.toFixed(0)} | ${Number.isNaN(redis) ? '-' : redis.toFixed(0)} | ${Number.isNaN(redis) ? '-' : (shoal / redis).toFixed(2)} |`,
      );
    }
    if (options['skip-memory'] !== true) {
      const count = Number(options.keys);
      console.log(
        `\nbytes per item after loading ${count} items (INFO used_memory delta / items; Shoal after a full GC)`,
      );
      console.log(
        'strings: SET key:%012d <32 bytes>; hash: HSET bighash field:%012d <32 bytes>; set: SADD bigset member:%012d; zset: ZADD bigzset i member:%012d',
      );
      console.log('| kind | Shoal bytes/item | Redis bytes/item | Shoal/Redis |');
      console.log('| --- | ---: | ---: | ---: |');
      for (const kind of (options.memory as string).split(',') as MemoryKind[]) {
        const perItem = new Map<string, number>();
        for (const server of servers) perItem.set(server.name, bytesPerItem(server, kind, count));
        const shoal = perItem.get('shoal') as number;
        const redis = perItem.get('redis');
        console.log(
          `| ${kind} | ${shoal.toFixed(1)} | ${redis === undefined ? '-' : redis.toFixed(1)} | ${redis === undefined ? '-' : (shoal / redis).toFixed(2)} |`,
        );
      }
    }
  } finally {
    for (const server of servers) await stopServer(server);
  }
  if (options['skip-durability'] !== true) {
    await runDurability({
      parts: parseDurabilityParts(options.durability as string),
      rounds: Number(options.rounds),
      requests: Number(options.requests),
      throughputRequests: Number(options['durability-requests']),
      keys: Number(options.keys),
      withRedis: hasCommand('redis-server'),
    });
  }
}

await main();
