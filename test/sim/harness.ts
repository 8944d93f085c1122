// Helpers for the classic Raft scenarios (in the style of MIT 6.824's tests) on the
// deterministic Cluster: connect and disconnect nodes, find the one leader, and agree on one
// command ("one").
import { strict as assert } from 'node:assert';
import { StateRole } from '../../src/raft/messages.js';
import { Cluster, type ClusterOptions } from '../../src/sim/cluster.js';

export class Harness {
  readonly cluster: Cluster;
  readonly ids: number[];
  private readonly disconnected = new Set<number>();
  private sequence = 0;

  constructor(count: number, options: Partial<ClusterOptions> = {}) {
    this.ids = Array.from({ length: count }, (_, i) => i + 1);
    this.cluster = new Cluster({
      seed: 1,
      nodeIds: this.ids,
      voters: this.ids,
      raft: { electionTimeoutTicks: 10, heartbeatTimeoutTicks: 2, ...options.raft },
      ...options,
    });
  }

  get electionTicks(): number {
    return this.cluster.tuning.electionTimeoutTicks;
  }

  disconnect(id: number): void {
    this.disconnected.add(id);
    this.applyLinks();
  }

  connect(id: number): void {
    this.disconnected.delete(id);
    this.applyLinks();
  }

  isConnected(id: number): boolean {
    return !this.disconnected.has(id);
  }

  private applyLinks(): void {
    this.cluster.links.heal();
    for (const id of this.disconnected) this.cluster.links.isolate(id, this.ids);
  }

  ticks(count: number): void {
    this.cluster.ticks(count);
  }

  /** Ticks until `predicate` holds; fails after `maxTicks`. */
  tickUntil(predicate: () => boolean, maxTicks: number, what: string): void {
    for (let i = 0; i < maxTicks; i++) {
      if (predicate()) return;
      this.cluster.tick();
    }
    assert.ok(predicate(), `${what} within ${maxTicks} ticks`);
  }

  /** Leaders among connected, up nodes, by term. */
  leadersByTerm(): Map<number, number[]> {
    const byTerm = new Map<number, number[]>();
    for (const id of this.ids) {
      const raft = this.cluster.node(id).raft;
      if (raft === null || !this.isConnected(id) || raft.role !== StateRole.Leader) continue;
      const list = byTerm.get(raft.term) ?? [];
      list.push(id);
      byTerm.set(raft.term, list);
    }
    return byTerm;
  }

  /** Waits for exactly one leader in the newest term among connected nodes; returns it. */
  checkOneLeader(): number {
    for (let attempt = 0; attempt < 10; attempt++) {
      this.ticks(this.electionTicks * 3);
      const byTerm = this.leadersByTerm();
      for (const [term, leaders] of byTerm) {
        assert.ok(leaders.length <= 1, `term ${term} has leaders ${leaders.join(',')}`);
      }
      const terms = [...byTerm.keys()].sort((a, b) => b - a);
      const newest = terms[0];
      if (newest !== undefined) return (byTerm.get(newest) as number[])[0] as number;
    }
    assert.fail('expected one leader');
  }

  checkNoLeader(): void {
    assert.equal(this.leadersByTerm().size, 0, 'expected no leader among connected nodes');
  }

  /** Terms of connected nodes must agree; returns the term. */
  checkTerms(): number {
    let term = -1;
    for (const id of this.ids) {
      const raft = this.cluster.node(id).raft;
      if (raft === null || !this.isConnected(id)) continue;
      if (term === -1) term = raft.term;
      else assert.equal(raft.term, term, 'servers disagree on term');
    }
    return term;
  }

  /** How many nodes have applied `index`, and what (the checker verifies they agree). */
  nCommitted(index: number): { count: number; data: string | null } {
    let count = 0;
    for (const id of this.ids) {
      const node = this.cluster.node(id);
      if (node.raft !== null && node.machine.appliedIndex >= index) count++;
    }
    const entry = this.cluster.checker.appliedEntry(index);
    return { count, data: entry === undefined ? null : new TextDecoder().decode(entry.data) };
  }

  newCommand(): string {
    return `command-${++this.sequence}`;
  }

  /** Proposes to `leader` (or the first leader found); returns the index or 0. */
  start(command: string, leader?: number): number {
    const target = leader ?? this.findLeader();
    if (target === 0) return 0;
    const result = this.cluster.propose(target, new TextEncoder().encode(command));
    return result !== null && result.outcome === 'accepted' ? result.index : 0;
  }

  findLeader(): number {
    let best = 0;
    let bestTerm = -1;
    for (const id of this.ids) {
      const raft = this.cluster.node(id).raft;
      if (raft === null || !this.isConnected(id) || raft.role !== StateRole.Leader) continue;
      if (raft.term > bestTerm) {
        best = id;
        bestTerm = raft.term;
      }
    }
    return best;
  }

  /**
   * Gets `command` committed and applied by at least `expected` nodes, retrying through leader
   * changes when `retry` is set. Returns its index.
   */
  one(command: string, expected: number, retry: boolean, maxTicks = 2000): number {
    const deadline = this.cluster.now + maxTicks;
    while (this.cluster.now < deadline) {
      const index = this.start(command);
      if (index !== 0) {
        const waitUntil = this.cluster.now + this.electionTicks * 20;
        while (this.cluster.now < waitUntil) {
          const { count, data } = this.nCommitted(index);
          if (count >= expected && data === command) return index;
          this.cluster.tick();
        }
        if (!retry) assert.fail(`one(${command}) failed to reach agreement`);
      } else {
        this.cluster.tick();
      }
    }
    assert.fail(`one(${command}) failed to reach agreement in ${maxTicks} ticks`);
  }
}
