// Server commands: INFO, TIME, CONFIG, COMMAND, DEBUG, SHUTDOWN.

import { intArg, isWord } from '../args.js';
import { ConfigError, isGroupSetting, type SettingSpec } from '../config.js';
import { Op } from '../../engine/effects.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { infoText } from '../info.js';
import { type Command, command, type CommandDefinition, commandKeys, FlagBit } from '../spec.js';
import { floatArg } from '../args.js';
import { replyHelp } from './keys.js';
import { globMatch } from '../../util/glob.js';
import { rewriteConfigFile } from '../config-rewrite.js';
import { replyCommandDocs } from '../introspection/command-docs.js';

function info(ctx: CommandContext, argv: string[]): void {
  ctx.reply.verbatim(infoText(ctx, ctx.executor, argv.slice(1)));
}

function time(ctx: CommandContext): void {
  const nowMs = Date.now();
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1_000_000;
  ctx.reply.array(2);
  ctx.reply.bulk(String(Math.floor(nowMs / 1000)));
  ctx.reply.bulk(String(micros));
}

function configGet(ctx: CommandContext, argv: string[]): void {
  const found = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    for (const [name, value] of ctx.config.match(argv[i] as string)) found.set(name, value);
  }
  ctx.reply.map(found.size);
  for (const [name, value] of found) {
    ctx.reply.bulk(name);
    ctx.reply.bulk(value);
  }
}

function configSet(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 !== 0) fail(Errors.wrongArity('config|set'));
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i] as string;
    const spec = ctx.config.spec(name);
    if (spec === undefined) {
      fail(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
    }
    if (seen.has(spec.name)) {
      fail(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
    }
    seen.add(spec.name);
    pairs.push([name, argv[i + 1] as string]);
  }
  const group = ctx.executor.sink.logsSettings === true ? groupPairs(ctx, pairs) : [];
  try {
    ctx.config.setMany(pairs);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const related = typeof error.cause === 'string' ? error.cause : '';
    fail(`ERR CONFIG SET failed (possibly related to argument '${related}') - ${error.message}`);
  }
  // Every node applies the group's settings from the log, this one included (no change here).
  for (const name of group) ctx.emit([Op.ConfigSet, name, ctx.config.get(name)]);
  ctx.reply.ok();
}

/**
 * In a replica group: the group settings among `pairs` (canonical names), which go through the
 * log. A CONFIG SET changes either the group's settings (on the leader) or this node's own, not
 * both: the router sends it to one place.
 */
function groupPairs(ctx: CommandContext, pairs: readonly [string, string][]): string[] {
  const specs = pairs.map(([name]) => ctx.config.spec(name) as SettingSpec);
  const group = specs.filter(isGroupSetting).map((spec) => spec.name);
  if (group.length === 0) return group;
  if (group.length < specs.length) {
    const own = specs.filter((spec) => !isGroupSetting(spec)).map((spec) => spec.name);
    fail(
      `ERR CONFIG SET cannot change settings the replica group shares (${group.join(', ')}) and this node's own (${own.join(', ')}) at once`,
    );
  }
  const refusal = ctx.executor.sink.writeRefusal();
  if (refusal !== undefined) fail(refusal);
  for (const name of group) ctx.executor.groupSettings.keepOwnSetting(name);
  return group;
}

function configResetStat(ctx: CommandContext): void {
  const reset = (commands: Iterable<Command>): void => {
    for (const entry of commands) {
      entry.calls = 0;
      entry.microseconds = 0;
      entry.rejectedCalls = 0;
      entry.failedCalls = 0;
      if (entry.subcommandTable !== undefined) reset(entry.subcommandTable.values());
    }
  };
  reset(ctx.executor.table.commands);
  ctx.executor.errorCounts.clear();
  ctx.executor.commandsProcessed = 0;
  ctx.executor.expiredKeys = 0;
  ctx.executor.recorder.resetStats();
  ctx.keyspaceHits = 0;
  ctx.keyspaceMisses = 0;
  ctx.reply.ok();
}

function configRewrite(ctx: CommandContext): void {
  const path = ctx.config.configFile;
  if (path === undefined) fail('ERR The server is running without a config file');
  try {
    rewriteConfigFile(ctx.config, path);
  } catch (error) {
    fail(`ERR Rewriting config file: ${(error as Error).message}`);
  }
  ctx.reply.ok();
}

const configHelp = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Print this help.',
];

const admin = {
  flags: ['admin', 'noscript', 'loading', 'stale'],
  categories: ['admin', 'dangerous'],
} as const;

