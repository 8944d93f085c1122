// A local Shoal replica group for the benchmarks: N `shoal serve` processes on loopback (free
// ports, directories in a temp dir), each logging to <dir>/n<i>.log; find the agreed leader,
// kill -9 a member, restart it, stop everything.
//
// The server runs directly under node with SHOAL_HEAP=keep: bin/shoal otherwise re-executes
// itself in a child that stops *cleanly* when the launcher dies, so a SIGKILL of the launcher
// would not be a crash of the server.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  call,
  freePort,
  repoRoot,
  stopChild,
  temporaryDirectory,
  track,
  waitFor,
} from './common.js';

export interface GroupMember {
  id: number;
  clientPort: number;
  raftPort: number;
  dir: string;
  child: ChildProcess | undefined;
}

export class ShoalGroup {
  readonly members: GroupMember[] = [];
  readonly root = temporaryDirectory('bench-group-');

  private constructor(
    private readonly electionTimeoutMs: number,
    private readonly extraArgs: string[],
    private readonly nodeFlags: string[],
  ) {}

  /**
   * Starts `size` members and waits for a leader that every member names. `extraArgs` go to
   * `shoal serve`, `nodeFlags` to node (e.g. --cpu-prof, which NODE_OPTIONS does not allow).
   */
  static async start(
    size: number,
    electionTimeoutMs: number,
    extraArgs: string[] = [],
    nodeFlags: string[] = [],
  ): Promise<ShoalGroup> {
    const group = new ShoalGroup(electionTimeoutMs, extraArgs, nodeFlags);
    for (let id = 1; id <= size; id++) {
      group.members.push({
        id,
        clientPort: await freePort(),
        raftPort: await freePort(),
        dir: join(group.root, `n${id}`),
        child: undefined,
      });
    }
    try {
      for (const member of group.members) group.spawn(member);
      await group.leader(30_000);
    } catch (error) {
      // The members' logs go with the group's directory: keep their ends in the error.
      const logs = group.logTails();
      await group.stop();
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    }
    return group;
  }

  get peers(): string {
    return this.members.map((m) => `${m.id}=127.0.0.1:${m.clientPort}@${m.raftPort}`).join(',');
  }

  /** The command line of member `id` (for the record). */
  commandLine(member: GroupMember, extra: string[] = []): string[] {
    return [
      'bin/shoal',
      'serve',
      '--port',
      String(member.clientPort),
      '--dir',
      member.dir,
      '--node-id',
      String(member.id),
      '--peers',
      this.peers,
      '--election-timeout-ms',
      String(this.electionTimeoutMs),
      '--loglevel',
      'notice',
      ...this.extraArgs,
      ...extra,
    ];
  }

  private spawn(member: GroupMember, extra: string[] = []): void {
    mkdirSync(member.dir, { recursive: true });
    const log = openSync(join(this.root, `n${member.id}.log`), 'a');
    const [bin, ...args] = this.commandLine(member, extra);
    member.child = track(
      spawn(process.execPath, [...this.nodeFlags, join(repoRoot, bin as string), ...args], {
        stdio: ['ignore', log, log],
        env: { ...process.env, SHOAL_HEAP: 'keep' },
      }),
    );
    closeSync(log);
  }

  /** RAFT STATUS of a member as name → value. */
  async status(member: GroupMember): Promise<Record<string, string>> {
    const text = String(await call(member.clientPort, ['RAFT', 'STATUS'], 2000));
    const fields: Record<string, string> = {};
    for (const line of text.trim().split('\r\n')) {
      const at = line.indexOf(':');
      fields[line.slice(0, at)] = line.slice(at + 1);
    }
    return fields;
  }

  /** The member every running member names as leader, once it serves. */
  leader(timeoutMs: number): Promise<GroupMember> {
    return waitFor(
      async () => {
        const live = this.members.filter((m) => m.child !== undefined);
        const statuses = await Promise.all(live.map((m) => this.status(m).catch(() => undefined)));
        const named = new Set(statuses.map((s) => s?.['leader']));
        if (named.size !== 1) return undefined;
        const leader = live.find((m) => String(m.id) === [...named][0]);
        if (leader === undefined) return undefined;
        return statuses[live.indexOf(leader)]?.['serving'] === 'yes' ? leader : undefined;
      },
      'an agreed, serving leader',
      timeoutMs,
    );
  }

  /** kill -9; resolves once the process is gone. */
  async kill(member: GroupMember): Promise<void> {
    const child = member.child;
    member.child = undefined;
    if (child !== undefined) await stopChild(child, 'SIGKILL');
  }

  /** Starts a killed member again (same directory and ports; `extra` flags this time only). */
  restart(member: GroupMember, extra: string[] = []): void {
    if (member.child !== undefined) throw new Error(`node ${member.id} is running`);
    this.spawn(member, extra);
  }

  /** The last lines of every member's log, for an error report. */
  logTails(lines = 20): string {
    return this.members
      .map((member) => {
        let text: string;
        try {
          text = readFileSync(join(this.root, `n${member.id}.log`), 'utf8');
        } catch (error) {
          text = `(no log: ${(error as Error).message})`;
        }
        return `--- node ${member.id} ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
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
