// Introspection commands: SLOWLOG, LATENCY and MONITOR. The data they read is recorded by
// commands/introspection/recorder.ts after every command.

import { intArg } from '../args.js';
import type { CommandContext } from '../context.js';
import { fail } from '../errors.js';
import type { Command } from '../spec.js';
import { command, type CommandDefinition } from '../spec.js';
import type { LatencyHistogram } from '../introspection/histogram.js';
import { replyHelp } from './keys.js';

// ---- SLOWLOG ----

function slowlogGet(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) {
    fail(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1] as string}'. Try SLOWLOG HELP.`,
    );
  }
  const entries = ctx.executor.recorder.slowLog.entries;
  let count = 10;
  if (argv.length === 3) {
    const message = 'ERR count should be greater than or equal to -1';
    count = intArg(argv[2], message);
    if (count < -1) fail(message);
    if (count === -1) count = entries.length;
  }
  const shown = entries.slice(0, count);
  const reply = ctx.reply;
  reply.array(shown.length);
  for (const entry of shown) {
    reply.array(6);
    reply.int(entry.id);
    reply.int(entry.timestampSeconds);
    reply.int(entry.durationMicroseconds);
    reply.array(entry.argv.length);
    for (const word of entry.argv) reply.bulk(word);
    reply.bulk(entry.address);
    reply.bulk(entry.clientName);
  }
}

const slowlogHelp = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

const slowlogAdmin = { flags: ['admin', 'loading', 'stale'], categories: [] } as const;

const slowlogSubcommands: CommandDefinition[] = [
  command('get', -2, 'server', 'Entries of the slow log.', slowlogGet, slowlogAdmin),
  command(
    'len',
    2,
    'server',
    'Length of the slow log.',
    (ctx) => ctx.reply.int(ctx.executor.recorder.slowLog.entries.length),
    slowlogAdmin,
  ),
  command(
    'reset',
    2,
    'server',
    'Empties the slow log.',
    (ctx) => {
      ctx.executor.recorder.slowLog.reset();
      ctx.reply.ok();
    },
    slowlogAdmin,
  ),
  command('help', 2, 'server', 'Help for SLOWLOG.', (ctx) => replyHelp(ctx, slowlogHelp), {
    flags: ['loading', 'stale'],
  }),
];

// ---- LATENCY ----

function latencyLatest(ctx: CommandContext): void {
  const events = ctx.executor.recorder.latencyMonitor.events;
  const reply = ctx.reply;
  reply.array(events.size);
  for (const [event, series] of events) {
    const last = series.samples[series.samples.length - 1];
    reply.array(4);
    reply.bulk(event);
    reply.int(last?.timeSeconds ?? 0);
    reply.int(last?.latencyMs ?? 0);
    reply.int(series.maxMs);
  }
}

function latencyHistory(ctx: CommandContext, argv: string[]): void {
  const series = ctx.executor.recorder.latencyMonitor.events.get(argv[2] as string);
  const samples = series?.samples ?? [];
  ctx.reply.array(samples.length);
  for (const sample of samples) {
    ctx.reply.array(2);
    ctx.reply.int(sample.timeSeconds);
    ctx.reply.int(sample.latencyMs);
  }
}

function latencyReset(ctx: CommandContext, argv: string[]): void {
  ctx.reply.int(ctx.executor.recorder.latencyMonitor.reset(argv.slice(2)));
}

/** A shorter LATENCY DOCTOR than Redis's: the same opening, one line per event, no advice. */
function latencyDoctor(ctx: CommandContext): void {
  const monitor = ctx.executor.recorder.latencyMonitor;
  let report: string;
  if (monitor.events.size === 0 && ctx.config.getNumber('latency-monitor-threshold') === 0) {
    report =
      "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
  } else if (monitor.events.size === 0) {
    report =
      'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n';
  } else {
    report =
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    let number = 0;
    for (const [event, series] of monitor.events) {
      const samples = series.samples;
      const average = samples.reduce((sum, s) => sum + s.latencyMs, 0) / samples.length;
      const deviation =
        samples.reduce((sum, s) => sum + Math.abs(s.latencyMs - average), 0) / samples.length;
      const first = samples[0]?.timeSeconds ?? 0;
      const period = (Math.floor(Date.now() / 1000) - first) / samples.length;
      report += `${++number}. ${event}: ${samples.length} latency spikes (average ${Math.floor(average)}ms, mean deviation ${Math.floor(deviation)}ms, period ${period.toFixed(2)} sec). Worst all time event ${series.maxMs}ms.\n`;
    }
  }
  ctx.reply.verbatim(report);
}

