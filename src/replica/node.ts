// The node driver: one Raft group member. Ticks the core from a timer, runs the Ready loop
// (persist → send → apply → advance), is the command layer's EffectSink on the leader (each
// LogEntry is proposed) and the sessions' DurabilityGate (replies wait for commit, and read-only
// batches for a ReadIndex confirmation). Membership: RAFT ADD-NODE adds a learner (its address
// replicated as a peer entry just before the conf change), promoted to voter once caught up;
// REMOVE-NODE and TRANSFER-LEADER go to the core. Log compaction: every `snapshotEntries`
// applied entries the node writes an engine snapshot (forkless, persist/snapshot.ts) and the
// storage compacts the log behind it; a snapshot received from the leader replaces the engine's
// contents. See docs/REPLICATION.md.

import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/engine.js';
import { Op, type LogEntry } from '../engine/effects.js';
import {
  ByteReader,
  ByteWriter,
  decodeRecord,
  RecordKind,
  writeEntryPayload,
} from '../persist/codec.js';
import type { FileSystem } from '../persist/fs.js';
import { join } from '../persist/names.js';
import { SNAPSHOT_SLICE_MS } from '../persist/persistence.js';
import { runTurnEnd } from '../util/turn-end.js';
import { bufferSource, SnapshotReader } from '../persist/snapshot-bytes.js';
import type { SnapshotJob, SnapshotSliceOptions } from '../persist/snapshot.js';
import { ConfChangeType, type ConfChange } from '../raft/confchange.js';
import {
  EntryType,
  StateRole,
  stateRoleNames,
  type Entry,
  type Ready,
  type Snapshot,
} from '../raft/messages.js';
import { RaftNode, type RaftStatus } from '../raft/raft.js';
import { RaftDiskStorage, RaftStorageError, type SnapshotFile } from './disk-storage.js';
import { decideBootstrap, JOINING_TERM } from './bootstrap-probe.js';
import { JoinVoteGuard } from './join-vote-guard.js';
import { type DeliverMessage, PublishDelivery } from './publishes.js';
import type { ParsedSnapshotFile, RaftSnapshotMeta } from './snapshot-file.js';
import { startSnapshotFile, type WrittenSnapshot } from './snapshot-writer.js';
import { Transport } from './transport.js';
import { GROUP_ID_BYTES, isGroupId } from './wire.js';

export interface PeerSpec {
  readonly id: number;
  readonly host: string;
  readonly clientPort: number;
  readonly raftPort: number;
}

/** Parses `1=127.0.0.1:7001@17001,2=...` (id=host:clientport@raftport). */
export function parsePeers(text: string): Map<number, PeerSpec> {
  const peers = new Map<number, PeerSpec>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const match = /^(\d+)=([^:@]+):(\d+)@(\d+)$/.exec(part);
    if (match === null) throw new Error(`bad peer '${part}' (want id=host:clientport@raftport)`);
    const id = Number(match[1]);
    if (id <= 0 || peers.has(id)) throw new Error(`bad or repeated node id in '${part}'`);
    peers.set(id, {
      id,
      host: match[2] as string,
      clientPort: Number(match[3]),
      raftPort: Number(match[4]),
    });
  }
  return peers;
}

export interface ReplicaOptions {
  nodeId: number;
  peers: Map<number, PeerSpec>;
  dir: string;
  fs: FileSystem;
  engine: Engine;
  electionTimeoutMs: number;
  /** Join an existing group (empty storage waits for the leader) instead of bootstrapping one. */
  join?: boolean;
  log: (level: 'verbose' | 'notice' | 'warning', message: string) => void;
  /** Called when this node starts or stops serving commands locally (postponed ones resume). */
  onServingChanged?: () => void;
  /** Called when the node cannot go on (a disk write failed): the host must stop. */
  onFatal?: (error: Error) => void;
  /**
   * Called once when a membership change this node applied removed it from the group: it gets
   * no more appends, so its data only ages (the host stops, as a removed etcd member does).
   */
  onRemoved?: () => void;
  /** Where committed PUBLISH messages go (this node's subscribers); see publishes.ts. */
  deliver?: DeliverMessage;
  /** Addresses the Raft port listens on (`--bind`; an address starting with '-' may fail). */
  bind?: readonly string[];
  /** Snapshot (and compact the log) once this many entries were applied since the last (0: never). */
  snapshotEntries?: number;
  /** Entries kept behind a snapshot, so followers that far behind still get appends. */
  snapshotKeepEntries?: number;
  snapshotSlices?: SnapshotSliceOptions;
}

export const DEFAULT_SNAPSHOT_ENTRIES = 100_000;

/** An engine snapshot being written by this node (at most one at a time). */
interface OwnSnapshot {
  readonly index: number;
  readonly startedMs: number;
  readonly job: SnapshotJob;
  /** Its state is no longer the committed prefix (rebuilt or replaced engine): discard it. */
  abandoned: boolean;
  /** Set once the file is durable and verified; recorded once `index` is applied. */
  written: WrittenSnapshot | undefined;
}

interface Ticket {
  readonly ticket: number;
  readonly index: number;
  readonly needsRead: boolean;
  round: number;
}

interface Waiter {
  readonly ticket: number;
  readonly done: () => void;
  readonly lost: (() => void) | undefined;
}

const ELECTION_TICKS = 10;
/**
 * Snapshots (received, or at start) and rebuilds load in slices of this many ms: short beside
 * the heartbeat interval and a client's patience, long enough that the turns between them cost
 * little.
 */
const LOAD_SLICE_MS = 5;

/**
 * First byte of a peer entry (a Normal entry that is not a persist record: RecordKind values are
 * small): the rest is `id=host:clientport@raftport` in latin1. Written to disk; never reuse.
 */
const PEER_ENTRY = 0xa0;

/**
 * First byte of a batch entry: every LogEntry a leader executed in one event-loop turn, as
 * `[u32 length][entry payload]` repeated. One Raft entry per turn instead of one per command:
 * at 50 clients × 16 pipelined commands the log, the wire and the followers see a few entries
 * per turn, not hundreds. Written to disk; never reuse.
 */