const configSubcommands: CommandDefinition[] = [
  command('get', -3, 'server', 'Reads settings.', configGet, admin),
  command('set', -4, 'server', 'Changes settings.', configSet, admin),
  command('resetstat', 2, 'server', 'Resets the statistics.', configResetStat, admin),
  command('rewrite', 2, 'server', 'Writes settings back to the config file.', configRewrite, admin),
  command('help', 2, 'server', 'Help for CONFIG.', (ctx) => replyHelp(ctx, configHelp), {
    flags: ['loading', 'stale'],
    categories: [],
  }),
];

/** COMMAND INFO's per-command reply (Redis 7 shape: 10 fields, subcommands nested). */
function replyCommandInfo(ctx: CommandContext, entry: Command): void {
  const reply = ctx.reply;
  reply.array(10);
  reply.bulk(entry.fullName);
  reply.int(entry.arity);
  reply.set(entry.flags.length);
  for (const flag of entry.flags) reply.simple(flag);
  reply.int(entry.firstKey);
  reply.int(entry.lastKey);
  reply.int(entry.keyStep);
  reply.set(entry.categories.length);
  for (const category of entry.categories) reply.simple(`@${category}`);
  reply.array(0); // tips
  replyKeySpecs(ctx, entry);
  const subs = entry.subcommandTable === undefined ? [] : [...entry.subcommandTable.values()];
  reply.array(subs.length);
  for (const sub of subs) replyCommandInfo(ctx, sub);
}

function replyKeySpecs(ctx: CommandContext, entry: Command): void {
  const reply = ctx.reply;
  if (entry.firstKey === 0) return reply.array(0);
  const write = entry.flags.includes('write');
  reply.array(1);
  reply.map(4);
  reply.bulk('flags');
  reply.array(1);
  reply.simple(write ? 'RW' : 'RO');
  reply.bulk('begin_search');
  reply.map(2);
  reply.bulk('type');
  reply.bulk('index');
  reply.bulk('spec');
  reply.map(1);
  reply.bulk('index');
  reply.int(entry.firstKey);
  reply.bulk('find_keys');
  reply.map(2);
  reply.bulk('type');
  reply.bulk('range');
  reply.bulk('spec');
  reply.map(3);
  reply.bulk('lastkey');
  reply.int(entry.lastKey < 0 ? entry.lastKey : entry.lastKey - entry.firstKey);
  reply.bulk('keystep');
  reply.int(entry.keyStep);
  reply.bulk('limit');
  reply.int(0);
  reply.bulk('notes');
  reply.bulk('');
}

function commandAll(ctx: CommandContext): void {
  const commands = ctx.executor.table.commands;
  ctx.reply.array(commands.length);
  for (const entry of commands) replyCommandInfo(ctx, entry);
}

function findCommand(ctx: CommandContext, name: string): Command | undefined {
  const [top, sub] = name.toLowerCase().split('|');
  const entry = ctx.executor.table.lookup(top ?? '');
  if (sub === undefined || entry === undefined) return entry;
  return entry.subcommandTable?.get(sub);
}

function commandInfo(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 2) return commandAll(ctx);
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const entry = findCommand(ctx, argv[i] as string);
    if (entry === undefined) ctx.reply.nil();
    else replyCommandInfo(ctx, entry);
  }
}

function commandList(ctx: CommandContext, argv: string[]): void {
  let filter: (entry: Command) => boolean = () => true;
  if (argv.length > 2) {
    if (argv.length !== 5 || !isWord(argv[2], 'FILTERBY')) fail(Errors.syntax);
    const kind = (argv[3] as string).toUpperCase();
    const value = argv[4] as string;
    if (kind === 'MODULE') filter = () => false;
    else if (kind === 'ACLCAT') filter = (entry) => entry.categories.includes(value.toLowerCase());
    else if (kind === 'PATTERN') filter = (entry) => globMatch(value, entry.fullName, true);
    else fail(Errors.syntax);
  }
  const names: string[] = [];
  const visit = (commands: Iterable<Command>): void => {
    for (const entry of commands) {
      if (filter(entry)) names.push(entry.fullName);
      if (entry.subcommandTable !== undefined) visit(entry.subcommandTable.values());
    }
  };
  visit(ctx.executor.table.commands);
  ctx.reply.array(names.length);
  for (const name of names) ctx.reply.bulk(name);
}

function commandGetKeys(ctx: CommandContext, argv: string[]): void {
  const words = argv.slice(2);
  let entry = findCommand(ctx, words[0] ?? '');
  if (entry?.subcommandTable !== undefined)
    entry = entry.subcommandTable.get((words[1] ?? '').toLowerCase());
  if (entry === undefined) fail('ERR Invalid command specified');
  if (entry.keys === undefined && entry.firstKey === 0) {
    fail('ERR The command has no key arguments');
  }
  const arity = entry.arity;
  if ((arity > 0 && words.length !== arity) || words.length < -arity) {
    fail('ERR Invalid number of arguments specified for command');
  }
  const keys = commandKeys(entry, words);
  if (keys.length === 0) {
    if ((entry.flagBits & FlagBit.no_mandatory_keys) !== 0) return ctx.reply.array(0);
    fail('ERR Invalid arguments specified for command');
  }
  ctx.reply.array(keys.length);
  for (const key of keys) ctx.reply.bulk(key);
}

