// INFO: every section and field name Redis 7 clients, exporters and dashboards parse, in
// Redis's order. Fields that describe parts Shoal does not have (forks, Lua, replication
// backlog, active defrag) are reported with the value they would have on a Redis without that
// activity (0, -1, "ok"); the host (server or embedded) adds or overrides fields it knows
// (ports, connections, bytes, persistence) through Host.info(). Fields Shoal does not report at
// all are listed in test/server/info.test.ts (INFO_FIELDS_SHOAL_LACKS) with the reason.

import { arch, platform, release, totalmem } from 'node:os';
import { createHash } from 'node:crypto';
import type { CommandContext } from './context.js';
import type { Executor } from './executor.js';
import type { Command } from './spec.js';
import { REDIS_COMPATIBLE_VERSION, SHOAL_VERSION } from './families/connection.js';
import { memoryFigures } from './memory/figures.js';

type Value = string | number;
type Fields = [name: string, value: Value][];

export function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit] as string}`;
}

const hex40 = (seed: string): string => createHash('sha1').update(seed).digest('hex');
const runId = hex40(`${process.pid}:${Date.now()}:${Math.random()}`);
const replicationId = hex40(`replid:${runId}`);
const buildId = hex40(`shoal ${SHOAL_VERSION}`).slice(0, 15);

const ratio = (a: number, b: number): string => (b === 0 ? '0.00' : (a / b).toFixed(2));
const percent = (a: number, b: number): string =>
  `${b === 0 ? '0.00' : ((100 * a) / b).toFixed(2)}%`;

function multiplexingApi(): string {
  const name = platform();
  if (name === 'linux') return 'epoll';
  if (name === 'win32') return 'iocp';
  return 'kqueue';
}

function serverSection(ctx: CommandContext): Fields {
  const nowMs = Date.now();
  const uptimeSeconds = Math.floor((nowMs - ctx.host.startedAtMs) / 1000);
  return [
    ['redis_version', REDIS_COMPATIBLE_VERSION],
    ['shoal_version', SHOAL_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', buildId],
    ['redis_mode', 'standalone'],
    ['shoal_mode', ctx.host.mode],
    ['os', `${platform() === 'linux' ? 'Linux' : platform()} ${release()} ${archName()}`],
    ['arch_bits', 64],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', multiplexingApi()],
    ['node_version', process.versions.node],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', runId],
    ['tcp_port', ctx.config.getNumber('port')],
    ['server_time_usec', Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ['uptime_in_seconds', uptimeSeconds],
    ['uptime_in_days', Math.floor(uptimeSeconds / 86400)],
    ['hz', ctx.config.getNumber('hz')],
    ['configured_hz', ctx.config.getNumber('hz')],
    ['lru_clock', Math.floor(nowMs / 1000) & ((1 << 24) - 1)],
    ['executable', process.argv[1] ?? ''],
    ['config_file', ctx.config.configFile ?? ''],
    ['io_threads_active', 0],
  ];
}

function archName(): string {
  const name = arch();
  return name === 'x64' ? 'x86_64' : name === 'arm64' ? 'aarch64' : name;
}

interface ClientTotals {
  connected: number;
  maxInput: number;
  maxOutput: number;
  pubsub: number;
  watching: number;
  watchedKeys: number;
  inTimeoutTable: number;
  blockingKeys: number;
  memory: number;
}

export function clientTotals(ctx: CommandContext): ClientTotals {
  const totals: ClientTotals = {
    connected: 0,
    maxInput: 0,
    maxOutput: 0,
    pubsub: 0,
    watching: 0,
    watchedKeys: 0,
    inTimeoutTable: 0,
    blockingKeys: 0,
    memory: 0,
  };
  for (const client of ctx.host.clients()) {
    totals.connected++;
    const connection = client.connection;
    const input = connection?.queryBufferBytes() ?? 0;
    const output = connection?.pendingOutputBytes() ?? 0;
    totals.maxInput = Math.max(totals.maxInput, input);
    totals.maxOutput = Math.max(totals.maxOutput, output);
    totals.memory += input + output + (connection?.replyBufferSize() ?? 0);
    if (client.subscriptionCount > 0) totals.pubsub++;
    if (client.watched.length > 0) totals.watching++;
    totals.watchedKeys += client.watched.length;
    if (client.blocked !== undefined) {
      totals.blockingKeys += client.blocked.keys.length;
      if (client.blocked.deadlineMs !== Infinity) totals.inTimeoutTable++;
    }
  }
  return totals;
}

function clientsSection(ctx: CommandContext, totals: ClientTotals): Fields {
  return [
    ['connected_clients', totals.connected],
    ['cluster_connections', 0],
    ['maxclients', ctx.config.getNumber('maxclients')],
    ['client_recent_max_input_buffer', totals.maxInput],
    ['client_recent_max_output_buffer', totals.maxOutput],
    ['blocked_clients', ctx.executor.blocking.size],
    ['tracking_clients', 0],
    ['pubsub_clients', totals.pubsub],
    ['watching_clients', totals.watching],
    ['clients_in_timeout_table', totals.inTimeoutTable],
    ['total_watched_keys', totals.watchedKeys],
    ['total_blocking_keys', totals.blockingKeys],
    ['total_blocking_keys_on_nokey', 0],
  ];
}

function memorySection(ctx: CommandContext, totals: ClientTotals): Fields {
  // used_memory is the dataset estimate (commands/memory/figures.ts); the heap and RSS follow.
  const figures = memoryFigures(ctx, totals.memory);
  const memory = { heapUsed: figures.allocated, heapTotal: figures.active };
  const used = figures.used;
  const overhead = figures.overhead;
  const dataset = figures.dataset;
  const maxmemory = ctx.config.getNumber('maxmemory');
  const rss = figures.rss;
  return [
    ['used_memory', used],
    ['used_memory_human', human(used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', human(rss)],
    ['used_memory_peak', figures.peak],
    ['used_memory_peak_human', human(figures.peak)],
    ['used_memory_peak_perc', percent(used, figures.peak)],
    ['used_memory_overhead', overhead],
    ['used_memory_startup', 0],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', percent(dataset, used)],
    // V8's heap (and the string slabs) stands in for the allocator: allocated = used, active =
    // reserved.
    ['allocator_allocated', memory.heapUsed],
    ['allocator_active', memory.heapTotal],
    ['allocator_resident', rss],
    ['total_system_memory', totalmem()],
    ['total_system_memory_human', human(totalmem())],
    ['used_memory_lua', 0],
    ['used_memory_vm_eval', 0],
    ['used_memory_lua_human', '0B'],
    ['used_memory_scripts_eval', 0],
    ['number_of_cached_scripts', 0],
    ['number_of_functions', 0],
    ['number_of_libraries', 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', 0],
    ['used_memory_vm_total_human', '0B'],
    ['used_memory_functions', 0],
    ['used_memory_scripts', 0],
    ['used_memory_scripts_human', '0B'],
    ['maxmemory', maxmemory],
    ['maxmemory_human', human(maxmemory)],
    ['maxmemory_policy', ctx.config.get('maxmemory-policy')],
    ['allocator_frag_ratio', ratio(memory.heapTotal, memory.heapUsed)],
    ['allocator_frag_bytes', memory.heapTotal - memory.heapUsed],
    ['allocator_rss_ratio', ratio(rss, memory.heapTotal)],
    ['allocator_rss_bytes', rss - memory.heapTotal],
    ['rss_overhead_ratio', ratio(rss, rss)],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', ratio(rss, used)],
    ['mem_fragmentation_bytes', rss - used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', totals.memory],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', `v8-${process.versions.v8}`],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ];
}

function persistenceSection(ctx: CommandContext): Fields {
  return [
    ['loading', 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', ctx.engine.changes],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', Math.floor(ctx.host.startedAtMs / 1000)],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', 0],
    ['rdb_last_load_keys_loaded', 0],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

function statsSection(ctx: CommandContext, executor: Executor): Fields {
  let errors = 0;
  for (const count of executor.errorCounts.values()) errors += count;
  return [
    ['total_connections_received', 0],
    ['total_commands_processed', executor.commandsProcessed],
    ['instantaneous_ops_per_sec', 0],
    ['total_net_input_bytes', 0],
    ['total_net_output_bytes', 0],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', '0.00'],
    ['instantaneous_output_kbps', '0.00'],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', 0],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', executor.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', ctx.executor.memory.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', ctx.keyspaceHits],
    ['keyspace_misses', ctx.keyspaceMisses],
    ['pubsub_channels', executor.pubsub.channels.size],
    ['pubsub_patterns', executor.pubsub.patterns.size],
    ['pubsubshard_channels', executor.pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', 0],
    ['tracking_total_items', 0],
    ['tracking_total_prefixes', 0],
    ['unexpected_error_replies', 0],
    ['total_error_replies', errors],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', 0],
    ['total_writes_processed', 0],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
    ['keyspace_changes', ctx.engine.changes],
  ];
}

function replicationSection(ctx: CommandContext): Fields {
  return [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_replid', replicationId],
    ['master_replid2', '0'.repeat(40)],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', ctx.config.getNumber('repl-backlog-size')],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function cpuSection(): Fields {
  const cpu = process.cpuUsage();
  const seconds = (micros: number): string => (micros / 1e6).toFixed(6);
  // Node has one JavaScript thread: the main thread's time is the process's.
  return [
    ['used_cpu_sys', seconds(cpu.system)],
    ['used_cpu_user', seconds(cpu.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', seconds(cpu.system)],
    ['used_cpu_user_main_thread', seconds(cpu.user)],
  ];
}

function everyCommand(executor: Executor): Command[] {
  const out: Command[] = [];
  const visit = (commands: Iterable<Command>): void => {
    for (const command of commands) {
      out.push(command);
      if (command.subcommandTable !== undefined) visit(command.subcommandTable.values());
    }
  };
  visit(executor.table.commands);
  return out;
}

function commandstatsSection(executor: Executor): Fields {
  const fields: Fields = [];
  for (const command of everyCommand(executor)) {
    if (command.calls + command.rejectedCalls + command.failedCalls === 0) continue;
    const microseconds = (command.histogram?.totalMilliseconds ?? 0) * 1000;
    const usec = Math.round(microseconds);
    const perCall = command.calls === 0 ? 0 : microseconds / command.calls;
    fields.push([
      `cmdstat_${command.fullName}`,
      `calls=${command.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${command.rejectedCalls},failed_calls=${command.failedCalls}`,
    ]);
  }
  return fields;
}

function latencystatsSection(executor: Executor): Fields {
  const recorder = executor.recorder;
  const fields: Fields = [];
  for (const command of everyCommand(executor)) {
    const histogram = command.histogram;
    if (histogram === undefined || histogram.total === 0) continue;
    const parts = recorder.percentiles.map(
      (p) => `p${p}=${(histogram.valueAtPercentile(p) / 1000).toFixed(3)}`,
    );
    fields.push([`latency_percentiles_usec_${command.fullName}`, parts.join(',')]);
  }
  return fields;
}

function keyspaceSection(ctx: CommandContext): Fields {
  const fields: Fields = [];
  for (const db of ctx.engine.databases) {
    if (db.size > 0) {
      fields.push([`db${db.index}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=0`]);
    }
  }
  return fields;
}

/** Host fields replace the same names in place; new ones are appended. */
function merge(fields: Fields, extra: Record<string, Value> | undefined): Fields {
  if (extra === undefined) return fields;
  const remaining = new Map(Object.entries(extra));
  const merged: Fields = fields.map(([name, value]) => {
    if (!remaining.has(name)) return [name, value];
    const replaced = remaining.get(name) as Value;
    remaining.delete(name);
    return [name, replaced];
  });
  for (const entry of remaining) merged.push(entry);
  return merged;
}

/** Sections in Redis's order; `inDefault` says whether INFO with no argument shows it. */
const SECTIONS: { name: string; inDefault: boolean }[] = [
  { name: 'Server', inDefault: true },
  { name: 'Clients', inDefault: true },
  { name: 'Memory', inDefault: true },
  { name: 'Persistence', inDefault: true },
  { name: 'Stats', inDefault: true },
  { name: 'Replication', inDefault: true },
  { name: 'CPU', inDefault: true },
  { name: 'Modules', inDefault: true },
  { name: 'Commandstats', inDefault: false },
  { name: 'Errorstats', inDefault: true },
  { name: 'Latencystats', inDefault: false },
  { name: 'Cluster', inDefault: true },
  { name: 'Keyspace', inDefault: true },
];

function sectionFields(ctx: CommandContext, executor: Executor, name: string): Fields {
  switch (name) {
    case 'Server':
      return serverSection(ctx);
    case 'Clients':
      return clientsSection(ctx, clientTotals(ctx));
    case 'Memory':
      return memorySection(ctx, clientTotals(ctx));
    case 'Persistence':
      return persistenceSection(ctx);
    case 'Stats':
      return statsSection(ctx, executor);
    case 'Replication':
      return replicationSection(ctx);
    case 'CPU':
      return cpuSection();
    case 'Commandstats':
      return commandstatsSection(executor);
    case 'Errorstats':
      return [...executor.errorCounts].map(([prefix, count]) => [
        `errorstat_${prefix}`,
        `count=${count}`,
      ]);
    case 'Latencystats':
      return latencystatsSection(executor);
    case 'Cluster':
      return [['cluster_enabled', 0]];
    case 'Keyspace':
      return keyspaceSection(ctx);
    default:
      return [];
  }
}

/** The INFO text for the requested sections (none = default, "all"/"everything" = all). */
export function infoText(ctx: CommandContext, executor: Executor, requested: string[]): string {
  const wanted = new Set(requested.map((name) => name.toLowerCase()));
  const all = wanted.has('all') || wanted.has('everything');
  const useDefault = wanted.size === 0 || wanted.has('default');
  const host = ctx.host.info();
  const parts: string[] = [];
  for (const { name, inDefault } of SECTIONS) {
    const key = name.toLowerCase();
    if (!(all || wanted.has(key) || (useDefault && inDefault))) continue;
    const fields = merge(sectionFields(ctx, executor, name), host[key]);
    parts.push(`# ${name}\r\n${fields.map(([field, value]) => `${field}:${value}\r\n`).join('')}`);
  }
  return parts.join('\r\n');
}
