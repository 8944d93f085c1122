// MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, shaped as Redis 7.0's replies. The
// figures are Shoal's estimates (engine/memory.ts, commands/memory/figures.ts), not an
// allocator's: the same numbers INFO memory reports and maxmemory is compared with.

import { isWord, int64Arg } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { command, type CommandDefinition } from '../spec.js';
import { DEFAULT_SAMPLES, keyUsage } from '../../engine/memory.js';
import { clientTotals } from '../info.js';
import { memoryFigures } from '../memory/figures.js';
import { replyHelp } from './keys.js';

/** Redis's doctor needs this much memory before it diagnoses anything. */
const DOCTOR_MINIMUM_BYTES = 5 * 1024 * 1024;

function usage(ctx: CommandContext, argv: string[]): void {
  let samples = DEFAULT_SAMPLES;
  for (let i = 3; i < argv.length; i++) {
    if (!isWord(argv[i], 'SAMPLES') || i + 1 >= argv.length) fail(Errors.syntax);
    const count = int64Arg(argv[++i]);
    if (count < 0) fail(Errors.syntax);
    // 0 samples every element; a count beyond any collection's size does the same.
    samples = typeof count === 'bigint' || count === 0 ? 0 : count;
  }
  const key = argv[2] as string;
  const value = ctx.lookupIn(ctx.client.db, key, false);
  if (value === undefined) return ctx.reply.nil();
  ctx.reply.int(keyUsage(ctx.db, key, value, samples));
}

function stats(ctx: CommandContext): void {
  const figures = memoryFigures(ctx, clientTotals(ctx).memory);
  const reply = ctx.reply;
  const heapUsed = figures.allocated;
  const heapTotal = figures.active;
  const rss = figures.rss;
  const perKey = figures.keys === 0 ? 0 : Math.floor(figures.used / figures.keys);
  reply.map(27 + figures.databases.length);
  const int = (name: string, value: number): void => {
    reply.bulk(name);
    reply.int(value);
  };
  const double = (name: string, value: number): void => {
    reply.bulk(name);
    reply.double(value);
  };
  int('peak.allocated', figures.peak);
  int('total.allocated', figures.used);
  int('startup.allocated', 0);
  int('replication.backlog', 0);
  int('clients.slaves', 0);
  int('clients.normal', figures.clients);
  int('cluster.links', 0);
  int('aof.buffer', 0);
  int('lua.caches', 0);
  int('functions.caches', 0);
  for (const [index, main, expires] of figures.databases) {
    reply.bulk(`db.${index}`);
    reply.map(3);
    int('overhead.hashtable.main', main);
    int('overhead.hashtable.expires', expires);
    int('overhead.hashtable.slot-to-keys', 0);
  }
  int('overhead.total', figures.overhead);
  int('keys.count', figures.keys);
  int('keys.bytes-per-key', perKey);
  int('dataset.bytes', figures.dataset);
  double('dataset.percentage', figures.used === 0 ? 0 : (100 * figures.dataset) / figures.used);
  double('peak.percentage', figures.peak === 0 ? 0 : (100 * figures.used) / figures.peak);
  int('allocator.allocated', heapUsed);
  int('allocator.active', heapTotal);
  int('allocator.resident', rss);
  double('allocator-fragmentation.ratio', heapUsed === 0 ? 0 : heapTotal / heapUsed);
  int('allocator-fragmentation.bytes', heapTotal - heapUsed);
  double('allocator-rss.ratio', heapTotal === 0 ? 0 : rss / heapTotal);
  int('allocator-rss.bytes', rss - heapTotal);
  double('rss-overhead.ratio', 1);
  int('rss-overhead.bytes', 0);
  double('fragmentation', figures.used === 0 ? 0 : rss / figures.used);
  int('fragmentation.bytes', rss - figures.used);
}

function doctor(ctx: CommandContext): void {
  const figures = memoryFigures(ctx, clientTotals(ctx).memory);
  ctx.reply.verbatim(
    figures.used < DOCTOR_MINIMUM_BYTES
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
  );
}

const memoryHelp = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

const none = { categories: [] } as const;

const memorySubcommands: CommandDefinition[] = [
  command('usage', -3, 'server', 'Estimated bytes of a key and its value.', usage, {
    flags: ['readonly'],
    keys: [2, 2, 1],
    categories: [],
  }),
  command('stats', 2, 'server', 'Memory usage details.', stats, none),
  command('doctor', 2, 'server', 'Memory problems report.', doctor, none),
  command(
    'malloc-stats',
    2,
    'server',
    'Allocator statistics.',
    (ctx) => ctx.reply.simple('Stats not supported for the current allocator'),
    none,
  ),
  command(
    'purge',
    2,
    'server',
    'Asks the allocator to release memory.',
    (ctx) => ctx.reply.ok(),
    none,
  ),
  command('help', 2, 'server', 'Help for MEMORY.', (ctx) => replyHelp(ctx, memoryHelp), {
    flags: ['loading', 'stale'],
    categories: [],
  }),
];

export const memoryCommands: CommandDefinition[] = [
  command('memory', -2, 'server', 'Memory introspection.', undefined, {
    subcommands: memorySubcommands,
  }),
];
