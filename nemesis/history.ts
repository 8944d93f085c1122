// The record of everything the nemesis clients did: register operations in the checker's shape
// (src/sim/linearizability.ts: numbers for keys and values, -1 for absent, ret = Infinity when
// the outcome is unknown) and the list-append workload (which elements were acknowledged,
// which were attempted with an unknown outcome). Times come from one monotonic clock.

import type { KvOperation } from '../src/sim/linearizability.js';

export const ABSENT = -1;

/** Milliseconds on the monotonic clock (never goes back, unlike Date.now). */
export function now(): number {
  return performance.now();
}

/** The value a client writes is `v<n>`, unique in the run; the checker sees n. */
export function valueText(value: number): string {
  return `v${value}`;
}

export class History {
  readonly operations: KvOperation[] = [];
  /** Elements of each list key whose RPUSH was acknowledged. */
  readonly acknowledged = new Map<string, Set<string>>();
  /** Elements of each list key that were sent, acknowledged or not. */
  readonly attempted = new Map<string, Set<string>>();
  /** Replies that fit no model (a read of a value nobody wrote, a bad EXEC reply ...). */
  readonly anomalies: string[] = [];
  private nextValue = 0;
  private nextElement = 0;

  freshValue(): number {
    return this.nextValue++;
  }

  freshElement(): string {
    return `e${this.nextElement++}`;
  }

  record(operation: KvOperation): void {
    this.operations.push(operation);
  }

  /** The number a GET reply stands for: -1 absent, n for `v<n>`; anything else is an anomaly. */
  readValue(key: number, reply: unknown): number | undefined {
    if (reply === null) return ABSENT;
    if (typeof reply === 'string') {
      const match = /^v(\d+)$/.exec(reply);
      if (match !== null && Number(match[1]) < this.nextValue) return Number(match[1]);
    }
    this.anomalies.push(`register ${key}: read ${String(reply)}, a value nobody wrote`);
    return undefined;
  }

  attempt(list: string, element: string): void {
    setOf(this.attempted, list).add(element);
  }

  acknowledge(list: string, element: string): void {
    setOf(this.acknowledged, list).add(element);
  }

  counts(): { registerOps: number; appendOps: number; unknown: number } {
    let appendOps = 0;
    for (const elements of this.attempted.values()) appendOps += elements.size;
    return {
      registerOps: this.operations.length,
      appendOps,
      unknown: this.operations.filter((op) => op.ret === Infinity).length,
    };
  }
}

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
