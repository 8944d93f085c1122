// Safety checkers fed by the simulator as nodes persist, commit and apply. Each throws
// SafetyViolation at the first breach, naming the property.
import { type Entry } from '../raft/messages.js';

export type PropertyName =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'snapshot-consistency';

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
  constructor(
    readonly property: PropertyName,
    message: string,
  ) {
    super(`${property}: ${message}`);
  }
}

/** Read-only view of a node's log, as the checkers need it. */
export interface LogView {
  term(index: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
}

interface EntryRecord {
  readonly term: number;
  readonly entry: Entry;
  readonly previousTerm: number | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameEntry(a: Entry, b: Entry): boolean {
  return a === b || (a.term === b.term && a.type === b.type && sameBytes(a.data, b.data));
}

export class SafetyChecker {
  /** term -> the leader of that term. */
  private readonly leaders = new Map<number, number>();
  /** index -> term of the entry committed there. */
  private readonly committedTerms: number[] = [];
  /** index -> lowest node term at which the commit was observed (>= the committing term). */
  private readonly committedObservedTerm: number[] = [];
  private maxCommitted = 0;
  /** index -> records of every (index, term) ever persisted anywhere. */
  private readonly persisted = new Map<number, EntryRecord[]>();
  /** index -> the entry applied there (first node to apply it). */
  private readonly applied: (Entry | undefined)[] = [];
  private readonly snapshotDigests = new Map<number, string>();
  leaderElections = 0;

  leaderOf(term: number): number | undefined {
    return this.leaders.get(term);
  }

  committedIndex(): number {
    return this.maxCommitted;
  }

  appliedEntry(index: number): Entry | undefined {
    return this.applied[index];
  }

  /** Election safety and leader completeness, when `nodeId` becomes leader of `term`. */
  onLeader(nodeId: number, term: number, log: LogView, leaderCommit: number): void {
    this.leaderElections++;
    const previous = this.leaders.get(term);
    if (previous !== undefined && previous !== nodeId) {
      throw new SafetyViolation(
        'election-safety',
        `two leaders in term ${term}: ${previous} and ${nodeId}`,
      );
    }
    this.leaders.set(term, nodeId);
    // Entries committed in earlier terms must all be in the new leader's log (§5.4).
    const first = Math.max(leaderCommit + 1, log.firstIndex());
    for (let index = first; index <= this.maxCommitted; index++) {
      const observed = this.committedObservedTerm[index];
      if (observed === undefined || observed >= term) continue;
      const has = log.term(index);
      if (has !== this.committedTerms[index]) {
        throw new SafetyViolation(
          'leader-completeness',
          `leader ${nodeId} of term ${term} has term ${String(has)} at index ${index}, ` +
            `but term ${String(this.committedTerms[index])} was committed there by term ${observed}`,
        );
      }
    }
  }

  /**
   * Log matching: (index, term) identifies one entry and, inductively, the whole prefix.
   * `previousTerm` is the term of the node's entry at index - 1 (undefined if compacted).
   */
  onPersisted(nodeId: number, entry: Entry, previousTerm: number | undefined): void {
    let records = this.persisted.get(entry.index);
    if (records === undefined) {
      records = [];
      this.persisted.set(entry.index, records);
    }
    for (const record of records) {
      if (record.term !== entry.term) continue;
      if (!sameEntry(record.entry, entry)) {
        throw new SafetyViolation(
          'log-matching',
          `node ${nodeId} has a different entry at index ${entry.index} term ${entry.term}`,
        );
      }
      if (
        previousTerm !== undefined &&
        record.previousTerm !== undefined &&
        previousTerm !== record.previousTerm
      ) {
        throw new SafetyViolation(
          'log-matching',
          `node ${nodeId}: entries at ${entry.index}/${entry.term} follow different terms ` +
            `(${previousTerm} vs ${record.previousTerm})`,
        );
      }
      return;
    }
    records.push({ term: entry.term, entry, previousTerm });
  }

  /** A node (at `nodeTerm`) now knows entries up to `commit` are committed. */
  onCommitted(nodeId: number, nodeTerm: number, from: number, commit: number, log: LogView): void {
    for (let index = Math.max(from, log.firstIndex()); index <= commit; index++) {
      const term = log.term(index);
      if (term === undefined) continue;
      const known = this.committedTerms[index];
      if (known === undefined) {
        this.committedTerms[index] = term;
        this.committedObservedTerm[index] = nodeTerm;
      } else if (known !== term) {
        throw new SafetyViolation(
          'state-machine-safety',
          `node ${nodeId} committed term ${term} at index ${index}, where term ${known} was committed`,
        );
      } else if (nodeTerm < (this.committedObservedTerm[index] as number)) {
        this.committedObservedTerm[index] = nodeTerm;
      }
    }
    if (commit > this.maxCommitted) this.maxCommitted = commit;
  }

  /** State-machine safety: every node applies the same entry at each index. */
  onApplied(nodeId: number, entry: Entry): void {
    const first = this.applied[entry.index];
    if (first === undefined) {
      this.applied[entry.index] = entry;
      return;
    }
    if (!sameEntry(first, entry)) {
      throw new SafetyViolation(
        'state-machine-safety',
        `node ${nodeId} applied term ${entry.term} at index ${entry.index}, ` +
          `another node applied term ${first.term} there`,
      );
    }
  }

  /** Snapshots taken at one index by different nodes must hold the same state. */
  onSnapshot(nodeId: number, index: number, digest: string): void {
    const known = this.snapshotDigests.get(index);
    if (known === undefined) this.snapshotDigests.set(index, digest);
    else if (known !== digest) {
      throw new SafetyViolation(
        'snapshot-consistency',
        `node ${nodeId} snapshot at ${index} differs (${digest} vs ${known})`,
      );
    }
  }
}
