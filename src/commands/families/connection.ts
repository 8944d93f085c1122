// Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and CLIENT.

import { intArg, isWord } from '../args.js';
import type { ClientState } from '../client.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { command, type CommandDefinition } from '../spec.js';
import { replyHelp } from './keys.js';

export const SERVER_NAME = 'redis';
/** The Redis version whose behaviour Shoal follows; clients read it to pick features. */
export const REDIS_COMPATIBLE_VERSION = '7.2.0';
export const SHOAL_VERSION = '0.1.0';

function ping(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2) fail(Errors.wrongArity('ping'));
  // A RESP2 subscriber gets PING's answer in the shape of a message, as Redis sends it.
  if (ctx.client.protocol === 2 && ctx.client.subscriptionCount > 0) {
    ctx.reply.array(2);
    ctx.reply.bulk('pong');
    ctx.reply.bulk(argv[1] ?? '');
  } else if (argv.length === 2) ctx.reply.bulk(argv[1] as string);
  else ctx.reply.simple('PONG');
}

function auth(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) fail(Errors.syntax);
  const user = argv.length === 3 ? (argv[1] as string) : 'default';
  const password = argv[argv.length - 1] as string;
  if (argv.length === 2 && ctx.executor.acl.defaultUser.nopass) {
    fail(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const acl = ctx.executor.acl;
  if (
    !acl.authenticate(ctx.client, user, password, argv[0] as string, ctx.nowMs, ctx.inTransaction)
  ) {
    fail(Errors.wrongPass);
  }
  ctx.reply.ok();
}

function hello(ctx: CommandContext, argv: string[]): void {
  let protocol: 2 | 3 = ctx.client.protocol;
  let i = 1;
  if (argv.length >= 2) {
    const version = intArg(argv[1], 'ERR Protocol version is not an integer or out of range');
    if (version !== 2 && version !== 3) fail('NOPROTO unsupported protocol version');
    protocol = version;
    i = 2;
  }
  let authPair: [string, string] | undefined;
  let name: string | undefined;
  for (; i < argv.length; i++) {
    if (isWord(argv[i], 'AUTH') && i + 2 < argv.length) {
      authPair = [argv[i + 1] as string, argv[i + 2] as string];
      i += 2;
    } else if (isWord(argv[i], 'SETNAME') && i + 1 < argv.length) {
      name = argv[++i] as string;
      validateClientName(name);
    } else {
      fail(`ERR Syntax error in HELLO option '${argv[i] as string}'`);
    }
  }
  const acl = ctx.executor.acl;
  if (authPair !== undefined) {
    const [user, password] = authPair;
    if (
      !acl.authenticate(ctx.client, user, password, argv[0] as string, ctx.nowMs, ctx.inTransaction)
    ) {
      fail(Errors.wrongPass);
    }
  }
  if (!ctx.client.authenticated && acl.authRequired()) {
    fail(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== undefined) ctx.client.name = name;
  ctx.client.protocol = protocol;
  ctx.reply.protocol = protocol;
  const reply = ctx.reply;
  reply.map(7);
  reply.bulk('server');
  reply.bulk(SERVER_NAME);
  reply.bulk('version');
  reply.bulk(REDIS_COMPATIBLE_VERSION);
  reply.bulk('proto');
  reply.int(protocol);
  reply.bulk('id');
  reply.int(ctx.client.id);
  reply.bulk('mode');
  reply.bulk('standalone');
  reply.bulk('role');
  reply.bulk('master');
  reply.bulk('modules');
  reply.array(0);
}

function select(ctx: CommandContext, argv: string[]): void {
  const index = intArg(argv[1]);
  if (index < 0 || index >= ctx.engine.databases.length) fail(Errors.dbIndexOutOfRange);
  ctx.client.db = index;
  ctx.reply.ok();
}

function quit(ctx: CommandContext): void {
  ctx.client.closeAfterReply = true;
  ctx.reply.ok();
}

function reset(ctx: CommandContext): void {
  const client = ctx.client;
  client.transaction = undefined;
  ctx.executor.watches.unwatchAll(client);
  ctx.executor.pubsub.unsubscribeAll(client);
  client.db = 0;
  client.name = '';
  client.protocol = 2;
  ctx.reply.protocol = 2;
  ctx.executor.acl.resetClient(client);
  ctx.reply.simple('RESET');
}

function validateClientName(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) {
      fail('ERR Client names cannot contain spaces, newlines or special characters.');
    }
  }
}

