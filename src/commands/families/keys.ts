// Keyspace commands (db.c, expire.c): existence, deletion, renaming, copying between databases,
// scanning, and expiry times.

import { Op } from '../../engine/effects.js';
import { encodingOf, typeOf } from '../../engine/values.js';
import { globMatch } from '../../util/glob.js';
import { cursorArg, int64Arg, intArg, isWord, scanOptions } from '../args.js';
import type { CommandContext } from '../context.js';
import { EventClass } from '../notify.js';
import { Errors, fail } from '../errors.js';
import { allKeys, command, type CommandDefinition, oneKey } from '../spec.js';

function del(ctx: CommandContext, argv: string[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i] as string;
    if (ctx.lookup(key) !== undefined) {
      ctx.emit([Op.Delete, ctx.client.db, key]);
      ctx.notify(EventClass.generic, 'del', key);
      deleted++;
    }
  }
  ctx.reply.int(deleted);
}

function exists(ctx: CommandContext, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.lookup(argv[i] as string) !== undefined) count++;
  ctx.reply.int(count);
}

function type(ctx: CommandContext, argv: string[]): void {
  const value = ctx.lookup(argv[1] as string);
  ctx.reply.simple(value === undefined ? 'none' : typeOf(value));
}

function keys(ctx: CommandContext, argv: string[]): void {
  const pattern = argv[1] as string;
  const db = ctx.db;
  const all = pattern === '*';
  const found: string[] = [];
  for (const key of db.entries.keys()) {
    if ((all || globMatch(pattern, key)) && !db.isExpired(key, ctx.nowMs)) found.push(key);
  }
  ctx.reply.array(found.length);
  for (const key of found) ctx.reply.bulk(key);
}

function scan(ctx: CommandContext, argv: string[]): void {
  const cursor = cursorArg(argv[1]);
  const options = scanOptions(argv, 2, true);
  const db = ctx.db;
  const found: string[] = [];
  const next = ctx.engine.scanCursors.scan(db.entries, cursor, options.count, (key) => {
    if (options.pattern !== undefined && !globMatch(options.pattern, key)) return;
    if (db.isExpired(key, ctx.nowMs)) return;
    if (options.type !== undefined) {
      const value = db.get(key);
      if (value === undefined || typeOf(value) !== options.type) return;
    }
    found.push(key);
  });
  ctx.reply.array(2);
  ctx.reply.bulk(next);
  ctx.reply.array(found.length);
  for (const key of found) ctx.reply.bulk(key);
}

function randomkey(ctx: CommandContext): void {
  const db = ctx.db;
  // Bounded: a database whose sampled keys are all expired answers nil rather than spinning.
  for (let attempt = 0; attempt < 100 && db.size > 0; attempt++) {
    const key = db.sampleKey(ctx.random);
    if (key !== undefined && ctx.lookup(key) !== undefined) return ctx.reply.bulk(key);
  }
  ctx.reply.nil();
}

function renameFamily(onlyIfAbsent: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const source = argv[1] as string;
    const destination = argv[2] as string;
    if (ctx.lookup(source) === undefined) fail(Errors.noSuchKey);
    if (source === destination) return onlyIfAbsent ? ctx.reply.int(0) : ctx.reply.ok();
    if (onlyIfAbsent && ctx.exists(destination)) return ctx.reply.int(0);
    ctx.lookup(destination); // an expired destination is deleted as its own effect first
    ctx.emit([Op.Rename, ctx.client.db, source, destination]);
    ctx.notify(EventClass.generic, 'rename_from', source);
    ctx.notify(EventClass.generic, 'rename_to', destination);
    if (onlyIfAbsent) ctx.reply.int(1);
    else ctx.reply.ok();
  };
}

function databaseArg(ctx: CommandContext, arg: string | undefined): number {
  const index = intArg(arg);
  if (index < 0 || index >= ctx.engine.databases.length) fail(Errors.dbIndexOutOfRange);
  return index;
}

