// MULTI / EXEC / DISCARD / WATCH / UNWATCH. Queued commands run at EXEC through the normal
// dispatcher; their effects form one log entry, so a transaction is atomic on replay.

import type { CommandContext } from '../context.js';
import { fail } from '../errors.js';
import { allKeys, command, type CommandDefinition } from '../spec.js';

function multi(ctx: CommandContext): void {
  if (ctx.client.transaction !== undefined) fail('ERR MULTI calls can not be nested');
  ctx.client.transaction = { queue: [], failed: false };
  ctx.reply.ok();
}

function exec(ctx: CommandContext): void {
  const client = ctx.client;
  const transaction = client.transaction;
  if (transaction === undefined) fail('ERR EXEC without MULTI');
  client.transaction = undefined;
  const dirty = ctx.executor.watches.isDirty(client, ctx.nowMs);
  ctx.executor.watches.unwatchAll(client);
  if (transaction.failed) fail('EXECABORT Transaction discarded because of previous errors.');
  if (dirty) return ctx.reply.nilArray();
  ctx.reply.array(transaction.queue.length);
  ctx.inTransaction = true;
  try {
    for (const argv of transaction.queue) ctx.execute(argv);
  } finally {
    ctx.inTransaction = false;
  }
}

function discard(ctx: CommandContext): void {
  if (ctx.client.transaction === undefined) fail('ERR DISCARD without MULTI');
  ctx.client.transaction = undefined;
  ctx.executor.watches.unwatchAll(ctx.client);
  ctx.reply.ok();
}

function watch(ctx: CommandContext, argv: string[]): void {
  if (ctx.client.transaction !== undefined) fail('ERR WATCH inside MULTI is not allowed');
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i] as string;
    const db = ctx.db;
    const existed = db.has(key) && !db.isExpired(key, ctx.nowMs);
    ctx.executor.watches.watch(ctx.client, ctx.client.db, key, existed);
  }
  ctx.reply.ok();
}

function unwatch(ctx: CommandContext): void {
  ctx.executor.watches.unwatchAll(ctx.client);
  ctx.reply.ok();
}

const control = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;

export const transactionCommands: CommandDefinition[] = [
  command('multi', 1, 'transactions', 'Starts a transaction.', multi, { flags: control }),
  command('exec', 1, 'transactions', 'Runs the queued commands.', exec, {
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
  }),
  command('discard', 1, 'transactions', 'Drops the queued commands.', discard, { flags: control }),
  command('watch', -2, 'transactions', 'Makes EXEC depend on keys.', watch, {
    flags: control,
    keys: allKeys,
  }),
  command('unwatch', 1, 'transactions', 'Forgets watched keys.', unwatch, { flags: control }),
];
