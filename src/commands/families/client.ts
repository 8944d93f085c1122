// CLIENT: connection names and ids, CLIENT LIST / INFO with Redis's fields, KILL with every
// filter, PAUSE / UNPAUSE, REPLY, NO-EVICT, NO-TOUCH, UNBLOCK, SETINFO, and the tracking
// tracking subcommands (server-assisted client-side caching: commands/tracking.ts).

import { intArg, isWord } from '../args.js';
import type { ClientState } from '../client.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { command, type CommandDefinition } from '../spec.js';
import { validateClientName } from './connection.js';
import { replyHelp } from './keys.js';
import type { TrackingOptions } from '../tracking.js';

/** Redis's client types (getClientType). A MONITOR client counts as normal, as in Redis. */
export type ClientType = 'normal' | 'replica' | 'master' | 'pubsub';

export function clientType(client: ClientState): ClientType {
  return client.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

const TYPE_NAMES: Record<string, ClientType> = {
  normal: 'normal',
  slave: 'replica',
  replica: 'replica',
  master: 'master',
  pubsub: 'pubsub',
};

function parseClientType(name: string): ClientType {
  const kind = TYPE_NAMES[name.toLowerCase()];
  if (kind === undefined) fail(`ERR Unknown client type '${name}'`);
  return kind;
}

/** Redis's flag letters, in the order getClientInfoString writes them. */
export function clientFlags(client: ClientState): string {
  let flags = '';
  if (client.monitor) flags += 'O';
  if (client.subscriptionCount > 0) flags += 'P';
  if (client.transaction !== undefined) flags += 'x';
  if (client.blocked !== undefined || client.postponed) flags += 'b';
  const tracking = client.tracking;
  if (tracking !== undefined) {
    flags += 't';
    if (tracking.brokenRedirect) flags += 'R';
    if (tracking.bcast) flags += 'B';
  }
  if (client.watchDirty) flags += 'd';
  if (client.closeAfterReply) flags += 'c';
  if (client.noEvict) flags += 'e';
  if (client.noTouch) flags += 'T';
  return flags === '' ? 'N' : flags;
}

function argumentBytes(argv: readonly string[]): number {
  let bytes = 0;
  for (const word of argv) bytes += word.length;
  return bytes;
}

/**
 * Fixed bytes per connection counted in tot-mem: the client state, session, parser and socket
 * objects (measured roughly with heap snapshots), on top of the buffers counted one by one.
 */
const CLIENT_OVERHEAD_BYTES = 2048;
/** Redis's reply list nodes are 16 KiB: oll is reported as the nodes omem would fill. */
const REPLY_NODE_BYTES = 16 * 1024;

/**
 * One CLIENT LIST / CLIENT INFO line, with Redis 7.2's fields. Values Shoal measures differently
 * (documented in docs/ARCHITECTURE.md): qbuf is bytes received and not yet run; qbuf-free is 0
 * (no preallocated query buffer); argv-mem is the running command's arguments (the caller's
 * own); obl is reply bytes not yet handed to the socket, oll the 16 KiB nodes omem would fill,
 * omem the bytes the socket still holds; rbs/rbp the reply buffer size and its peak;
 * tot-mem the sum of those plus a fixed per-client overhead.
 */
export function describeClient(ctx: CommandContext, client: ClientState): string {
  const nowMs = ctx.nowMs;
  const connection = client.connection;
  const queryBytes = connection?.queryBufferBytes() ?? 0;
  const argvBytes = client === ctx.client ? argumentBytes(ctx.currentArgv) : 0;
  let multiBytes = 0;
  for (const queued of client.transaction?.queue ?? []) multiBytes += argumentBytes(queued);
  const replyBytes = connection?.replyBufferBytes() ?? 0;
  const replySize = connection?.replyBufferSize() ?? 0;
  const pendingBytes = connection?.pendingOutputBytes() ?? 0;
  const totalBytes =
    CLIENT_OVERHEAD_BYTES + replySize + queryBytes + argvBytes + multiBytes + pendingBytes;
  return (
    `id=${client.id} addr=${client.address} laddr=${client.localAddress} ` +
    `fd=${connection?.fd ?? -1} name=${client.name} ` +
    `age=${Math.floor((nowMs - client.createdAtMs) / 1000)} ` +
    `idle=${Math.floor(Math.max(0, nowMs - client.lastInteractionMs) / 1000)} ` +
    `flags=${clientFlags(client)} db=${client.db} sub=${client.channels.size} ` +
    `psub=${client.patterns.size} ssub=${client.shardChannels.size} ` +
    `multi=${client.transaction?.queue.length ?? -1} qbuf=${queryBytes} qbuf-free=0 ` +
    `argv-mem=${argvBytes} multi-mem=${multiBytes} rbs=${replySize} ` +
    `rbp=${connection?.replyBufferPeak() ?? 0} obl=${replyBytes} ` +
    `oll=${Math.ceil(pendingBytes / REPLY_NODE_BYTES)} omem=${pendingBytes} ` +
    `tot-mem=${totalBytes} events=${pendingBytes > 0 ? 'rw' : 'r'} cmd=${client.lastCommand} ` +
    `user=${client.user} redir=${client.tracking?.redirect ?? -1} resp=${client.protocol} ` +
    `lib-name=${client.libName} lib-ver=${client.libVersion}`
  );
}

function clientList(ctx: CommandContext, argv: string[]): void {
  let ids: Set<number> | undefined;
  let type: ClientType | undefined;
  for (let i = 2; i < argv.length; i++) {
    if (isWord(argv[i], 'TYPE') && i + 1 < argv.length) {
      type = parseClientType(argv[++i] as string);
    } else if (isWord(argv[i], 'ID') && i + 1 < argv.length) {
      ids = new Set();
      for (i++; i < argv.length; i++) ids.add(intArg(argv[i], 'ERR Invalid client ID'));
    } else fail(Errors.syntax);
  }
  let text = '';
  for (const client of ctx.host.clients()) {
    if (ids !== undefined && !ids.has(client.id)) continue;
    if (type !== undefined && clientType(client) !== type) continue;
    text += `${describeClient(ctx, client)}\n`;
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
        const kind = parseClientType(value);
        filters.push((client) => clientType(client) === kind);
      } else if (name === 'SKIPME') {
        if (isWord(value, 'YES')) skipMe = true;
        else if (isWord(value, 'NO')) skipMe = false;
        else fail(Errors.syntax);
      } else if (name === 'MAXAGE') {
        // Redis 7.4: clients connected for at least this many seconds.
        const seconds = intArg(value);
        filters.push((client) => (ctx.nowMs - client.createdAtMs) / 1000 >= seconds);
      } else fail(Errors.syntax);
    }
  }
  let killed = 0;
  for (const client of [...ctx.host.clients()]) {
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

function clientPause(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 4) {
    fail(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1] as string}'. Try CLIENT HELP.`,
    );
  }
  const timeoutMs = intArg(argv[2], 'ERR timeout is not an integer or out of range');
  if (timeoutMs < 0) fail('ERR timeout is negative');
  let kind: 'write' | 'all' = 'all';
  if (argv.length === 4) {
    if (isWord(argv[3], 'WRITE')) kind = 'write';
    else if (!isWord(argv[3], 'ALL')) fail('ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  ctx.executor.pause.pause(kind, ctx.nowMs + timeoutMs, ctx.nowMs);
  ctx.reply.ok();
}

function clientReply(ctx: CommandContext, argv: string[]): void {
  const client = ctx.client;
  // OFF and SKIP answer nothing; the session drops the replies (server/session.ts).
  if (isWord(argv[2], 'ON')) {
    client.replyOff = false;
    client.replySkip = false;
    client.replySkipNext = false;
    ctx.reply.ok();
  } else if (isWord(argv[2], 'OFF')) {
    client.replyOff = true;
  } else if (isWord(argv[2], 'SKIP')) {
    if (!client.replyOff) client.replySkipNext = true;
  } else fail(Errors.syntax);
}

/** CLIENT NO-EVICT / NO-TOUCH: ON or OFF sets a flag. */
function onOff(set: (client: ClientState, on: boolean) => void) {
  return (ctx: CommandContext, argv: string[]): void => {
    if (isWord(argv[2], 'ON')) set(ctx.client, true);
    else if (isWord(argv[2], 'OFF')) set(ctx.client, false);
    else fail(Errors.syntax);
    ctx.reply.ok();
  };
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP], as Redis 7.0. */
function clientTracking(ctx: CommandContext, argv: string[]): void {
  const options: TrackingOptions = {
    redirect: 0,
    bcast: false,
    optin: false,
    optout: false,
    noloop: false,
    prefixes: [],
  };
  for (let j = 3; j < argv.length; j++) {
    const moreArgs = j < argv.length - 1;
    const option = (argv[j] as string).toLowerCase();
    if (option === 'redirect' && moreArgs) {
      j++;
      if (options.redirect !== 0) fail('ERR A client can only redirect to a single other client');
      const id = intArg(argv[j]);
      if (!clientExists(ctx, id)) fail('ERR The client ID you want redirect to does not exist');
      options.redirect = id;
    } else if (option === 'bcast') options.bcast = true;
    else if (option === 'optin') options.optin = true;
    else if (option === 'optout') options.optout = true;
    else if (option === 'noloop') options.noloop = true;
    else if (option === 'prefix' && moreArgs) options.prefixes.push(argv[++j] as string);
    else fail(Errors.syntax);
  }
  const client = ctx.client;
  const tracking = ctx.executor.tracking;
  if (isWord(argv[2], 'ON')) {
    if (ctx.host.mode === 'embedded') {
      fail('ERR CLIENT TRACKING is not available in embedded mode (invalidations are pushes)');
    }
    const state = client.tracking;
    if (!options.bcast && options.prefixes.length > 0) {
      fail('ERR PREFIX option requires BCAST mode to be enabled');
    }
    if (state !== undefined && state.bcast !== options.bcast) {
      fail(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
    }
    if (options.bcast && (options.optin || options.optout)) {
      fail('ERR OPTIN and OPTOUT are not compatible with BCAST');
    }
    if (options.optin && options.optout)
      fail("ERR You can't specify both OPTIN mode and OPTOUT mode");
    if ((options.optin && state?.optout === true) || (options.optout && state?.optin === true)) {
      fail(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
    }
    if (options.bcast) {
      const collision = tracking.prefixCollision(client, options.prefixes);
      if (collision !== undefined) fail(collision);
    }
    tracking.enable(client, options);
  } else if (isWord(argv[2], 'OFF')) {
    tracking.disable(client);
  } else fail(Errors.syntax);
  ctx.reply.ok();
}

function clientExists(ctx: CommandContext, id: number): boolean {
  if (ctx.host.client !== undefined) return ctx.host.client(id) !== undefined;
  for (const client of ctx.host.clients()) if (client.id === id) return true;
  return false;
}

/** CLIENT TRACKINGINFO: flags, redirect and prefixes, in Redis's order. */
function clientTrackingInfo(ctx: CommandContext): void {
  const reply = ctx.reply;
  const state = ctx.client.tracking;
  const flags = [state === undefined ? 'off' : 'on'];
  if (state !== undefined) {
    if (state.bcast) flags.push('bcast');
    if (state.optin) {
      flags.push('optin');
      if (state.caching) flags.push('caching-yes');
    }
    if (state.optout) {
      flags.push('optout');
      if (state.caching) flags.push('caching-no');
    }
    if (state.noloop) flags.push('noloop');
    if (state.brokenRedirect) flags.push('broken_redirect');
  }
  reply.map(3);
  reply.bulk('flags');
  reply.set(flags.length);
  for (const flag of flags) reply.bulk(flag);
  reply.bulk('redirect');
  reply.int(state?.redirect ?? -1);
  reply.bulk('prefixes');
  const prefixes = state?.prefixes ?? [];
  reply.array(prefixes.length);
  for (const prefix of prefixes) reply.bulk(prefix);
}

/** CLIENT CACHING YES|NO: whether the next command (or transaction) is tracked in OPTIN/OPTOUT. */
function clientCaching(ctx: CommandContext, argv: string[]): void {
  const state = ctx.client.tracking;
  if (state === undefined) {
    fail(
      'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
    );
  }
  if (isWord(argv[2], 'YES')) {
    if (!state.optin)
      fail('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (isWord(argv[2], 'NO')) {
    if (!state.optout)
      fail('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else fail(Errors.syntax);
  state.caching = true;
  ctx.reply.ok();
}

/** RESET ends MONITOR mode and the CLIENT REPLY / NO-EVICT / NO-TOUCH settings, as in Redis. */
export function resetClientControl(ctx: CommandContext): void {
  const client = ctx.client;
  ctx.executor.recorder.monitors.remove(client);
  client.monitor = false;
  client.replyOff = false;
  client.replySkip = false;
  client.replySkipNext = false;
  client.noEvict = false;
  client.noTouch = false;
  ctx.executor.tracking.disable(client);
}

const clientHelp = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  '    * ID <client-id>',
  '      Kill connections by client id.',
  '    * MAXAGE <maxage>',
  '      Kill connections older than the specified age.',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  '    * ID <client-id> [<client-id> ...]',
  '      Return clients of specified IDs only.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
  'HELP',
  '    Print this help.',
];

const plain = (flags: CommandDefinition['flags']) => ({ flags, categories: ['connection'] });
const control = plain(['admin', 'noscript', 'loading', 'stale']);
const tracking = plain(['noscript', 'loading', 'stale']);

const clientSubcommands: CommandDefinition[] = [
  command(
    'id',
    2,
    'connection',
    'The connection id.',
    (ctx) => ctx.reply.int(ctx.client.id),
    plain(['noscript']),
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
    plain(['noscript']),
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
    plain(['noscript']),
  ),
  command(
    'list',
    -2,
    'connection',
    'Lists the connections.',
    clientList,
    plain(['admin', 'noscript']),
  ),
  command(
    'info',
    2,
    'connection',
    'Describes this connection.',
    (ctx) => ctx.reply.verbatim(`${describeClient(ctx, ctx.client)}\n`),
    plain(['noscript']),
  ),
  command(
    'kill',
    -3,
    'connection',
    'Closes connections.',
    clientKill,
    plain(['admin', 'noscript']),
  ),
  command(
    'unblock',
    -3,
    'connection',
    'Unblocks a client blocked in a command.',
    clientUnblock,
    plain(['admin', 'noscript']),
  ),
  command(
    'setinfo',
    4,
    'connection',
    'Sets library name or version.',
    clientSetInfo,
    plain(['noscript']),
  ),
  command('pause', -3, 'connection', 'Suspends commands.', clientPause, control),
  command(
    'unpause',
    2,
    'connection',
    'Resumes commands.',
    (ctx) => {
      ctx.executor.pause.unpause();
      ctx.reply.ok();
    },
    control,
  ),
  command(
    'reply',
    3,
    'connection',
    'Turns replies on or off.',
    clientReply,
    plain(['noscript', 'loading', 'stale']),
  ),
  command(
    'no-evict',
    3,
    'connection',
    'Protects this connection from eviction.',
    onOff((client, on) => (client.noEvict = on)),
    control,
  ),
  command(
    'no-touch',
    3,
    'connection',
    "Leaves keys' access time alone for this connection's reads.",
    onOff((client, on) => (client.noTouch = on)),
    plain(['noscript', 'loading', 'stale']),
  ),
  command('tracking', -3, 'connection', 'Client-side caching.', clientTracking, tracking),
  command(
    'trackinginfo',
    2,
    'connection',
    'Client-side caching state.',
    clientTrackingInfo,
    tracking,
  ),
  command(
    'getredir',
    2,
    'connection',
    'Client-side caching redirection.',
    (ctx) => ctx.reply.int(ctx.client.tracking?.redirect ?? -1),
    tracking,
  ),
  command('caching', 3, 'connection', 'Client-side caching.', clientCaching, tracking),
  command(
    'help',
    2,
    'connection',
    'Help for CLIENT.',
    (ctx) => replyHelp(ctx, clientHelp),
    plain(['loading', 'stale']),
  ),
];

export const clientCommands: CommandDefinition[] = [
  command('client', -2, 'connection', 'Connection management.', undefined, {
    subcommands: clientSubcommands,
    categories: ['connection'],
  }),
];
