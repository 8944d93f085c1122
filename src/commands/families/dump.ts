// DUMP and RESTORE (cluster.c in Redis 7.0): a key's value serialized as Redis serializes it,
// and a serialized value put back. The codecs live in commands/dump/; this file owns the
// commands' arguments, checks and errors (in Redis's order), and turns a restored value into the
// same effects the engine's dumpers produce (plus its expiry), so the log, snapshots and Raft
// carry it like any other write.

import { type Effect, ExpireNone, Op } from '../../engine/effects.js';
import { HashEncoding, HashOp } from '../../engine/types/hash.js';
import { ListOp } from '../../engine/types/list.js';
import {
  SetEncoding,
  SetEncodingTracker,
  type SetEncodingCode,
} from '../../engine/types/set-encoding.js';
import { SetOp } from '../../engine/types/set.js';
import { ZsetOp } from '../../engine/types/zset.js';
import type { EncodingLimits } from '../../engine/encoding-limits.js';
import { int64Arg, isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { command, type CommandDefinition, oneKey } from '../spec.js';
import { BadPayload } from '../dump/bytes.js';
import { type DecodedValue, decodePayload, verifyPayload } from '../dump/rdb-decode.js';
import { dumpPayload, UnsupportedDump } from '../dump/rdb-encode.js';

function dump(ctx: CommandContext, argv: string[]): void {
  const value = ctx.lookup(argv[1] as string);
  if (value === undefined) return ctx.reply.nil();
  let payload: Buffer;
  try {
    payload = dumpPayload(value, {
      limits: ctx.engine.encodingLimits,
      compression: ctx.config.get('rdbcompression') === 'yes',
    });
  } catch (error) {
    if (error instanceof UnsupportedDump) fail(`ERR ${error.message}`);
    throw error;
  }
  ctx.reply.bulk(payload.toString('latin1'));
}

interface RestoreOptions {
  replace: boolean;
  absoluteTtl: boolean;
  idleSeconds: number | undefined;
  frequency: number | undefined;
}

/** The options after the payload, with Redis's errors (IDLETIME and FREQ exclude each other). */
function restoreOptions(argv: string[]): RestoreOptions {
  const options: RestoreOptions = {
    replace: false,
    absoluteTtl: false,
    idleSeconds: undefined,
    frequency: undefined,
  };
  for (let i = 4; i < argv.length; i++) {
    const more = i + 1 < argv.length;
    if (isWord(argv[i], 'REPLACE')) options.replace = true;
    else if (isWord(argv[i], 'ABSTTL')) options.absoluteTtl = true;
    else if (isWord(argv[i], 'IDLETIME') && more && options.frequency === undefined) {
      const idle = int64Arg(argv[++i]);
      if (idle < 0) fail('ERR Invalid IDLETIME value, must be >= 0');
      options.idleSeconds = Number(idle);
    } else if (isWord(argv[i], 'FREQ') && more && options.idleSeconds === undefined) {
      const frequency = int64Arg(argv[++i]);
      if (frequency < 0 || frequency > 255) {
        fail('ERR Invalid FREQ value, must be >= 0 and <= 255');
      }
      options.frequency = Number(frequency);
    } else fail(Errors.syntax);
  }
  return options;
}

/**
 * The encoding Redis 7.2's loader gives a set (rdbLoadObject): an intset payload stays one
 * unless too large; a plain set starts as an intset (or a hash table when too many for one)
 * and converts member by member, as SADD would.
 */
function restoredSetEncoding(
  members: readonly string[],
  fromIntset: boolean,
  limits: EncodingLimits,
): SetEncodingCode {
  const intsetMax = Math.min(limits.setMaxIntsetEntries, 1 << 30);
  if (fromIntset) return members.length > intsetMax ? SetEncoding.Hashtable : SetEncoding.Intset;
  const tracker = new SetEncodingTracker(
    members.length > intsetMax ? SetEncoding.Hashtable : SetEncoding.Intset,
    0,
    limits,
  );
  for (const member of members) tracker.add(member);
  return tracker.encoding;
}

/** The effects that create `value` at `key`, the same ones the engine's dumpers produce. */
function restoreEffects(
  db: number,
  key: string,
  value: DecodedValue,
  expireAtMs: number | undefined,
  limits: EncodingLimits,
): Effect[] {
  const effects: Effect[] = [];
  switch (value.type) {
    case 'string':
      return [[Op.Set, db, key, value.value, expireAtMs ?? ExpireNone]];
    case 'list':
      effects.push([ListOp.PushRight, db, key, ...value.elements]);
      break;
    case 'set': {
      const encoding = restoredSetEncoding(value.members, value.fromIntset, limits);
      effects.push([SetOp.Add, db, key, encoding, ...value.members]);
      break;
    }
    case 'hash': {
      let compact = value.pairs.length / 2 <= limits.hashMaxListpackEntries;
      for (const text of value.pairs)
        if (text.length > limits.hashMaxListpackValue) compact = false;
      const encoding = compact ? HashEncoding.Listpack : HashEncoding.Hashtable;
      effects.push([HashOp.Set, db, key, encoding, ...value.pairs]);
      break;
    }
    case 'zset': {
      const pairs: (string | number)[] = [];
      for (let i = 0; i < value.members.length; i++) {
        pairs.push(value.scores[i] as number, value.members[i] as string);
      }
      effects.push([ZsetOp.Add, db, key, ...pairs]);
      break;
    }
  }
  if (expireAtMs !== undefined) effects.push([Op.ExpireAt, db, key, expireAtMs]);
  return effects;
}

function restore(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const options = restoreOptions(argv);
  const dbIndex = ctx.client.db;
  if (!options.replace && ctx.lookup(key) !== undefined) {
    fail('BUSYKEY Target key name already exists.');
  }
  let ttl = Number(int64Arg(argv[2]));
  if (ttl < 0) fail('ERR Invalid TTL value, must be >= 0');
  const payload = Buffer.from(argv[3] as string, 'latin1');
  if (!verifyPayload(payload)) fail('ERR DUMP payload version or checksum are wrong');
  let value: DecodedValue;
  try {
    value = decodePayload(payload);
  } catch (error) {
    if (error instanceof BadPayload) fail('ERR Bad data format');
    throw error;
  }
  // REPLACE deletes whatever is there, expired or not (dbDelete), without a notification.
  const deleted = options.replace && ctx.db.has(key);
  if (deleted) ctx.emit([Op.Delete, dbIndex, key]);
  if (ttl !== 0 && !options.absoluteTtl) ttl += ctx.nowMs;
  if (ttl !== 0 && ttl <= ctx.nowMs) {
    // Expired on arrival: nothing is created; a replaced key is gone (Redis propagates a DEL).
    if (deleted) ctx.notify(EventClass.generic, 'del', key);
    return ctx.reply.ok();
  }
  const limits = ctx.engine.encodingLimits;
  for (const effect of restoreEffects(dbIndex, key, value, ttl === 0 ? undefined : ttl, limits)) {
    ctx.emit(effect);
  }
  ctx.executor.memory.restored(ctx.db, key, ctx.nowMs, options.idleSeconds, options.frequency);
  ctx.notify(EventClass.generic, 'restore', key);
  ctx.reply.ok();
}

export const dumpCommands: readonly CommandDefinition[] = [
  command('dump', 2, 'keyspace', "A key's value, serialized as Redis does.", dump, {
    flags: ['readonly'],
    keys: oneKey,
    categories: ['keyspace'],
    since: '2.6.0',
  }),
  command('restore', -4, 'keyspace', 'Creates a key from a serialized value.', restore, {
    flags: ['write', 'denyoom'],
    keys: oneKey,
    categories: ['keyspace', 'dangerous'],
    since: '2.6.0',
  }),
];
