// The base of every embedded handle: runs a command line through the shared dispatcher and
// shapes the reply. The typed methods live in a chain of small classes, one per command family
// (methods/*.ts), each extending the one before, ending in Shoal (index.ts).

import type { ClientState } from '../commands/client.js';
import type { Executor } from '../commands/executor.js';
import { type Argument, decodeToBuffer, decodeToString, encodeArgument } from './codec.js';
import { ReplyError, type ReplyValue, ValueReply } from './value-reply.js';

/** What a handle needs of the store behind it. */
export interface StoreLike {
  readonly executor: Executor;
  readonly handles: Set<ClientState>;
  /** Called when a client's blocked command has been answered (or a message arrived). */
  readonly outputWaiters: Map<ClientState, () => void>;
  newClient(): ClientState;
  close(): void;
}

export type Value = string | Buffer;

export class HandleBase<V extends Value = string> {
  protected readonly reply: ValueReply;
  protected closed = false;
  protected readonly returnsBuffers: boolean;

  /** @internal use open() */
  constructor(
    protected readonly store: StoreLike,
    protected readonly client: ClientState,
    returnBuffers: boolean,
  ) {
    this.returnsBuffers = returnBuffers;
    this.reply = new ValueReply(returnBuffers ? decodeToBuffer : decodeToString);
    client.reply = this.reply;
  }

  /**
   * Runs any command; resolves to what a RESP2 client receives, rejects with ReplyError. The
   * command runs at once, in call order; the promise settles when its effects are durable.
   */
  async command(name: string, ...args: Argument[]): Promise<ReplyValue> {
    return this.runBlocking(name, ...args);
  }

  /** Like run(), for commands that may block (BLPOP …): settles when the reply exists. */
  /**
   * Like run(), for commands that may block (BLPOP …): settles when the reply exists. A blocked
   * command waits on a client of its own (same database), so the handle stays usable meanwhile:
   * several blocking calls on one handle are several waiting consumers, served oldest first.
   */
  protected async runBlocking(name: string, ...args: Argument[]): Promise<ReplyValue> {
    if (this.closed) throw new ReplyError('ERR the store is closed');
    const argv = [name, ...args.map(encodeArgument)];
    if (this.client.transaction !== undefined) return this.run(name, ...args);
    const waiter = this.store.newClient();
    waiter.db = this.client.db;
    const reply = new ValueReply(this.returnsBuffers ? decodeToBuffer : decodeToString);
    waiter.reply = reply;
    try {
      this.store.executor.execute(waiter, argv, reply, Date.now());
      if (waiter.blocked !== undefined) {
        await new Promise<void>((resolve) => this.store.outputWaiters.set(waiter, resolve));
      }
    } finally {
      this.store.executor.disconnect(waiter);
      this.store.handles.delete(waiter);
    }
    const [value] = reply.takeAll();
    if (value instanceof ReplyError) throw value;
    return value ?? null;
  }

  protected run(name: string, ...args: Argument[]): ReplyValue {
    if (this.closed) throw new ReplyError('ERR the store is closed');
    const argv = [name, ...args.map(encodeArgument)];
    this.store.executor.execute(this.client, argv, this.reply, Date.now());
    const [value] = this.reply.takeAll();
    if (value instanceof ReplyError) throw value;
    return value ?? null;
  }

  protected value(name: string, ...args: Argument[]): V | null {
    return this.run(name, ...args) as V | null;
  }

  protected int(name: string, ...args: Argument[]): number {
    return Number(this.run(name, ...args));
  }

  protected values(name: string, ...args: Argument[]): (V | null)[] {
    return this.run(name, ...args) as (V | null)[];
  }
}
