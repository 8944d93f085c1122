// A whole Raft cluster in one process: real RaftNode cores, in-memory "disks", a simulated
// network with delays, drops, duplicates and cut links, crashes that lose everything not
// fsynced, pauses and slow disks. Time is ticks. The safety checkers watch every Ready.
import { confChangeTypeNames, decodeConfChange, type ConfChange } from '../raft/confchange.js';
import {
  EntryType,
  StateRole,
  stateRoleNames,
  type Entry,
  type Message,
  type Ready,
  type ReadState,
} from '../raft/messages.js';
import {
  RaftNode,
  type InjectedBugs,
  type ProposeResult,
  type ReadOnlyMode,
} from '../raft/raft.js';
import { MemoryStorage, bootstrapStorage } from '../raft/storage.js';
import { SafetyChecker } from './checkers.js';
import { KvStateMachine, type KvResult } from './kv.js';
import { Links, MessageQueue } from './network.js';
import { Prng } from './prng.js';
import { TraceHash, digestBytes } from './trace.js';

export interface RaftTuning {
  electionTimeoutTicks: number;
  heartbeatTimeoutTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  readOnlyMode: ReadOnlyMode;
  maxMessageBytes: number;
  maxInflightMessages: number;
  maxInflightBytes: number;
  maxUncommittedEntriesBytes: number;
  snapshotChunkBytes: number;
  snapshotChunksInFlight: number;
  disableProposalForwarding: boolean;
  injectedBugs: InjectedBugs;
}

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  minDelayTicks: number;
  maxDelayTicks: number;
}

export interface ClusterOptions {
  seed: number;
  /** Every node that exists (members or not). Ids 1..63. */
  nodeIds: readonly number[];
  voters: readonly number[];
  learners?: readonly number[];
  raft?: Partial<RaftTuning>;
  network?: Partial<NetworkFaults>;
  /** Take a snapshot once this many entries are applied past the last one; 0: never. */
  snapshotEveryEntries?: number;
  /** Entries kept in the log behind a snapshot. */
  snapshotRetainEntries?: number;
}

export interface ClusterListener {
  applied?(nodeId: number, entry: Entry, result: KvResult | null): void;
  readDone?(nodeId: number, context: Uint8Array, machine: KvStateMachine): void;
}

/** Trace event kinds (stable numbers: they feed the digest). */
export const TraceKind = {
  Tick: 1,
  Deliver: 2,
  Drop: 3,
  Crash: 4,
  Restart: 5,
  Partition: 6,
  Heal: 7,
  Pause: 8,
  SlowDisk: 9,
  Propose: 10,
  ReadIndex: 11,
  ConfChange: 12,
  Transfer: 13,
  ClientCall: 14,
  ClientReturn: 15,
  Apply: 16,
  Snapshot: 17,
  Fault: 18,
} as const;

/**
 * Fault triggers called at critical points of a leader's Ready, after it is persisted and before
 * its messages are sent (a fault injected here hits the window the messages would close).
 */
export interface ClusterHooks {
  leaderPersistedEntries?(nodeId: number): void;
  leaderCommitted?(nodeId: number): void;
}

export class SimNode {
  raft: RaftNode | null = null;
  machine = new KvStateMachine();
  pausedUntil = 0;
  diskBusyUntil = 0;
  /** Ticks each fsync takes (0: instant). */
  diskLatencyTicks = 0;
  /** The last Ready whose messages were sent (a leader's may go before its fsync). */
  sentReady: Ready | null = null;
  /** A Ready waiting for a slow fsync; lost if the node crashes first. */
  pendingReady: Ready | null = null;
  reads: ReadState[] = [];
  committedSeen = 0;
  restarts = 0;

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
    readonly random: Prng,
  ) {}
}

const DEFAULT_TUNING: RaftTuning = {
  electionTimeoutTicks: 10,
  heartbeatTimeoutTicks: 1,
  preVote: true,
  checkQuorum: true,
  readOnlyMode: 'safe',
  maxMessageBytes: 1024 * 1024,
  maxInflightMessages: 256,
  maxInflightBytes: 0,
  maxUncommittedEntriesBytes: 0,
  snapshotChunkBytes: 1024 * 1024,
  snapshotChunksInFlight: 4,
  disableProposalForwarding: false,
  injectedBugs: {},
};

export class Cluster {
  now = 0;
  readonly nodes = new Map<number, SimNode>();
  readonly nodeIds: readonly number[];
  readonly links = new Links();
  readonly queue = new MessageQueue();
  readonly checker = new SafetyChecker();
  readonly trace = new TraceHash();
  readonly random: Prng;
  readonly tuning: RaftTuning;
  readonly network: NetworkFaults;
  snapshotEveryEntries: number;
  snapshotRetainEntries: number;
  listener: ClusterListener = {};
  hooks: ClusterHooks = {};
  deliveries = 0;
  /** Deliveries per message type code. */
  readonly deliveriesByType: number[] = new Array<number>(32).fill(0);
  messagesSent = 0;
  messagesDropped = 0;
  /** When false, messages are delivered but the network adds no drops or duplicates. */
  faultyNetwork = true;
  /** Receives a human-readable line per notable event (roles, commits, faults) when set. */
  log: ((line: string) => void) | null = null;