const BATCH_ENTRY = 0xa1;
/**
 * First byte of the entry that names the group: 8 random bytes chosen by the first leader that
 * finds the group without an id. The first one committed wins (later ones, from leaders that
 * did not see it yet, are ignored alike by every node). Written to disk; never reuse.
 */
const GROUP_ENTRY = 0xa2;

function formatPeer(peer: PeerSpec): string {
  return `${peer.id}=${peer.host}:${peer.clientPort}@${peer.raftPort}`;
}

export class ReplicaNode {
  readonly id: number;
  private storage!: RaftDiskStorage;
  raft!: RaftNode;
  private transport!: Transport;
  private timer: NodeJS.Timeout | undefined;
  /** The open batch entry (see BATCH_ENTRY), and the writer it is encoded with. */
  private batch: { readonly index: number; entries: number } | undefined;
  private readonly writer = new ByteWriter(16 * 1024);
  /** Highest log index whose effects are in the engine (speculative on a leader). */
  private engineIndex = 0;
  /** The engine is being reloaded in slices (a received snapshot, a rebuild): no local reads. */
  private loadingEngine = false;
  /** Leadership was lost with entries in the engine that are not committed (checkLeadership). */
  private rebuildWanted = false;
  /** Membership as of the last Ready: a member once, and removed since (checkMembership). */
  private wasMember = false;
  private removed = false;
  /** The group's id (from its first committed GROUP_ENTRY), once this node knows it. */
  private groupId: string | undefined;
  /**
   * The id of the group this node joined because its founders' probe answers named it (an empty
   * disk, no `--join`): until it learns the id from the group itself, its hellos carry this one
   * and only that group's nodes are accepted; the id it learns must be this one. Kept in the raft
   * folder (`expected-group-id`): a restart no longer probes, and still expects it.
   */
  private expectedGroupId: string | undefined;
  /** The term in which this leader proposed a group id (0: none). */
  private groupIdProposedTerm = 0;
  /** Members as of the last Ready, and ids removed from the group (never reused; see addNode). */
  private members: number[] = [];
  private readonly removedIds = new Set<number>();
  /** ReadIndex rounds this node started, for RAFT STATUS (writes need none). */
  private readRounds = 0;
  /** Log entries this node's commands appended: effects and membership (lastAppendedSequence). */
  private appends = 0;
  /** Highest committed index handled (applied, or already in the engine). */
  appliedIndex = 0;
  /** Commit index seen by this leader outside the Ready loop (releaseCommitted; 0: none). */
  private leaderCommitted = 0;
  /** Term in which this node leads (0: not leading), and the index of that term's no-op. */
  private leaderTerm = 0;
  private termStartIndex = 0;
  private readyLoopRunning = false;
  private readyLoopAgain = false;
  private closed = false;
  // Tickets: the DurabilityGate's sequences.
  private nextTicket = 1;
  private releasedTicket = 0;
  private tickets: Ticket[] = [];
  private waiters: Waiter[] = [];
  private nextRound = 1;
  private roundInFlight = 0;
  private confirmedRound = 0;
  private serving = false;
  /** Set when this node joined with an empty disk: no votes until caught up (see the module). */
  private joinVoteGuard: JoinVoteGuard | undefined;
  /** While a leadership transfer started here may be running (0: none). */
  private transferUntilMs = 0;
  /** Called with the index of each entry this leader proposes (WAIT's per-client last write). */
  onAppend: ((index: number) => void) | undefined;
  /** Called after every Ready handled (match indexes, leadership or commit may have moved). */
  onProgress: (() => void) | undefined;

  /** PUBLISH messages of committed entries to this node's subscribers. */
  private publishes!: PublishDelivery;
  /** The EffectSink side of replicated pub/sub: PUBLISH becomes an effect of the log entry. */
  readonly logsPublish = true;
  /** The group's settings (CONFIG SET of a group setting, ACL users) are effects too. */
  readonly logsSettings = true;

  /** Every member's addresses: from --peers, then the snapshot's table and the log's peer entries. */
  private readonly peers: Map<number, PeerSpec>;
  private snapshotting: OwnSnapshot | undefined;
  /** Index of the last conf change this leader proposed (a snapshot waits for it to apply). */
  private confProposedIndex = 0;
  private readonly snapshotEntries: number;
  private readonly snapshotKeepEntries: number;

  constructor(private readonly options: ReplicaOptions) {
    this.id = options.nodeId;
    if (!options.peers.has(this.id)) throw new Error(`--node-id ${this.id} is not in --peers`);
    this.peers = new Map(options.peers);
    this.snapshotEntries = options.snapshotEntries ?? DEFAULT_SNAPSHOT_ENTRIES;
    this.snapshotKeepEntries = options.snapshotKeepEntries ?? Math.floor(this.snapshotEntries / 5);
  }

  get self(): PeerSpec {
    return this.peers.get(this.id) as PeerSpec;
  }

  peer(id: number): PeerSpec | undefined {
    return this.peers.get(id);
  }

  /** False until start() made the Raft node (ROLE and RAFT answer -LOADING until then). */
  get started(): boolean {
    return (this.raft as RaftNode | undefined) !== undefined;
  }