/** One CLIENT LIST / CLIENT INFO line, with Redis's fields. */
export function describeClient(client: ClientState, nowMs: number): string {
  const fields: [string, string | number][] = [
    ['id', client.id],
    ['addr', client.address],
    ['laddr', client.localAddress],
    ['fd', -1],
    ['name', client.name],
    ['age', Math.floor((nowMs - client.createdAtMs) / 1000)],
    ['idle', Math.floor((nowMs - client.lastInteractionMs) / 1000)],
    ['flags', 'N'],
    ['db', client.db],
    ['sub', 0],
    ['psub', 0],
    ['ssub', 0],
    ['multi', -1],
    ['qbuf', 0],
    ['qbuf-free', 0],
    ['argv-mem', 0],
    ['multi-mem', 0],
    ['rbs', 0],
    ['rbp', 0],
    ['obl', 0],
    ['oll', 0],
    ['omem', 0],
    ['tot-mem', 0],
    ['events', 'r'],
    ['cmd', client.lastCommand],
    ['user', client.user],
    ['redir', -1],
    ['resp', client.protocol],
    ['lib-name', client.libName],
    ['lib-ver', client.libVersion],
  ];
  return fields.map(([name, value]) => `${name}=${value}`).join(' ');
}

function clientList(ctx: CommandContext, argv: string[]): void {
  let ids: Set<number> | undefined;
  for (let i = 2; i < argv.length; i++) {
    if (isWord(argv[i], 'TYPE') && i + 1 < argv.length) {
      const kind = (argv[++i] as string).toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(kind)) {
        fail(`ERR Unknown client type '${argv[i] as string}'`);
      }
      if (kind !== 'normal') ids = new Set();
    } else if (isWord(argv[i], 'ID') && i + 1 < argv.length) {
      ids = new Set();
      for (i++; i < argv.length; i++) {
        const id = intArg(argv[i], 'ERR Invalid client ID');
        if (id <= 0) fail('ERR Invalid client ID');
        ids.add(id);
      }
    } else fail(Errors.syntax);
  }
  let text = '';
  for (const client of ctx.host.clients()) {
    if (ids === undefined || ids.has(client.id)) text += `${describeClient(client, ctx.nowMs)}\n`;
  }
  ctx.reply.verbatim(text);
}

/** CLIENT KILL, old form (addr) and new form (filters). */
function clientKill(ctx: CommandContext, argv: string[]): void {
  const oldForm = argv.length === 3;
  const filters: ((client: ClientState) => boolean)[] = [];
  let skipMe = !oldForm;
  if (oldForm) {
    const address = argv[2] as string;
    filters.push((client) => client.address === address);
  } else {
    if ((argv.length - 2) % 2 !== 0) fail(Errors.syntax);
    for (let i = 2; i < argv.length; i += 2) {
      const name = (argv[i] as string).toUpperCase();
      const value = argv[i + 1] as string;
      if (name === 'ID') {
        const id = intArg(value, 'ERR client-id should be greater than 0');
        if (id <= 0) fail('ERR client-id should be greater than 0');
        filters.push((client) => client.id === id);
      } else if (name === 'ADDR') filters.push((client) => client.address === value);
      else if (name === 'LADDR') filters.push((client) => client.localAddress === value);
      else if (name === 'USER') filters.push((client) => client.user === value);
      else if (name === 'TYPE') {
        const kind = value.toLowerCase();
        if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(kind)) {
          fail(`ERR Unknown client type '${value}'`);
        }
        filters.push(() => kind === 'normal');
      } else if (name === 'SKIPME') {
        if (isWord(value, 'YES')) skipMe = true;
        else if (isWord(value, 'NO')) skipMe = false;
        else fail(Errors.syntax);
      } else if (name === 'MAXAGE') {
        const seconds = intArg(value);
        filters.push((client) => (ctx.nowMs - client.createdAtMs) / 1000 >= seconds);
      } else fail(Errors.syntax);
    }
  }
  let killed = 0;
  for (const client of ctx.host.clients()) {
    if (skipMe && client === ctx.client) continue;
    if (filters.every((filter) => filter(client))) {
      ctx.host.closeClient(client);
      killed++;
    }
  }
  if (!oldForm) return ctx.reply.int(killed);
  if (killed === 0) fail('ERR No such client');
  ctx.reply.ok();
}

