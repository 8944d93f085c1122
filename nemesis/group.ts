// The replica group under test: real `shoal serve` processes (test/replica/cluster.ts), the
// founding members started behind the fault proxies (test/helpers/fault-proxy.ts), plus what the
// nemesis does to processes: kill -9 and restart with the same directory, SIGSTOP/SIGCONT, and
// membership (a fresh node added with RAFT ADD-NODE + --join, a member removed with RAFT
// REMOVE-NODE and stopped). Nodes added later are not behind the proxies (the proxy mesh is built
// once for the founders), so partitions only cut traffic between founding members.

import { ProxyMesh } from '../test/helpers/fault-proxy.js';
import { waitFor } from '../test/helpers/servers.js';
import { Cluster, type Member } from '../test/replica/cluster.js';
import { NemesisConnection } from './connection.js';

export type MemberState = 'up' | 'killed' | 'paused';

export type Status = Record<string, string>;

export class Group {
  readonly cluster: Cluster;
  private readonly states = new Map<Member, MemberState>();
  /** The output of members' earlier processes (kept across restarts, for logCounts). */
  private readonly earlierOutput: string[] = [];
  /** How each member is (re)started: its --peers and extra flags. */
  private readonly launch = new Map<Member, { peers: string; extra: string[] }>();
  private nextId: number;
  private readonly founderCount: number;

  private constructor(
    readonly electionTimeoutMs: number,
    readonly mesh: ProxyMesh,
    cluster: Cluster,
    /** Flags every node is started with (`--raft-snapshot-entries N`). */
    private readonly nodeFlags: readonly string[],
  ) {
    this.cluster = cluster;
    this.founderCount = cluster.members.length;
    this.nextId = this.founderCount + 1;
  }

