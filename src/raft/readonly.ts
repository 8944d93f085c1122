// ReadIndex bookkeeping on the leader: each request remembers the commit index when it arrived
// and which voters confirmed leadership (via heartbeat replies carrying its context).
import { type Message } from './messages.js';

export interface ReadIndexStatus {
  readonly request: Message;
  readonly index: number;
  readonly acks: Map<number, boolean>;
}

export function contextKey(context: Uint8Array): string {
  let key = '';
  for (let i = 0; i < context.length; i++) key += String.fromCharCode(context[i] as number);
  return key;
}

export class ReadOnlyQueue {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(readonly maxPending: number) {}

  size(): number {
    return this.queue.length;
  }

  /** Returns false when the queue is full or the context is already pending. */
  add(index: number, request: Message): boolean {
    const context = request.context;
    if (context === null || this.queue.length >= this.maxPending) return false;
    const key = contextKey(context);
    if (this.pending.has(key)) return false;
    this.pending.set(key, { request, index, acks: new Map() });
    this.queue.push(key);
    return true;
  }

  recordAck(from: number, context: Uint8Array): Map<number, boolean> | undefined {
    const status = this.pending.get(contextKey(context));
    if (status === undefined) return undefined;
    status.acks.set(from, true);
    return status.acks;
  }

  /** Removes and returns every request up to and including the one for `context`. */
  releaseThrough(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const position = this.queue.indexOf(key);
    if (position < 0) return [];
    const released: ReadIndexStatus[] = [];
    for (let i = 0; i <= position; i++) {
      const queued = this.queue[i] as string;
      const status = this.pending.get(queued);
      if (status !== undefined) released.push(status);
      this.pending.delete(queued);
    }
    this.queue = this.queue.slice(position + 1);
    return released;
  }

  lastContext(): Uint8Array | null {
    const key = this.queue[this.queue.length - 1];
    if (key === undefined) return null;
    return this.pending.get(key)?.request.context ?? null;
  }

  clear(): void {
    this.pending.clear();
    this.queue = [];
  }
}
