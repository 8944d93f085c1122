// Persistence commands: SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF, LASTSAVE. The work is done by
// src/persist through the host (Host.persistence); with nothing kept on disk (appendonly no, or
// an embedded store without a directory) the snapshot commands say so.

import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import type { ControlReply, PersistenceControl } from '../hooks.js';
import { command, type CommandDefinition } from '../spec.js';

const NOTHING_ON_DISK = 'ERR persistence is off (appendonly no): nothing is kept on disk';

function control(ctx: CommandContext): PersistenceControl {
  const persistence = ctx.host.persistence;
  if (persistence === undefined) fail(NOTHING_ON_DISK);
  return persistence;
}

function reply(ctx: CommandContext, result: ControlReply): void {
  if ('error' in result) fail(result.error);
  ctx.reply.simple(result.status);
}

function save(ctx: CommandContext): void {
  const error = control(ctx).save();
  if (error !== undefined) fail(error);
  ctx.reply.ok();
}

function bgsave(ctx: CommandContext, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && isWord(argv[1], 'SCHEDULE')) schedule = true;
    else fail(Errors.syntax);
  }
  reply(ctx, control(ctx).bgsave(schedule));
}

function bgrewriteaof(ctx: CommandContext): void {
  reply(ctx, control(ctx).bgrewriteaof());
}

function lastsave(ctx: CommandContext): void {
  const persistence = ctx.host.persistence;
  ctx.reply.int(
    persistence === undefined
      ? Math.floor(ctx.host.startedAtMs / 1000)
      : persistence.lastSaveTimeSeconds(),
  );
}

const admin = { flags: ['admin', 'noscript'], categories: ['admin', 'dangerous'] } as const;

export const persistenceCommands: CommandDefinition[] = [
  command('save', 1, 'server', 'Synchronously saves the database(s) to disk.', save, {
    flags: ['admin', 'noscript', 'no_multi'],
    categories: ['admin', 'dangerous'],
  }),
  command('bgsave', -1, 'server', 'Asynchronously saves the database(s) to disk.', bgsave, {
    ...admin,
    since: '1.0.0',
  }),
  command(
    'bgrewriteaof',
    1,
    'server',
    'Asynchronously rewrites the append-only file to disk.',
    bgrewriteaof,
    admin,
  ),
  command(
    'lastsave',
    1,
    'server',
    'Returns the Unix timestamp of the last successful save to disk.',
    lastsave,
    {
      flags: ['loading', 'stale', 'fast'],
      categories: ['admin', 'dangerous'],
    },
  ),
];
