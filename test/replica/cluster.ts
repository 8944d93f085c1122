// Test helper: a replica group of real `shoal serve` processes on loopback, with calls, RAFT
// STATUS parsing and an agreed-leader wait. Every wait has a deadline; stopAll() kills every
// process and removes the directories.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, shoalBin, waitFor } from '../helpers/servers.js';

export interface Member {
  id: number;
  /** Loopback address the member is reached at (and binds, when started with --bind). */
  host: string;
  clientPort: number;
  raftPort: number;
  dir: string;
  child: ChildProcess | undefined;
  output: string;
  /** Stopped with SIGSTOP (see Cluster.pause). */
  paused?: boolean;
}

export class Cluster {
  readonly members: Member[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'shoal-cluster-'));

  constructor(readonly electionTimeoutMs: number) {}

  /** Adds a member (not started) with fresh ports. */
  async add(id: number, host = '127.0.0.1'): Promise<Member> {
    // freePort() releases the port it found: two calls may return the same one.
    const used = new Set(this.members.flatMap((m) => [m.clientPort, m.raftPort]));
    const port = async (): Promise<number> => {
      for (;;) {
        const candidate = await freePort();
        if (!used.has(candidate)) {
          used.add(candidate);
          return candidate;
        }
      }
    };
    const member: Member = {
      id,
      host,
      clientPort: await port(),
      raftPort: await port(),
      dir: join(this.root, `n${id}`),
      child: undefined,
      output: '',
    };
    this.members.push(member);
    return member;
  }

  address(member: Member): string {
    return `${member.host}:${member.clientPort}@${member.raftPort}`;
  }

  /** `--peers` naming the given members (all of them by default). */
  peers(members: Member[] = this.members): string {
    return members.map((m) => `${m.id}=${this.address(m)}`).join(',');
  }

  start(member: Member, peers = this.peers(), extra: string[] = []): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        shoalBin,
        'serve',
        '--port',
        String(member.clientPort),
        '--dir',
        member.dir,
        '--node-id',
        String(member.id),
        '--peers',
        peers,
        '--election-timeout-ms',
        String(this.electionTimeoutMs),
        '--loglevel',
        'notice',
        ...extra,
      ],
      // SHOAL_HEAP=keep: the process spawned here is the server itself, not bin/shoal's
      // launcher with the server in a child; otherwise SIGKILL and SIGSTOP would reach only the
      // launcher, and the server would shut down cleanly (or keep running) instead.
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHOAL_HEAP: 'keep' } },
    );
    member.child = child;
    member.output = '';
    child.stdout?.on('data', (chunk: Buffer) => (member.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (member.output += chunk.toString()));
    return waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`node ${member.id} exited: ${member.output}`);
        return /Ready to accept connections/.test(member.output);
      },
      `node ${member.id} to start`,
      15_000,
    ).then(() => undefined);
  }

  stop(member: Member, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = member.child;
    member.child = undefined;
    member.paused = false;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /**
   * SIGSTOP (`paused`) or SIGCONT: the process keeps its sockets but runs nothing, as a long GC
   * pause or a stalled VM. While paused, calls to it hang: leave it out of agreedLeader().
   */
  pause(member: Member, paused: boolean): void {
    member.paused = paused;
    member.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((member) => this.stop(member)));
    rmSync(this.root, { recursive: true, force: true });
  }

  async call(member: Member, ...argv: string[]): Promise<unknown> {
    const client = await RawClient.connect(member.clientPort, member.host);
    try {
      return await client.call(...argv);
    } finally {
      client.close();
    }
  }

  /** A call on a READONLY connection: the node's own engine, without going through the leader. */
  async localCall(member: Member, ...argv: string[]): Promise<unknown> {
    const client = await RawClient.connect(member.clientPort, member.host);
    try {
      const mode = await client.call('READONLY');
      if (mode !== 'OK') throw new Error(`READONLY on node ${member.id}: ${String(mode)}`);
      return await client.call(...argv);
    } finally {
      client.close();
    }
  }

  async raftStatus(member: Member): Promise<Record<string, string>> {
    const text = String(await this.call(member, 'RAFT', 'STATUS'));
    return Object.fromEntries(
      text
        .trim()
        .split('\r\n')
        .map((line) => {
          const at = line.indexOf(':');
          return [line.slice(0, at), line.slice(at + 1)];
        }),
    );
  }

  /** The member that every live member of `among` names as leader, once it serves. */
  agreedLeader(timeoutMs: number, among: Member[] = this.members): Promise<Member> {
    return waitFor(
      async () => {
        const live = among.filter((m) => m.child !== undefined && m.paused !== true);
        const statuses = await Promise.all(
          live.map((m) => this.raftStatus(m).catch(() => undefined)),
        );
        const leaders = new Set(statuses.map((s) => s?.['leader']));
        if (leaders.size !== 1) return undefined;
        const leader = live.find((m) => String(m.id) === [...leaders][0]);
        if (leader === undefined) return undefined;
        const status = statuses[live.indexOf(leader)];
        return status?.['serving'] === 'yes' ? leader : undefined;
      },
      'an agreed, serving leader',
      timeoutMs,
    );
  }
}