  constructor(options: ClusterOptions) {
    this.random = new Prng(options.seed);
    this.tuning = { ...DEFAULT_TUNING, ...options.raft };
    this.network = {
      dropRate: 0,
      duplicateRate: 0,
      minDelayTicks: 1,
      maxDelayTicks: 1,
      ...options.network,
    };
    this.snapshotEveryEntries = options.snapshotEveryEntries ?? 0;
    this.snapshotRetainEntries = options.snapshotRetainEntries ?? 0;
    this.nodeIds = [...options.nodeIds].sort((a, b) => a - b);
    const voters = [...options.voters].sort((a, b) => a - b);
    const learners = [...(options.learners ?? [])].sort((a, b) => a - b);
    for (const id of this.nodeIds) {
      const member = voters.includes(id) || learners.includes(id);
      const storage = new MemoryStorage();
      if (member) bootstrapStorage(storage, { voters, learners });
      const node = new SimNode(id, storage, this.random.fork());
      this.nodes.set(id, node);
      this.start(node);
    }
  }

  node(id: number): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  raft(id: number): RaftNode {
    const raft = this.node(id).raft;
    if (raft === null) throw new Error(`node ${id} is down`);
    return raft;
  }

  isUp(id: number): boolean {
    return this.node(id).raft !== null;
  }

  private active(node: SimNode): boolean {
    return node.raft !== null && this.now >= node.pausedUntil && node.pendingReady === null;
  }

  // ----- faults -----

  private start(node: SimNode): void {
    const snapshot = node.storage.snapshot();
    node.machine = KvStateMachine.restore(snapshot.data, snapshot.metadata.index);
    const t = this.tuning;
    node.raft = new RaftNode({
      id: node.id,
      storage: node.storage,
      random: node.random,
      electionTimeoutTicks: t.electionTimeoutTicks,
      heartbeatTimeoutTicks: t.heartbeatTimeoutTicks,
      preVote: t.preVote,
      checkQuorum: t.checkQuorum,
      readOnlyMode: t.readOnlyMode,
      maxMessageBytes: t.maxMessageBytes,
      maxInflightMessages: t.maxInflightMessages,
      maxInflightBytes: t.maxInflightBytes,
      maxUncommittedEntriesBytes: t.maxUncommittedEntriesBytes,
      snapshotChunkBytes: t.snapshotChunkBytes,
      snapshotChunksInFlight: t.snapshotChunksInFlight,
      disableProposalForwarding: t.disableProposalForwarding,
      injectedBugs: t.injectedBugs,
    });
    node.committedSeen = Math.max(node.committedSeen, node.raft.raftLog.committed);
  }

  /** Stops a node; everything not yet persisted (including a Ready waiting on disk) is lost. */
  crash(id: number): void {
    const node = this.node(id);
    if (node.raft === null) return;
    this.trace.event(TraceKind.Crash, id, this.now);
    this.log?.(`${this.now} crash ${id}`);
    node.raft = null;
    node.pendingReady = null;
    node.reads = [];
    node.pausedUntil = 0;
    node.diskBusyUntil = 0;
  }

  restart(id: number): void {
    const node = this.node(id);
    if (node.raft !== null) return;
    this.trace.event(TraceKind.Restart, id, this.now);
    this.log?.(`${this.now} restart ${id}`);
    node.restarts++;
    this.start(node);
  }

  pause(id: number, ticks: number): void {
    const node = this.node(id);
    this.trace.event(TraceKind.Pause, id, ticks);
    node.pausedUntil = Math.max(node.pausedUntil, this.now + ticks);
  }

  setDiskLatency(id: number, ticks: number): void {
    this.trace.event(TraceKind.SlowDisk, id, ticks);
    this.node(id).diskLatencyTicks = ticks;
  }

  /** Heals links, restarts crashed nodes, ends pauses and slow disks. */
  healAll(): void {
    this.trace.event(TraceKind.Heal, this.now);
    this.links.heal();
    for (const node of this.nodes.values()) {
      node.pausedUntil = 0;
      node.diskLatencyTicks = 0;
      if (node.raft === null) this.restart(node.id);
    }
  }

  // ----- client-facing operations (null when the node is down or paused) -----

  propose(id: number, data: Uint8Array): ProposeResult | null {
    const node = this.node(id);
    if (!this.active(node)) return null;
    const result = (node.raft as RaftNode).propose(data);
    this.trace.event(TraceKind.Propose, id, data.length, result.index);
    this.drain(node);
    return result;
  }

