// A local etcd cluster for the group benchmark: N `etcd` processes on loopback (free client and
// peer ports, separate data directories in a temp dir, etcd's default fsync behaviour), the
// leader's client endpoint, stop everything.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stopChild, temporaryDirectory, track, waitFor } from './common.js';

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  child: ChildProcess | undefined;
}

export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  readonly root = temporaryDirectory('bench-etcd-');

  static async start(size: number): Promise<EtcdCluster> {
    const cluster = new EtcdCluster();
    for (let i = 1; i <= size; i++) {
      cluster.members.push({
        name: `n${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        child: undefined,
      });
    }
    try {
      for (const member of cluster.members) cluster.spawn(member);
      await cluster.leader(30_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The arguments of one member (for the record). */
  commandLine(member: EtcdMember): string[] {
    const initialCluster = this.members
      .map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`)
      .join(',');
    return [
      'etcd',
      '--name',
      member.name,
      '--data-dir',
      join(this.root, member.name),
      '--listen-client-urls',
      `http://127.0.0.1:${member.clientPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${member.clientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${member.peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${member.peerPort}`,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      'bench',
      '--initial-cluster-state',
      'new',
    ];
  }

  private spawn(member: EtcdMember): void {
    const log = openSync(join(this.root, `${member.name}.log`), 'a');
    const [bin, ...args] = this.commandLine(member);
    member.child = track(spawn(bin as string, args, { stdio: ['ignore', log, log] }));
    closeSync(log);
  }

  /** Maintenance/Status through etcd's JSON gateway: this member's id and the leader's. */
  private async status(member: EtcdMember): Promise<{ self: string; leader: string } | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${member.clientPort}/v3/maintenance/status`, {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) return undefined;
      const body = (await response.json()) as { header?: { member_id?: string }; leader?: string };
      const self = body.header?.member_id;
      const leader = body.leader;
      return self !== undefined && leader !== undefined && leader !== '0'
        ? { self, leader }
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** The client port of the member every member names as leader. */
  leader(timeoutMs: number): Promise<number> {
    return waitFor(
      async () => {
        const statuses = await Promise.all(this.members.map((m) => this.status(m)));
        if (statuses.some((s) => s === undefined)) return undefined;
        const leaders = new Set(statuses.map((s) => s?.leader));
        if (leaders.size !== 1) return undefined;
        const at = statuses.findIndex((s) => s?.self === s?.leader);
        return at < 0 ? undefined : this.members[at]?.clientPort;
      },
      'an etcd leader',
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        const child = member.child;
        member.child = undefined;
        if (child !== undefined) await stopChild(child);
      }),
    );
    rmSync(this.root, { recursive: true, force: true });
  }
}
