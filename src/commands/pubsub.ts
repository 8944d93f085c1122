// Pub/Sub subscriptions and message delivery. A message is written to each subscriber's own
// reply writer as a push (RESP3) or a three-element array (RESP2); the host then sends it.

import { globMatch } from '../util/glob.js';
import type { ClientState } from './client.js';
import type { Host } from './hooks.js';

export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

export class PubSubRegistry {
  readonly channels = new Map<string, Set<ClientState>>();
  readonly patterns = new Map<string, Set<ClientState>>();
  readonly shardChannels = new Map<string, Set<ClientState>>();

  constructor(private readonly host: Host) {}

  private table(kind: SubscriptionKind): Map<string, Set<ClientState>> {
    return kind === 'channel'
      ? this.channels
      : kind === 'pattern'
        ? this.patterns
        : this.shardChannels;
  }

  private own(client: ClientState, kind: SubscriptionKind): Set<string> {
    return kind === 'channel'
      ? client.channels
      : kind === 'pattern'
        ? client.patterns
        : client.shardChannels;
  }

  /** Returns false when the client already had this subscription. */
  subscribe(client: ClientState, kind: SubscriptionKind, name: string): boolean {
    const own = this.own(client, kind);
    if (own.has(name)) return false;
    own.add(name);
    const table = this.table(kind);
    let clients = table.get(name);
    if (clients === undefined) {
      clients = new Set();
      table.set(name, clients);
    }
    clients.add(client);
    return true;
  }

  unsubscribe(client: ClientState, kind: SubscriptionKind, name: string): boolean {
    const own = this.own(client, kind);
    if (!own.delete(name)) return false;
    const table = this.table(kind);
    const clients = table.get(name);
    clients?.delete(client);
    if (clients?.size === 0) table.delete(name);
    return true;
  }

  unsubscribeAll(client: ClientState): void {
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      for (const name of [...this.own(client, kind)]) this.unsubscribe(client, kind, name);
    }
  }

  /**
   * How many clients a message on `channel` would reach now, without delivering it (a replica
   * group's PUBLISH: the message is delivered when its log entry commits).
   */
  receivers(channel: string, shard = false): number {
    let count = (shard ? this.shardChannels : this.channels).get(channel)?.size ?? 0;
    if (shard) return count;
    for (const [pattern, clients] of this.patterns) {
      if (globMatch(pattern, channel)) count += clients.size;
    }
    return count;
  }

  /** Delivers a message; returns the number of clients that received it (as PUBLISH replies). */
  publish(channel: string, message: string, shard = false): number {
    let receivers = 0;
    const direct = (shard ? this.shardChannels : this.channels).get(channel);
    if (direct !== undefined) {
      for (const client of direct) {
        const reply = client.reply;
        if (reply === undefined) continue;
        reply.push(3);
        reply.bulk(shard ? 'smessage' : 'message');
        reply.bulk(channel);
        reply.bulk(message);
        this.host.clientHasOutput(client);
        receivers++;
      }
    }
    if (shard) return receivers;
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const client of clients) {
        const reply = client.reply;
        if (reply === undefined) continue;
        reply.push(4);
        reply.bulk('pmessage');
        reply.bulk(pattern);
        reply.bulk(channel);
        reply.bulk(message);
        this.host.clientHasOutput(client);
        receivers++;
      }
    }
    return receivers;
  }
}
