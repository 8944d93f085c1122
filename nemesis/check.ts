// Checks a finished nemesis run: linearizability of each register key's history (the Wing-Gong/
// Lowe search of src/sim/linearizability.ts; a search that hits its step bound is inconclusive,
// never a pass), and for the list-append workload: every acknowledged element present at the end
// (else it is lost), no element twice (a write applied twice), none that nobody sent, and every
// member holding exactly the same lists (no divergence).

import { checkLinearizable, type KvOperation } from '../src/sim/linearizability.js';
import type { History } from './history.js';

export interface CheckResult {
  readonly violations: number;
  readonly lost: number;
  readonly inconclusive: number;
  readonly details: string[];
}

/** Final contents of each list key, as one member holds them. */
export type Lists = Map<string, string[]>;

export function checkRun(
  history: History,
  leaderLists: Lists,
  memberLists: Map<number, Lists>,
  maxStepsPerKey: number,
): CheckResult {
  const details: string[] = [];
  let violations = 0;
  let inconclusive = 0;
  const byKey = new Map<number, KvOperation[]>();
  for (const op of history.operations) {
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  for (const [key, ops] of [...byKey].sort((a, b) => a[0] - b[0])) {
    const result = checkLinearizable(withoutUnobservedUnknownWrites(ops), maxStepsPerKey);
    if (result.ok) continue;
    if (result.timedOut) {
      inconclusive++;
      details.push(`register r${key}: search inconclusive after ${maxStepsPerKey} steps`);
    } else {
      violations++;
      details.push(`register r${key}: NOT linearizable (${ops.length} operations)`);
    }
  }
  for (const anomaly of history.anomalies) {
    violations++;
    details.push(anomaly);
  }
  let lost = 0;
  for (const [list, attempted] of history.attempted) {
    const final = leaderLists.get(list) ?? [];
    const present = new Set(final);
    for (const element of history.acknowledged.get(list) ?? [])
      if (!present.has(element)) {
        lost++;
        details.push(`list ${list}: acknowledged ${element} is missing`);
      }
    if (present.size !== final.length) {
      violations++;
      details.push(`list ${list}: some element appears twice`);
    }
    for (const element of present)
      if (!attempted.has(element)) {
        violations++;
        details.push(`list ${list}: ${element} was never sent`);
      }
  }
  for (const [id, lists] of memberLists)
    for (const [list, final] of leaderLists) {
      const mine = lists.get(list) ?? [];
      if (mine.join(' ') !== final.join(' ')) {
        violations++;
        details.push(
          `list ${list}: node ${id} holds ${mine.length} elements, differing from the leader's ${final.length}`,
        );
      }
    }
  return { violations, lost, inconclusive, details };
}

/**
 * Drops the writes (put, cas) whose outcome is unknown and whose value nobody observed: no read
 * returned it and no cas expected it. Sound, and it keeps the search from trying every subset of
 * such writes at every point: an unknown write may be linearized at the very end (its return is
 * at infinity), and moving all of them there changes no state any other operation depends on. A
 * read or a cas that swapped sees an observed value, so never one of theirs; an unknown cas that
 * stays must have swapped (its value was observed, and only it writes that value), so it too saw
 * its expected, observed value. Values are unique per write, so "observed" is exact.
 */
export function withoutUnobservedUnknownWrites(ops: readonly KvOperation[]): KvOperation[] {
  const observed = new Set<number>();
  for (const op of ops) {
    if (op.kind === 'get' && typeof op.output === 'number') observed.add(op.output);
    if (op.kind === 'cas') observed.add(op.expected);
  }
  return ops.filter((op) => op.kind === 'get' || op.ret !== Infinity || observed.has(op.value));
}
