// Keyspace notifications (notify-keyspace-events): after a command changes a key, publish
// `__keyspace@<db>__:<key>` → event and `__keyevent@<db>__:<event>` → key, for the classes the
// setting enables. Flag letters as Redis: K E g $ l s h z x e t m n d A. In a replica group they
// go through the log with the change (see notifyKeyspaceEvent).

import { Op } from '../engine/effects.js';
import type { CommandContext } from './context.js';

export const EventClass = {
  keyspace: 1 << 0, // K
  keyevent: 1 << 1, // E
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m
  module: 1 << 12, // d
  newKey: 1 << 13, // n
} as const;

const LETTERS: Record<string, number> = {
  K: EventClass.keyspace,
  E: EventClass.keyevent,
  g: EventClass.generic,
  $: EventClass.string,
  l: EventClass.list,
  s: EventClass.set,
  h: EventClass.hash,
  z: EventClass.zset,
  x: EventClass.expired,
  e: EventClass.evicted,
  t: EventClass.stream,
  m: EventClass.keyMiss,
  d: EventClass.module,
  n: EventClass.newKey,
};
const ALL =
  EventClass.generic |
  EventClass.string |
  EventClass.list |
  EventClass.set |
  EventClass.hash |
  EventClass.zset |
  EventClass.expired |
  EventClass.evicted |
  EventClass.stream |
  EventClass.module;

/** Parses the setting's letters; undefined for an invalid letter (CONFIG SET refuses it). */
export function parseEventClasses(text: string): number | undefined {
  let flags = 0;
  for (const letter of text) {
    if (letter === 'A') flags |= ALL;
    else {
      const flag = LETTERS[letter];
      if (flag === undefined) return undefined;
      flags |= flag;
    }
  }
  return flags;
}

/** Canonical text of the classes, as CONFIG GET prints them. */
export function formatEventClasses(flags: number): string {
  let text = '';
  if ((flags & ALL) === ALL) text += 'A';
  else {
    for (const letter of 'g$lshzxetd') {
      const flag = LETTERS[letter] as number;
      if ((flags & flag) !== 0) text += letter;
    }
  }
  if ((flags & EventClass.keyspace) !== 0) text += 'K';
  if ((flags & EventClass.keyevent) !== 0) text += 'E';
  if ((flags & EventClass.keyMiss) !== 0) text += 'm';
  if ((flags & EventClass.newKey) !== 0) text += 'n';
  return text;
}

/** Publishes the notification for `event` on `key` if its class is enabled. */
export function notifyKeyspaceEvent(
  ctx: CommandContext,
  eventClass: number,
  event: string,
  key: string,
  db: number = ctx.client.db,
): void {
  const executor = ctx.executor;
  const flags = executor.notifyFlags;
  if (flags === 0 || (flags & eventClass) === 0) return;
  const keyspace = (flags & EventClass.keyspace) !== 0;
  const keyevent = (flags & EventClass.keyevent) !== 0;
  if (executor.sink.logsPublish === true && eventClass !== EventClass.keyMiss) {
    // A replica group: the notification travels with the change it reports, in the same log
    // entry, and every node's subscribers get it when that commits (as PUBLISH). A key miss
    // changes nothing: it stays on the node that missed.
    if (keyspace) ctx.record([Op.Publish, 0, `__keyspace@${db}__:${key}`, event]);
    if (keyevent) ctx.record([Op.Publish, 0, `__keyevent@${db}__:${event}`, key]);
    return;
  }
  const pubsub = executor.pubsub;
  if (keyspace) pubsub.publish(`__keyspace@${db}__:${key}`, event);
  if (keyevent) pubsub.publish(`__keyevent@${db}__:${event}`, key);
}