function copy(ctx: CommandContext, argv: string[]): void {
  const source = argv[1] as string;
  const destination = argv[2] as string;
  let destinationDb = ctx.client.db;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (isWord(argv[i], 'REPLACE')) replace = true;
    else if (isWord(argv[i], 'DB') && i + 1 < argv.length) {
      destinationDb = databaseArg(ctx, argv[++i]);
    } else fail(Errors.syntax);
  }
  if (destinationDb === ctx.client.db && source === destination) {
    fail('ERR source and destination objects are the same');
  }
  if (ctx.lookup(source) === undefined) return ctx.reply.int(0);
  if (ctx.lookupIn(destinationDb, destination) !== undefined && !replace) return ctx.reply.int(0);
  ctx.emit([Op.Copy, ctx.client.db, source, destinationDb, destination]);
  ctx.notify(EventClass.generic, 'copy_to', destination, destinationDb);
  ctx.reply.int(1);
}

function move(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const destinationDb = databaseArg(ctx, argv[2]);
  if (destinationDb === ctx.client.db) fail('ERR source and destination objects are the same');
  if (ctx.lookup(key) === undefined) return ctx.reply.int(0);
  if (ctx.lookupIn(destinationDb, key) !== undefined) return ctx.reply.int(0);
  ctx.emit([Op.Move, ctx.client.db, key, destinationDb]);
  ctx.notify(EventClass.generic, 'move_from', key);
  ctx.notify(EventClass.generic, 'move_to', key, destinationDb);
  ctx.reply.int(1);
}

function swapdb(ctx: CommandContext, argv: string[]): void {
  const parse = (arg: string | undefined, which: string): number => {
    const index = intArg(arg, `ERR invalid ${which} DB index`);
    if (index < 0 || index >= ctx.engine.databases.length) fail(Errors.dbIndexOutOfRange);
    return index;
  };
  const a = parse(argv[1], 'first');
  const b = parse(argv[2], 'second');
  if (a !== b) ctx.emit([Op.SwapDb, a, b]);
  ctx.reply.ok();
}

function flushMode(argv: string[]): void {
  if (
    argv.length > 2 ||
    (argv.length === 2 && !isWord(argv[1], 'ASYNC') && !isWord(argv[1], 'SYNC'))
  ) {
    fail(Errors.syntax);
  }
}

function flushdb(ctx: CommandContext, argv: string[]): void {
  flushMode(argv);
  ctx.emit([Op.FlushDb, ctx.client.db]);
  ctx.reply.ok();
}

function flushall(ctx: CommandContext, argv: string[]): void {
  flushMode(argv);
  ctx.emit([Op.FlushAll]);
  ctx.reply.ok();
}

function dbsize(ctx: CommandContext): void {
  ctx.reply.int(ctx.db.size);
}

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX / XX / GT / LT (expireGenericCommand). */
function expireFamily(name: string, unitMs: number, relative: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const key = argv[1] as string;
    const parsed = int64Arg(argv[2]);
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (let i = 3; i < argv.length; i++) {
      const word = (argv[i] as string).toUpperCase();
      if (word === 'NX') nx = true;
      else if (word === 'XX') xx = true;
      else if (word === 'GT') gt = true;
      else if (word === 'LT') lt = true;
      else fail(`ERR Unsupported option ${argv[i] as string}`);
    }
    if (nx && (xx || gt || lt)) {
      fail('ERR NX and XX, GT or LT options at the same time are not compatible');
    }
    if (gt && lt) fail('ERR GT and LT options at the same time are not compatible');
    if (typeof parsed === 'bigint') fail(Errors.invalidExpire(name));
    let at = parsed * unitMs;
    if (relative) at += ctx.nowMs;
    if (!Number.isSafeInteger(at)) fail(Errors.invalidExpire(name));
    if (ctx.lookup(key) === undefined) return ctx.reply.int(0);
    const current = ctx.db.expireAt(key);
    if (nx && current !== undefined) return ctx.reply.int(0);
    if (xx && current === undefined) return ctx.reply.int(0);
    if (gt && (current === undefined || at <= current)) return ctx.reply.int(0);
    if (lt && current !== undefined && at >= current) return ctx.reply.int(0);
    if (at <= ctx.nowMs) {
      ctx.emit([Op.Delete, ctx.client.db, key]);
      ctx.notify(EventClass.generic, 'del', key);
    } else {
      ctx.emit([Op.ExpireAt, ctx.client.db, key, at]);
      ctx.notify(EventClass.generic, 'expire', key);
    }
    ctx.reply.int(1);
  };
}

