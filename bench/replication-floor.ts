// The replication floor for `npm run bench:group`: three processes of
// replication-floor-node.ts on loopback (free ports, files in a temp dir), a leader and two
// followers that do only the I/O a replicated, fsynced SET needs in Node (client reads and
// replies, one batch per event-loop turn to each follower, an fdatasync on every node, a reply
// once a majority holds the batch). Measured with the same redis-benchmark command as the Shoal
// group, it says how much of the group's time is Shoal's own work and how much is the pattern
// itself on this machine: what no Node design with this pattern could go below.

import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  repoRoot,
  stopChild,
  temporaryDirectory,
  track,
  waitFor,
  waitForPing,
} from './common.js';

const SCRIPT = join(repoRoot, 'dist', 'bench', 'replication-floor-node.js');

function accepts(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });
}

export class ReplicationFloor {
  private constructor(
    readonly port: number,
    private readonly children: ChildProcess[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<ReplicationFloor> {
    const dir = temporaryDirectory('bench-floor-');
    const children: ChildProcess[] = [];
    const launch = (args: string[]): void => {
      children.push(track(spawn(process.execPath, [SCRIPT, ...args], { stdio: 'inherit' })));
    };
    try {
      const followerPorts = [await freePort(), await freePort()];
      for (const port of followerPorts) launch(['follower', String(port), dir]);
      for (const port of followerPorts)
        await waitFor(() => accepts(port), `replication floor follower on ${port}`, 30_000);
      const port = await freePort();
      launch(['leader', String(port), dir, ...followerPorts.map(String)]);
      await waitForPing(port, 30_000);
      return new ReplicationFloor(port, children, dir);
    } catch (error) {
      await Promise.all(children.map((child) => stopChild(child)));
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  commandLine(): string {
    return `node ${SCRIPT} leader|follower <port> <dir> [follower ports]`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