  async start(): Promise<void> {
    const { fs, dir } = this.options;
    this.storage = await RaftDiskStorage.open({
      fs,
      dir: join(dir, 'raft'),
      log: (message) => this.options.log('warning', message),
    });
    this.groupId = this.storage.groupId;
    this.expectedGroupId = this.storage.expectedGroupId;
    // Listening first: founders with empty disks answer each other's bootstrap probes.
    this.transport = new Transport({
      nodeId: this.id,
      listenHosts: this.options.bind ?? [this.self.host],
      listenPort: this.self.raftPort,
      peers: new Map(
        [...this.peers.values()].map((p) => [p.id, { host: p.host, port: p.raftPort }]),
      ),
      onMessage: (message) => {
        if (this.closed || !this.started) return;
        if (this.joinVoteGuard?.admits(message) === false) return;
        try {
          this.raft.step(message);
        } catch (error) {
          // A snapshot chunk the storage could not write (receiveSnapshot): as a failed persist.
          if (!(error instanceof RaftStorageError)) throw error;
          this.fatal(error);
          return;
        }
        this.releaseCommitted();
        this.sendLeaderMessages();
        this.kick();
      },
      term: () => {
        const term = this.started ? this.raft.term : this.storage.initialState().hardState.term;
        return this.joinVoteGuard !== undefined ? Math.max(term, JOINING_TERM) : term;
      },
      log: (message) => this.options.log('verbose', message),
      isRemoved: (id) => this.removedIds.has(id),
      onRemovedNotice: (by) => this.toldRemoved(by),
      groupId: () => this.groupId ?? this.expectedGroupId,
      warn: (message) => this.options.log('warning', message),
    });
    await this.transport.listen();
    let joining = this.storage.isEmpty && this.options.join === true;
    if (this.storage.isEmpty && !joining) {
      const decision = await decideBootstrap({
        selfId: this.id,
        founders: new Map(
          [...this.options.peers.values()].map((p) => [p.id, { host: p.host, port: p.raftPort }]),
        ),
        stopped: () => this.closed,
        log: (message) => this.options.log('notice', message),
      });
      if (decision === undefined) return; // closed meanwhile
      joining = decision.kind === 'join';
      if (decision.kind === 'join' && decision.groupId !== undefined) {
        // On disk, so that a restart before this node learns the id from the group expects it too.
        await this.storage.recordExpectedGroupId(decision.groupId);
        this.expectedGroupId = decision.groupId;
        this.options.log('notice', `accepting only nodes of group ${decision.groupId}`);
      }
      if (!joining) {
        const voters = [...this.options.peers.keys()].sort((a, b) => a - b);
        await this.storage.bootstrap({ voters, learners: [] });
        this.options.log('notice', `new replica group, voters ${voters.join(',')}`);
      }
    }
    if (joining) {
      this.options.log(
        'notice',
        'joining a group: waiting for its leader (no vote until caught up)',
      );
      this.joinVoteGuard = new JoinVoteGuard();
    }
    const file = this.storage.snapshotFile;
    if (file !== undefined) {
      // In slices, as an install: the node answers PING and node-local commands meanwhile.
      const startedMs = Date.now();
      const loaded = await this.inSlices(this.snapshotSlices(file));
      if (loaded === undefined) return; // closed meanwhile
      this.engineIndex = this.appliedIndex = file.parsed.meta.index;
      this.options.log(
        'notice',
        `loaded the Raft snapshot at ${file.parsed.meta.index} (${loaded.value} keys, in ${Date.now() - startedMs} ms over ${loaded.turns} turns); the log follows from ${this.storage.firstIndex()}`,
      );
    }
    this.publishes = new PublishDelivery(
      this.options.deliver,
      this.storage.initialState().hardState.commit,
    );
    this.raft = new RaftNode({
      applied: this.appliedIndex,
      id: this.id,
      storage: this.storage,
      random: { nextInt: (bound) => Math.floor(Math.random() * bound) },
      electionTimeoutTicks: ELECTION_TICKS,
      heartbeatTimeoutTicks: 1,
      preVote: true,
      checkQuorum: true,
    });
    // The snapshot's members: removals replayed from the log after it are noticed as they apply.
    const conf = this.raft.confState();
    this.members = [...conf.voters, ...conf.learners];
    this.campaignIfOnlyVoter();
    const tickMs = Math.max(1, Math.floor(this.options.electionTimeoutMs / ELECTION_TICKS));
    this.timer = setInterval(() => this.tick(), tickMs);
    this.kick();
  }

  private tick(): void {
    if (this.closed) return;
    if (this.joinVoteGuard?.holding !== true) this.raft.tick();
    this.startReadRound();
    this.proposeGroupId();
    this.promoteLearners();
    this.kick();
  }

  // ----- the Ready loop -----

  private kick(): void {
    if (this.readyLoopRunning) {
      this.readyLoopAgain = true;
      return;
    }
    this.readyLoopRunning = true;
    void this.readyLoop().catch((error: unknown) => this.fatal(error as Error));
  }

  private async readyLoop(): Promise<void> {
    try {
      do {
        this.readyLoopAgain = false;
        while (!this.closed && this.raft.hasReady()) {
          const ready = this.raft.ready();
          this.checkLeadership();
          await this.rebuildIfWanted();
          if (this.closed) return;
          // A leader's appends go out while it fsyncs its own copy (it counts itself towards
          // commit only once persisted); anything else waits for the fsync.
          const sendFirst = ready.messagesMayPrecedePersist;
          if (sendFirst) for (const message of ready.messages) this.transport.send(message);
          // 1. Persist (fsync) what the messages will promise.
          await this.storage.persist(ready);
          if (this.closed) return;
          // 2. Send.
          if (!sendFirst) for (const message of ready.messages) this.transport.send(message);
          // 3. Apply.
          if (ready.snapshot !== null) {
            await this.installReceivedSnapshot(ready.snapshot);
            if (this.closed) return;
          }
          this.applyCommitted(ready);
          for (const readState of ready.readStates) this.readConfirmed(readState.context);
          // Replies for what is now applied go out before advance() applies a membership
          // change, which may end this node's leadership (a leader removing itself) and fail
          // every ticket still held.
          this.releaseTickets();
          this.raft.advance(ready);
          this.checkMembership();
          if (this.joinVoteGuard?.holding === true) {
            const log = this.raft.raftLog;
            this.joinVoteGuard.update(log.committed, log.term(log.committed), this.raft.term);
          }
          this.checkLeadership();
          await this.rebuildIfWanted();
          if (this.closed) return;
          this.releaseTickets();
          this.onProgress?.();
          this.maybeStartSnapshot();
        }
        // Between Readys: the storage may be compacted.
        if (!this.closed && this.snapshotting?.written !== undefined)
          await this.recordWrittenSnapshot();
      } while (this.readyLoopAgain && !this.closed);
    } finally {
      this.readyLoopRunning = false;
    }
  }

