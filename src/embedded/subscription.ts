// Pub/sub for the embedded API: a Subscription is its own client; messages arrive as events
// ('message', 'pmessage', 'smessage') and through `for await (const m of subscription)`.

import { EventEmitter } from 'node:events';
import type { ClientState } from '../commands/client.js';
import type { Argument } from './codec.js';
import { encodeArgument } from './codec.js';
import type { StoreLike } from './handle-base.js';
import type { ReplyValue, ValueReply } from './value-reply.js';

export interface Message<V> {
  kind: 'message' | 'pmessage' | 'smessage';
  channel: V;
  message: V;
  /** The matching pattern, for 'pmessage'. */
  pattern?: V;
}

export class Subscription<V extends string | Buffer = string> extends EventEmitter {
  private readonly queue: Message<V>[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  /** @internal use Shoal.subscribe() */
  constructor(
    private readonly store: StoreLike,
    private readonly client: ClientState,
    private readonly reply: ValueReply,
  ) {
    super();
  }

  private run(name: string, args: Argument[]): void {
    this.store.executor.execute(
      this.client,
      [name, ...args.map(encodeArgument)],
      this.reply,
      Date.now(),
    );
    this.deliver();
  }

  subscribe(...channels: Argument[]): void {
    this.run('SUBSCRIBE', channels);
  }
  psubscribe(...patterns: Argument[]): void {
    this.run('PSUBSCRIBE', patterns);
  }
  ssubscribe(...channels: Argument[]): void {
    this.run('SSUBSCRIBE', channels);
  }
  unsubscribe(...channels: Argument[]): void {
    this.run('UNSUBSCRIBE', channels);
  }
  punsubscribe(...patterns: Argument[]): void {
    this.run('PUNSUBSCRIBE', patterns);
  }

  /** Moves what the reply writer collected into events; confirmations are dropped. */
  deliver(): void {
    for (const value of this.reply.takeAll()) {
      if (!Array.isArray(value)) continue;
      const message = toMessage<V>(value);
      if (message === undefined) continue;
      this.emit(message.kind, message);
      this.queue.push(message);
    }
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Message<V>, void, undefined> {
    while (!this.closed) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Ends every subscription of this client and the iteration. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.executor.disconnect(this.client);
    this.store.handles.delete(this.client);
    this.removeAllListeners();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function toMessage<V>(value: ReplyValue[]): Message<V> | undefined {
  const [kind] = value;
  const text = String(kind);
  if ((text === 'message' || text === 'smessage') && value.length === 3) {
    return { kind: text, channel: value[1] as V, message: value[2] as V };
  }
  if (text === 'pmessage' && value.length === 4) {
    return {
      kind: 'pmessage',
      pattern: value[1] as V,
      channel: value[2] as V,
      message: value[3] as V,
    };
  }
  return undefined;
}