function ttlFamily(inMs: boolean, absolute: boolean) {
  return (ctx: CommandContext, argv: string[]): void => {
    const key = argv[1] as string;
    if (ctx.lookup(key) === undefined) return ctx.reply.int(-2);
    const at = ctx.db.expireAt(key);
    if (at === undefined) return ctx.reply.int(-1);
    const ms = Math.max(0, absolute ? at : at - ctx.nowMs);
    ctx.reply.int(inMs ? ms : Math.floor((ms + 500) / 1000));
  };
}

function persist(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  if (ctx.lookup(key) === undefined || ctx.db.expireAt(key) === undefined) return ctx.reply.int(0);
  ctx.emit([Op.Persist, ctx.client.db, key]);
  ctx.notify(EventClass.generic, 'persist', key);
  ctx.reply.int(1);
}

function objectOf(ctx: CommandContext, key: string) {
  // Redis's LOOKUP_NOTOUCH: asking about a key is not an access.
  const value = ctx.lookupIn(ctx.client.db, key, false);
  if (value === undefined) ctx.reply.nil();
  return value;
}

const objectHelp = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Print this help.',
];

export function replyHelp(ctx: CommandContext, lines: readonly string[]): void {
  ctx.reply.array(lines.length);
  for (const line of lines) ctx.reply.simple(line);
}

const objectSubcommands: CommandDefinition[] = [
  command(
    'encoding',
    3,
    'keyspace',
    'Internal encoding of a value.',
    (ctx, argv) => {
      const value = objectOf(ctx, argv[2] as string);
      if (value !== undefined) ctx.reply.bulk(encodingOf(value));
    },
    { flags: ['readonly'], keys: [2, 2, 1] },
  ),
  command(
    'refcount',
    3,
    'keyspace',
    'Reference count of a value.',
    (ctx, argv) => {
      const value = objectOf(ctx, argv[2] as string);
      // Redis shares small integers (refcount INT_MAX); every other value is referenced once.
      if (value !== undefined)
        ctx.reply.int(typeof value === 'number' && value >= 0 && value < 10000 ? 2147483647 : 1);
    },
    { flags: ['readonly'], keys: [2, 2, 1] },
  ),
  command(
    'idletime',
    3,
    'keyspace',
    'Seconds since the key was last used.',
    (ctx, argv) => {
      const key = argv[2] as string;
      if (objectOf(ctx, key) === undefined) return;
      if (ctx.executor.memory.lfu) {
        fail(
          'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
        );
      }
      ctx.reply.int(ctx.executor.memory.idleSeconds(ctx.db, key, ctx.nowMs));
    },
    { flags: ['readonly'], keys: [2, 2, 1] },
  ),
  command(
    'freq',
    3,
    'keyspace',
    'Access frequency of a key (LFU policies).',
    (ctx, argv) => {
      const key = argv[2] as string;
      if (objectOf(ctx, key) === undefined) return;
      if (!ctx.executor.memory.lfu) {
        fail(
          'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
        );
      }
      ctx.reply.int(ctx.executor.memory.frequency(ctx.db, key, ctx.nowMs));
    },
    { flags: ['readonly'], keys: [2, 2, 1] },
  ),
  command('help', 2, 'keyspace', 'Help for OBJECT.', (ctx) => replyHelp(ctx, objectHelp), {
    flags: ['loading', 'stale'],
  }),
];

function touch(ctx: CommandContext, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.lookup(argv[i] as string) !== undefined) count++;
  ctx.reply.int(count);
}

const keyspace = (
  flags: CommandDefinition['flags'],
  keys: readonly [number, number, number] = oneKey,
) => ({
  flags,
  keys,
  categories: ['keyspace'],
});

