// The simulated network: a priority queue of messages ordered by delivery tick (ties broken by
// send order), with links that can be cut one direction at a time.
import { type Message } from '../raft/messages.js';

export interface InFlight {
  readonly deliverAt: number;
  readonly sequence: number;
  readonly message: Message;
}

function before(a: InFlight, b: InFlight): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.sequence < b.sequence);
}

/** Binary min-heap of in-flight messages. */
export class MessageQueue {
  private readonly heap: InFlight[] = [];
  private sequence = 0;

  get size(): number {
    return this.heap.length;
  }

  push(message: Message, deliverAt: number): void {
    const item: InFlight = { deliverAt, sequence: this.sequence++, message };
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent] as InFlight)) break;
      heap[i] = heap[parent] as InFlight;
      i = parent;
    }
    heap[i] = item;
  }

  peek(): InFlight | undefined {
    return this.heap[0];
  }

  pop(): InFlight | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right] as InFlight, heap[left] as InFlight)) child = right;
      if (!before(heap[child] as InFlight, last)) break;
      heap[i] = heap[child] as InFlight;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }

  /** Removes every message for which `drop` returns true. */
  filter(keep: (item: InFlight) => boolean): void {
    const kept = this.heap.filter(keep);
    this.heap.length = 0;
    for (const item of kept.sort((a, b) => (before(a, b) ? -1 : 1))) this.heap.push(item);
  }
}

/** Directed link cuts between node ids (1..63). */
export class Links {
  private readonly cut = new Set<number>();

  private static key(from: number, to: number): number {
    return from * 64 + to;
  }

  blocked(from: number, to: number): boolean {
    return this.cut.size > 0 && this.cut.has(Links.key(from, to));
  }

  cutOneWay(from: number, to: number): void {
    if (from !== to) this.cut.add(Links.key(from, to));
  }

  cutBothWays(a: number, b: number): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Cuts every link between the two groups, both ways. */
  partition(groupA: readonly number[], groupB: readonly number[]): void {
    for (const a of groupA) for (const b of groupB) this.cutBothWays(a, b);
  }

  isolate(node: number, all: readonly number[]): void {
    this.partition([node], all);
  }

  heal(): void {
    this.cut.clear();
  }

  healNode(node: number, all: readonly number[]): void {
    for (const other of all) {
      this.cut.delete(Links.key(node, other));
      this.cut.delete(Links.key(other, node));
    }
  }

  get cutCount(): number {
    return this.cut.size;
  }
}
