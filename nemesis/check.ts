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
    const result = checkLinearizable(ops, maxStepsPerKey);
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