  /**
   * Starts the founders. freePort() hands out ports that are free now, and a proxy listening on
   * an ephemeral port may take one before its node binds it (EADDRINUSE): then everything is
   * stopped and started again on fresh ports, a few times.
   */
  static async start(
    nodes: number,
    electionTimeoutMs: number,
    nodeFlags: readonly string[] = [],
  ): Promise<Group> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Group.startOnce(nodes, electionTimeoutMs, nodeFlags);
      } catch (error) {
        if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
      }
    }
  }

  private static async startOnce(
    nodes: number,
    electionTimeoutMs: number,
    nodeFlags: readonly string[],
  ): Promise<Group> {
    const cluster = new Cluster(electionTimeoutMs);
    let mesh: ProxyMesh | undefined;
    try {
      for (let id = 1; id <= nodes; id++) await cluster.add(id);
      // A copy: the proxies are for the founders, while cluster.members changes with membership.
      mesh = await ProxyMesh.create([...cluster.members]);
      const group = new Group(electionTimeoutMs, mesh, cluster, nodeFlags);
      for (const member of cluster.members)
        group.launch.set(member, { peers: mesh.peersFor(member.id), extra: [...nodeFlags] });
      await Promise.all(cluster.members.map((member) => group.restart(member)));
      return group;
    } catch (error) {
      await cluster.stopAll();
      await mesh?.close();
      throw error;
    }
  }

  /** Current members (removed ones are gone from the list). */
  get members(): readonly Member[] {
    return this.cluster.members;
  }

  get founders(): number[] {
    return this.members.filter((m) => m.id <= this.founderCount).map((m) => m.id);
  }

  state(member: Member): MemberState {
    return this.states.get(member) ?? 'killed';
  }

  /**
   * From the nodes' logs: Raft snapshots every node wrote, leader's snapshots installed, and
   * engines rebuilt by deposed leaders that held entries never committed.
   */
  logCounts(): { written: number; installed: number; rebuilt: number } {
    const logs = [...this.earlierOutput, ...this.cluster.members.map((m) => m.output)].join('');
    return {
      written: logs.match(/ Raft snapshot at /g)?.length ?? 0,
      installed: logs.match(/installed the leader's snapshot/g)?.length ?? 0,
      rebuilt: logs.match(/rebuilt the dataset/g)?.length ?? 0,
    };
  }

  /** Members whose process runs and is not stopped. */
  up(): Member[] {
    return this.members.filter((m) => this.state(m) === 'up');
  }

  async restart(member: Member): Promise<void> {
    const launch = this.launch.get(member);
    if (launch === undefined) throw new Error(`node ${member.id} has no launch settings`);
    this.earlierOutput.push(member.output); // (a start begins the member's output afresh)
    await this.cluster.start(member, launch.peers, launch.extra);
    this.states.set(member, 'up');
  }

  async kill(member: Member): Promise<void> {
    this.states.set(member, 'killed');
    if (member.child !== undefined && member.child.signalCode === 'SIGSTOP')
      member.child.kill('SIGCONT');
    await this.cluster.stop(member, 'SIGKILL');
  }

  pause(member: Member): void {
    if (member.child === undefined) return;
    member.child.kill('SIGSTOP');
    this.states.set(member, 'paused');
  }

  resume(member: Member): void {
    if (member.child === undefined || this.state(member) !== 'paused') return;
    member.child.kill('SIGCONT');
    this.states.set(member, 'up');
  }

  /** RAFT STATUS of one member, or undefined if it does not answer in time. */
  async status(member: Member, timeoutMs = 1000): Promise<Status | undefined> {
    if (this.state(member) !== 'up') return undefined;
    const connection = await NemesisConnection.open(member.clientPort, timeoutMs);
    if (connection === undefined) return undefined;
    try {
      const reply = await connection.call(['RAFT', 'STATUS'], timeoutMs);
      if (typeof reply !== 'string') return undefined;
      return Object.fromEntries(
        reply
          .trim()
          .split('\r\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
      );
    } finally {
      connection.close();
    }
  }

  /** The member that says it leads and serves, if one does now. */
  async leader(): Promise<Member | undefined> {
    const live = this.up();
    const statuses = await Promise.all(live.map((m) => this.status(m)));
    let best: { member: Member; term: number } | undefined;
    live.forEach((member, i) => {
      const status = statuses[i];
      if (status?.['role'] !== 'leader' || status['serving'] !== 'yes') return;
      const term = Number(status['term']);
      if (best === undefined || term > best.term) best = { member, term };
    });
    return best?.member;
  }

  /** Sends one command to `member`; its reply (an error as an Error), or undefined. */
  async askOne(member: Member, argv: string[], timeoutMs: number): Promise<unknown> {
    const connection = await NemesisConnection.open(member.clientPort, 1000);
    if (connection === undefined) return undefined;
    try {
      return await connection.call(argv, timeoutMs);
    } finally {
      connection.close();
    }
  }

  /** Sends one command to the first up member that answers it with a non-error reply. */
  async ask(argv: string[], timeoutMs: number): Promise<unknown> {
    for (const member of this.up()) {
      const connection = await NemesisConnection.open(member.clientPort, 1000);
      if (connection === undefined) continue;
      try {
        const reply = await connection.call(argv, timeoutMs);
        if (reply !== undefined && !(reply instanceof Error)) return reply;
      } finally {
        connection.close();
      }
    }
    return undefined;
  }

  /**
   * Adds a fresh node (new id, empty directory) with --join and RAFT ADD-NODE, and waits (within
   * `timeoutMs`) until the leader counts it as a voter. Returns it, or undefined if the group
   * did not accept it in time (it is then removed again and stopped).
   */
  async addFresh(timeoutMs: number): Promise<Member | undefined> {
    const member = await this.cluster.add(this.nextId++);
    const peers = this.cluster.peers(this.members.filter((m) => m === member || this.isUp(m)));
    this.launch.set(member, { peers, extra: [...this.nodeFlags, '--join'] });
    await this.restart(member);
    const address = this.cluster.address(member);
    const deadline = performance.now() + timeoutMs;
    let added = false;
    while (!added && performance.now() < deadline)
      added =
        (await this.ask(['RAFT', 'ADD-NODE', String(member.id), address], 2000)) === 'OK' ||
        (await this.isVoterOrLearner(member));
    if (added && (await this.waitVoters((v) => v.includes(member.id), deadline))) return member;
    await this.remove(member, Math.max(0, deadline - performance.now()) + 5000);
    return undefined;
  }

  /** Removes a member with RAFT REMOVE-NODE (asked until the leader's configuration drops it),
   * then stops its process and forgets it. Returns whether the group dropped it in time. */
  async remove(member: Member, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    let removed = false;
    while (!removed && performance.now() < deadline) {
      const reply = await this.ask(['RAFT', 'REMOVE-NODE', String(member.id)], 2000);
      removed = await this.waitVoters((v) => !v.includes(member.id), performance.now() + 2000);
      if (!removed && reply === undefined) await sleep(200);
    }
    if (!removed) return false;
    this.resume(member);
    await this.cluster.stop(member, 'SIGKILL');
    this.states.delete(member);
    this.cluster.members.splice(this.cluster.members.indexOf(member), 1);
    return true;
  }

  private isUp(member: Member): boolean {
    return this.state(member) === 'up';
  }

  private async isVoterOrLearner(member: Member): Promise<boolean> {
    const leader = await this.leader();
    const status = leader === undefined ? undefined : await this.status(leader);
    if (status === undefined) return false;
    const ids = `${status['voters']},${status['learners']}`.split(',').map(Number);
    return ids.includes(member.id);
  }

  /** Waits until the serving leader's voter list satisfies `check`, until `deadline`. */
  private async waitVoters(
    check: (voters: number[]) => boolean,
    deadline: number,
  ): Promise<boolean> {
    while (performance.now() < deadline) {
      const leader = await this.leader();
      const status = leader === undefined ? undefined : await this.status(leader);
      if (status !== undefined && check((status['voters'] ?? '').split(',').map(Number)))
        return true;
      await sleep(100);
    }
    return false;
  }

  /** Heals every fault: network passes, paused nodes continue, killed nodes restart. */
  async healAll(): Promise<void> {
    this.mesh.heal();
    for (const member of this.members) this.resume(member);
    await Promise.all(
      this.members.filter((m) => this.state(m) === 'killed').map((m) => this.restart(m)),
    );
  }

  /** Waits for an agreed, serving leader and for every member to apply its commit index. */
  async converge(timeoutMs: number): Promise<Member> {
    const leader = await this.cluster.agreedLeader(timeoutMs);
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.members.map((m) => this.status(m)));
        const commit = statuses[this.members.indexOf(leader)]?.['commit_index'];
        return (
          commit !== undefined &&
          statuses.every((s) => s !== undefined && s['applied_index'] === commit)
        );
      },
      'every member to apply the leader commit index',
      timeoutMs,
    );
    return leader;
  }

  async stop(): Promise<void> {
    for (const member of this.members) this.resume(member);
    await this.cluster.stopAll();
    await this.mesh.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
