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
  clientPort: number;
  raftPort: number;
  dir: string;
  child: ChildProcess | undefined;
  output: string;
}

export class Cluster {
  readonly members: Member[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'shoal-cluster-'));

  constructor(readonly electionTimeoutMs: number) {}

  /** Adds a member (not started) with fresh ports. */
  async add(id: number): Promise<Member> {
    const member: Member = {
      id,
      clientPort: await freePort(),
      raftPort: await freePort(),
      dir: join(this.root, `n${id}`),
      child: undefined,
      output: '',
    };
    this.members.push(member);
    return member;
  }

  address(member: Member): string {
    return `127.0.0.1:${member.clientPort}@${member.raftPort}`;
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
      // SHOAL_HEAP=keep: the server runs in this child itself, not in a re-executed grandchild
      // (bin/shoal), so SIGKILL and SIGSTOP reach the server; through the launcher a "kill -9"
      // was a graceful stop and SIGSTOP paused only the launcher.
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
    if (child === undefined || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((member) => this.stop(member)));
    rmSync(this.root, { recursive: true, force: true });
  }

  async call(member: Member, ...argv: string[]): Promise<unknown> {
    const client = await RawClient.connect(member.clientPort);
    try {
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
        const live = among.filter((m) => m.child !== undefined);
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
