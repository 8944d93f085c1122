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
  /** Register key currently used by each slot, and operations started on it so far. */
  private readonly slots: { key: number; operations: number }[];
  private nextKey: number;

  /**
   * `slots` register keys are in use at a time; after `operationsPerKey` operations a slot moves
   * to a fresh key (as Jepsen's independent keys do), which keeps each key's history short
   * enough for the linearizability search. Operations still running on the old key stay in its
   * history.
   */
  constructor(
    slots = 1,
    private readonly operationsPerKey = Infinity,
  ) {
    this.slots = Array.from({ length: slots }, (_, key) => ({ key, operations: 0 }));
    this.nextKey = slots;
  }

  /** The register key to use for one operation in `slot`. */
  keyFor(slot: number): number {
    const state = this.slots[slot];
    if (state === undefined) throw new Error(`no register slot ${slot}`);
    if (state.operations >= this.operationsPerKey) {
      state.key = this.nextKey++;
      state.operations = 0;
    }
    state.operations++;
    return state.key;
  }

  /** Every register key used so far. */
  get registerKeys(): number[] {
    return Array.from({ length: this.nextKey }, (_, key) => key);
  }

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