  private fatal(error: Error): void {
    this.options.log('warning', `replica: fatal: ${error.stack ?? error.message}`);
    this.options.onFatal?.(error);
  }

  private applyCommitted(ready: Ready): void {
    for (const entry of ready.committedEntries) {
      if (entry.type === EntryType.Normal && entry.data[0] === GROUP_ENTRY && entry.data.length > 1)
        this.learnGroupId(Buffer.from(entry.data.subarray(1)).toString('hex'));
      if (entry.index <= this.engineIndex) {
        // Already in the engine: this leader's own speculative entry.
        this.appliedIndex = entry.index;
        this.publishes.committedOwn(entry.index);
        continue;
      }
      const applied = this.applyEntry(entry);
      if (applied !== undefined)
        for (const logEntry of applied) this.publishes.applied(entry.index, logEntry);
      this.engineIndex = entry.index;
      this.appliedIndex = entry.index;
    }
  }

  /** Applies a committed entry to the engine; returns its LogEntry if it had one. */
  private applyEntry(entry: Entry): LogEntry[] | undefined {
    if (entry.type !== EntryType.Normal || entry.data.byteLength === 0) return undefined;
    const data = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    if (data[0] === PEER_ENTRY) {
      this.learnPeer(data.subarray(1).toString('latin1'));
      return undefined;
    }
    if (data[0] === GROUP_ENTRY) return undefined; // applyCommitted learned it
    if (data[0] !== BATCH_ENTRY) return [this.applyPayload(entry.index, data, 0, data.length)];
    const input = new ByteReader(data, 1);
    const applied: LogEntry[] = [];
    while (!input.done) {
      const length = input.u32();
      const start = input.offset;
      if (length <= 0 || start + length > data.length)
        throw new Error(`raft entry ${entry.index}: bad batch`);
      applied.push(this.applyPayload(entry.index, data, start, start + length));
      input.offset = start + length;
    }
    return applied;
  }

  private applyPayload(index: number, data: Buffer, start: number, end: number): LogEntry {
    const record = decodeRecord(data, start, end);
    if (record.kind !== RecordKind.Entry) throw new Error(`raft entry ${index} is not a log entry`);
    this.options.engine.apply(record.value.entry);
    return record.value.entry;
  }

  /**
   * Notices removals: of others (remembered, so a removed node that comes back is told, and
   * its id is never added again), and of this node (it was a member, and an applied change
   * took it out).
   */
  private checkMembership(): void {
    const conf = this.raft.confState();
    const members = [...conf.voters, ...conf.learners];
    for (const id of this.members) if (!members.includes(id)) this.removedIds.add(id);
    this.members = members;
    if (members.includes(this.id)) this.wasMember = true;
    else if (this.wasMember)
      this.stopRemoved(`this node (${this.id}) was removed from the replica group`);
    this.campaignIfOnlyVoter();
  }

  /**
   * The only voter need not wait out an election timeout: nobody else could win, and nobody
   * else's vote is needed, so a one-node group serves as soon as it starts (its configuration
   * comes from the log or a snapshot, so this is checked again as entries apply). An election
   * started early is one whose timer fired early: Raft's safety does not depend on timers.
   */
  private campaignIfOnlyVoter(): void {
    const { voters } = this.raft.confState();
    if (voters.length !== 1 || voters[0] !== this.id || this.joinVoteGuard !== undefined) return;
    if (this.raft.role === StateRole.Follower) this.raft.campaign();
  }

  /** A member said this node was removed (it applied the removal; ids are never reused). */
  private toldRemoved(by: number): void {
    this.stopRemoved(`node ${by} says this node (${this.id}) was removed from the replica group`);
  }

  private stopRemoved(why: string): void {
    if (this.removed) return;
    this.removed = true;
    this.options.log('warning', why);
    this.options.onRemoved?.();
  }

  /**
   * Notices a change of leadership. Losing it fails every held reply (their outcome is unknown)
   * and rebuilds the engine if it holds entries that are not committed.
   */
  private checkLeadership(): void {
    const raft = this.raft;
    const leading = raft.role === StateRole.Leader;
    if (this.leaderTerm !== 0 && (!leading || raft.term !== this.leaderTerm)) {
      this.options.log('notice', `no longer leader (term ${this.leaderTerm} → ${raft.term})`);
      this.leaderTerm = 0;
      this.leaderCommitted = 0;
      this.transferUntilMs = 0;
      this.failTickets();
      if (this.engineIndex > this.appliedIndex) this.rebuildWanted = true;
    }
    if (leading && this.leaderTerm === 0) {
      this.leaderTerm = raft.term;
      this.termStartIndex = raft.raftLog.lastIndex();
      this.options.log('notice', `leader for term ${raft.term}`);
    }
    const serving = this.leaderReady;
    if (serving !== this.serving || !leading) {
      this.serving = serving;
      this.options.onServingChanged?.();
    }
  }

  /**
   * The steps of rebuilding the engine as of appliedIndex (the snapshot, then the committed log
   * after it), to drop entries it holds that are not committed: each `yield` ends a slice.
   */
  private *rebuildSteps(): Generator<void, void, void> {
    this.options.log(
      'notice',
      `rebuilding the dataset from the snapshot and the committed log (dropping entries ${this.appliedIndex + 1}..${this.engineIndex})`,
    );
    if (this.snapshotting !== undefined && this.snapshotting.index > this.appliedIndex)
      this.abandonSnapshot('it held entries that are not committed');
    this.dropBatch();
    this.publishes.dropSpeculative();
    const target = this.appliedIndex;
    const file = this.storage.snapshotFile;
    const first = file === undefined ? this.storage.firstIndex() : file.parsed.meta.index + 1;
    const entries =
      target >= first ? this.storage.entries(first, target + 1, Number.MAX_SAFE_INTEGER) : [];
    this.emptyEngine();
    if (file !== undefined) yield* this.snapshotSlices(file);
    let sliceStart = performance.now();
    for (const entry of entries) {
      this.applyEntry(entry);
      if (performance.now() - sliceStart > LOAD_SLICE_MS) {
        yield;
        sliceStart = performance.now();
      }
    }
    this.engineIndex = target;
  }

