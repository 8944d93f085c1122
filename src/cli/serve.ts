// `shoal serve`: reads flags and config file, starts the server, stops cleanly on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Config, settingSpecs } from '../commands/config.js';
import { Logger, type LogLevel } from '../server/logger.js';
import { RecoveryError } from '../persist/recovery.js';
import { ShoalServer, type ReplicationOptions } from '../server/server.js';
import { parsePeers } from '../replica/node.js';
import { BootstrapRefusal } from '../replica/bootstrap-probe.js';
import { applySettings, parseConfigFile, UsageError } from './config-file.js';
import { AclStartupError } from '../commands/acl/access-control.js';
import { DirectoryLockError } from '../persist/dir-lock.js';
import { TlsConfigError } from '../server/tls.js';

/** Start-up errors that are the configuration's fault: reported in one line, not as a crash. */
function configurationError(error: unknown): never {
  if (
    error instanceof AclStartupError ||
    error instanceof TlsConfigError ||
    error instanceof DirectoryLockError ||
    error instanceof BootstrapRefusal
  ) {
    throw new UsageError(error.message);
  }
  throw error;
}

export function serveHelp(): string {
  const lines = [
    'Usage: shoal serve [config-file] [--setting value ...]',
    '',
    'Starts a Shoal server. Every setting can be given as a flag (--port 7000), in a config',
    'file of Redis-style "name value" lines (--config FILE or a first positional argument), or',
    'at run time with CONFIG SET where Redis allows it. Flags override the file.',
    '',
    'Options:',
    '  --config FILE            read settings from FILE',
    '  --node-id N              run as member N of a Raft replica group (with --peers)',
    '  --peers LIST             the group: id=host:clientport@raftport,... (same on every node)',
    '  --election-timeout-ms MS election timeout (default 1000; heartbeats every tenth)',
    '  --join                   join an existing group (RAFT ADD-NODE on its leader) instead',
    '                           of starting a new one; --peers names the members to reach',
    '  --raft-snapshot-entries N  snapshot the dataset and compact the Raft log every N applied',
    '                           entries (default 100000; 0: never)',
    '  --repair                 truncate the log at the first bad record instead of refusing',
    '                           to start (run `shoal check --dir DIR` first to see what is lost)',
    '  --help                   show this help',
    '',
    'Settings (name, default, what it does):',
  ];
  for (const spec of settingSpecs) {
    const status =
      spec.status === 'planned'
        ? ' [accepted; not yet implemented]'
        : spec.status === 'inert'
          ? ' [accepted for compatibility]'
          : '';
    const shown = spec.type === 'string' ? JSON.stringify(spec.defaultValue) : spec.defaultValue;
    lines.push(`  --${spec.name.padEnd(28)} ${shown.padEnd(10)} ${spec.description}${status}`);
  }
  return lines.join('\n');
}

export function parseServeArguments(args: string[]): {
  config: Config;
  help: boolean;
  repair: boolean;
  replication: ReplicationOptions | undefined;
} {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    config: { type: 'string' },
    help: { type: 'boolean' },
    repair: { type: 'boolean' },
    'node-id': { type: 'string' },
    peers: { type: 'string' },
    'election-timeout-ms': { type: 'string' },
    join: { type: 'boolean' },
    'raft-snapshot-entries': { type: 'string' },
  };
  for (const spec of settingSpecs) {
    options[spec.name] = { type: 'string' };
    for (const alias of spec.aliases ?? []) options[alias] = { type: 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const config = new Config();
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const file = (values.config as string | undefined) ?? positionals[0];
  if (file !== undefined) {
    applySettings(config, parseConfigFile(file), file);
    // CONFIG REWRITE writes back here (an absolute path: the working directory may change).
    config.configFile = resolve(file);
  }
  const flags: [string, string][] = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === 'config' || name === 'help' || name === 'repair' || typeof value !== 'string') {
      continue;
    }
    if (REPLICATION_FLAGS.has(name)) continue;
    flags.push([name, value]);
  }
  applySettings(config, flags, 'command line');
  return {
    config,
    help: values.help === true,
    repair: values.repair === true,
    replication: replicationOptions(values as Record<string, unknown>),
  };
}

const REPLICATION_FLAGS = new Set([
  'node-id',
  'peers',
  'election-timeout-ms',
  'join',
  'raft-snapshot-entries',
]);

/** --node-id, --peers and --election-timeout-ms: a Raft replica group member. */
function replicationOptions(values: Record<string, unknown>): ReplicationOptions | undefined {
  const nodeId = values['node-id'];
  const peers = values['peers'];
  const timeout = values['election-timeout-ms'];
  const snapshotText = values['raft-snapshot-entries'];
  if (nodeId === undefined && peers === undefined) {
    if (values['join'] === true) throw new UsageError('--join needs --node-id and --peers');
    if (snapshotText !== undefined)
      throw new UsageError('--raft-snapshot-entries needs --node-id and --peers');
    if (timeout !== undefined)
      throw new UsageError('--election-timeout-ms needs --node-id and --peers');
    return undefined;
  }
  if (typeof nodeId !== 'string' || typeof peers !== 'string') {
    throw new UsageError('--node-id and --peers go together');
  }
  const id = Number(nodeId);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`bad --node-id '${nodeId}'`);
  const electionTimeoutMs = timeout === undefined ? 1000 : Number(timeout);
  if (!Number.isSafeInteger(electionTimeoutMs) || electionTimeoutMs < 20) {
    throw new UsageError(`bad --election-timeout-ms '${String(timeout)}' (at least 20)`);
  }
  try {
    const parsed = parsePeers(peers);
    if (!parsed.has(id)) throw new Error(`--node-id ${id} is not in --peers`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const snapshotEntries = snapshotText === undefined ? undefined : Number(snapshotText);
  if (
    snapshotEntries !== undefined &&
    (!Number.isSafeInteger(snapshotEntries) || snapshotEntries < 0)
  )
    throw new UsageError(`bad --raft-snapshot-entries '${String(snapshotText)}'`);
  return {
    nodeId: id,
    peers,
    electionTimeoutMs,
    join: values['join'] === true,
    ...(snapshotEntries !== undefined ? { snapshotEntries } : {}),
  };
}

export async function serve(args: string[]): Promise<number> {
  const { config, help, repair, replication } = parseServeArguments(args);
  if (help) {
    process.stdout.write(`${serveHelp()}\n`);
    return 0;
  }
  const logger = new Logger(config.get('loglevel') as LogLevel, config.get('logfile'));
  for (const name of config.plannedInUse()) {
    logger.warning(`setting '${name}' is accepted but not implemented yet; it has no effect`);
  }
  if (!config.getBool('appendonly')) {
    logger.notice('appendonly is no: data is kept in memory only, nothing is written to disk');
  }
  mkdirSync(config.get('dir'), { recursive: true });
  let server: ShoalServer;
  try {
    server = new ShoalServer({ config, logger, repair, replication });
  } catch (error) {
    configurationError(error);
  }
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      void server.close().then(resolve);
    };
    server.onShutdown = stop;
    process.once('SIGINT', () => {
      logger.warning('Received SIGINT scheduling shutdown...');
      stop();
    });
    process.once('SIGTERM', () => {
      logger.warning('Received SIGTERM scheduling shutdown...');
      stop();
    });
  });
  logger.notice(`Shoal ${process.env['npm_package_version'] ?? ''} starting, pid=${process.pid}`);
  try {
    await server.listen();
  } catch (error) {
    if (!(error instanceof RecoveryError)) configurationError(error);
    logger.warning(error.message);
    return 1;
  }
  await stopped;
  return 0;
}
