// WATCH bookkeeping: which clients watch which keys. Told by the engine before every key change
// or database flush, it marks those clients dirty so their next EXEC fails.

import type { Engine, KeyspaceObserver } from '../engine/engine.js';
import type { ClientState } from './client.js';

function slot(db: number, key: string): string {
  return `${db}\u0000${key}`;
}

export class WatchRegistry implements KeyspaceObserver {
  private readonly watchers = new Map<string, Set<ClientState>>();

  constructor(private readonly engine: Engine) {
    engine.observers.push(this);
  }

  watch(client: ClientState, db: number, key: string, existed: boolean): void {
    const id = slot(db, key);
    let clients = this.watchers.get(id);
    if (clients === undefined) {
      clients = new Set();
      this.watchers.set(id, clients);
    }
    if (clients.has(client)) return;
    clients.add(client);
    client.watched.push({ db, key, existed });
  }

  unwatchAll(client: ClientState): void {
    for (const { db, key } of client.watched) {
      const id = slot(db, key);
      const clients = this.watchers.get(id);
      clients?.delete(client);
      if (clients?.size === 0) this.watchers.delete(id);
    }
    client.watched = [];
    client.watchDirty = false;
  }

  /** True when EXEC must fail: a watched key changed, or expired since WATCH. */
  isDirty(client: ClientState, nowMs: number): boolean {
    if (client.watchDirty) return true;
    for (const { db, key, existed } of client.watched) {
      if (existed && this.engine.database(db).isExpired(key, nowMs)) return true;
    }
    return false;
  }

  keyWillChange(db: number, key: string): void {
    if (this.watchers.size === 0) return;
    const clients = this.watchers.get(slot(db, key));
    if (clients !== undefined) for (const client of clients) client.watchDirty = true;
  }

  databaseWillChange(db: number): void {
    if (this.watchers.size === 0) return;
    // As Redis: a flush or swap touches the watched keys that exist in that database.
    const keys = this.engine.database(db).entries;
    for (const clients of this.watchers.values()) {
      for (const client of clients) {
        for (const watched of client.watched) {
          if (watched.db === db && keys.has(watched.key)) client.watchDirty = true;
        }
      }
    }
  }
}
