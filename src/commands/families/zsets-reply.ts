// Reply shapes shared by the sorted set commands, and the effects that write a whole new set.
// Member/score lists are flat in RESP2 and [member, score] pairs in RESP3, as Redis sends them.

import { type CollectionEffect, Op } from '../../engine/effects.js';
import { ZsetOp } from '../../engine/types/zset.js';
import type { CommandContext } from '../context.js';
import { EventClass } from '../notify.js';

/** Opens the reply for `count` members, with or without their scores. */
export function beginMembers(ctx: CommandContext, count: number, withScores: boolean): void {
  ctx.reply.array(withScores && ctx.reply.protocol === 2 ? count * 2 : count);
}

/** One member of a list opened with `beginMembers`. */
export function replyMember(
  ctx: CommandContext,
  member: string,
  score: number,
  withScores: boolean,
): void {
  if (!withScores) return ctx.reply.bulk(member);
  if (ctx.reply.protocol === 3) ctx.reply.array(2);
  ctx.reply.bulk(member);
  ctx.reply.double(score);
}

/**
 * Replaces `key` with a new sorted set holding the given pairs (ZRANGESTORE, Z*STORE): deletes
 * what was there, then adds the pairs as one effect (applied as a bulk build); with no pairs the
 * key just ends up absent. Notifies `event` for a stored set, "del" when an empty result deleted
 * the key.
 */
export function storeSortedSet(
  ctx: CommandContext,
  key: string,
  scores: readonly number[],
  members: readonly string[],
  event: string,
): void {
  const db = ctx.client.db;
  const existed = ctx.exists(key);
  if (existed) ctx.emit([Op.Delete, db, key]);
  if (members.length === 0) {
    if (existed) ctx.notify(EventClass.generic, 'del', key);
    return;
  }
  const effect: CollectionEffect = [ZsetOp.Add, db, key];
  for (let i = 0; i < members.length; i++) effect.push(scores[i] as number, members[i] as string);
  ctx.emit(effect);
  ctx.notify(EventClass.zset, event, key);
}
