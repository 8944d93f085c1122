// Linearizability checker for the key-value workload, in the Wing-Gong style with Lowe's
// memoisation, as Porcupine does it: search for an order of operations consistent with both
// real time and a sequential register model. Operations touch one key each, so the history is
// checked per key (linearizability is compositional).

export type KvOperationKind = 'get' | 'put' | 'cas';

export interface KvOperation {
  readonly clientId: number;
  readonly kind: KvOperationKind;
  readonly key: number;
  /** put/cas: value written. */
  readonly value: number;
  /** cas: expected value (-1: absent). */
  readonly expected: number;
  /** get: value read (-1: absent); cas: whether it swapped; undefined: outcome unknown. */
  readonly output: number | boolean | undefined;
  readonly call: number;
  /** Infinity when the client never learned the outcome. */
  readonly ret: number;
}

export interface LinearizabilityResult {
  readonly ok: boolean;
  /** True when the search hit its step bound (inconclusive). */
  readonly timedOut: boolean;
  readonly key?: number;
  readonly operations: number;
}

interface ListNode {
  readonly operation: number; // index into ops, -1 for the head
  readonly isCall: boolean;
  match: ListNode | null; // call -> its return
  prev: ListNode | null;
  next: ListNode | null;
}

const ABSENT = -1;

/** Model step: returns the new state, or undefined if the operation cannot happen in `state`. */
function step(state: number, op: KvOperation): number | undefined {
  switch (op.kind) {
    case 'get':
      if (op.output === undefined) return state;
      return op.output === state ? state : undefined;
    case 'put':
      return op.value;
    case 'cas':
      if (op.output === undefined) return state === op.expected ? op.value : state;
      if (op.output === true) return state === op.expected ? op.value : undefined;
      return state !== op.expected ? state : undefined;
  }
}

function lift(call: ListNode): void {
  const ret = call.match as ListNode;
  (call.prev as ListNode).next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  (ret.prev as ListNode).next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: ListNode): void {
  const ret = call.match as ListNode;
  (ret.prev as ListNode).next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  (call.prev as ListNode).next = call;
  if (call.next !== null) call.next.prev = call;
}

function checkKey(ops: readonly KvOperation[], maxSteps: number): 'ok' | 'fail' | 'timeout' {
  const events: { time: number; isCall: boolean; operation: number }[] = [];
  ops.forEach((op, i) => {
    events.push({ time: op.call, isCall: true, operation: i });
    events.push({ time: op.ret, isCall: false, operation: i });
  });
  // Equal times: calls first (the more permissive reading of concurrency).
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: ListNode = { operation: -1, isCall: false, match: null, prev: null, next: null };
  const calls: ListNode[] = [];
  let last = head;
  for (const event of events) {
    const node: ListNode = {
      operation: event.operation,
      isCall: event.isCall,
      match: null,
      prev: last,
      next: null,
    };
    last.next = node;
    last = node;
    if (event.isCall) calls[event.operation] = node;
    else (calls[event.operation] as ListNode).match = node;
  }
  const words = Math.ceil(ops.length / 32) + 1;
  const linearized = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { call: ListNode; state: number }[] = [];
  let state = ABSENT;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > maxSteps) return 'timeout';
    if (entry === null) return 'fail';
    if (entry.isCall) {
      const op = ops[entry.operation] as KvOperation;
      const next = step(state, op);
      if (next !== undefined) {
        const word = entry.operation >>> 5;
        const bit = 1 << (entry.operation & 31);
        linearized[word] = (linearized[word] as number) | bit;
        const key = linearized.join(',') + '|' + next;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[word] = (linearized[word] as number) & ~bit;
      }
      entry = entry.next;
    } else {
      // A return whose call could not be linearized before it: backtrack.
      const top = stack.pop();
      if (top === undefined) return 'fail';
      state = top.state;
      const operation = top.call.operation;
      linearized[operation >>> 5] =
        (linearized[operation >>> 5] as number) & ~(1 << (operation & 31));
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return 'ok';
}

export function checkLinearizable(
  operations: readonly KvOperation[],
  maxStepsPerKey = 5_000_000,
): LinearizabilityResult {
  const byKey = new Map<number, KvOperation[]>();
  for (const op of operations) {
    // A read whose outcome is unknown constrains nothing.
    if (op.kind === 'get' && op.output === undefined) continue;
    let list = byKey.get(op.key);
    if (list === undefined) {
      list = [];
      byKey.set(op.key, list);
    }
    list.push(op);
  }
  for (const [key, ops] of [...byKey.entries()].sort((a, b) => a[0] - b[0])) {
    const verdict = checkKey(ops, maxStepsPerKey);
    if (verdict !== 'ok') {
      return { ok: false, timedOut: verdict === 'timeout', key, operations: operations.length };
    }
  }
  return { ok: true, timedOut: false, operations: operations.length };
}
