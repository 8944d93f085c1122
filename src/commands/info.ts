// INFO: the sections and fields Redis clients, exporters and dashboards parse.

import { arch, platform, release } from 'node:os';
import type { CommandContext } from './context.js';
import type { Executor } from './executor.js';
import { REDIS_COMPATIBLE_VERSION, SHOAL_VERSION } from './families/connection.js';

type Section = [name: string, fields: [string, string | number][]];

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit] as string}`;
}

let peakMemory = 0;

function sections(ctx: CommandContext, executor: Executor): Section[] {
  const host = ctx.host.info();
  const memory = process.memoryUsage();
  const used = memory.heapUsed + memory.external;
  peakMemory = Math.max(peakMemory, used);
  const uptimeSeconds = Math.floor((ctx.nowMs - ctx.host.startedAtMs) / 1000);
  const maxmemory = ctx.config.getNumber('maxmemory');
  const cpu = process.cpuUsage();
  let clients = 0;
  for (const _ of ctx.host.clients()) clients++;
  const keyspace: [string, string][] = [];
  for (const db of ctx.engine.databases) {
    if (db.size > 0)
      keyspace.push([`db${db.index}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=0`]);
  }
  const commandstats: [string, string][] = [];
  const visit = (commands: Iterable<import('./spec.js').Command>): void => {
    for (const command of commands) {
      if (command.subcommandTable !== undefined) visit(command.subcommandTable.values());
      if (command.calls + command.rejectedCalls + command.failedCalls === 0) continue;
      const perCall = command.calls === 0 ? 0 : command.microseconds / command.calls;
      commandstats.push([
        `cmdstat_${command.fullName}`,
        `calls=${command.calls},usec=${command.microseconds},usec_per_call=${perCall.toFixed(2)},rejected_calls=${command.rejectedCalls},failed_calls=${command.failedCalls}`,
      ]);
    }
  };
  visit(executor.table.commands);
  const errorstats: [string, string][] = [...executor.errorCounts].map(([prefix, count]) => [
    `errorstat_${prefix}`,
    `count=${count}`,
  ]);
  const extra = (name: string): [string, string | number][] => Object.entries(host[name] ?? {});
  return [
    [
      'Server',
      [
        ['redis_version', REDIS_COMPATIBLE_VERSION],
        ['shoal_version', SHOAL_VERSION],
        ['redis_git_sha1', '00000000'],
        ['redis_git_dirty', 0],
        ['redis_mode', 'standalone'],
        ['shoal_mode', ctx.host.mode],
        ['os', `${platform()} ${release()} ${arch()}`],
        ['arch_bits', 64],
        ['multiplexing_api', 'libuv'],
        ['node_version', process.versions.node],
        ['process_id', process.pid],
        ['run_id', runId],
        ['uptime_in_seconds', uptimeSeconds],
        ['uptime_in_days', Math.floor(uptimeSeconds / 86400)],
        ['hz', ctx.config.getNumber('hz')],
        ['executable', process.argv[1] ?? ''],
        ...extra('server'),
      ],
    ],
    [
      'Clients',
      [
        ['connected_clients', clients],
        ['maxclients', ctx.config.getNumber('maxclients')],
        ['blocked_clients', executor.blocking.size],
        ...extra('clients'),
      ],
    ],
    [
      'Memory',
      [
        ['used_memory', used],
        ['used_memory_human', human(used)],
        ['used_memory_rss', memory.rss],
        ['used_memory_rss_human', human(memory.rss)],
        ['used_memory_peak', peakMemory],
        ['used_memory_peak_human', human(peakMemory)],
        ['used_memory_v8_heap_total', memory.heapTotal],
        ['used_memory_external', memory.external],
        ['maxmemory', maxmemory],
        ['maxmemory_human', human(maxmemory)],
        ['maxmemory_policy', ctx.config.get('maxmemory-policy')],
        ['mem_fragmentation_ratio', used === 0 ? 0 : (memory.rss / used).toFixed(2)],
        ['mem_allocator', 'v8'],
      ],
    ],
    ['Persistence', host['persistence'] === undefined ? [['loading', 0]] : extra('persistence')],
    [
      'Stats',
      [
        ['total_commands_processed', executor.commandsProcessed],
        ['expired_keys', executor.expiredKeys],
        ['evicted_keys', 0],
        ['keyspace_changes', ctx.engine.changes],
        ...extra('stats'),
      ],
    ],
    ['Replication', [['role', 'master'], ['connected_slaves', 0], ...extra('replication')]],
    [
      'CPU',
      [
        ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)],
        ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
      ],
    ],
    ['Commandstats', commandstats],
    ['Errorstats', errorstats],
    ['Keyspace', keyspace],
  ];
}

const runId = Array.from({ length: 40 }, () => Math.floor(Math.random() * 16).toString(16)).join(
  '',
);

const DEFAULT_SECTIONS = new Set([
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'errorstats',
  'keyspace',
]);

/** The INFO text for the requested sections (none = default, "all"/"everything" = all). */
export function infoText(ctx: CommandContext, executor: Executor, requested: string[]): string {
  const wanted = new Set(requested.map((name) => name.toLowerCase()));
  const all = wanted.has('all') || wanted.has('everything');
  const useDefault = wanted.size === 0 || wanted.has('default');
  const parts: string[] = [];
  for (const [name, fields] of sections(ctx, executor)) {
    const key = name.toLowerCase();
    if (!(all || wanted.has(key) || (useDefault && DEFAULT_SECTIONS.has(key)))) continue;
    parts.push(`# ${name}\r\n${fields.map(([field, value]) => `${field}:${value}\r\n`).join('')}`);
  }
  return parts.join('\r\n');
}
