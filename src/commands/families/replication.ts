// Replica group commands: ROLE, READONLY, READWRITE, WAIT (Redis's) and RAFT (Shoal's). On a
// group member the host answers them (Host.replication: the server's replica router, on this
// node); standalone they answer as a Redis without replicas or cluster support does. Declared
// here so AUTH, ACL rules and the client's protocol apply to them like to any command.

import { intArg } from '../args.js';
import type { CommandContext } from '../context.js';
import { fail } from '../errors.js';
import { command, type CommandDefinition } from '../spec.js';

const CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

function role(ctx: CommandContext): void {
  const replication = ctx.host.replication;
  if (replication !== undefined) return replication.role(ctx.client, ctx.reply);
  // A standalone master with no replicas, as Redis answers.
  ctx.reply.array(3);
  ctx.reply.bulk('master');
  ctx.reply.int(0);
  ctx.reply.array(0);
}

function readOnlyMode(readOnly: boolean) {
  return (ctx: CommandContext): void => {
    const replication = ctx.host.replication;
    if (replication === undefined) fail(CLUSTER_DISABLED);
    replication.setReadOnly(ctx.client, readOnly);
    ctx.reply.ok();
  };
}

function raft(ctx: CommandContext, argv: string[]): void {
  const replication = ctx.host.replication;
  if (replication === undefined) {
    fail('ERR this server is not a member of a replica group (shoal serve --node-id --peers)');
  }
  replication.raft(ctx.client, argv, ctx.reply);
}

/** WAIT's arguments, checked in Redis's order (the timeout, then numreplicas); throws. */
export function waitArguments(argv: readonly string[]): { wanted: number; timeout: number } {
  const timeout = intArg(argv[2], 'ERR timeout is not an integer or out of range');
  if (timeout < 0) fail('ERR timeout is negative');
  return { wanted: intArg(argv[1]), timeout };
}

/**
 * WAIT numreplicas timeout: the number of replicas holding this client's last write, once there
 * are `numreplicas` of them or the timeout (ms, 0: none) passed. Standalone there are none: 0,
 * at once for 0, else after the timeout, as a Redis master without replicas answers. In a group
 * the router answers it (it waits for followers' acknowledgements), except inside MULTI, where
 * it is queued and answers at once, as in Redis.
 */
function wait(ctx: CommandContext, argv: string[]): void {
  const { wanted, timeout } = waitArguments(argv);
  const replication = ctx.host.replication;
  const count = replication?.replicasHolding(ctx.client) ?? 0;
  // In a group the router did the waiting before the command got here.
  if (count >= wanted || ctx.inTransaction || replication !== undefined)
    return ctx.reply.int(count);
  ctx.block([], timeout, 'zero');
}

export const replicationCommands: CommandDefinition[] = [
  command('role', 1, 'server', 'The replication role of this node.', role, {
    flags: ['noscript', 'loading', 'stale', 'fast'],
    categories: ['admin', 'dangerous'],
    since: '2.8.12',
  }),
  command('readonly', 1, 'cluster', 'Possibly stale reads on this follower.', readOnlyMode(true), {
    flags: ['loading', 'stale', 'fast'],
    categories: ['connection'],
    since: '3.0.0',
  }),
  command('readwrite', 1, 'cluster', 'Reads go to the leader again.', readOnlyMode(false), {
    flags: ['loading', 'stale', 'fast'],
    categories: ['connection'],
    since: '3.0.0',
  }),
  command('wait', 3, 'generic', "Waits for replicas to hold this client's writes.", wait, {
    flags: ['noscript'],
    categories: ['slow', 'connection'],
    since: '3.0.0',
  }),
  command('raft', -2, 'server', 'Replica group status and membership.', raft, {
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: ['admin', 'dangerous'],
  }),
];