  proposeConfChange(id: number, change: ConfChange): ProposeResult | null {
    const node = this.node(id);
    if (!this.active(node)) return null;
    const result = (node.raft as RaftNode).proposeConfChange(change);
    this.trace.event(TraceKind.ConfChange, id, change.type, change.nodeId, result.index);
    this.drain(node);
    return result;
  }

  readIndex(id: number, context: Uint8Array): ProposeResult | null {
    const node = this.node(id);
    if (!this.active(node)) return null;
    const result = (node.raft as RaftNode).readIndex(context);
    this.trace.event(TraceKind.ReadIndex, id, context.length);
    this.drain(node);
    return result;
  }

  transferLeader(id: number, transferee: number): ProposeResult | null {
    const node = this.node(id);
    if (!this.active(node)) return null;
    const result = (node.raft as RaftNode).transferLeader(transferee);
    this.trace.event(TraceKind.Transfer, id, transferee);
    this.drain(node);
    return result;
  }

  campaign(id: number): void {
    const node = this.node(id);
    if (!this.active(node)) return;
    (node.raft as RaftNode).campaign();
    this.drain(node);
  }

  /** The up node that believes it leads, in the highest term; 0 if none. */
  leader(): number {
    let best = 0;
    let bestTerm = -1;
    for (const node of this.nodes.values()) {
      const raft = node.raft;
      if (raft !== null && raft.role === StateRole.Leader && raft.term > bestTerm) {
        best = node.id;
        bestTerm = raft.term;
      }
    }
    return best;
  }

  // ----- time -----

  tick(): void {
    this.now++;
    this.trace.event(TraceKind.Tick, this.now);
    for (const node of this.nodes.values()) {
      if (node.pendingReady !== null && this.now >= node.diskBusyUntil) {
        const ready = node.pendingReady;
        node.pendingReady = null;
        this.handleReady(node, ready);
        this.drain(node);
      }
    }
    for (const node of this.nodes.values()) {
      if (!this.active(node)) continue;
      (node.raft as RaftNode).tick();
      this.drain(node);
    }
    this.deliverDue();
  }

  ticks(count: number): void {
    for (let i = 0; i < count; i++) this.tick();
  }

