// Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET (CLIENT: families/client.ts).

import { intArg, isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { command, type CommandDefinition } from '../spec.js';
import { resetClientControl } from './client.js';

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
  resetClientControl(ctx);
  ctx.reply.simple('RESET');
}

export function validateClientName(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) {
      fail('ERR Client names cannot contain spaces, newlines or special characters.');
    }
  }
}

const connection = (flags: CommandDefinition['flags']) => ({ flags, categories: ['connection'] });

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
];
