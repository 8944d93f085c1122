// Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.

import { Op } from '../../engine/effects.js';
import { globMatch } from '../../util/glob.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import type { SubscriptionKind } from '../pubsub.js';
import { command, type CommandDefinition } from '../spec.js';
import { replyHelp } from './keys.js';

const verbs: Record<SubscriptionKind, [subscribe: string, unsubscribe: string]> = {
  channel: ['subscribe', 'unsubscribe'],
  pattern: ['psubscribe', 'punsubscribe'],
  shard: ['ssubscribe', 'sunsubscribe'],
};

function count(ctx: CommandContext, kind: SubscriptionKind): number {
  const client = ctx.client;
  return kind === 'shard' ? client.shardChannels.size : client.channels.size + client.patterns.size;
}

function confirm(ctx: CommandContext, verb: string, name: string | null, total: number): void {
  ctx.reply.push(3);
  ctx.reply.bulk(verb);
  if (name === null) ctx.reply.nil();
  else ctx.reply.bulk(name);
  ctx.reply.int(total);
}

function subscribeFamily(kind: SubscriptionKind) {
  return (ctx: CommandContext, argv: string[]): void => {
    if (ctx.inTransaction) {
      fail(`ERR ${argv[0]?.toUpperCase() ?? ''} isn't allowed for a DENY BLOCKING client`);
    }
    for (let i = 1; i < argv.length; i++) {
      const name = argv[i] as string;
      ctx.executor.pubsub.subscribe(ctx.client, kind, name);
      confirm(ctx, verbs[kind][0], name, count(ctx, kind));
    }
  };
}

function unsubscribeFamily(kind: SubscriptionKind) {
  return (ctx: CommandContext, argv: string[]): void => {
    const own =
      kind === 'channel'
        ? ctx.client.channels
        : kind === 'pattern'
          ? ctx.client.patterns
          : ctx.client.shardChannels;
    const names = argv.length > 1 ? argv.slice(1) : [...own];
    if (names.length === 0) return confirm(ctx, verbs[kind][1], null, count(ctx, kind));
    for (const name of names) {
      ctx.executor.pubsub.unsubscribe(ctx.client, kind, name);
      confirm(ctx, verbs[kind][1], name, count(ctx, kind));
    }
  };
}

/**
 * PUBLISH / SPUBLISH. Standalone: delivered now. In a replica group (the sink logs publishes) the
 * message becomes an effect of the command's log entry, and every node delivers it to its own
 * subscribers when the entry commits; the reply counts this node's receivers as of now.
 */
function publishTo(ctx: CommandContext, argv: string[], shard: boolean): void {
  const executor = ctx.executor;
  const channel = argv[1] as string;
  const message = argv[2] as string;
  if (executor.sink.logsPublish !== true) {
    ctx.reply.int(executor.pubsub.publish(channel, message, shard));
    return;
  }
  const refusal = executor.sink.writeRefusal();
  if (refusal !== undefined) fail(refusal);
  ctx.record([Op.Publish, shard ? 1 : 0, channel, message]);
  ctx.reply.int(executor.pubsub.receivers(channel, shard));
}

const publish = (ctx: CommandContext, argv: string[]): void => publishTo(ctx, argv, false);
const spublish = (ctx: CommandContext, argv: string[]): void => publishTo(ctx, argv, true);

function listChannels(ctx: CommandContext, argv: string[], table: Map<string, unknown>): void {
  if (argv.length > 3) fail(Errors.wrongArity(`pubsub|${(argv[1] as string).toLowerCase()}`));
  const pattern = argv[2];
  const names = [...table.keys()].filter(
    (name) => pattern === undefined || globMatch(pattern, name),
  );
  ctx.reply.array(names.length);
  for (const name of names) ctx.reply.bulk(name);
}

function numsub(ctx: CommandContext, argv: string[], table: Map<string, Set<unknown>>): void {
  ctx.reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.bulk(argv[i] as string);
    ctx.reply.int(table.get(argv[i] as string)?.size ?? 0);
  }
}

const pubsubHelp = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Print this help.',
];

const pubsubFlags = {
  flags: ['pubsub', 'noscript', 'loading', 'stale'],
  categories: ['pubsub'],
} as const;
const introspect = { flags: ['pubsub', 'loading', 'stale'], categories: ['pubsub'] } as const;

const pubsubSubcommands: CommandDefinition[] = [
  command(
    'channels',
    -2,
    'pubsub',
    'Active channels.',
    (ctx, argv) => listChannels(ctx, argv, ctx.executor.pubsub.channels),
    introspect,
  ),
  command(
    'numsub',
    -2,
    'pubsub',
    'Subscribers per channel.',
    (ctx, argv) => numsub(ctx, argv, ctx.executor.pubsub.channels),
    introspect,
  ),
  command(
    'numpat',
    2,
    'pubsub',
    'Pattern subscriptions.',
    (ctx) => ctx.reply.int(ctx.executor.pubsub.patterns.size),
    introspect,
  ),
  command(
    'shardchannels',
    -2,
    'pubsub',
    'Active shard channels.',
    (ctx, argv) => listChannels(ctx, argv, ctx.executor.pubsub.shardChannels),
    introspect,
  ),
  command(
    'shardnumsub',
    -2,
    'pubsub',
    'Subscribers per shard channel.',
    (ctx, argv) => numsub(ctx, argv, ctx.executor.pubsub.shardChannels),
    introspect,
  ),
  command('help', 2, 'pubsub', 'Help for PUBSUB.', (ctx) => replyHelp(ctx, pubsubHelp), {
    flags: ['loading', 'stale'],
    categories: [],
  }),
];

export const pubsubCommands: CommandDefinition[] = [
  command(
    'subscribe',
    -2,
    'pubsub',
    'Listens to channels.',
    subscribeFamily('channel'),
    pubsubFlags,
  ),
  command(
    'unsubscribe',
    -1,
    'pubsub',
    'Stops listening to channels.',
    unsubscribeFamily('channel'),
    pubsubFlags,
  ),
  command(
    'psubscribe',
    -2,
    'pubsub',
    'Listens to channel patterns.',
    subscribeFamily('pattern'),
    pubsubFlags,
  ),
  command(
    'punsubscribe',
    -1,
    'pubsub',
    'Stops listening to patterns.',
    unsubscribeFamily('pattern'),
    pubsubFlags,
  ),
  command('ssubscribe', -2, 'pubsub', 'Listens to shard channels.', subscribeFamily('shard'), {
    ...pubsubFlags,
    keys: [1, -1, 1],
  }),
  command(
    'sunsubscribe',
    -1,
    'pubsub',
    'Stops listening to shard channels.',
    unsubscribeFamily('shard'),
    { ...pubsubFlags, keys: [1, -1, 1] },
  ),
  command('publish', 3, 'pubsub', 'Posts a message.', publish, {
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    categories: ['pubsub'],
  }),
  command('spublish', 3, 'pubsub', 'Posts a message to a shard channel.', spublish, {
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    categories: ['pubsub'],
    keys: [1, 1, 1],
  }),
  command('pubsub', -2, 'pubsub', 'Pub/Sub introspection.', undefined, {
    subcommands: pubsubSubcommands,
    categories: ['pubsub'],
  }),
];