function clientSetInfo(ctx: CommandContext, argv: string[]): void {
  const attribute = (argv[2] as string).toUpperCase();
  const value = argv[3] as string;
  if (attribute !== 'LIB-NAME' && attribute !== 'LIB-VER') {
    fail(`ERR Unrecognized option '${argv[2] as string}'`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 33 || c > 126) {
      fail(`ERR ${attribute} cannot contain spaces, newlines or special characters.`);
    }
  }
  if (attribute === 'LIB-NAME') ctx.client.libName = value;
  else ctx.client.libVersion = value;
  ctx.reply.ok();
}

function clientUnblock(ctx: CommandContext, argv: string[]): void {
  const id = intArg(argv[2]);
  let withError = false;
  if (argv.length === 4) {
    if (isWord(argv[3], 'ERROR')) withError = true;
    else if (!isWord(argv[3], 'TIMEOUT'))
      fail('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  } else if (argv.length > 4) fail(Errors.syntax);
  ctx.reply.int(ctx.executor.unblockClient(id, withError) ? 1 : 0);
}

const clientHelp = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are: ID, ADDR, LADDR, USER, TYPE, SKIPME, MAXAGE.',
  'LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]',
  '    Return information about client connections.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'HELP',
  '    Print this help.',
];

const connection = (flags: CommandDefinition['flags']) => ({ flags, categories: ['connection'] });

const clientSubcommands: CommandDefinition[] = [
  command(
    'id',
    2,
    'connection',
    'The connection id.',
    (ctx) => ctx.reply.int(ctx.client.id),
    connection(['noscript']),
  ),
  command(
    'setname',
    3,
    'connection',
    'Names the connection.',
    (ctx, argv) => {
      const name = argv[2] as string;
      validateClientName(name);
      ctx.client.name = name;
      ctx.reply.ok();
    },
    connection(['noscript']),
  ),
  command(
    'getname',
    2,
    'connection',
    'The connection name.',
    (ctx) => {
      if (ctx.client.name === '') ctx.reply.nil();
      else ctx.reply.bulk(ctx.client.name);
    },
    connection(['noscript']),
  ),
  command(
    'list',
    -2,
    'connection',
    'Lists the connections.',
    clientList,
    connection(['admin', 'noscript']),
  ),
  command(
    'info',
    2,
    'connection',
    'Describes this connection.',
    (ctx) => ctx.reply.verbatim(`${describeClient(ctx.client, ctx.nowMs)}\n`),
    connection(['noscript']),
  ),
  command(
    'kill',
    -3,
    'connection',
    'Closes connections.',
    clientKill,
    connection(['admin', 'noscript']),
  ),
  command(
    'unblock',
    -3,
    'connection',
    'Unblocks a client blocked in a command.',
    clientUnblock,
    connection(['admin', 'noscript']),
  ),
  command(
    'setinfo',
    4,
    'connection',
    'Sets library name or version.',
    clientSetInfo,
    connection(['noscript']),
  ),
  command(
    'help',
    2,
    'connection',
    'Help for CLIENT.',
    (ctx) => replyHelp(ctx, clientHelp),
    connection(['loading', 'stale']),
  ),
];

export const connectionCommands: CommandDefinition[] = [
  command('ping', -1, 'connection', 'Checks the connection.', ping, connection(['fast'])),
  command(
    'echo',
    2,
    'connection',
    'Returns its argument.',
    (ctx, argv) => ctx.reply.bulk(argv[1] as string),
    connection(['fast']),
  ),
  command(
    'auth',
    -2,
    'connection',
    'Authenticates the connection.',
    auth,
    connection(['noscript', 'no_auth', 'fast']),
  ),
  command(
    'hello',
    -1,
    'connection',
    'Handshake: protocol, auth, name.',
    hello,
    connection(['noscript', 'no_auth', 'fast']),
  ),
  command('select', 2, 'connection', 'Selects a database.', select, connection(['fast'])),
  command(
    'quit',
    -1,
    'connection',
    'Closes the connection.',
    quit,
    connection(['noscript', 'no_auth', 'fast']),
  ),
  command(
    'reset',
    1,
    'connection',
    'Resets the connection state.',
    reset,
    connection(['noscript', 'no_auth', 'fast']),
  ),
  command('client', -2, 'connection', 'Connection management.', undefined, {
    subcommands: clientSubcommands,
    categories: ['connection'],
  }),
];
