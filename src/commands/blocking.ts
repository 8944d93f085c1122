// Clients blocked in BLPOP, BLMOVE, BZPOPMIN … : which keys they wait on, in arrival order.
// Told by the engine before every key change, it remembers keys that blocked clients wait on;
// after each command the executor serves those clients by running their command again.

import type { Engine, KeyspaceObserver } from '../engine/engine.js';
import type { BlockedState, ClientState } from './client.js';

function slot(db: number, key: string): string {
  return `${db}\u0000${key}`;
}

export class BlockingRegistry implements KeyspaceObserver {
  /** Waiting clients per key, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Map<string, Set<ClientState>>();
  private readonly blockedClients = new Set<ClientState>();
  /** Keys that changed since the last time blocked clients were served. */
  private ready = new Set<string>();

  constructor(engine: Engine) {
    engine.observers.push(this);
  }

  get size(): number {
    return this.blockedClients.size;
  }

  block(client: ClientState, state: BlockedState): void {
    client.blocked = state;
    this.blockedClients.add(client);
    for (const key of state.keys) {
      const id = slot(state.db, key);
      let clients = this.waiting.get(id);
      if (clients === undefined) {
        clients = new Set();
        this.waiting.set(id, clients);
      }
      clients.add(client);
    }
  }

  unblock(client: ClientState): void {
    const state = client.blocked;
    if (state === undefined) return;
    client.blocked = undefined;
    this.blockedClients.delete(client);
    for (const key of state.keys) {
      const id = slot(state.db, key);
      const clients = this.waiting.get(id);
      clients?.delete(client);
      if (clients?.size === 0) this.waiting.delete(id);
    }
  }

  /** Clients waiting on keys that changed, in the order Redis serves them (key by key, FIFO). */
  takeReady(): ClientState[] {
    if (this.ready.size === 0) return [];
    const keys = this.ready;
    this.ready = new Set();
    const out: ClientState[] = [];
    for (const id of keys) {
      const clients = this.waiting.get(id);
      if (clients !== undefined)
        for (const client of clients) if (!out.includes(client)) out.push(client);
    }
    return out;
  }

  /** Blocked clients whose deadline has passed. */
  timedOut(nowMs: number): ClientState[] {
    const out: ClientState[] = [];
    for (const client of this.blockedClients) {
      if ((client.blocked?.deadlineMs ?? Infinity) <= nowMs) out.push(client);
    }
    return out;
  }

  find(id: number): ClientState | undefined {
    for (const client of this.blockedClients) if (client.id === id) return client;
    return undefined;
  }

  keyWillChange(db: number, key: string): void {
    if (this.waiting.size === 0) return;
    const id = slot(db, key);
    if (this.waiting.has(id)) this.ready.add(id);
  }

  databaseWillChange(db: number): void {
    if (this.waiting.size === 0) return;
    const prefix = `${db}\u0000`;
    for (const id of this.waiting.keys()) if (id.startsWith(prefix)) this.ready.add(id);
  }
}
