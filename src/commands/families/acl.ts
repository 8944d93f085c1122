// The ACL command: users (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI), categories (CAT),
// permission checks without running (DRYRUN), the log (LOG), the ACL file (LOAD, SAVE), and
// GENPASS. Replies and errors as Redis 7.2 writes them.

import { randomBytes } from 'node:crypto';
import { int64Arg, isWord } from '../args.js';
import { ACL_CATEGORIES, canonicalCategory } from '../acl/categories.js';
import { denialMessage } from '../acl/access-control.js';
import type { Selector } from '../acl/selector.js';
import { validUserName } from '../acl/user.js';
import type { CommandContext } from '../context.js';
import { fail } from '../errors.js';
import { Op } from '../../engine/effects.js';
import { type Command, command, type CommandDefinition } from '../spec.js';
import { replyHelp } from './keys.js';

const NO_ACL_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

/** Redis's reply when a subcommand gets a number of arguments it does not take. */
function wrongArguments(argv: string[]): never {
  fail(
    `ERR unknown subcommand or wrong number of arguments for '${(argv[1] as string).slice(0, 128)}'. Try ACL HELP.`,
  );
}

function setUser(ctx: CommandContext, argv: string[]): void {
  const name = argv[2] as string;
  if (!validUserName(name)) fail("ERR Usernames can't contain spaces or null characters");
  const logged = logsUsers(ctx, [name]);
  const acl = ctx.executor.acl;
  const error = acl.setUser(name, argv.slice(3), ctx.client);
  if (error !== undefined) fail(error);
  if (logged) emitUsers(ctx, [name]);
  ctx.reply.ok();
}

function deleteUsers(ctx: CommandContext, argv: string[]): void {
  const names = argv.slice(2);
  if (names.includes('default')) fail("ERR The 'default' user cannot be removed");
  const present = names.filter((name) => ctx.executor.acl.users.has(name));
  const logged = logsUsers(ctx, present);
  const deleted = ctx.executor.acl.deleteUsers(names, ctx.client);
  if (logged) emitUsers(ctx, present);
  ctx.reply.int(deleted);
}

/**
 * In a replica group, users change through the log (every node applies the change, this one
 * included): true after keeping this node's own version of each user about to change
 * (group-settings.ts). Throws the sink's refusal (MISCONF) when nothing may be logged.
 */
function logsUsers(ctx: CommandContext, names: Iterable<string>): boolean {
  const executor = ctx.executor;
  if (executor.sink.logsSettings !== true) return false;
  const refusal = executor.sink.writeRefusal();
  if (refusal !== undefined) fail(refusal);
  for (const name of names)
    executor.groupSettings.keepOwnUser(name, executor.acl.users.get(name)?.describe());
  return true;
}

/** Logs each named user as it now is: described whole, or deleted. */
function emitUsers(ctx: CommandContext, names: Iterable<string>): void {
  for (const name of names) {
    const user = ctx.executor.acl.users.get(name);
    ctx.emit(user === undefined ? [Op.AclDelUser, name] : [Op.AclSetUser, name, user.describe()]);
  }
}

function replySelector(ctx: CommandContext, selector: Selector): void {
  ctx.reply.bulk('commands');
  ctx.reply.bulk(selector.describeCommands());
  ctx.reply.bulk('keys');
  ctx.reply.bulk(selector.describeKeys());
  ctx.reply.bulk('channels');
  ctx.reply.bulk(selector.describeChannels());
}

function getUser(ctx: CommandContext, argv: string[]): void {
  const user = ctx.executor.acl.users.get(argv[2] as string);
  if (user === undefined) return ctx.reply.nil();
  const reply = ctx.reply;
  reply.map(6);
  reply.bulk('flags');
  const flags = user.flags();
  reply.set(flags.length);
  for (const flag of flags) reply.bulk(flag);
  reply.bulk('passwords');
  reply.array(user.passwords.length);
  for (const hash of user.passwords) reply.bulk(hash);
  replySelector(ctx, user.root);
  reply.bulk('selectors');
  const others = user.selectors.slice(1);
  reply.array(others.length);
  for (const selector of others) {
    reply.map(3);
    replySelector(ctx, selector);
  }
}

function listUsers(ctx: CommandContext): void {
  const users = ctx.executor.acl.sortedUsers();
  ctx.reply.array(users.length);
  for (const user of users) ctx.reply.bulk(`user ${user.name} ${user.describe()}`);
}

function userNames(ctx: CommandContext): void {
  const users = ctx.executor.acl.sortedUsers();
  ctx.reply.array(users.length);
  for (const user of users) ctx.reply.bulk(user.name);
}

function categories(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) wrongArguments(argv);
  if (argv.length === 2) {
    ctx.reply.array(ACL_CATEGORIES.length);
    for (const name of ACL_CATEGORIES) ctx.reply.bulk(name);
    return;
  }
  const requested = (argv[2] as string).toLowerCase();
  const category = canonicalCategory(requested);
  if (category === undefined || category !== requested) {
    fail(`ERR Unknown category '${(argv[2] as string).slice(0, 128)}'`);
  }
  const names: string[] = [];
  for (const entry of ctx.executor.table.commands) {
    if (entry.categories.includes(category)) names.push(entry.fullName);
    for (const sub of entry.subcommandTable?.values() ?? []) {
      if (sub.categories.includes(category)) names.push(sub.fullName);
    }
  }
  ctx.reply.array(names.length);
  for (const name of names) ctx.reply.bulk(name);
}

