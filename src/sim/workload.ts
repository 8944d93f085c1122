// Clients of the simulated key-value service. Each client runs one operation at a time (get,
// put or compare-and-set on a few keys), retries through leader changes and lost requests, and
// records call and return times for the linearizability checker. Writes carry (client, seq) so
// a retry applies at most once.
import { type Entry } from '../raft/messages.js';
import { NONE } from '../raft/messages.js';
import { TraceKind, type Cluster } from './cluster.js';
import {
  CommandKind,
  decodeCommand,
  encodeCommand,
  type KvMachineView,
  type KvResult,
} from './kv.js';
import { type KvOperation, type KvOperationKind } from './linearizability.js';
import { type Prng } from './prng.js';

export interface WorkloadOptions {
  clients: number;
  keys: number;
  /** Ticks a client waits between operations: uniform in [0, thinkTicksMax]. */
  thinkTicksMax: number;
  /** Ticks before a client gives up on an attempt and retries elsewhere. */
  attemptTimeoutTicks: number;
  /** Extra payload bytes per write, uniform in [0, paddingBytesMax] (exercises byte limits). */
  paddingBytesMax: number;
}

interface Pending {
  readonly kind: KvOperationKind;
  readonly seq: number;
  readonly key: number;
  readonly value: number;
  readonly expected: number;
  readonly call: number;
  readonly data: Uint8Array | null;
  /** Nodes this operation was sent to (an answer from any of them counts). */
  readonly sentTo: Set<number>;
  attempts: number;
  deadline: number;
}

interface Client {
  readonly id: number;
  seq: number;
  leaderHint: number;
  nextOperationAt: number;
  pending: Pending | null;
}

export class Workload {
  readonly history: KvOperation[] = [];
  /** Logical clock ordering every call and return. */
  private clock = 0;
  private readonly clients: Client[] = [];
  active = true;
  completed = 0;
  attempts = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly random: Prng,
    private readonly options: WorkloadOptions,
  ) {
    for (let i = 1; i <= options.clients; i++) {
      this.clients.push({ id: i, seq: 0, leaderHint: NONE, nextOperationAt: 0, pending: null });
    }
    cluster.listener = {
      applied: (nodeId, entry, result) => this.onApplied(nodeId, entry, result),
      readDone: (nodeId, context, machine) => this.onRead(nodeId, context, machine),
    };
  }

  outstanding(): number {
    let count = 0;
    for (const client of this.clients) if (client.pending !== null) count++;
    return count;
  }

  tick(): void {
    const now = this.cluster.now;
    for (const client of this.clients) {
      const pending = client.pending;
      if (pending === null) {
        if (this.active && now >= client.nextOperationAt) this.begin(client);
      } else if (now >= pending.deadline) {
        this.attempt(client, pending);
      }
    }
  }

  private begin(client: Client): void {
    const random = this.random;
    const seq = ++client.seq;
    const key = random.nextInt(this.options.keys);
    const roll = random.nextInt(10);
    const kind: KvOperationKind = roll < 4 ? 'get' : roll < 8 ? 'put' : 'cas';
    const value = client.id * 1_000_000 + seq;
    let expected = -1;
    if (kind === 'cas') {
      // Expect a value some client may have written, or absence.
      expected = random.chance(0.2) ? -1 : this.recentValue(key);
    }
    let data: Uint8Array | null = null;
    if (kind !== 'get') {
      data = encodeCommand(
        {
          kind: kind === 'put' ? CommandKind.Put : CommandKind.Cas,
          clientId: client.id,
          seq,
          key,
          value,
          expected,
        },
        random.nextInt(this.options.paddingBytesMax + 1),
      );
    }
    const pending: Pending = {
      kind,
      seq,
      key,
      value,
      expected,
      call: ++this.clock,
      data,
      sentTo: new Set(),
      attempts: 0,
      deadline: 0,
    };
    client.pending = pending;
    this.cluster.trace.event(TraceKind.ClientCall, client.id, seq, key, value);
    this.attempt(client, pending);
  }

  private recentValue(key: number): number {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const op = this.history[i] as KvOperation;
      if (op.key === key && op.kind !== 'get') return op.value;
    }
    return -1;
  }

  private attempt(client: Client, pending: Pending): void {
    const cluster = this.cluster;
    const random = this.random;
    pending.attempts++;
    this.attempts++;
    const target =
      client.leaderHint !== NONE && random.chance(0.8)
        ? client.leaderHint
        : random.pick(cluster.nodeIds);
    pending.deadline = cluster.now + this.options.attemptTimeoutTicks;
    pending.sentTo.add(target);
    const result =
      pending.data === null
        ? cluster.readIndex(target, readContext(client.id, pending.seq, pending.attempts))
        : cluster.propose(target, pending.data);
    if (result === null) return; // node down or paused: the request is lost; wait for timeout
    if (result.outcome === 'accepted' || result.outcome === 'forwarded') {
      client.leaderHint = result.leader;
      return;
    }
    // Refused: try the hinted leader (or anyone) again soon.
    client.leaderHint = result.leader;
    pending.deadline = cluster.now + 1 + random.nextInt(3);
  }

  private finish(client: Client, output: number | boolean): void {
    const pending = client.pending as Pending;
    this.history.push({
      clientId: client.id,
      kind: pending.kind,
      key: pending.key,
      value: pending.value,
      expected: pending.expected,
      output,
      call: pending.call,
      ret: ++this.clock,
    });
    this.completed++;
    this.cluster.trace.event(
      TraceKind.ClientReturn,
      client.id,
      pending.seq,
      typeof output === 'boolean' ? (output ? 1 : 0) : output,
    );
    client.pending = null;
    client.nextOperationAt = this.cluster.now + this.random.nextInt(this.options.thinkTicksMax + 1);
  }

  private onApplied(nodeId: number, entry: Entry, result: KvResult | null): void {
    if (result === null) return;
    const client = this.clients[result.clientId - 1];
    const pending = client?.pending;
    if (client === undefined || pending === null || pending === undefined) return;
    if (pending.seq !== result.seq || !pending.sentTo.has(nodeId)) return;
    const command = decodeCommand(entry.data);
    if (command === undefined) return;
    this.finish(client, pending.kind === 'cas' ? result.ok : true);
  }

  private onRead(nodeId: number, context: Uint8Array, machine: KvMachineView): void {
    if (context.length !== 12) return;
    const view = new DataView(context.buffer, context.byteOffset, context.byteLength);
    const client = this.clients[view.getUint32(0) - 1];
    const pending = client?.pending;
    if (client === undefined || pending === null || pending === undefined) return;
    if (pending.kind !== 'get' || pending.seq !== view.getUint32(4)) return;
    if (!pending.sentTo.has(nodeId)) return;
    this.finish(client, machine.get(pending.key) ?? -1);
  }

  /** Operations still running are recorded with an unknown outcome and no return. */
  finalHistory(): KvOperation[] {
    const result = this.history.slice();
    for (const client of this.clients) {
      const pending = client.pending;
      if (pending === null) continue;
      result.push({
        clientId: client.id,
        kind: pending.kind,
        key: pending.key,
        value: pending.value,
        expected: pending.expected,
        output: undefined,
        call: pending.call,
        ret: Infinity,
      });
    }
    return result;
  }
}

function readContext(clientId: number, seq: number, attempt: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, clientId);
  view.setUint32(4, seq);
  view.setUint32(8, attempt);
  return bytes;
}