export const keyCommands: CommandDefinition[] = [
  command('del', -2, 'keyspace', 'Deletes keys.', del, keyspace(['write'], allKeys)),
  command(
    'unlink',
    -2,
    'keyspace',
    'Deletes keys (memory is reclaimed by the GC).',
    del,
    keyspace(['write', 'fast'], allKeys),
  ),
  command(
    'exists',
    -2,
    'keyspace',
    'Counts the keys that exist.',
    exists,
    keyspace(['readonly', 'fast'], allKeys),
  ),
  command(
    'type',
    2,
    'keyspace',
    'Type of the value at a key.',
    type,
    keyspace(['readonly', 'fast']),
  ),
  command('keys', 2, 'keyspace', 'Keys matching a pattern.', keys, {
    ...keyspace(['readonly'], [0, 0, 0]),
    categories: ['keyspace', 'dangerous'],
  }),
  command(
    'scan',
    -2,
    'keyspace',
    'Iterates over the keys.',
    scan,
    keyspace(['readonly'], [0, 0, 0]),
  ),
  command(
    'randomkey',
    1,
    'keyspace',
    'A random key.',
    randomkey,
    keyspace(['readonly'], [0, 0, 0]),
  ),
  command(
    'rename',
    3,
    'keyspace',
    'Renames a key.',
    renameFamily(false),
    keyspace(['write'], [1, 2, 1]),
  ),
  command(
    'renamenx',
    3,
    'keyspace',
    'Renames a key if the new name is free.',
    renameFamily(true),
    keyspace(['write', 'fast'], [1, 2, 1]),
  ),
  command(
    'copy',
    -3,
    'keyspace',
    'Copies a value to another key.',
    copy,
    keyspace(['write', 'denyoom'], [1, 2, 1]),
  ),
  command(
    'move',
    3,
    'keyspace',
    'Moves a key to another database.',
    move,
    keyspace(['write', 'fast']),
  ),
  command('swapdb', 3, 'keyspace', 'Swaps two databases.', swapdb, {
    ...keyspace(['write', 'fast'], [0, 0, 0]),
    categories: ['keyspace', 'dangerous'],
  }),
  command(
    'dbsize',
    1,
    'keyspace',
    'Number of keys.',
    dbsize,
    keyspace(['readonly', 'fast'], [0, 0, 0]),
  ),
  command('flushdb', -1, 'keyspace', 'Deletes every key of the database.', flushdb, {
    ...keyspace(['write'], [0, 0, 0]),
    categories: ['keyspace', 'dangerous'],
  }),
  command('flushall', -1, 'keyspace', 'Deletes every key of every database.', flushall, {
    ...keyspace(['write'], [0, 0, 0]),
    categories: ['keyspace', 'dangerous'],
  }),
  command(
    'expire',
    -3,
    'keyspace',
    'Sets a timeout in seconds.',
    expireFamily('expire', 1000, true),
    keyspace(['write', 'fast']),
  ),
  command(
    'pexpire',
    -3,
    'keyspace',
    'Sets a timeout in ms.',
    expireFamily('pexpire', 1, true),
    keyspace(['write', 'fast']),
  ),
  command(
    'expireat',
    -3,
    'keyspace',
    'Sets an expiry as a Unix time.',
    expireFamily('expireat', 1000, false),
    keyspace(['write', 'fast']),
  ),
  command(
    'pexpireat',
    -3,
    'keyspace',
    'Sets an expiry as a Unix time in ms.',
    expireFamily('pexpireat', 1, false),
    keyspace(['write', 'fast']),
  ),
  command(
    'ttl',
    2,
    'keyspace',
    'Seconds to live.',
    ttlFamily(false, false),
    keyspace(['readonly', 'fast']),
  ),
  command(
    'pttl',
    2,
    'keyspace',
    'Milliseconds to live.',
    ttlFamily(true, false),
    keyspace(['readonly', 'fast']),
  ),
  command(
    'expiretime',
    2,
    'keyspace',
    'Expiry as a Unix time.',
    ttlFamily(false, true),
    keyspace(['readonly', 'fast']),
  ),
  command(
    'pexpiretime',
    2,
    'keyspace',
    'Expiry as a Unix time in ms.',
    ttlFamily(true, true),
    keyspace(['readonly', 'fast']),
  ),
  command('persist', 2, 'keyspace', 'Removes the expiry.', persist, keyspace(['write', 'fast'])),
  command(
    'touch',
    -2,
    'keyspace',
    'Counts existing keys (and marks them used).',
    touch,
    keyspace(['readonly', 'fast'], allKeys),
  ),
  command('object', -2, 'keyspace', 'Inspects the internals of values.', undefined, {
    subcommands: objectSubcommands,
    categories: ['keyspace'],
  }),
];
