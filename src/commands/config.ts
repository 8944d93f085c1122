// The settings table: every Redis setting a client or tool may ask for, with its type, default,
// whether CONFIG SET may change it, and what Shoal does with it. One table drives CONFIG GET/SET,
// the config file, the command-line flags and `shoal serve --help`.

import { globMatch } from '../util/glob.js';
import { formatEventClasses, parseEventClasses } from './notify.js';
import { formatOutputLimits, parseOutputLimits } from './output-limits.js';
import { compatibilitySettings } from './settings-compat.js';

export type SettingType = 'bool' | 'int' | 'memory' | 'enum' | 'string';

/**
 * - active: Shoal does what the setting says.
 * - inert: kept and reported, but Shoal has nothing for it to tune (encoding thresholds of
 *   Redis's compact encodings, allocator and threading knobs). Accepted so tools and config
 *   files written for Redis work unchanged.
 * - planned: accepted, not acted on yet; the server says so at start when one is changed.
 */
export type SettingStatus = 'active' | 'inert' | 'planned';

export interface SettingSpec {
  name: string;
  type: SettingType;
  defaultValue: string;
  mutable: boolean;
  status: SettingStatus;
  description: string;
  aliases?: readonly string[];
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Validates a string setting and returns its canonical text; throws ConfigError. */
  canonical?: (raw: string, current: string) => string;
  /**
   * Changed at run time only where the host registered a guard (Config.guard) that can refuse
   * the change; immutable elsewhere (appendonly: the server can switch, the embedded store not).
   */
  hostApplied?: boolean;
}

const MB = 1024 * 1024;

function setting(
  name: string,
  type: SettingType,
  defaultValue: string,
  status: SettingStatus,
  description: string,
  extra: Partial<SettingSpec> = {},
): SettingSpec {
  return { name, type, defaultValue, status, description, mutable: true, ...extra };
}

const fixed = { mutable: false } as const;
/** In Redis's order (its CONFIG SET error lists them so). */
const policies = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
] as const;

