// The nemesis: every few seconds one of the enabled faults, held for a while, then healed.
// - partition: random halves of the founding members, or the leader cut off from the rest;
//   'blackhole' (bytes vanish, only timeouts notice) or 'reset' (connections refused).
// - kill: kill -9 of a random member or the leader; restarted later with the same directory.
// - pause: SIGSTOP of a random member or the leader; SIGCONT later.
// - membership: a fresh node (new id, empty directory) added with RAFT ADD-NODE + --join, then a
//   member other than the leader and the newcomer (an earlier newcomer if there is one, so the
//   founders behind the proxies stay) removed with RAFT REMOVE-NODE and stopped: the voter count
//   stays where it was and a majority can always form once faults heal.
// - transfer: RAFT TRANSFER-LEADER to a random other voter, asked of a random member (a follower
//   relays it), while the clients keep running.
// Faults never overlap: each is healed before the next starts.

import type { Member } from '../test/replica/cluster.js';
import type { ProxyMode } from '../test/helpers/fault-proxy.js';
import { Prng } from '../src/sim/prng.js';
import { type Group, sleep } from './group.js';

export const FAULTS = ['partition', 'kill', 'pause', 'membership', 'transfer'] as const;
export type Fault = (typeof FAULTS)[number];

export class Nemesis {
  readonly log: string[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly group: Group,
    private readonly faults: readonly Fault[],
    private readonly random: Prng,
    private readonly electionTimeoutMs: number,
    private readonly verbose: boolean,
  ) {}

  /** Runs faults until `stopped()`; every fault is healed before this returns. */
  async run(stopped: () => boolean): Promise<void> {
    if (this.faults.length === 0) return;
    await this.quiet(stopped);
    while (!stopped()) {
      const fault = this.random.pick(this.faults);
      await this.inject(fault, stopped);
      await this.quiet(stopped);
    }
  }

  private note(text: string): void {
    const line = `[${((performance.now() - this.started) / 1000).toFixed(1)}s] ${text}`;
    this.log.push(line);
    if (this.verbose) process.stderr.write(`nemesis: ${line}\n`);
  }

  /** A quiet period between faults: 1 to 4 election timeouts (at least half a second). */
  private async quiet(stopped: () => boolean): Promise<void> {
    await this.hold(Math.max(500, this.random.between(1, 4) * this.electionTimeoutMs), stopped);
  }

  /** How long a fault lasts: 2 to 8 election timeouts, cut short when the run ends. */
  private async hold(ms: number, stopped: () => boolean): Promise<void> {
    const end = performance.now() + ms;
    while (!stopped() && performance.now() < end)
      await sleep(Math.min(50, end - performance.now()));
  }

  private faultLength(): number {
    return this.random.between(2, 8) * this.electionTimeoutMs;
  }

  private async target(): Promise<Member | undefined> {
    const up = this.group.up();
    if (up.length === 0) return undefined;
    if (this.random.chance(0.5)) {
      const leader = await this.group.leader();
      if (leader !== undefined) return leader;
    }
    return this.random.pick(up);
  }

  private async inject(fault: Fault, stopped: () => boolean): Promise<void> {
    switch (fault) {
      case 'partition':
        return this.partition(stopped);
      case 'kill':
        return this.kill(stopped);
      case 'pause':
        return this.pause(stopped);
      case 'membership':
        return this.membership();
      case 'transfer':
        return this.transfer(stopped);
    }
  }

  private async partition(stopped: () => boolean): Promise<void> {
    const mode: ProxyMode = this.random.chance(0.5) ? 'blackhole' : 'reset';
    const founders = this.group.founders;
    const leader = this.random.chance(0.5) ? await this.group.leader() : undefined;
    if (leader !== undefined && founders.includes(leader.id)) {
      this.note(`partition: isolate leader ${leader.id} (${mode})`);
      this.group.mesh.isolate(leader.id, mode);
    } else {
      const shuffled = [...founders].sort(() => this.random.nextFloat() - 0.5);
      const cut = this.random.between(1, Math.max(1, Math.floor(shuffled.length / 2)));
      const sides = [shuffled.slice(0, cut), shuffled.slice(cut)];
      this.note(`partition: ${sides.map((s) => s.join(',')).join(' | ')} (${mode})`);
      this.group.mesh.partition(sides, mode);
    }
    await this.hold(this.faultLength(), stopped);
    this.group.mesh.heal();
    this.note('partition healed');
  }

  private async kill(stopped: () => boolean): Promise<void> {
    const victim = await this.target();
    if (victim === undefined) return;
    this.note(`kill -9 node ${victim.id}`);
    await this.group.kill(victim);
    await this.hold(this.faultLength(), stopped);
    await this.group.restart(victim);
    this.note(`node ${victim.id} restarted`);
  }

  private async pause(stopped: () => boolean): Promise<void> {
    const victim = await this.target();
    if (victim === undefined) return;
    this.note(`SIGSTOP node ${victim.id}`);
    this.group.pause(victim);
    await this.hold(this.faultLength(), stopped);
    this.group.resume(victim);
    this.note(`SIGCONT node ${victim.id}`);
  }

  private async transfer(stopped: () => boolean): Promise<void> {
    const leader = await this.group.leader();
    const others = this.group.up().filter((m) => m !== leader);
    if (leader === undefined || others.length === 0) return;
    const to = this.random.pick(others);
    const asked = this.random.pick(this.group.up());
    const reply = await this.group.askOne(asked, ['RAFT', 'TRANSFER-LEADER', String(to.id)], 2000);
    this.note(
      `transfer: leader ${leader.id} -> ${to.id}, asked of node ${asked.id}: ${String(reply)}`,
    );
    await this.hold(this.faultLength(), stopped);
  }

  private async membership(): Promise<void> {
    const timeoutMs = Math.max(10_000, 30 * this.electionTimeoutMs);
    const added = await this.group.addFresh(timeoutMs);
    if (added === undefined) {
      this.note('membership: a fresh node was not accepted in time (removed again)');
      return;
    }
    this.note(`membership: node ${added.id} added as a voter`);
    const leader = await this.group.leader();
    // Prefer removing a node added earlier: founders stay, so partitions keep biting.
    const candidates = this.group.members.filter((m) => m !== added && m !== leader);
    const founders = new Set(this.group.founders);
    const later = candidates.filter((m) => !founders.has(m.id));
    const pool = later.length > 0 ? later : candidates;
    const victim = pool.length > 0 ? this.random.pick(pool) : undefined;
    if (victim === undefined) return;
    const removed = await this.group.remove(victim, timeoutMs);
    this.note(
      removed
        ? `membership: node ${victim.id} removed and stopped`
        : `membership: removing node ${victim.id} did not complete in time`,
    );
  }
}
