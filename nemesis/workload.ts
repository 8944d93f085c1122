// One nemesis client: a connection to a random member (a new one, to another random member,
// after any error or unknown outcome), doing reads, writes and compare-and-sets on a few
// register keys and appends to a few list keys, recording each operation in the History.
//
// What counts as a definite outcome:
// - GET answered with a value: a read. Answered with an error or not at all: dropped (an
//   unknown read constrains nothing).
// - SET answered +OK: a write. Anything else: a write with an unknown outcome (ret = Infinity);
//   errors count as unknown too, because -TRYAGAIN and relay failures do not promise "not run".
// - CAS is WATCH k / GET k, then MULTI / SET k new / EXEC. The GET is a read. An EXEC answered
//   [OK] is a compare-and-set that swapped (expected = what GET read): nothing changed the key
//   between WATCH and EXEC. A nil EXEC is NOT recorded as a cas that failed to swap: WATCH also
//   fires on a write of the same value, on a write that was later undone (a deposed leader's
//   engine is rebuilt) and on a key rewritten back, so the value may well have been the expected
//   one; it is a no-op. An EXEC with an error or no answer is a cas with an unknown outcome; if
//   MULTI or the queued SET was not answered as expected, the SET may have run on its own, so it
//   is recorded as a write with an unknown outcome.
// - RPUSH answered with an integer: the element is acknowledged and must be in the list at the
//   end. Anything else: attempted, may or may not be there.

import type { Member } from '../test/replica/cluster.js';
import { Prng } from '../src/sim/prng.js';
import { ReplyError } from '../src/resp/reply-reader.js';
import { NemesisConnection } from './connection.js';
import { sleep } from './group.js';
import { History, now, valueText } from './history.js';

export interface WorkloadOptions {
  readonly keys: number;
  readonly opTimeoutMs: number;
  /** Longest pause between a cas's GET and its MULTI. */
  readonly casThinkMsMax: number;
  /** Send READONLY first (reads may be served stale by followers: the checks should fail). */
  readonly staleReads: boolean;
}

export function registerKey(index: number): string {
  return `r${index}`;
}

export function listKey(index: number): string {
  return `l${index}`;
}

export class WorkloadClient {
  private connection: NemesisConnection | undefined;
  /** A new process id after every unknown outcome (the old operation may still be pending). */
  private process: number;
  private processCount = 0;

  constructor(
    private readonly id: number,
    private readonly members: () => readonly Member[],
    private readonly history: History,
    private readonly random: Prng,
    private readonly options: WorkloadOptions,
  ) {
    this.process = this.nextProcess();
  }

  async run(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const connection = await this.connect();
      if (connection === undefined) {
        await sleep(50);
        continue;
      }
      const choice = this.random.nextFloat();
      const slot = this.random.nextInt(this.options.keys);
      let definite: boolean;
      if (choice < 0.75) {
        const key = this.history.keyFor(slot);
        if (choice < 0.3) definite = await this.get(connection, key);
        else if (choice < 0.5) definite = await this.set(connection, key);
        else definite = await this.cas(connection, key);
      } else definite = await this.append(connection, slot);
      if (!definite) this.drop();
    }
    this.drop();
  }

  private nextProcess(): number {
    return this.id * 1_000_000 + this.processCount++;
  }

  private async connect(): Promise<NemesisConnection | undefined> {
    if (this.connection !== undefined && !this.connection.isClosed) return this.connection;
    const members = this.members();
    if (members.length === 0) return undefined;
    const member = this.random.pick(members);
    this.connection = await NemesisConnection.open(member.clientPort, this.options.opTimeoutMs);
    if (this.connection !== undefined && this.options.staleReads) {
      // Opt into follower reads: a way to see the checker catch stale reads end to end.
      const reply = await this.connection.call(['READONLY'], this.options.opTimeoutMs);
      if (reply !== 'OK') this.drop();
    }
    return this.connection;
  }

  private drop(): void {
    this.connection?.close();
    this.connection = undefined;
    this.process = this.nextProcess();
  }

  private async get(connection: NemesisConnection, key: number): Promise<boolean> {
    const call = now();
    const reply = await connection.call(['GET', registerKey(key)], this.options.opTimeoutMs);
    return this.recordRead(key, reply, call, now());
  }

  private recordRead(key: number, reply: unknown, call: number, ret: number): boolean {
    if (reply === undefined || reply instanceof ReplyError) return false;
    const output = this.history.readValue(key, reply);
    if (output === undefined) return false;
    this.history.record({
      clientId: this.process,
      kind: 'get',
      key,
      value: 0,
      expected: 0,
      output,
      call,
      ret,
    });
    return true;
  }

  private async set(connection: NemesisConnection, key: number): Promise<boolean> {
    const value = this.history.freshValue();
    const call = now();
    const reply = await connection.call(
      ['SET', registerKey(key), valueText(value)],
      this.options.opTimeoutMs,
    );
    const acknowledged = reply === 'OK';
    this.recordWrite(key, value, call, acknowledged ? now() : Infinity);
    return acknowledged;
  }

  private recordWrite(key: number, value: number, call: number, ret: number): void {
    this.history.record({
      clientId: this.process,
      kind: 'put',
      key,
      value,
      expected: 0,
      output: ret === Infinity ? undefined : true,
      call,
      ret,
    });
  }

  private async cas(connection: NemesisConnection, key: number): Promise<boolean> {
    const name = registerKey(key);
    const timeout = this.options.opTimeoutMs;
    const call = now();
    const [watched, read] = await connection.pipeline(
      [
        ['WATCH', name],
        ['GET', name],
      ],
      timeout,
    );
    const readDone = now();
    if (!this.recordRead(key, read, call, readDone) || watched !== 'OK') return false;
    const expected = this.history.readValue(key, read) as number;
    // Sometimes think between GET and MULTI, as a real read-modify-write does: it leaves time
    // for leadership to move while the WATCH is held (where watch-failover.test.ts's bug was).
    if (this.random.chance(0.3)) await sleep(this.random.nextInt(this.options.casThinkMsMax + 1));
    const value = this.history.freshValue();
    const [multi, queued, exec] = await connection.pipeline(
      [['MULTI'], ['SET', name, valueText(value)], ['EXEC']],
      timeout,
    );
    if (multi !== 'OK' || queued !== 'QUEUED') {
      this.recordWrite(key, value, call, Infinity);
      return false;
    }
    if (exec === null) return true; // WATCH fired: no effect, and no claim about the value.
    const swapped = Array.isArray(exec) && exec.length === 1 && exec[0] === 'OK';
    if (!swapped && exec !== undefined && !(exec instanceof ReplyError))
      this.history.anomalies.push(`register ${key}: EXEC answered ${JSON.stringify(exec)}`);
    this.history.record({
      clientId: this.process,
      kind: 'cas',
      key,
      value,
      expected,
      output: swapped ? true : undefined,
      call,
      ret: swapped ? now() : Infinity,
    });
    return swapped;
  }

  private async append(connection: NemesisConnection, key: number): Promise<boolean> {
    const element = this.history.freshElement();
    const list = listKey(key);
    this.history.attempt(list, element);
    const reply = await connection.call(['RPUSH', list, element], this.options.opTimeoutMs);
    if (typeof reply !== 'number') return false;
    this.history.acknowledge(list, element);
    return true;
  }
}
