// Failover timing: a client writes continuously (one SET at a time) to a Shoal group; the
// leader is killed with SIGKILL; the time from the kill to the first acknowledged write sent
// after it is one sample. The killed node is restarted, and the group is back to three members
// agreeing on a leader, before the next kill.
//
// The client does not know the leader: on an error reply or a closed or refused connection it
// moves to the next member in turn (any member relays writes to the leader, or holds them until
// there is one).

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ReplyParser } from '../src/resp/reply-reader.js';
import { sleep, waitFor } from './common.js';
import type { GroupMember, ShoalGroup } from './shoal-group.js';

const RETRY_DELAY_MS = 5;

/** A sequential writer; `acks` holds (sent, acknowledged) times in performance.now() ms. */
class Writer {
  readonly acks: { sentAt: number; ackedAt: number }[] = [];
  errors = 0;
  /** How often each kind of failure was seen (error reply text, or 'closed'). */
  readonly failures = new Map<string, number>();
  private running = true;
  private next = 0;
  private done: Promise<void> | undefined;

  constructor(private readonly members: GroupMember[]) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    let seq = 0;
    while (this.running) {
      const member = this.members[this.next % this.members.length] as GroupMember;
      const socket = await this.open(member.clientPort);
      if (socket === undefined) {
        this.next++;
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      const parser = new ReplyParser();
      let failed = false;
      while (this.running && !failed) {
        const sentAt = performance.now();
        const reply = await this.request(socket, parser, [
          'SET',
          `failover:${seq % 1000}`,
          String(seq),
        ]);
        seq++;
        if (reply === 'OK') {
          this.acks.push({ sentAt, ackedAt: performance.now() });
        } else {
          this.errors++;
          const kind = reply === undefined ? 'closed' : String(reply).slice(0, 60);
          this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
          failed = true;
        }
      }
      socket.destroy();
      this.next++;
      // A member without a leader closes relayed connections at once: do not spin on it.
      await sleep(RETRY_DELAY_MS);
    }
  }

  private open(port: number): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(undefined);
      });
    });
  }

  /** One command; its reply, or undefined when the connection closes first. */
  private request(socket: Socket, parser: ReplyParser, argv: string[]): Promise<unknown> {
    let text = `*${argv.length}\r\n`;
    for (const arg of argv) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    return new Promise((resolve) => {
      const finish = (reply: unknown): void => {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(reply);
      };
      const onData = (chunk: Buffer): void => {
        parser.feed(chunk);
        const reply = parser.next();
        if (reply !== undefined) finish(reply);
      };
      const onClose = (): void => finish(undefined);
      if (socket.destroyed) return resolve(undefined);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.write(text);
    });
  }
}

export interface FailoverResult {
  /** Kill to first acknowledged write sent after the kill, ms, one per kill. */
  samples: number[];
  errors: number;
  failures: Map<string, number>;
}

export async function measureFailover(
  group: ShoalGroup,
  kills: number,
  log: (line: string) => void,
): Promise<FailoverResult> {
  const writer = new Writer(group.members);
  writer.start();
  const samples: number[] = [];
  try {
    for (let round = 1; round <= kills; round++) {
      const leader = await group.leader(60_000);
      // Steady state: the writer has been acknowledged since every member agreed.
      const since = performance.now();
      await waitFor(
        () => (writer.acks.at(-1)?.sentAt ?? -1) >= since,
        'a write acknowledged before the kill',
        30_000,
      );
      const seen = writer.acks.length;
      const killedAt = performance.now();
      await group.kill(leader);
      const first = await waitFor(
        () => writer.acks.slice(seen).find((ack) => ack.sentAt >= killedAt),
        'the first write acknowledged after the kill',
        60_000,
      );
      const ms = first.ackedAt - killedAt;
      samples.push(ms);
      log(
        `kill ${round}: node ${leader.id} killed, first write acknowledged after ${ms.toFixed(0)} ms`,
      );
      group.restart(leader);
      // The restarted member is back once it names the same leader as the others.
      await group.leader(60_000);
    }
  } finally {
    await writer.stop();
  }
  return { samples, errors: writer.errors, failures: writer.failures };
}