  private deliverDue(): void {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.deliverAt > this.now) return;
      this.queue.pop();
      this.deliver(next.message);
    }
  }

  private deliver(message: Message): void {
    const node = this.nodes.get(message.to);
    if (node === undefined || node.raft === null || this.links.blocked(message.from, message.to)) {
      this.messagesDropped++;
      this.trace.event(TraceKind.Drop, message.from, message.to, message.type);
      return;
    }
    if (!this.active(node)) {
      // Waits in the socket buffer until the node runs again.
      this.queue.push(message, Math.max(node.pausedUntil, node.diskBusyUntil, this.now + 1));
      return;
    }
    this.deliveries++;
    this.deliveriesByType[message.type] = (this.deliveriesByType[message.type] ?? 0) + 1;
    this.trace.event(
      TraceKind.Deliver,
      message.from * 64 + message.to,
      message.type * 65536 + message.entries.length,
      message.term,
      message.index * 2 + (message.reject ? 1 : 0),
    );
    node.raft.step(message);
    this.drain(node);
  }

  private send(message: Message): void {
    this.messagesSent++;
    const network = this.network;
    if (this.faultyNetwork && this.random.chance(network.dropRate)) {
      this.messagesDropped++;
      return;
    }
    const spread = network.maxDelayTicks - network.minDelayTicks + 1;
    this.queue.push(message, this.now + network.minDelayTicks + this.random.nextInt(spread));
    if (this.faultyNetwork && this.random.chance(network.duplicateRate)) {
      this.queue.push(message, this.now + network.minDelayTicks + this.random.nextInt(spread));
    }
  }

  // ----- the Ready loop: persist, send, apply, advance -----

  private drain(node: SimNode): void {
    // While a leader's Ready waits for its slow disk, appends for newer proposals leave at once
    // (as the replica driver does: takeLeaderMessages).
    if (node.pendingReady !== null && node.raft !== null && this.active(node)) {
      for (const message of node.raft.takeLeaderMessages()) this.send(message);
    }
    for (;;) {
      const raft = node.raft;
      if (raft === null || !this.active(node) || !raft.hasReady()) return;
      const ready = raft.ready();
      if (node.diskLatencyTicks > 0 && ready.mustSync) {
        // A leader's appends go out while its own disk is busy (a crash before the fsync
        // loses its copy, which the core must not have counted).
        if (ready.messagesMayPrecedePersist) this.sendAll(node, ready);
        node.pendingReady = ready;
        node.diskBusyUntil = this.now + node.diskLatencyTicks;
        return;
      }
      this.handleReady(node, ready);
    }
  }

  private sendAll(node: SimNode, ready: Ready): void {
    if (node.sentReady === ready) return;
    node.sentReady = ready;
    for (const message of ready.messages) this.send(message);
  }

  private handleReady(node: SimNode, ready: Ready): void {
    const raft = node.raft as RaftNode;
    const storage = node.storage;
    const checker = this.checker;
    // 1. Persist (this is the fsync).
    if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
    if (ready.entries.length > 0) {
      storage.append(ready.entries);
      let previousTerm = storage.term((ready.entries[0] as Entry).index - 1);
      for (const entry of ready.entries) {
        checker.onPersisted(node.id, entry, previousTerm);
        previousTerm = entry.term;
      }
    }
    if (ready.hardState !== null) {
      storage.setHardState(ready.hardState);
      if (ready.hardState.commit > node.committedSeen) {
        const from = node.committedSeen + 1;
        node.committedSeen = ready.hardState.commit;
        checker.onCommitted(node.id, raft.term, from, ready.hardState.commit, raft.raftLog);
      }
    }
    if (ready.softState !== null && ready.softState.role === StateRole.Leader) {
      checker.onLeader(node.id, ready.softState.term, raft.raftLog, raft.raftLog.committed);
    }
    if (this.log !== null) this.logReady(node, ready);
    if (raft.role === StateRole.Leader) {
      if (ready.entries.length > 0) this.hooks.leaderPersistedEntries?.(node.id);
      if (ready.hardState !== null && ready.hardState.commit > 0)
        this.hooks.leaderCommitted?.(node.id);
    }
    // 2. Send, now that what the messages promise is durable (unless sent already).
    this.sendAll(node, ready);
    // 3. Apply.
    if (ready.snapshot !== null) {
      const { index } = ready.snapshot.metadata;
      node.machine = KvStateMachine.restore(ready.snapshot.data, index);
      checker.onSnapshot(node.id, index, digestBytes(ready.snapshot.data));
      this.trace.event(TraceKind.Snapshot, node.id, index, 1);
    }
    for (const entry of ready.committedEntries) {
      checker.onApplied(node.id, entry);
      const result = node.machine.apply(entry);
      this.listener.applied?.(node.id, entry, result);
    }
    for (const readState of ready.readStates) node.reads.push(readState);
    raft.advance(ready);
    if (node.reads.length > 0) this.serveReads(node);
    this.maybeSnapshot(node);
  }

  private logReady(node: SimNode, ready: Ready): void {
    const log = this.log as (line: string) => void;
    const raft = node.raft as RaftNode;
    const prefix = `${this.now} n${node.id}`;
    if (ready.softState !== null) {
      const s = ready.softState;
      log(`${prefix} role ${stateRoleNames[s.role]} term ${s.term} leader ${s.leader}`);
    }
    if (ready.snapshot !== null) log(`${prefix} install snapshot ${ready.snapshot.metadata.index}`);
    if (ready.entries.length > 0) {
      const first = ready.entries[0] as Entry;
      const last = ready.entries[ready.entries.length - 1] as Entry;
      log(`${prefix} persist ${first.index}/${first.term}..${last.index}/${last.term}`);
    }
    if (ready.hardState !== null) {
      const h = ready.hardState;
      log(`${prefix} hardstate term ${h.term} vote ${h.vote} commit ${h.commit}`);
    }
    for (const entry of ready.committedEntries) {
      if (entry.type === EntryType.ConfChange) {
        const change = decodeConfChange(entry.data);
        log(
          `${prefix} apply conf ${entry.index}/${entry.term} ` +
            `${change ? confChangeTypeNames[change.type] + ' ' + change.nodeId : '?'} ` +
            `conf before ${JSON.stringify(raft.confState())}`,
        );
      }
    }
  }

  private serveReads(node: SimNode): void {
    const applied = node.machine.appliedIndex;
    const waiting: ReadState[] = [];
    for (const read of node.reads) {
      if (read.index <= applied) this.listener.readDone?.(node.id, read.context, node.machine);
      else waiting.push(read);
    }
    node.reads = waiting;
  }

  private maybeSnapshot(node: SimNode): void {
    const every = this.snapshotEveryEntries;
    if (every <= 0) return;
    const applied = node.machine.appliedIndex;
    const storage = node.storage;
    if (applied - storage.snapshot().metadata.index < every) return;
    const data = node.machine.serialize();
    storage.createSnapshot(applied, (node.raft as RaftNode).confState(), data);
    this.checker.onSnapshot(node.id, applied, digestBytes(data));
    storage.compact(Math.max(storage.firstIndex() - 1, applied - this.snapshotRetainEntries));
    this.trace.event(TraceKind.Snapshot, node.id, applied, 0);
  }
}