  /** A refused proposal: the node may still lead and run commands, so it rebuilds at once. */
  private rebuildEngineNow(): void {
    const steps = this.rebuildSteps();
    let done = false;
    while (!done) done = steps.next().done === true;
  }

  /**
   * After leadership was lost (checkLeadership), in the Ready loop: a rebuild in slices, so a
   * large dataset does not stall the node's clients and links. Nothing else applies meanwhile
   * (the loop waits), the node cannot serve as leader (its leaderTerm is set only after), and
   * `loadingEngine` keeps local reads off the half-built engine.
   */
  private async rebuildIfWanted(): Promise<void> {
    if (!this.rebuildWanted) return;
    this.rebuildWanted = false;
    const startedMs = Date.now();
    const rebuilt = await this.inSlices(this.rebuildSteps());
    if (rebuilt === undefined) return;
    this.options.log(
      'notice',
      `rebuilt the dataset as of ${this.engineIndex} in ${Date.now() - startedMs} ms over ${rebuilt.turns} turns`,
    );
  }

  /**
   * Runs `steps` one slice per event-loop turn; the turns taken and what `steps` returned, or
   * undefined once closed.
   */
  private async inSlices<T>(
    steps: Generator<void, T, void>,
  ): Promise<{ turns: number; value: T } | undefined> {
    this.loadingEngine = true;
    let turns = 1;
    try {
      for (let step = steps.next(); ; step = steps.next()) {
        if (step.done === true) return { turns, value: step.value };
        await new Promise((resolve) => setImmediate(resolve));
        turns++;
        if (this.closed) return undefined;
        runTurnEnd(); // replies that are ready go out before the next slice
      }
    } finally {
      this.loadingEngine = false;
    }
  }

  // ----- snapshots -----

  private emptyEngineFor(file: { parsed: ParsedSnapshotFile }): void {
    const engine = this.options.engine;
    if (file.parsed.databaseCount !== engine.databases.length) {
      throw new Error(
        `the Raft snapshot at ${file.parsed.meta.index} has ${file.parsed.databaseCount} databases but 'databases' is ${engine.databases.length}`,
      );
    }
    this.emptyEngine();
  }

  /** Before a reload: no keys, and the group's settings back to this node's own. */
  private emptyEngine(): void {
    this.options.engine.applyEffect([Op.FlushAll]);
    this.options.engine.resetSettings();
  }

