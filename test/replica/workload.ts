// Test helper: client workloads for fault tests on a replica group of real processes. A
// ListWriter appends unique values to one list through whichever nodes are up and sorts every
// outcome into acknowledged (an integer reply), failed (an error reply: the write did not happen)
// and unknown (no reply: connection closed or timed out). checkList() then states the safety
// rules: every acknowledged value is present, no failed value is present, no value twice.
// Writers with different prefixes may share a list.

import { strict as assert } from 'node:assert';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import type { Cluster, Member } from './cluster.js';

/** How long one command may go unanswered before its outcome counts as unknown. */
const REPLY_TIMEOUT_MS = 4000;

export class ListWriter {
  readonly acknowledged: string[] = [];
  readonly failed: string[] = [];
  readonly unknown: string[] = [];
  /** Error messages seen, for failure reports. */
  readonly errors = new Set<string>();
  private running = false;
  private loop: Promise<void> | undefined;
  private next = 1;
  private turn = 0;

  /**
   * @param targets the members to write through (re-read before each connection; members that
   *   are down are skipped).
   */
  constructor(
    readonly key: string,
    private readonly targets: () => Member[],
    private readonly prefix = 'w',
  ) {}

  get attempted(): number {
    return this.next - 1;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const live = this.targets().filter((m) => m.child !== undefined && m.paused !== true);
      const target = live[this.turn++ % Math.max(1, live.length)];
      if (target === undefined) {
        await pause(20);
        continue;
      }
      let client: RawClient | undefined;
      try {
        client = await RawClient.connect(target.clientPort);
        while (this.running && target.child !== undefined && target.paused !== true) {
          const value = `${this.prefix}${this.next++}`;
          let reply: unknown;
          try {
            client.send('RPUSH', this.key, value);
            [reply] = await client.read(1, REPLY_TIMEOUT_MS);
          } catch {
            reply = undefined; // timed out: unknown
          }
          if (typeof reply === 'number') {
            this.acknowledged.push(value);
          } else if (reply instanceof ReplyError) {
            this.failed.push(value);
            this.errors.add(reply.message);
            break; // a fresh connection (and maybe another node) for the next write
          } else {
            this.unknown.push(value);
            break;
          }
        }
      } catch {
        // connection refused: the node is going down or not up yet
      } finally {
        client?.close();
      }
      if (this.running) await pause(10);
    }
  }

  /** Waits until at least `count` more writes have been acknowledged (with a deadline). */
  async progress(count: number, timeoutMs = 15_000): Promise<void> {
    const target = this.acknowledged.length + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.length < target) {
      if (Date.now() > deadline)
        throw new Error(
          `writes stalled: ${this.acknowledged.length}/${target} acknowledged, ` +
            `${this.failed.length} failed, ${this.unknown.length} unknown, errors ${[...this.errors].join('; ')}`,
        );
      await pause(10);
    }
  }

  /** The safety rules, against the list as stored. */
  checkList(stored: string[]): void {
    const present = new Set(stored);
    assert.equal(present.size, stored.length, `a value was applied twice: ${duplicates(stored)}`);
    for (const value of this.acknowledged)
      assert.ok(present.has(value), `acknowledged write ${value} was lost`);
    for (const value of this.failed)
      assert.ok(!present.has(value), `write ${value} was answered with an error but applied`);
    for (const value of stored) {
      if (!value.startsWith(this.prefix)) continue; // another writer's
      const n = Number(value.slice(this.prefix.length));
      assert.ok(n >= 1 && n <= this.attempted, `a value this writer never sent: ${value}`);
    }
  }
}

/** Reads the whole list through `member` (a linearizable read on the leader or relayed). */
export async function readList(cluster: Cluster, member: Member, key: string): Promise<string[]> {
  const reply = await cluster.call(member, 'LRANGE', key, '0', '-1');
  if (!Array.isArray(reply)) throw new Error(`LRANGE answered ${String(reply)}`);
  return reply.map(String);
}

function duplicates(values: string[]): string {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice].slice(0, 10).join(',');
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until every live member has applied everything the leader has committed. */
export async function converged(
  cluster: Cluster,
  members: Member[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = members.filter((m) => m.child !== undefined && m.paused !== true);
    const statuses = await Promise.all(
      live.map((m) => cluster.raftStatus(m).catch(() => undefined)),
    );
    const leader = statuses.find((s) => s?.['role'] === 'leader');
    if (
      leader !== undefined &&
      statuses.every(
        (s) =>
          s !== undefined &&
          s['applied_index'] === leader['commit_index'] &&
          s['leader'] === leader['node_id'],
      )
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`members did not converge: ${JSON.stringify(statuses)}`);
    await pause(20);
  }
}