/** LATENCY GRAPH: the samples of one event as rows of text (simpler than Redis's chart). */
function latencyGraph(ctx: CommandContext, argv: string[]): void {
  const event = argv[2] as string;
  const series = ctx.executor.recorder.latencyMonitor.events.get(event);
  if (series === undefined || series.samples.length === 0) {
    fail(`ERR No samples available for event '${event}'`);
  }
  const values = series.samples.map((sample) => sample.latencyMs);
  const high = Math.max(...values);
  const low = Math.min(...values);
  let text = `${event} - high ${high} ms, low ${low} ms (all time high ${series.maxMs} ms)\n`;
  text += `${'-'.repeat(80)}\n`;
  const nowSeconds = Math.floor(Date.now() / 1000);
  for (const sample of series.samples) {
    const bar = '#'.repeat(Math.max(1, Math.round((sample.latencyMs / Math.max(1, high)) * 40)));
    text += `${String(nowSeconds - sample.timeSeconds).padStart(6)}s ago ${bar} ${sample.latencyMs} ms\n`;
  }
  ctx.reply.verbatim(text);
}

/** Redis reports cumulative counts at 1024 ns * 2^k, shown as whole microseconds. */
function replyHistogram(ctx: CommandContext, histogram: LatencyHistogram): void {
  const reply = ctx.reply;
  const points: [number, number][] = [];
  let previous = 0;
  for (
    let nanoseconds = 1024;
    previous < histogram.total && nanoseconds < 2 ** 31;
    nanoseconds *= 2
  ) {
    const cumulative = histogram.countAtOrBelowPowerOfTwo(nanoseconds);
    if (cumulative > previous) points.push([Math.floor(nanoseconds / 1000), cumulative]);
    previous = cumulative;
  }
  if (previous < histogram.total) points.push([Math.floor(2 ** 31 / 1000), histogram.total]);
  reply.map(2);
  reply.bulk('calls');
  reply.int(histogram.total);
  reply.bulk('histogram_usec');
  reply.map(points.length);
  for (const [micros, count] of points) {
    reply.int(micros);
    reply.int(count);
  }
}

function latencyHistogram(ctx: CommandContext, argv: string[]): void {
  const histograms = ctx.executor.recorder.histograms;
  const chosen: [Command, LatencyHistogram][] = [];
  if (argv.length === 2) {
    for (const entry of histograms) {
      if (entry.histogram !== undefined && entry.histogram.total > 0) {
        chosen.push([entry, entry.histogram]);
      }
    }
  } else {
    const seen = new Set<Command>();
    for (let i = 2; i < argv.length; i++) {
      const [top, sub] = (argv[i] as string).toLowerCase().split('|');
      let entry = ctx.executor.table.lookup(top ?? '');
      if (sub !== undefined) entry = entry?.subcommandTable?.get(sub);
      const histogram = entry?.histogram;
      if (entry === undefined || histogram === undefined || seen.has(entry)) continue;
      seen.add(entry);
      chosen.push([entry, histogram]);
    }
  }
  ctx.reply.map(chosen.length);
  for (const [entry, histogram] of chosen) {
    ctx.reply.bulk(entry.fullName);
    replyHistogram(ctx, histogram);
  }
}

const latencyHelp = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

const latencyAdmin = {
  flags: ['admin', 'noscript', 'loading', 'stale'],
  categories: [],
} as const;

const latencySubcommands: CommandDefinition[] = [
  command('latest', 2, 'server', 'Latest latency samples.', latencyLatest, latencyAdmin),
  command('history', 3, 'server', 'Latency samples of an event.', latencyHistory, latencyAdmin),
  command('reset', -2, 'server', 'Forgets latency samples.', latencyReset, latencyAdmin),
  command('doctor', 2, 'server', 'A latency report.', latencyDoctor, latencyAdmin),
  command('graph', 3, 'server', 'A latency graph.', latencyGraph, latencyAdmin),
  command('histogram', -2, 'server', 'Latency histograms.', latencyHistogram, latencyAdmin),
  command('help', 2, 'server', 'Help for LATENCY.', (ctx) => replyHelp(ctx, latencyHelp), {
    flags: ['loading', 'stale'],
  }),
];

// ---- MONITOR ----

function monitor(ctx: CommandContext): void {
  const client = ctx.client;
  // A transaction expects one reply per command: Redis refuses MONITOR inside EXEC.
  if (ctx.inTransaction) fail("ERR MONITOR isn't allowed for DENY BLOCKING client");
  // Already monitoring: Redis ignores the command without a reply.
  if (client.monitor) return;
  client.monitor = true;
  ctx.executor.recorder.monitors.add(client);
  ctx.reply.ok();
}

export const introspectionCommands: CommandDefinition[] = [
  command('slowlog', -2, 'server', 'The slow log.', undefined, {
    subcommands: slowlogSubcommands,
    categories: [],
  }),
  command('latency', -2, 'server', 'The latency monitor.', undefined, {
    subcommands: latencySubcommands,
    categories: [],
  }),
  command('monitor', 1, 'server', 'Streams every command the server runs.', monitor, {
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: [],
  }),
];
