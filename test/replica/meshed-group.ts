// Test helper: a replica group whose members reach each other through fault proxies (a
// ProxyMesh), with the steps fault tests repeat: start a member behind its proxies, bring every
// member back (heal, resume, restart) and wait for convergence, read through a member while it
// answers -TRYAGAIN. Every wait has a deadline.

import { ReplyError, type Reply } from '../../src/resp/reply-reader.js';
import { ProxyMesh } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';
import { converged } from './workload.js';

export class MeshedGroup {
  readonly cluster: Cluster;
  readonly failoverMs: number;
  mesh!: ProxyMesh;

  constructor(readonly electionTimeoutMs: number) {
    this.cluster = new Cluster(electionTimeoutMs);
    this.failoverMs = 10 * electionTimeoutMs + 5000;
  }

  get members(): Member[] {
    return this.cluster.members;
  }

  /** Adds `count` members behind a proxy mesh, starts them and waits for a leader. */
  async startAll(count: number): Promise<void> {
    for (let id = 1; id <= count; id++) await this.cluster.add(id);
    this.mesh = await ProxyMesh.create(this.members);
    await Promise.all(this.members.map((m) => this.start(m)));
    await this.cluster.agreedLeader(10_000);
  }

  start(member: Member): Promise<void> {
    return this.cluster.start(member, this.mesh.peersFor(member.id));
  }

  /** Every member running again (links healed, paused ones resumed), a leader, converged. */
  async allBackUp(): Promise<Member> {
    this.mesh.heal();
    for (const member of this.members) {
      if (member.paused === true) this.cluster.pause(member, false);
      if (member.child === undefined) await this.start(member);
    }
    const leader = await this.cluster.agreedLeader(this.failoverMs);
    await converged(this.cluster, this.members);
    return leader;
  }

  /** Retries a command through `member` while it answers -TRYAGAIN or is still starting. */
  async readThrough(member: Member, ...argv: string[]): Promise<Reply> {
    const result = await waitFor(
      async () => {
        const reply = await this.cluster.call(member, ...argv).catch(() => undefined);
        if (reply === undefined) return undefined;
        if (reply instanceof ReplyError && reply.message.startsWith('TRYAGAIN')) return undefined;
        return { reply: reply as Reply };
      },
      `${argv.join(' ')} through node ${member.id}`,
      this.failoverMs,
    );
    return result.reply;
  }

  async stopAll(): Promise<void> {
    await this.cluster.stopAll();
    await this.mesh?.close();
  }
}
