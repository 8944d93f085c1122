// The base of every embedded handle: runs a command line through the shared dispatcher and
// shapes the reply. The typed methods live in a chain of small classes, one per command family
// (methods/*.ts), each extending the one before, ending in Shoal (index.ts).

import type { ClientState } from '../commands/client.js';
import type { Executor } from '../commands/executor.js';
import { type Argument, decodeToBuffer, decodeToString, encodeArgument } from './codec.js';
import { ReplyError, type ReplyValue, ValueReply } from './value-reply.js';

/** What a handle needs of the store's log to settle promises only once writes are durable. */
export interface DurabilityLike {
  readonly lastAppendedSequence: number;
  readonly lastDurableSequence: number;
  /** appendfsync always: a promise settles after fsync; otherwise at once. */
  readonly acknowledgeAfterSync: boolean;
  whenDurable(sequence: number, callback: () => void): void;
}

/** What a handle needs of the store behind it. */
export interface StoreLike {
  readonly executor: Executor;
  readonly handles: Set<ClientState>;
  /** Called when a client's blocked command has been answered (or a message arrived). */
  readonly outputWaiters: Map<ClientState, () => void>;
  /** The log, when the store keeps one. */
  readonly durability?: DurabilityLike | undefined;
  newClient(): ClientState;
  close(): void | Promise<void>;
}

export type Value = string | Buffer;

export class HandleBase<V extends Value = string> {
  protected readonly reply: ValueReply;
  protected closed = false;
  protected readonly returnsBuffers: boolean;
  /** The log sequence after the last command this handle ran (its promise waits for it). */
  protected lastSequence = 0;

  /** @internal use open() */
  constructor(
    protected readonly store: StoreLike,
    protected readonly client: ClientState,
    returnBuffers: boolean,
  ) {
    this.returnsBuffers = returnBuffers;
    this.reply = new ValueReply(returnBuffers ? decodeToBuffer : decodeToString);
    client.reply = this.reply;
    settleAfterDurable(new.target.prototype as object);
  }

  /** @internal `result` (a method's promise), settled only once this handle's writes are durable. */
  afterDurable<T>(result: T): T {
    const durability = this.store.durability;
    if (!(result instanceof Promise) || durability === undefined) return result;
    if (!durability.acknowledgeAfterSync) return result;
    const sequence = this.lastSequence;
    if (sequence <= durability.lastDurableSequence) return result;
    return result.then((value: unknown) => this.durable(sequence).then(() => value)) as T;
  }

  /** Resolves once log entry `sequence` is durable (at once without a log, or unless `always`). */
  private durable(sequence: number): Promise<void> {
    const durability = this.store.durability;
    if (durability === undefined || !durability.acknowledgeAfterSync) return Promise.resolve();
    if (sequence <= durability.lastDurableSequence) return Promise.resolve();
    return new Promise((resolve) => durability.whenDurable(sequence, resolve));
  }

  /**
   * Runs any command; resolves to what a RESP2 client receives, rejects with ReplyError. The
   * command runs at once, in call order; the promise settles when its effects are durable.
   */
  async command(name: string, ...args: Argument[]): Promise<ReplyValue> {
    return this.runBlocking(name, ...args);
  }

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
      this.lastSequence = this.store.durability?.lastAppendedSequence ?? 0;
      if (waiter.blocked !== undefined) {
        await new Promise<void>((resolve) => this.store.outputWaiters.set(waiter, resolve));
        // Served later: its effects were appended then, so wait for them here.
        await this.durable(this.store.durability?.lastAppendedSequence ?? 0);
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
    // Everything appended up to now, others' writes included: a reply never shows a write that
    // could still be lost.
    this.lastSequence = this.store.durability?.lastAppendedSequence ?? 0;
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

/** Methods that return no command's promise, or that must not wait. */
const NOT_WRAPPED = new Set([
  'constructor',
  'run',
  'value',
  'int',
  'values',
  'afterDurable',
  'close',
  'withBuffers',
]);
const wrappedPrototypes = new WeakSet<object>();

/**
 * Makes every typed method's promise (on every class of the handle chain, whoever adds it)
 * settle only once the command's log entries are durable (under appendfsync always). The method
 * runs as before, at once and in call order; only its promise waits. Done once per prototype.
 */
function settleAfterDurable(prototype: object): void {
  for (
    let proto: object | null = prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    if (wrappedPrototypes.has(proto)) continue;
    wrappedPrototypes.add(proto);
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (NOT_WRAPPED.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      const original: unknown = descriptor?.value;
      if (descriptor === undefined || typeof original !== 'function') continue;
      // Async generators (scan) yield as they go: their reads wait for nothing.
      if (original.constructor.name === 'AsyncGeneratorFunction') continue;
      const method = original as (...args: unknown[]) => unknown;
      Object.defineProperty(proto, name, {
        ...descriptor,
        value: function (this: HandleBase, ...args: unknown[]): unknown {
          return this.afterDurable(method.apply(this, args));
        },
      });
    }
  }
}