  /**
   * A snapshot from the leader is durable (storage.persist): the engine becomes its state. Loaded
   * in slices across event-loop turns, so a large one does not stall the node's clients and
   * links; meanwhile `loadingEngine` keeps local reads off the half-loaded engine.
   */
  private async installReceivedSnapshot(snapshot: Snapshot): Promise<void> {
    // The storage received it into its file (then the Ready holds no bytes), or the Ready holds
    // the bytes (they are loaded from there: reading the file back would be a second copy).
    const stored = this.storage.snapshotFile;
    if (stored === undefined || stored.parsed.meta.index !== snapshot.metadata.index)
      throw new Error('replica: a snapshot was persisted but is not there');
    const { data: bytes } = snapshot;
    const source =
      bytes.length === 0
        ? stored.source
        : bufferSource(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const file = { ...stored, source };
    const index = file.parsed.meta.index;
    this.abandonSnapshot('a snapshot from the leader replaces the dataset');
    const startedMs = Date.now();
    const loaded = await this.inSlices(this.snapshotSlices(file));
    if (loaded === undefined) return;
    this.options.log(
      'notice',
      `installed the leader's snapshot at ${index} (${loaded.value} keys, ${file.source.length} bytes, loaded in ${Date.now() - startedMs} ms over ${loaded.turns} turns; applied ${this.appliedIndex} before)`,
    );
    this.engineIndex = this.appliedIndex = index;
  }

  /**
   * Loads a snapshot file into the emptied engine, verifying all of it as it goes (at start the
   * storage checked only its header, so the file is read once): each `yield` ends a slice.
   * Returns its key count. A damaged file throws once its damage is found (the node cannot go on
   * from a partial dataset: at start it refuses to start).
   */
  private *snapshotSlices(file: SnapshotFile): Generator<void, number, void> {
    this.emptyEngineFor(file);
    const { source, parsed } = file;
    const reader = new SnapshotReader(source, parsed.engineStart, this.options.engine);
    for (;;) {
      const sliceStart = performance.now();
      if (reader.step(() => performance.now() - sliceStart > LOAD_SLICE_MS)) break;
      yield;
    }
    // (Its header's sequence was checked against the metadata when the file was parsed.)
    const result = reader.result;
    if (typeof result === 'string') {
      throw new RaftStorageError(
        `${file.path}: damaged snapshot (engine snapshot: ${result})` +
          (this.started ? '' : '; refusing to start'),
      );
    }
    this.learnMembership(file.parsed.meta);
    return result.keyCount;
  }

  /** The engine is being reloaded in slices: local reads would see it half there. */
  get engineLoading(): boolean {
    return this.loadingEngine;
  }

  /**
   * Starts writing an engine snapshot once enough entries were applied since the last one. It
   * captures the engine now (copy-on-write from here on), at engineIndex: on a leader that may
   * include proposals not yet committed, so it is recorded only once they are applied, and
   * abandoned if the engine is rebuilt first. The configuration must be settled at that index.
   */
  private maybeStartSnapshot(): void {
    if (this.snapshotEntries <= 0 || this.snapshotting !== undefined || this.closed) return;
    if (this.appliedIndex - this.storage.snapshotIndex < this.snapshotEntries) return;
    if (this.confProposedIndex > this.appliedIndex) return;
    const index = this.engineIndex;
    const term = this.raft.raftLog.term(index);
    if (term === undefined) return;
    const meta = {
      index,
      term,
      confState: this.raft.confState(),
      peers: [...this.peers.values()].map(formatPeer).join(','),
      removed: [...this.removedIds].sort((a, b) => a - b),
      ...(this.groupId !== undefined ? { groupId: this.groupId } : {}),
    };
    const { job, done } = startSnapshotFile(
      this.options.engine,
      this.options.fs,
      join(this.options.dir, 'raft'),
      meta,
      this.options.snapshotSlices ?? { sliceKeys: 10_000, sliceMs: SNAPSHOT_SLICE_MS },
    );
    const state: OwnSnapshot = {
      index,
      startedMs: Date.now(),
      job,
      abandoned: false,
      written: undefined,
    };
    this.snapshotting = state;
    void done
      .then(async (written) => {
        if (state.abandoned) {
          await this.options.fs.unlink(written.path);
          this.snapshotting = undefined;
          return;
        }
        state.written = written;
        this.kick();
      })
      .catch((error: unknown) => {
        if (!state.abandoned && !this.closed)
          this.options.log(
            'warning',
            `Raft snapshot at ${index} failed: ${(error as Error).message}`,
          );
        this.snapshotting = undefined;
      });
  }

  /** Records a written snapshot whose index is applied, compacting the log. Between Readys. */
  private async recordWrittenSnapshot(): Promise<void> {
    const state = this.snapshotting;
    if (state === undefined || state.abandoned || state.written === undefined) return;
    if (state.index > this.appliedIndex) return; // a leader's speculative entries: not yet
    this.snapshotting = undefined;
    const { data, parsed } = state.written;
    if (state.index <= this.storage.snapshotIndex) return;
    await this.storage.recordSnapshot(parsed, state.index - this.snapshotKeepEntries);
    this.options.log(
      'notice',
      `Raft snapshot at ${state.index} (${parsed.keyCount} keys, ${data.length} bytes, ${state.job.keysCopiedOnWrite} copied on write, ${Date.now() - state.startedMs} ms); log kept from ${this.storage.firstIndex()}`,
    );
  }

  private abandonSnapshot(reason: string): void {
    const state = this.snapshotting;
    if (state === undefined || state.abandoned) return;
    this.options.log('verbose', `abandoning the Raft snapshot at ${state.index}: ${reason}`);
    state.abandoned = true;
    if (state.written !== undefined) {
      // Already durable, not recorded: nothing refers to it. (`snapshotting` stays set until it
      // is gone, so a new snapshot of the same index cannot be the file deleted.)
      void this.options.fs
        .unlink(state.written.path)
        .catch(() => undefined)
        .finally(() => {
          if (this.snapshotting === state) this.snapshotting = undefined;
        });
    } else state.job.abort(); // the writer stops and clears `snapshotting`
  }

  get snapshotIndex(): number {
    return this.storage.snapshotIndex;
  }

  // ----- serving -----

  /** Leads, and has applied its term's no-op: its engine holds every committed entry. */
  get leaderReady(): boolean {
    // Commands reach the router before start() has opened the log (the client port opens
    // first): not started is not ready, and they wait like any command without a leader.
    if (!this.started) return false;
    const raft = this.raft;
    return (
      !this.closed &&
      raft.role === StateRole.Leader &&
      raft.term === this.leaderTerm &&
      this.appliedIndex >= this.termStartIndex
    );
  }

  get leaderId(): number {
    return this.started ? this.raft.leader : 0;
  }

  get electionTimeoutMs(): number {
    return this.options.electionTimeoutMs;
  }

  /** How many other members (followers and learners) hold the log up to `index` (0 if not leading). */
  replicasHolding(index: number): number {
    if (this.raft.role !== StateRole.Leader) return 0;
    let count = 0;
    for (const [id, progress] of this.raft.status().progress) {
      if (id !== this.id && progress.match >= index) count++;
    }
    return count;
  }

  /** Only the ready leader decides changes (expiry, eviction): followers apply its entries. */
  get decidesChanges(): boolean {
    return this.leaderReady;
  }

  // EffectSink.

  writeRefusal(): string | undefined {
    if (this.leaderReady) {
      // The core drops proposals while it hands leadership over (until it aborts the transfer,
      // an election timeout later): refuse writes before they run rather than undo them.
      if (this.transferUntilMs !== 0 && Date.now() < this.transferUntilMs)
        return 'TRYAGAIN leadership transfer in progress, retry';
      return undefined;
    }
    return 'TRYAGAIN this node is not the leader (the write was not applied)';
  }

  append(entry: LogEntry): void {
    if (!this.leaderReady) throw new Error('replica: append on a node that is not a ready leader');
    if (this.batch === undefined) {
      // The engine holds this batch's effects from now on: its index is taken.
      this.batch = { index: this.engineIndex + 1, entries: 0 };
      this.engineIndex = this.batch.index;
      this.writer.u8(BATCH_ENTRY);
      setImmediate(this.proposeBatch);
    }
    const index = this.batch.index;
    this.appends++;
    const out = this.writer;
    const at = out.length;
    out.u32(0); // the payload's length, known once it is written
    writeEntryPayload(out, index, entry);
    out.u32At(at, out.length - at - 4);
    this.batch.entries++;
    this.publishes.proposed(index, entry);
    this.onAppend?.(index);
  }

  /** Proposes the turn's batch (end of the event-loop turn, or before any other proposal). */
  private readonly proposeBatch = (): void => {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const data = this.writer.take();
    if (this.closed) return;
    const result = this.raft.propose(data);
    if (result.outcome !== 'accepted' || result.index !== batch.index) {
      // The engine already holds the effects: undo by rebuilding, and fail held replies.
      this.options.log('warning', `proposal refused (${result.outcome}); rebuilding`);
      this.failTickets();
      this.rebuildEngineNow();
    }
    this.sendLeaderMessages();
    this.kick();
  };

  /**
   * A leader's appends leave at once, even while its Ready loop waits for an fsync (the next
   * Ready would send them only after it): followers persist in parallel with the leader.
   */
  private sendLeaderMessages(): void {
    if (this.leaderTerm === 0 || !this.readyLoopRunning) return;
    for (const message of this.raft.takeLeaderMessages()) this.transport.send(message);
  }

  /** Forgets an open batch whose effects the engine is about to lose (rebuild). */
  private dropBatch(): void {
    if (this.batch === undefined) return;
    this.batch = undefined;
    this.writer.take();
  }

  // DurabilityGate (sequences are tickets; see docs/REPLICATION.md).

  /**
   * Counts appends, not indexes: a command that joins a batch already open leaves the engine
   * index where it was, yet it wrote, and its reply waits for that batch's commit, not for a
   * ReadIndex round.
   */
  get lastAppendedSequence(): number {
    return this.appends;
  }

  get lastDurableSequence(): number {
    return this.releasedTicket;
  }

  holdUntil(appendedBefore: number): number | undefined {
    if (this.leaderTerm === 0) return undefined;
    // A batch that wrote is confirmed by its own entry's commit (proposed after its reads ran);
    // one that only read needs a ReadIndex round.
    const needsRead = appendedBefore >= 0 && this.appends === appendedBefore;
    const ticket: Ticket = {
      ticket: this.nextTicket++,
      index: this.engineIndex,
      needsRead,
      round: 0,
    };
    this.tickets.push(ticket);
    if (needsRead) this.startReadRound();
    // A write's entry commits later (a Ready or an acknowledgement releases it), a read waits for
    // its round: only a ticket already covered needs the Ready loop now. (Starting the loop for
    // every batch cost an async call and its promises per client batch at -P 1.)
    else if (ticket.index <= this.releasableThrough) this.kick();
    return ticket.ticket;
  }

  whenDurable(sequence: number, callback: () => void, lost?: () => void): void {
    if (sequence <= this.releasedTicket) return callback();
    if (this.tickets.length === 0 || this.leaderTerm === 0) {
      // The ticket failed already.
      if (lost !== undefined) lost();
      return;
    }
    this.waiters.push({ ticket: sequence, done: callback, lost });
  }

  private startReadRound(): void {
    if (this.roundInFlight !== 0 || this.leaderTerm === 0) return;
    const waiting = this.tickets.filter((t) => t.needsRead && t.round === 0);
    if (waiting.length === 0) return;
    const round = this.nextRound++;
    const context = new Uint8Array(8);
    new DataView(context.buffer).setFloat64(0, round);
    const result = this.raft.readIndex(context);
    if (result.outcome !== 'accepted') return; // retried on the next tick
    this.roundInFlight = round;
    this.readRounds++;
    for (const ticket of waiting) ticket.round = round;
    this.kick();
  }

  private readConfirmed(context: Uint8Array): void {
    if (context.byteLength !== 8) return;
    const round = new DataView(context.buffer, context.byteOffset, 8).getFloat64(0);
    if (round > this.confirmedRound) this.confirmedRound = round;
    if (round === this.roundInFlight) this.roundInFlight = 0;
    this.startReadRound();
  }

  /**
   * A leader learns of commits from its followers' acknowledgements, often while its Ready loop
   * waits for an fsync: held replies and its own PUBLISH messages go out at once rather than at
   * the end of that fsync. Sound because the core counts the leader's own entries only once
   * persisted, so a committed index is durable on a majority; every ticket's entries are in the
   * engine already (speculative execution).
   */
  private releaseCommitted(): void {
    const raft = this.raft;
    if (this.leaderTerm === 0 || raft.role !== StateRole.Leader || raft.term !== this.leaderTerm)
      return;
    const committed = Math.min(raft.raftLog.committed, this.engineIndex);
    if (committed <= this.leaderCommitted) return;
    this.leaderCommitted = committed;
    this.publishes.committedOwn(committed);
    this.releaseTickets();
  }

  /** The index through which tickets (that need no read round) may be released. */
  private get releasableThrough(): number {
    return Math.max(this.appliedIndex, this.leaderCommitted);
  }

  private releaseTickets(): void {
    const through = this.releasableThrough;
    while (this.tickets.length > 0) {
      const head = this.tickets[0] as Ticket;
      if (head.index > through) break;
      if (head.needsRead && (head.round === 0 || head.round > this.confirmedRound)) break;
      this.tickets.shift();
      this.releasedTicket = head.ticket;
    }
    let anyDue = false;
    for (const waiter of this.waiters) anyDue ||= waiter.ticket <= this.releasedTicket;
    if (!anyDue) return; // most calls (an acknowledgement that commits nothing new)
    const still: Waiter[] = [];
    const due: Waiter[] = [];
    for (const waiter of this.waiters)
      (waiter.ticket <= this.releasedTicket ? due : still).push(waiter);
    this.waiters = still;
    for (const waiter of due) waiter.done();
  }

  private failTickets(): void {
    if (this.tickets.length > 0)
      this.releasedTicket = (this.tickets[this.tickets.length - 1] as Ticket).ticket;
    this.tickets = [];
    this.roundInFlight = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.lost?.();
  }

  // ----- membership -----

  /** What a snapshot knows of the group beyond its configuration: addresses, removed ids. */
  private learnMembership(meta: RaftSnapshotMeta): void {
    if (meta.peers !== '') this.learnPeer(meta.peers);
    for (const id of meta.removed) this.removedIds.add(id);
    if (meta.groupId !== undefined) this.learnGroupId(meta.groupId);
  }

  /**
   * The group's id, from its first committed GROUP_ENTRY or a snapshot: kept (and written to
   * the raft folder, so a restart knows it before its first connection) once; from then on the
   * transport sends it in every hello and refuses connections from nodes of another group.
   */
  private learnGroupId(groupId: string): void {
    if (this.groupId !== undefined) return;
    if (!isGroupId(groupId)) throw new Error(`replica: a bad group id entry (${groupId})`);
    const expected = this.expectedGroupId;
    if (expected !== undefined && groupId !== expected) {
      throw new Error(
        `replica: this node joined group ${expected} (named by its founders' probe answers), but the group it caught up with is ${groupId}; stopping (check --peers)`,
      );
    }
    this.groupId = groupId;
    this.options.log('notice', `replica group id ${groupId}`);
    void this.storage.recordGroupId(groupId).catch((error: unknown) => this.fatal(error as Error));
  }

  /** A ready leader of a group without an id proposes one, once per term. */
  private proposeGroupId(): void {
    if (this.groupId !== undefined || !this.leaderReady) return;
    if (this.groupIdProposedTerm === this.leaderTerm) return;
    this.groupIdProposedTerm = this.leaderTerm;
    const data = new Uint8Array(1 + GROUP_ID_BYTES);
    data[0] = GROUP_ENTRY;
    data.set(randomBytes(GROUP_ID_BYTES), 1);
    const refused = this.proposeOther('entry', data);
    if (refused !== undefined) this.groupIdProposedTerm = 0; // tried again at the next tick
  }

  private learnPeer(text: string): void {
    for (const peer of parsePeers(text).values()) {
      this.peers.set(peer.id, peer);
      // (Before start() made the transport, the table seeds it.)
      (this.transport as Transport | undefined)?.addPeer(peer.id, {
        host: peer.host,
        port: peer.raftPort,
      });
    }
  }

  /** Proposes an entry that carries no effects; the engine index moves past it. */
  private proposeOther(
    kind: 'entry' | 'conf',
    payload: Uint8Array | ConfChange,
  ): string | undefined {
    if (!this.leaderReady) return 'TRYAGAIN this node is not the leader';
    this.proposeBatch(); // the open batch holds engineIndex: it goes first
    if (!this.leaderReady) return 'TRYAGAIN this node is not the leader';
    const result =
      kind === 'entry'
        ? this.raft.propose(payload as Uint8Array)
        : this.raft.proposeConfChange(payload as ConfChange);
    if (result.outcome !== 'accepted')
      return 'TRYAGAIN a membership change or leader transfer is in progress, retry';
    if (result.index !== this.engineIndex + 1)
      throw new Error(`replica: proposal at ${result.index}, engine at ${this.engineIndex}`);
    this.engineIndex = result.index;
    this.appends++;
    if (kind === 'conf') this.confProposedIndex = result.index;
    this.onAppend?.(result.index);
    this.kick();
    return undefined;
  }

  /** RAFT ADD-NODE: the node joins as a learner and is promoted once caught up. */
  addNode(peer: PeerSpec): string | undefined {
    const conf = this.raft.confState();
    if (conf.voters.includes(peer.id) || conf.learners.includes(peer.id))
      return `ERR node ${peer.id} is already a member`;
    // As etcd: a removed node's id never comes back, so a member that says "you were removed"
    // (the transport's removed notice) can never be talking to a newer node of the same id.
    if (this.removedIds.has(peer.id))
      return `ERR node ${peer.id} was removed from the group: give the new node another id`;
    if (!this.leaderReady) return 'TRYAGAIN this node is not the leader';
    const text = Buffer.from(formatPeer(peer), 'latin1');
    const data = new Uint8Array(text.length + 1);
    data[0] = PEER_ENTRY;
    data.set(text, 1);
    const refused = this.proposeOther('entry', data);
    if (refused !== undefined) return refused;
    this.learnPeer(formatPeer(peer));
    return this.proposeOther('conf', { type: ConfChangeType.AddLearner, nodeId: peer.id });
  }

  removeNode(id: number): string | undefined {
    const conf = this.raft.confState();
    if (!conf.voters.includes(id) && !conf.learners.includes(id))
      return `ERR node ${id} is not a member`;
    return this.proposeOther('conf', { type: ConfChangeType.RemoveNode, nodeId: id });
  }

  transferLeader(id: number): string | undefined {
    if (!this.raft.confState().voters.includes(id)) return `ERR node ${id} is not a voter`;
    this.proposeBatch(); // a transfer makes the core drop proposals: the batch goes first
    const result = this.raft.transferLeader(id);
    if (result.outcome !== 'accepted') return 'TRYAGAIN no leader to transfer from, retry';
    if (this.leaderTerm !== 0 && id !== this.id)
      this.transferUntilMs = Date.now() + Math.ceil(this.options.electionTimeoutMs * 1.5);
    this.kick();
    return undefined;
  }

  /** A leader promotes each learner whose log has caught up with the commit index. */
  private promoteLearners(): void {
    if (!this.leaderReady || this.raft.confState().learners.length === 0) return;
    const status = this.raft.status();
    for (const id of status.confState.learners) {
      const progress = status.progress.get(id);
      if (progress === undefined || progress.match < status.commit) continue;
      if (this.proposeOther('conf', { type: ConfChangeType.AddNode, nodeId: id }) === undefined)
        this.options.log(
          'notice',
          `promoting node ${id} to voter (caught up at ${progress.match})`,
        );
      return; // one change at a time
    }
  }

  // ----- observation -----

  status(): RaftStatus {
    return this.raft.status();
  }

  roleName(): string {
    return stateRoleNames[this.raft.role];
  }

  /** RAFT STATUS as name:value lines. */
  statusLines(): string[] {
    const s = this.raft.status();
    const lines = [
      `node_id:${this.id}`,
      `role:${stateRoleNames[s.role].toLowerCase()}`,
      `term:${s.term}`,
      `vote:${s.vote}`,
      `leader:${s.leader}`,
      `commit_index:${s.commit}`,
      `applied_index:${this.appliedIndex}`,
      `engine_index:${this.engineIndex}`,
      `first_index:${s.firstIndex}`,
      `snapshot_index:${this.storage.snapshotIndex}`,
      `last_index:${s.lastIndex}`,
      `voters:${s.confState.voters.join(',')}`,
      `learners:${s.confState.learners.join(',')}`,
      `serving:${this.leaderReady ? 'yes' : 'no'}`,
      `read_rounds:${this.readRounds}`,
      `group_id:${this.groupId ?? ''}`,
    ];
    for (const [id, progress] of s.progress) {
      lines.push(
        `peer_${id}:match=${progress.match},next=${progress.next},active=${progress.recentActive ? 1 : 0}`,
      );
    }
    return lines;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.snapshotting?.job.abort();
    this.failTickets();
    await this.transport?.close();
    // Let a persist in flight finish before closing the file.
    while (this.readyLoopRunning) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.storage?.close();
  }
}