const shoalSettings: readonly SettingSpec[] = [
  // Network and process.
  setting('port', 'int', '6379', 'active', 'TCP port to listen on (0 picks a free one).', {
    ...fixed,
    min: 0,
    max: 65535,
  }),
  setting(
    'bind',
    'string',
    '127.0.0.1',
    'active',
    'Address(es) to listen on, space-separated.',
    fixed,
  ),
  setting(
    'protected-mode',
    'bool',
    'yes',
    'active',
    'Refuse non-loopback clients while the default user has no password.',
  ),
  setting('tcp-backlog', 'int', '511', 'active', 'Listen backlog.', { ...fixed, min: 0 }),
  setting('tcp-keepalive', 'int', '300', 'active', 'TCP keepalive interval in seconds (0 = off).', {
    min: 0,
  }),
  setting(
    'timeout',
    'int',
    '0',
    'active',
    'Close a client idle for this many seconds (0 = never).',
    {
      min: 0,
    },
  ),
  setting('maxclients', 'int', '10000', 'active', 'Maximum number of connected clients.', {
    min: 1,
  }),
  setting('unixsocket', 'string', '', 'planned', 'Unix socket path (not supported yet).', fixed),
  setting(
    'daemonize',
    'bool',
    'no',
    'inert',
    'Shoal runs in the foreground; use a supervisor.',
    fixed,
  ),
  setting('pidfile', 'string', '', 'inert', 'Not used: Shoal runs in the foreground.', fixed),
  setting('loglevel', 'enum', 'notice', 'active', 'Log verbosity.', {
    values: ['debug', 'verbose', 'notice', 'warning', 'nothing'],
  }),
  setting('logfile', 'string', '', 'active', 'Log file ("" = standard output).', fixed),
  setting('databases', 'int', '16', 'active', 'Number of databases.', {
    ...fixed,
    min: 1,
    max: 1024,
  }),
  setting('hz', 'int', '10', 'active', 'Background task frequency (expiry cycle), per second.', {
    min: 1,
    max: 500,
  }),
  setting('dynamic-hz', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  setting(
    'io-threads',
    'int',
    '1',
    'inert',
    'Accepted for compatibility (Node has one loop).',
    fixed,
  ),
  setting('io-threads-do-reads', 'bool', 'no', 'inert', 'Accepted for compatibility.', fixed),
  // Limits.
  setting('proto-max-bulk-len', 'memory', String(512 * MB), 'active', 'Largest bulk string.', {
    min: 1024 * 1024,
  }),
  setting('client-query-buffer-limit', 'memory', String(1024 * MB), 'active', 'Largest request.', {
    min: 1024 * 1024,
  }),
  setting(
    'client-output-buffer-limit',
    'string',
    'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    'active',
    'Output buffer limits per client class: <class> <hard> <soft> <soft seconds>.',
    {
      canonical: (raw, current) =>
        formatOutputLimits(parseOutputLimits(raw, parseOutputLimits(current))),
    },
  ),
  // Security.
  setting('requirepass', 'string', '', 'active', 'Password for the default user.'),
  setting('aclfile', 'string', '', 'active', 'ACL file of users (ACL LOAD / ACL SAVE).', fixed),
  setting('acllog-max-len', 'int', '128', 'active', 'ACL log length.', { min: 0 }),
  setting('acl-pubsub-default', 'enum', 'resetchannels', 'active', 'Channels of new users.', {
    values: ['allchannels', 'resetchannels'],
  }),
  // Persistence.
  setting('dir', 'string', './data', 'active', 'Data directory.', fixed),
  setting('dbfilename', 'string', 'dump.rdb', 'inert', 'Snapshot file name (Shoal names its own).'),
  setting(
    'appendonly',
    'bool',
    'yes',
    'active',
    'Keep a write-ahead log and snapshots in dir ("no": memory only, nothing on disk).',
    { hostApplied: true },
  ),
  setting(
    'appendfilename',
    'string',
    'appendonly.aof',
    'inert',
    'Log file name (Shoal names its own).',
    fixed,
  ),
  setting(
    'appenddirname',
    'string',
    'appendonlydir',
    'inert',
    'Log folder name (Shoal names its own).',
    fixed,
  ),
  setting(
    'appendfsync',
    'enum',
    'always',
    'active',
    'When the log is fsynced (always: before the reply).',
    {
      values: ['always', 'everysec', 'no'],
    },
  ),
  setting(
    'save',
    'string',
    '3600 1 300 100 60 10000',
    'active',
    'Snapshot rules: "<seconds> <changes>" pairs.',
  ),
  setting(
    'stop-writes-on-bgsave-error',
    'bool',
    'yes',
    'active',
    'Refuse writes after a failed snapshot.',
  ),
  setting(
    'rdbcompression',
    'bool',
    'yes',
    'active',
    'LZF-compress strings over 20 bytes in DUMP payloads.',
  ),
  setting('rdbchecksum', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  setting('no-appendfsync-on-rewrite', 'bool', 'no', 'inert', 'Accepted for compatibility.'),
  setting('auto-aof-rewrite-percentage', 'int', '100', 'inert', 'Accepted for compatibility.'),
  setting(
    'auto-aof-rewrite-min-size',
    'memory',
    String(64 * MB),
    'inert',
    'Accepted for compatibility.',
  ),
  setting('aof-use-rdb-preamble', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  setting('aof-load-truncated', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  setting('aof-timestamp-enabled', 'bool', 'no', 'inert', 'Accepted for compatibility.'),
  // Memory.
  setting('maxmemory', 'memory', '0', 'active', 'Memory limit for the dataset (0 = none).'),
  setting('maxmemory-policy', 'enum', 'noeviction', 'active', 'What to do at maxmemory.', {
    values: policies,
  }),
  setting('maxmemory-samples', 'int', '5', 'active', 'Keys sampled per eviction.', {
    min: 1,
    max: 2147483647,
  }),
  setting('maxmemory-eviction-tenacity', 'int', '10', 'inert', 'Accepted for compatibility.'),
  setting('lfu-log-factor', 'int', '10', 'active', 'LFU counter logarithm factor.', {
    min: 0,
    max: 2147483647,
  }),
  setting('lfu-decay-time', 'int', '1', 'active', 'LFU counter decay in minutes.', {
    min: 0,
    max: 2147483647,
  }),
  setting('active-expire-effort', 'int', '1', 'active', 'Effort of the expiry cycle (1-10).', {
    min: 1,
    max: 10,
  }),
  setting(
    'lazyfree-lazy-eviction',
    'bool',
    'no',
    'inert',
    'Memory is freed by the garbage collector.',
  ),
  setting(
    'lazyfree-lazy-expire',
    'bool',
    'no',
    'inert',
    'Memory is freed by the garbage collector.',
  ),
  setting(
    'lazyfree-lazy-server-del',
    'bool',
    'no',
    'inert',
    'Memory is freed by the garbage collector.',
  ),
  setting(
    'lazyfree-lazy-user-del',
    'bool',
    'no',
    'inert',
    'Memory is freed by the garbage collector.',
  ),
  setting(
    'lazyfree-lazy-user-flush',
    'bool',
    'no',
    'inert',
    'Memory is freed by the garbage collector.',
  ),
  setting('activerehashing', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  setting('activedefrag', 'bool', 'no', 'inert', 'Accepted for compatibility.'),
  setting('jemalloc-bg-thread', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  // Encoding thresholds of Redis's compact encodings: reported by OBJECT ENCODING. The Executor
  // copies them into its Engine's EncodingLimits (engine/encoding-limits.ts).
  setting('hash-max-listpack-entries', 'int', '512', 'active', 'Compact hash threshold.', {
    aliases: ['hash-max-ziplist-entries'],
  }),
  setting('hash-max-listpack-value', 'int', '64', 'active', 'Compact hash threshold.', {
    aliases: ['hash-max-ziplist-value'],
  }),
  setting('list-max-listpack-size', 'int', '-2', 'active', 'Compact list threshold.', {
    aliases: ['list-max-ziplist-size'],
  }),
  setting('list-compress-depth', 'int', '0', 'inert', 'Accepted for compatibility.'),
  setting('set-max-intset-entries', 'int', '512', 'active', 'Compact set threshold.'),
  setting('set-max-listpack-entries', 'int', '128', 'active', 'Compact set threshold.'),
  setting('set-max-listpack-value', 'int', '64', 'active', 'Compact set threshold.'),
  setting('zset-max-listpack-entries', 'int', '128', 'active', 'Compact sorted set threshold.', {
    aliases: ['zset-max-ziplist-entries'],
  }),
  setting('zset-max-listpack-value', 'int', '64', 'active', 'Compact sorted set threshold.', {
    aliases: ['zset-max-ziplist-value'],
  }),
  setting(
    'hll-sparse-max-bytes',
    'memory',
    '3000',
    'active',
    'Largest sparse HyperLogLog (header included) before it turns dense.',
    { min: 0 },
  ),
  setting('stream-node-max-bytes', 'memory', '4096', 'active', 'Largest stream node (bytes).'),
  setting('stream-node-max-entries', 'int', '100', 'active', 'Most entries in a stream node.'),
  // Events and introspection.
  setting('notify-keyspace-events', 'string', '', 'active', 'Keyspace notification classes.', {
    canonical: (raw) => {
      const flags = parseEventClasses(raw);
      if (flags === undefined) {
        throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
      }
      return formatEventClasses(flags);
    },
  }),
  setting(
    'slowlog-log-slower-than',
    'int',
    '10000',
    'active',
    'Slow log threshold in microseconds.',
  ),
  setting('slowlog-max-len', 'int', '128', 'active', 'Slow log length.', { min: 0 }),
  setting('latency-monitor-threshold', 'int', '0', 'active', 'Latency monitor threshold in ms.', {
    min: 0,
  }),
  setting('latency-tracking', 'bool', 'yes', 'active', 'Per-command latency tracking.'),
  setting(
    'latency-tracking-info-percentiles',
    'string',
    '50 99 99.9',
    'active',
    'Percentiles INFO latencystats reports.',
    {
      canonical: (raw) => {
        const words = raw.split(' ').filter((word) => word !== '');
        const values = words.map(Number);
        if (
          values.some(
            (value, i) => !/^[\d.eE+-]+$/.test(words[i] as string) || !(value >= 0 && value <= 100),
          )
        ) {
          throw new ConfigError(
            'latency-tracking-info-percentiles should be between 0.0 and 100.0',
          );
        }
        return values.join(' ');
      },
    },
  ),
  setting('busy-reply-threshold', 'int', '5000', 'inert', 'Accepted for compatibility.', {
    aliases: ['lua-time-limit'],
  }),
  // Replication and cluster (planned: Raft groups replace Redis replication).
  setting('replica-read-only', 'bool', 'yes', 'inert', 'Accepted for compatibility.', {
    aliases: ['slave-read-only'],
  }),
  setting('replica-serve-stale-data', 'bool', 'yes', 'inert', 'Accepted for compatibility.', {
    aliases: ['slave-serve-stale-data'],
  }),
  setting('repl-diskless-sync', 'bool', 'yes', 'inert', 'Accepted for compatibility.'),
  setting('repl-backlog-size', 'memory', String(MB), 'inert', 'Accepted for compatibility.'),
  setting('min-replicas-to-write', 'int', '0', 'inert', 'Accepted for compatibility.', {
    aliases: ['min-slaves-to-write'],
  }),
  setting('cluster-enabled', 'bool', 'no', 'planned', 'Cluster mode.', fixed),
  setting('tls-port', 'int', '0', 'active', 'TLS port (0 = no TLS).', {
    ...fixed,
    min: 0,
    max: 65535,
  }),
  setting('tls-cert-file', 'string', '', 'active', 'TLS certificate (PEM).'),
  setting('tls-key-file', 'string', '', 'active', 'TLS private key (PEM).'),
  setting('tls-key-file-pass', 'string', '', 'active', 'Passphrase of the TLS private key.'),
  setting(
    'tls-ca-cert-file',
    'string',
    '',
    'active',
    'CA certificates clients are checked against.',
  ),
  setting('tls-auth-clients', 'enum', 'yes', 'active', 'Require client certificates.', {
    values: ['yes', 'no', 'optional'],
  }),
  setting('tls-protocols', 'string', '', 'active', 'TLS versions, e.g. "TLSv1.2 TLSv1.3".'),
  setting('tls-ciphers', 'string', '', 'active', 'TLS 1.2 cipher list (OpenSSL format).'),
  setting('tls-ciphersuites', 'string', '', 'active', 'TLS 1.3 cipher suites (OpenSSL format).'),
];

export const settingSpecs: readonly SettingSpec[] = [...shoalSettings, ...compatibilitySettings];

/**
 * The settings a replica group shares: they shape its dataset and users rather than one process
 * (its ports, disk, logs, clients and statistics). CONFIG SET of these goes through the group's
 * log and every node applies it; the rest stay each node's own.
 */
const GROUP_SETTINGS: ReadonlySet<string> = new Set([
  'requirepass',
  'acl-pubsub-default',
  'maxmemory',
  'maxmemory-policy',
  'maxmemory-samples',
  'lfu-log-factor',
  'lfu-decay-time',
  'active-expire-effort',
  'notify-keyspace-events',
  'hash-max-listpack-entries',
  'hash-max-listpack-value',
  'list-max-listpack-size',
  'set-max-intset-entries',
  'set-max-listpack-entries',
  'set-max-listpack-value',
  'zset-max-listpack-entries',
  'zset-max-listpack-value',
  'hll-sparse-max-bytes',
  'stream-node-max-bytes',
  'stream-node-max-entries',
]);

export function isGroupSetting(spec: SettingSpec): boolean {
  return GROUP_SETTINGS.has(spec.name);
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Redis's memtoull: "100mb", "2gb", "1k" (1000), "1kb" (1024), or bytes. */
export function parseMemory(text: string): number | undefined {
  const match = /^(\d+)([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = MEMORY_UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const value = Number(match[1]) * unit;
  return Number.isSafeInteger(value) ? value : undefined;
}

export class ConfigError extends Error {}

type Listener = (name: string, value: string) => void;
/** Why a host refuses a change to a hostApplied setting, or undefined to accept it. */
type Guard = (value: string) => string | undefined;

/** The current settings. Values are kept in canonical text (memory as bytes, bool as yes/no). */
export class Config {
  /** The config file the server was started with (absolute path), for CONFIG REWRITE and INFO. */
  configFile: string | undefined;
  private readonly values = new Map<string, string>();
  private readonly byName = new Map<string, SettingSpec>();
  private readonly listeners: Listener[] = [];
  private readonly guards = new Map<string, Guard>();

  constructor() {
    for (const spec of settingSpecs) {
      this.byName.set(spec.name, spec);
      for (const alias of spec.aliases ?? []) this.byName.set(alias, spec);
      this.values.set(spec.name, spec.defaultValue);
    }
  }

  spec(name: string): SettingSpec | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get(name: string): string {
    const spec = this.spec(name);
    if (spec === undefined) throw new ConfigError(`unknown setting '${name}'`);
    return this.values.get(spec.name) ?? spec.defaultValue;
  }

  getNumber(name: string): number {
    return Number(this.get(name));
  }

  getBool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  isDefault(name: string): boolean {
    const spec = this.spec(name);
    return spec !== undefined && this.get(name) === spec.defaultValue;
  }

  /** Validates and returns the canonical text, or throws ConfigError with Redis's reason. */
  normalize(spec: SettingSpec, raw: string): string {
    switch (spec.type) {
      case 'bool': {
        const lowered = raw.toLowerCase();
        if (lowered !== 'yes' && lowered !== 'no')
          throw new ConfigError("argument must be 'yes' or 'no'");
        return lowered;
      }
      case 'int': {
        if (!/^-?\d+$/.test(raw))
          throw new ConfigError("argument couldn't be parsed into an integer");
        return String(this.inRange(spec, Number(raw)));
      }
      case 'memory': {
        const bytes = parseMemory(raw);
        if (bytes === undefined) throw new ConfigError('argument must be a memory value');
        return String(this.inRange(spec, bytes));
      }
      case 'enum': {
        const lowered = raw.toLowerCase();
        if (!(spec.values ?? []).includes(lowered)) {
          throw new ConfigError(
            `argument(s) must be one of the following: ${(spec.values ?? []).join(', ')}`,
          );
        }
        return lowered;
      }
      case 'string':
        return spec.canonical === undefined ? raw : spec.canonical(raw, this.get(spec.name));
    }
  }

  private inRange(spec: SettingSpec, value: number): number {
    if (
      (spec.min !== undefined && value < spec.min) ||
      (spec.max !== undefined && value > spec.max)
    ) {
      throw new ConfigError(
        `argument must be between ${spec.min ?? '-inf'} and ${spec.max ?? 'inf'} inclusive`,
      );
    }
    return value;
  }

  /**
   * Sets several settings at once, all or nothing (CONFIG SET a 1 b 2). `atStartup` allows
   * settings that cannot change while running.
   */
  setMany(pairs: readonly (readonly [string, string])[], atStartup = false): void {
    const staged: [SettingSpec, string][] = [];
    for (const [name, raw] of pairs) {
      const spec = this.spec(name);
      if (spec === undefined) throw new ConfigError(`unknown setting '${name}'`);
      const guard = this.guards.get(spec.name);
      if (!atStartup && (!spec.mutable || (spec.hostApplied === true && guard === undefined))) {
        throw new ConfigError(`can't set immutable config`, { cause: spec.name });
      }
      try {
        staged.push([spec, this.normalize(spec, raw)]);
      } catch (error) {
        throw new ConfigError((error as Error).message, { cause: spec.name });
      }
    }
    if (!atStartup) {
      for (const [spec, value] of staged) {
        const refusal = this.guards.get(spec.name)?.(value);
        if (refusal !== undefined) throw new ConfigError(refusal, { cause: spec.name });
      }
    }
    for (const [spec, value] of staged) this.values.set(spec.name, value);
    for (const [spec, value] of staged)
      for (const listener of this.listeners) listener(spec.name, value);
  }

  set(name: string, value: string, atStartup = false): void {
    this.setMany([[name, value]], atStartup);
  }

  /** Settings whose name (or alias) matches a glob, as CONFIG GET returns them. */
  match(pattern: string): [string, string][] {
    const out = new Map<string, string>();
    const lowered = pattern.toLowerCase();
    for (const [name, spec] of this.byName) {
      if (globMatch(lowered, name, true)) out.set(name, this.get(spec.name));
    }
    return [...out];
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Lets a hostApplied setting change at run time, when `guard` accepts the new value. */
  guard(name: string, guard: Guard): void {
    const spec = this.spec(name);
    if (spec?.hostApplied !== true) throw new Error(`'${name}' is not applied by the host`);
    this.guards.set(spec.name, guard);
  }

  /** Settings changed from their default whose status is 'planned' (for a start-up warning). */
  plannedInUse(): string[] {
    return settingSpecs
      .filter((spec) => spec.status === 'planned' && !this.isDefault(spec.name))
      .map((spec) => spec.name);
  }
}