function commandDocs(ctx: CommandContext, argv: string[]): void {
  const entries: Command[] = [];
  if (argv.length === 2) entries.push(...ctx.executor.table.commands);
  for (let i = 2; i < argv.length; i++) {
    const entry = findCommand(ctx, argv[i] as string);
    if (entry !== undefined) entries.push(entry);
  }
  ctx.reply.map(entries.length);
  for (const entry of entries) {
    ctx.reply.bulk(entry.fullName);
    replyCommandDocs(ctx.reply, entry);
  }
}

const commandHelp = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'HELP',
  '    Print this help.',
];

const introspection = { flags: ['loading', 'stale'], categories: ['connection'] } as const;

const commandSubcommands: CommandDefinition[] = [
  command(
    'count',
    2,
    'server',
    'Number of commands.',
    (ctx) => ctx.reply.int(ctx.executor.table.size),
    introspection,
  ),
  command('info', -2, 'server', 'Details of commands.', commandInfo, introspection),
  command('list', -2, 'server', 'Names of commands.', commandList, introspection),
  command('getkeys', -4, 'server', 'Keys of a command line.', commandGetKeys, introspection),
  command('docs', -2, 'server', 'Documentation of commands.', commandDocs, introspection),
  command(
    'help',
    2,
    'server',
    'Help for COMMAND.',
    (ctx) => replyHelp(ctx, commandHelp),
    introspection,
  ),
];

/** COMMAND alone lists everything; with a word it is a subcommand. */
function commandRoot(ctx: CommandContext): void {
  commandAll(ctx);
}

/** Blocks the whole server, as Redis's DEBUG SLEEP does (used to test timeouts and pipelines). */
function blockFor(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function debug(ctx: CommandContext, argv: string[]): void {
  const sub = (argv[1] as string).toUpperCase();
  if (sub === 'SLEEP' && argv.length === 3) {
    blockFor(floatArg(argv[2]) * 1000);
    return ctx.reply.ok();
  }
  if (sub === 'SET-ACTIVE-EXPIRE' && argv.length === 3) {
    ctx.executor.activeExpire = intArg(argv[2]) !== 0;
    return ctx.reply.ok();
  }
  if (sub === 'GC' && argv.length === 2) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) fail('ERR DEBUG GC needs node --expose-gc');
    gc();
    return ctx.reply.ok();
  }
  if (sub === 'HELP') {
    return replyHelp(ctx, [
      'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'SLEEP <seconds>',
      '    Stop the server for <seconds>. Decimals allowed.',
      'SET-ACTIVE-EXPIRE <0|1>',
      '    Setting it to 0 disables expiring keys in background when they are not accessed.',
      'GC',
      '    Run the garbage collector now (Shoal; needs node --expose-gc).',
    ]);
  }
  fail(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1] as string}'. Try DEBUG HELP.`,
  );
}

function shutdown(ctx: CommandContext, argv: string[]): void {
  let save: boolean | undefined;
  for (let i = 1; i < argv.length; i++) {
    const word = (argv[i] as string).toUpperCase();
    if (word === 'NOSAVE') save = false;
    else if (word === 'SAVE') save = true;
    else if (word === 'NOW' || word === 'FORCE') continue;
    else if (word === 'ABORT') fail('ERR No shutdown in progress.');
    else fail(Errors.syntax);
  }
  ctx.host.shutdown(save);
  ctx.client.closeAfterReply = true;
}

export const serverCommands: CommandDefinition[] = [
  command('info', -1, 'server', 'Information and statistics.', info, {
    flags: ['loading', 'stale'],
    categories: ['dangerous'],
  }),
  command('time', 1, 'server', 'The server time.', time, { flags: ['loading', 'stale', 'fast'] }),
  command('config', -2, 'server', 'Settings.', undefined, { subcommands: configSubcommands }),
  command('command', -1, 'server', 'Details of commands.', commandRoot, {
    flags: ['loading', 'stale'],
    categories: ['connection'],
    subcommands: commandSubcommands,
  }),
  command('debug', -2, 'server', 'Debugging commands.', debug, {
    flags: ['admin', 'noscript', 'loading', 'stale'],
  }),
  command('shutdown', -1, 'server', 'Stops the server.', shutdown, {
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
  }),
];