function generatePassword(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) wrongArguments(argv);
  const bits = argv.length === 3 ? Number(int64Arg(argv[2])) : 256;
  if (bits <= 0 || bits > 4096) {
    fail(
      'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096',
    );
  }
  const chars = Math.floor((bits + 3) / 4);
  ctx.reply.bulk(
    randomBytes(Math.ceil(chars / 2))
      .toString('hex')
      .slice(0, chars),
  );
}

function log(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) wrongArguments(argv);
  const acl = ctx.executor.acl;
  let count = 10;
  if (argv.length === 3) {
    if (isWord(argv[2], 'RESET')) {
      acl.log.reset();
      return ctx.reply.ok();
    }
    count = Math.max(0, Number(int64Arg(argv[2])));
  }
  const entries = acl.log.entries.slice(0, count);
  const reply = ctx.reply;
  reply.array(entries.length);
  for (const entry of entries) {
    reply.map(10);
    reply.bulk('count');
    reply.int(entry.count);
    reply.bulk('reason');
    reply.bulk(entry.reason);
    reply.bulk('context');
    reply.bulk(entry.context);
    reply.bulk('object');
    reply.bulk(entry.object);
    reply.bulk('username');
    reply.bulk(entry.username);
    reply.bulk('age-seconds');
    reply.double((ctx.nowMs - entry.updatedAtMs) / 1000);
    reply.bulk('client-info');
    reply.bulk(entry.clientInfo);
    reply.bulk('entry-id');
    reply.int(entry.entryId);
    reply.bulk('timestamp-created');
    reply.int(entry.createdAtMs);
    reply.bulk('timestamp-last-updated');
    reply.int(entry.updatedAtMs);
  }
}

/** The command a DRYRUN line names, as the dispatcher would resolve it (Redis's lookupCommand). */
function lookupLine(ctx: CommandContext, words: string[]): Command | undefined {
  const entry = ctx.executor.table.lookup(words[0] ?? '');
  if (entry?.subcommandTable === undefined || words.length === 1) return entry;
  return entry.subcommandTable.get((words[1] as string).toLowerCase());
}

function dryRun(ctx: CommandContext, argv: string[]): void {
  const acl = ctx.executor.acl;
  const user = acl.users.get(argv[2] as string);
  if (user === undefined) fail(`ERR User '${argv[2] as string}' not found`);
  const words = argv.slice(3);
  const entry = lookupLine(ctx, words);
  if (entry === undefined) fail(`ERR Command '${argv[3] as string}' not found`);
  if ((entry.arity > 0 && entry.arity !== words.length) || words.length < -entry.arity) {
    fail(`ERR wrong number of arguments for '${entry.fullName}' command`);
  }
  const verdict = acl.verdict(user, entry, words);
  if (verdict === undefined) return ctx.reply.ok();
  ctx.reply.bulk(denialMessage(verdict, user, entry, true));
}

function aclFile(ctx: CommandContext): string {
  const file = ctx.config.get('aclfile');
  if (file === '') fail(NO_ACL_FILE);
  return file;
}

/** ACL LOAD; in a replica group the file read (the leader's) becomes every node's users. */
function load(ctx: CommandContext): void {
  const file = aclFile(ctx);
  const acl = ctx.executor.acl;
  const before = [...acl.users.keys()];
  const logged = logsUsers(ctx, before);
  const errors = acl.loadFile(file, ctx.client);
  if (errors !== undefined) fail(`ERR ${errors}`);
  if (logged) {
    const added = [...acl.users.keys()].filter((name) => !before.includes(name));
    for (const name of added) ctx.executor.groupSettings.keepOwnUser(name, undefined);
    emitUsers(ctx, [...before, ...added]);
  }
  ctx.reply.ok();
}

function save(ctx: CommandContext): void {
  if (!ctx.executor.acl.saveFile(aclFile(ctx))) {
    fail(
      'ERR There was an error trying to save the ACLs. Please check the server logs for more information',
    );
  }
  ctx.reply.ok();
}

const aclHelp = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

const admin = { flags: ['admin', 'noscript', 'loading', 'stale'], categories: [] } as const;
const open = { flags: ['noscript', 'loading', 'stale'], categories: [] } as const;

const aclSubcommands: CommandDefinition[] = [
  command('cat', -2, 'server', 'Lists ACL categories or their commands.', categories, open),
  command('deluser', -3, 'server', 'Deletes users.', deleteUsers, admin),
  command('dryrun', -4, 'server', 'Checks a command against a user.', dryRun, {
    ...admin,
    since: '7.0.0',
  }),
  command('genpass', -2, 'server', 'Generates a password.', generatePassword, open),
  command('getuser', 3, 'server', "Describes a user's rules.", getUser, admin),
  command('list', 2, 'server', 'Lists users in ACL file form.', listUsers, admin),
  command('load', 2, 'server', 'Reloads users from the ACL file.', load, admin),
  command('log', -2, 'server', 'Lists recent denials.', log, admin),
  command('save', 2, 'server', 'Saves users to the ACL file.', save, admin),
  command('setuser', -3, 'server', 'Creates or changes a user.', setUser, admin),
  command('users', 2, 'server', 'Lists user names.', userNames, admin),
  command(
    'whoami',
    2,
    'server',
    'The user of this connection.',
    (ctx) => ctx.reply.bulk(ctx.client.user),
    open,
  ),
  command('help', 2, 'server', 'Help for ACL.', (ctx) => replyHelp(ctx, aclHelp), {
    flags: ['loading', 'stale'],
    categories: [],
  }),
];

export const aclCommands: CommandDefinition[] = [
  command('acl', -2, 'server', 'Access control lists.', undefined, {
    subcommands: aclSubcommands,
    since: '6.0.0',
  }),
];
