// Pub/sub across a replica group: a PUBLISH is an Op.Publish effect in a log entry, and every
// node hands the messages of each entry to its own subscribers when the entry commits, in log
// order, once. This module owns that bookkeeping for ReplicaNode: the leader's own entries are
// already in its engine (applied speculatively), so their messages wait here until commit; the
// entries other nodes apply arrive decoded. See docs/REPLICATION.md ("Pub/sub").

import { Op, type LogEntry } from '../engine/effects.js';

/** Hands one message to this node's subscribers. */
export type DeliverMessage = (channel: string, message: string, shard: boolean) => void;

interface Pending {
  readonly index: number;
  readonly messages: LogEntry['effects'][number][];
}

export class PublishDelivery {
  /** The leader's own proposals holding messages, ascending by index, not yet committed. */
  private pending: Pending[] = [];

  /**
   * @param deliver where messages go (undefined: nowhere; the node keeps nothing)
   * @param committedBeforeStart entries up to this index committed before this process started:
   *   their messages were delivered by an earlier run, so replaying them delivers nothing.
   */
  constructor(
    private readonly deliver: DeliverMessage | undefined,
    private readonly committedBeforeStart: number,
  ) {}

  /** The leader proposed `entry` at `index` (its effects are in the engine already). */
  proposed(index: number, entry: LogEntry): void {
    if (this.deliver === undefined) return;
    let messages: LogEntry['effects'] | undefined;
    for (const effect of entry.effects) {
      if (effect[0] === Op.Publish) (messages ??= []).push(effect);
    }
    if (messages === undefined) return;
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && last.index > index)
      throw new Error(`publish: proposal ${index} after ${last.index}`);
    // Commands of one batch share an index (replica/node.ts BATCH_ENTRY).
    if (last !== undefined && last.index === index) last.messages.push(...messages);
    else this.pending.push({ index, messages });
  }

  /** The leader's own entries up to `index` committed (each delivered once, in order). */
  committedOwn(index: number): void {
    while (this.pending.length > 0 && (this.pending[0] as Pending).index <= index) {
      this.send((this.pending.shift() as Pending).messages);
    }
  }

  /** An entry decoded and applied to the engine at commit (a follower, or a leader catching up). */
  applied(index: number, entry: LogEntry): void {
    if (this.deliver === undefined || index <= this.committedBeforeStart) return;
    let messages: LogEntry['effects'] | undefined;
    for (const effect of entry.effects) {
      if (effect[0] === Op.Publish) (messages ??= []).push(effect);
    }
    if (messages !== undefined) this.send(messages);
  }

  /**
   * The engine was rebuilt from the committed log: speculative entries are gone (if they commit
   * after all, they arrive again through applied()).
   */
  dropSpeculative(): void {
    this.pending = [];
  }

  private send(messages: LogEntry['effects']): void {
    const deliver = this.deliver as DeliverMessage;
    for (const effect of messages) {
      deliver(effect[2] as string, effect[3] as string, effect[1] === 1);
    }
  }
}
