// The Raft core: a value you feed (tick, step, propose, readIndex, transferLeader) that answers
// with Ready batches. No I/O, no timers, no clock, no randomness of its own. The driver persists
// a Ready's hard state, entries and snapshot, then sends its messages, then applies its
// committed entries, then calls advance(). Shaped after etcd-io/raft.
import { assert } from './assert.js';
import {
  applyConfChange,
  decodeConfChange,
  encodeConfChange,
  type ConfChange,
} from './confchange.js';
import { RaftLog } from './log.js';
import {
  EntryType,
  MessageType,
  NONE,
  NO_ENTRIES,
  StateRole,
  TRANSFER_CONTEXT,
  entryBytes,
  isTransferContext,
  makeMessage,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type MessageFields,
  type ReadState,
  type Ready,
  type Snapshot,
  type SoftState,
} from './messages.js';
import { Progress, ProgressState } from './progress.js';
import { COMMITTED_INDEX_UNBOUNDED, majorityCommittedIndex, majorityVoteResult } from './quorum.js';
import { ReadOnlyQueue } from './readonly.js';
import { memoryReceiver, type SnapshotReceiver, type Storage } from './storage.js';

/** Injected randomness (election timeouts are the core's only random choice). */
export interface RandomSource {
  /** A uniformly distributed integer in [0, boundExclusive). */
  nextInt(boundExclusive: number): number;
}

/**
 * How ReadIndex confirms leadership. 'safe' exchanges a heartbeat round with a quorum. 'lease'
 * answers at once while check-quorum holds the lease; it is linearizable only if clocks (tick
 * rates) drift by a bounded amount: a paused or slow leader may serve stale reads.
 */
export type ReadOnlyMode = 'safe' | 'lease';

/** Deliberate bugs, used only to prove that the simulator's checkers can fail. */
export interface InjectedBugs {
  /** A node may grant two votes in one term. */
  readonly doubleVote?: boolean;
  /** A leader commits an entry of an older term by counting replicas. */
  readonly commitOldTerm?: boolean;
}

export interface RaftConfig {
  readonly id: number;
  readonly storage: Storage;
  readonly random: RandomSource;
  readonly electionTimeoutTicks?: number;
  readonly heartbeatTimeoutTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly readOnlyMode?: ReadOnlyMode;
  /** Bytes of entries per append message (at least one entry is always sent). */
  readonly maxMessageBytes?: number;
  readonly maxInflightMessages?: number;
  /** 0 means only the message count bounds the pipeline. */
  readonly maxInflightBytes?: number;
  /** Proposals are refused while the leader's uncommitted payload exceeds this. 0: no bound. */
  readonly maxUncommittedEntriesBytes?: number;
  readonly maxCommittedBytesPerReady?: number;
  readonly snapshotChunkBytes?: number;
  /** Snapshot chunks sent ahead of the receiver's acknowledgement (default 4). */
  readonly snapshotChunksInFlight?: number;
  readonly maxPendingReadIndex?: number;
  /** When true a follower answers proposals with the leader's id instead of forwarding. */
  readonly disableProposalForwarding?: boolean;
  /** Index already applied to the state machine when restarting (at least the snapshot index). */
  readonly applied?: number;
  readonly injectedBugs?: InjectedBugs;
}

export type ProposeOutcome =
  | 'accepted' // appended to the leader's log at `index`
  | 'forwarded' // sent to `leader`
  | 'not-leader' // forwarding is disabled; ask `leader`
  | 'no-leader' // no known leader right now; retry later
  | 'dropped'; // refused (transfer in progress, pending conf change, limits, removed)

export interface ProposeResult {
  readonly outcome: ProposeOutcome;
  readonly leader: number;
  /** Log index of the (last) appended entry when accepted; otherwise 0. */
  readonly index: number;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly inflight: number;
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: number;
  readonly term: number;
  readonly vote: number;
  readonly leader: number;
  readonly role: StateRole;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly progress: ReadonlyMap<number, ProgressStatus>;
  readonly leadTransferee: number;
}

interface ProposedEntry {
  readonly type: EntryType;
  readonly data: Uint8Array;
}

const EMPTY_BYTES = new Uint8Array(0);
const MIB = 1024 * 1024;

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role && a.term === b.term;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export class RaftNode {
  readonly id: number;
  private readonly random: RandomSource;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly readOnlyMode: ReadOnlyMode;
  private readonly maxMessageBytes: number;
  private readonly maxInflight: number;
  private readonly maxInflightBytes: number;
  private readonly maxUncommittedBytes: number;
  private readonly snapshotChunkBytes: number;
  /** Bytes of a snapshot transfer in flight beyond what the receiver acknowledged. */
  private readonly snapshotWindowBytes: number;
  private readonly maxPendingReadIndex: number;
  private readonly disableProposalForwarding: boolean;
  private readonly bugs: InjectedBugs;

  readonly raftLog: RaftLog;
  /** Invariant: never decreases. */
  private currentTerm = 0;
  /** Invariant: set at most once per term (a node never votes twice in a term). */
  private votedFor = NONE;
  private leaderId = NONE;
  private currentRole: StateRole = StateRole.Follower;
  private conf: ConfState = { voters: [], learners: [] };
  /** Sorted ids of every voter and learner. */
  private peerIds: number[] = [];
  private readonly progress = new Map<number, Progress>();
  private readonly votes = new Map<number, boolean>();
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee = NONE;
  /** Leader only: a conf change may be proposed only once applied >= this index. */
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readonly readOnly: ReadOnlyQueue;
  /** ReadIndex requests held until the leader commits an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];
  /** A snapshot being received: its chunks go to the storage's receiver, or to memory. */
  private incoming: {
    snapshot: Snapshot['metadata'];
    totalBytes: number;
    received: number;
    receiver: SnapshotReceiver;
  } | null = null;
  private previousSoftState: SoftState;
  private previousHardState: HardState;
  /** Invariant: at most one Ready is handed out and not yet advanced. */
  private outstanding: Ready | null = null;

  constructor(config: RaftConfig) {
    assert(Number.isInteger(config.id) && config.id > 0, 'node id must be a positive integer');
    this.id = config.id;
    this.random = config.random;
    this.electionTimeout = config.electionTimeoutTicks ?? 10;
    this.heartbeatTimeout = config.heartbeatTimeoutTicks ?? 1;
    assert(this.heartbeatTimeout > 0, 'heartbeat timeout must be positive');
    assert(this.electionTimeout > this.heartbeatTimeout, 'election timeout must exceed heartbeat');
    this.preVote = config.preVote ?? true;
    this.checkQuorum = config.checkQuorum ?? true;
    this.readOnlyMode = config.readOnlyMode ?? 'safe';
    assert(this.readOnlyMode === 'safe' || this.checkQuorum, 'lease reads need check-quorum');
    this.maxMessageBytes = config.maxMessageBytes ?? MIB;
    this.maxInflight = config.maxInflightMessages ?? 256;
    this.maxInflightBytes = config.maxInflightBytes ?? 0;
    this.maxUncommittedBytes = config.maxUncommittedEntriesBytes ?? 0;
    this.snapshotChunkBytes = config.snapshotChunkBytes ?? MIB;
    assert(this.snapshotChunkBytes > 0, 'snapshot chunk size must be positive');
    const chunksInFlight = config.snapshotChunksInFlight ?? 4;
    assert(chunksInFlight >= 1, 'at least one snapshot chunk must be allowed in flight');
    this.snapshotWindowBytes = chunksInFlight * this.snapshotChunkBytes;
    this.maxPendingReadIndex = config.maxPendingReadIndex ?? 4096;
    this.disableProposalForwarding = config.disableProposalForwarding ?? false;
    this.bugs = config.injectedBugs ?? {};
    this.readOnly = new ReadOnlyQueue(this.maxPendingReadIndex);
    this.raftLog = new RaftLog(config.storage, config.maxCommittedBytesPerReady ?? 64 * MIB);

    const initial = config.storage.initialState();
    this.setConf(initial.confState);
    const hard = initial.hardState;
    if (hard.term !== 0 || hard.vote !== NONE || hard.commit !== 0) {
      assert(
        hard.commit >= this.raftLog.committed && hard.commit <= this.raftLog.lastIndex(),
        () => {
          return `stored commit ${hard.commit} outside [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`;
        },
      );
      this.raftLog.committed = hard.commit;
      this.currentTerm = hard.term;
      this.votedFor = hard.vote;
    }
    // Entries up to the snapshot are in the state machine already (the log may retain a few
    // entries behind the snapshot, so firstIndex - 1 can be lower).
    // (The source's metadata only: a disk storage reads no snapshot bytes for it.)
    const snapshotIndex = config.storage.snapshotSource().metadata.index;
    if (snapshotIndex > this.raftLog.committed) this.raftLog.committed = snapshotIndex;
    const applied = Math.max(config.applied ?? 0, snapshotIndex);
    if (applied > this.raftLog.applied) this.raftLog.appliedTo(applied);
    this.becomeFollower(this.currentTerm, NONE);
    this.previousSoftState = this.softState();
    this.previousHardState = this.hardState();
  }

  // ----- observation -----

  get term(): number {
    return this.currentTerm;
  }
  get vote(): number {
    return this.votedFor;
  }
  get leader(): number {
    return this.leaderId;
  }
  get role(): StateRole {
    return this.currentRole;
  }

  confState(): ConfState {
    return this.conf;
  }

  softState(): SoftState {
    return { leader: this.leaderId, role: this.currentRole, term: this.currentTerm };
  }

  hardState(): HardState {
    return { term: this.currentTerm, vote: this.votedFor, commit: this.raftLog.committed };
  }

  status(): RaftStatus {
    const progress = new Map<number, ProgressStatus>();
    if (this.currentRole === StateRole.Leader) {
      for (const id of this.peerIds) {
        const pr = this.progress.get(id) as Progress;
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          inflight: pr.inflights.count,
          recentActive: pr.recentActive,
        });
      }
    }
    return {
      id: this.id,
      term: this.currentTerm,
      vote: this.votedFor,
      leader: this.leaderId,
      role: this.currentRole,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      firstIndex: this.raftLog.firstIndex(),
      lastIndex: this.raftLog.lastIndex(),
      confState: this.conf,
      progress,
      leadTransferee: this.leadTransferee,
    };
  }

  // ----- driver interface -----

  tick(): void {
    if (this.currentRole === StateRole.Leader) this.tickHeartbeat();
    else this.tickElection();
    this.checkInvariants();
  }

  /** Starts an election now (as if the election timer fired). */
  campaign(): void {
    this.hup(false);
    this.checkInvariants();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntries([{ type: EntryType.Normal, data }]);
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    return this.proposeEntries([{ type: EntryType.ConfChange, data: encodeConfChange(change) }]);
  }

  /** Requests a read index for `context` (unique per request); answered via Ready.readStates. */
  readIndex(context: Uint8Array): ProposeResult {
    const request = makeMessage({
      type: MessageType.ReadIndex,
      to: this.id,
      from: this.id,
      context,
    });
    if (this.currentRole === StateRole.Leader) {
      this.leaderReadIndex(request);
      return { outcome: 'accepted', leader: this.id, index: 0 };
    }
    return this.forwardToLeader(request);
  }

  transferLeader(transferee: number): ProposeResult {
    const request = makeMessage({
      type: MessageType.TransferLeader,
      to: this.id,
      from: transferee,
    });
    if (this.currentRole === StateRole.Leader) {
      this.leaderTransfer(transferee);
      return { outcome: 'accepted', leader: this.id, index: 0 };
    }
    return this.forwardToLeader(request);
  }

  step(message: Message): void {
    if (message.to !== this.id) return;
    if (message.term === 0) {
      if (!this.isRequest(message.type)) return;
    } else if (message.term > this.currentTerm) {
      if (!this.stepHigherTerm(message)) return;
    } else if (message.term < this.currentTerm) {
      this.stepLowerTerm(message);
      return;
    }
    if (message.type === MessageType.Vote || message.type === MessageType.PreVote) {
      this.handleVoteRequest(message);
    } else if (this.currentRole === StateRole.Leader) {
      this.stepLeader(message);
    } else if (this.currentRole === StateRole.Follower) {
      this.stepFollower(message);
    } else {
      this.stepCandidate(message);
    }
    this.checkInvariants();
  }

  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    return (
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.raftLog.unstable.entries.length > 0 ||
      this.raftLog.unstable.snapshot !== null ||
      this.raftLog.hasNextCommittedEntries() ||
      this.leaderId !== this.previousSoftState.leader ||
      this.currentRole !== this.previousSoftState.role ||
      this.currentTerm !== this.previousHardState.term ||
      this.votedFor !== this.previousHardState.vote ||
      this.raftLog.committed !== this.previousHardState.commit
    );
  }

  ready(): Ready {
    assert(this.outstanding === null, 'one Ready outstanding at a time: call advance() first');
    const soft = this.softState();
    const hard = this.hardState();
    const softChanged = !sameSoftState(soft, this.previousSoftState);
    const hardChanged = !sameHardState(hard, this.previousHardState);
    const entries = this.raftLog.unstableEntries();
    const snapshot = this.raftLog.unstable.snapshot;
    const ready: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hard : null,
      entries,
      snapshot,
      committedEntries: this.raftLog.nextCommittedEntries(),
      messages: this.msgs,
      messagesMayPrecedePersist:
        this.currentRole === StateRole.Leader &&
        snapshot === null &&
        hard.term === this.previousHardState.term &&
        hard.vote === this.previousHardState.vote,
      readStates: this.readStates,
      mustSync:
        entries.length > 0 ||
        snapshot !== null ||
        hard.term !== this.previousHardState.term ||
        hard.vote !== this.previousHardState.vote,
    };
    this.msgs = [];
    this.readStates = [];
    this.previousSoftState = soft;
    this.previousHardState = hard;
    this.outstanding = ready;
    return ready;
  }

  /**
   * A leader's pending messages, taken now instead of in the next Ready, so appends for new
   * proposals leave while an earlier Ready is still being persisted (the same rule as
   * `Ready.messagesMayPrecedePersist`: a leader counts itself only for persisted entries). Empty
   * unless this node leads with its term and vote already handed out for persisting.
   */
  takeLeaderMessages(): Message[] {
    if (
      this.currentRole !== StateRole.Leader ||
      this.msgs.length === 0 ||
      this.currentTerm !== this.previousHardState.term ||
      this.votedFor !== this.previousHardState.vote
    ) {
      return [];
    }
    const messages = this.msgs;
    this.msgs = [];
    return messages;
  }

  advance(ready: Ready): void {
    assert(this.outstanding === ready, 'advance() must be given the outstanding Ready');
    this.outstanding = null;
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) {
      this.raftLog.stableTo(lastEntry.index, lastEntry.term);
      const self = this.progress.get(this.id);
      if (this.currentRole === StateRole.Leader && self !== undefined) {
        self.maybeUpdate(this.raftLog.stableLastIndex());
        if (this.maybeCommit()) this.broadcastAppend();
      }
    }
    if (ready.snapshot !== null) {
      this.raftLog.stableSnapshotTo(ready.snapshot.metadata.index);
      this.raftLog.appliedTo(ready.snapshot.metadata.index);
    }
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      this.raftLog.appliedTo(lastCommitted.index);
      for (const entry of ready.committedEntries) {
        if (this.currentRole === StateRole.Leader) {
          this.uncommittedBytes = Math.max(0, this.uncommittedBytes - entry.data.byteLength);
        }
        if (entry.type === EntryType.ConfChange) this.applyConfChangeEntry(entry);
      }
    }
    this.checkInvariants();
  }

  // ----- roles -----

  private reset(term: number): void {
    assert(term >= this.currentTerm, () => `term went back from ${this.currentTerm} to ${term}`);
    if (term !== this.currentTerm) {
      this.currentTerm = term;
      this.votedFor = NONE;
    }
    this.leaderId = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.electionTimeout + this.random.nextInt(this.electionTimeout);
    this.leadTransferee = NONE;
    this.votes.clear();
    const lastIndex = this.raftLog.lastIndex();
    for (const id of this.peerIds) {
      const old = this.progress.get(id) as Progress;
      const fresh = new Progress(
        lastIndex + 1,
        old.isLearner,
        this.maxInflight,
        this.maxInflightBytes,
      );
      if (id === this.id) {
        fresh.match = this.raftLog.stableLastIndex();
        fresh.recentActive = true;
      }
      this.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.clear();
    this.pendingReadIndexMessages = [];
  }

  private becomeFollower(term: number, leader: number): void {
    this.reset(term);
    this.leaderId = leader;
    this.currentRole = StateRole.Follower;
  }

  private becomePreCandidate(): void {
    assert(this.currentRole !== StateRole.Leader, 'leader cannot become pre-candidate');
    this.votes.clear();
    this.leaderId = NONE;
    this.currentRole = StateRole.PreCandidate;
  }

  private becomeCandidate(): void {
    assert(this.currentRole !== StateRole.Leader, 'leader cannot become candidate');
    this.reset(this.currentTerm + 1);
    this.votedFor = this.id;
    this.currentRole = StateRole.Candidate;
  }

  private becomeLeader(): void {
    assert(this.currentRole === StateRole.Candidate, 'only a candidate becomes leader');
    this.reset(this.currentTerm);
    this.leaderId = this.id;
    this.currentRole = StateRole.Leader;
    (this.progress.get(this.id) as Progress).becomeReplicate();
    // The no-op: a leader can count replicas only for entries of its own term (§5.4.2), and
    // committing one also settles every earlier entry and enables ReadIndex.
    const appended = this.appendEntries([{ type: EntryType.Normal, data: EMPTY_BYTES }]);
    assert(appended, 'the no-op entry is never refused');
    // Membership changes wait until an entry of this term is applied (the single-server change
    // safety fix): the no-op is that entry.
    this.pendingConfIndex = this.raftLog.lastIndex();
  }

  private promotable(): boolean {
    return this.conf.voters.includes(this.id);
  }

  private hup(transfer: boolean): void {
    if (this.currentRole === StateRole.Leader) return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    if (this.preVote && !transfer) this.startCampaign(true, false);
    else this.startCampaign(false, transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    const lo = Math.max(log.applied + 1, log.firstIndex());
    if (log.committed < lo) return false;
    for (const entry of log.slice(lo, log.committed + 1, Number.MAX_SAFE_INTEGER)) {
      if (entry.type === EntryType.ConfChange) return true;
    }
    return false;
  }

  private startCampaign(pre: boolean, transfer: boolean): void {
    let term: number;
    let voteType: MessageType;
    if (pre) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.currentTerm + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.currentTerm;
    }
    if (this.poll(this.id, true) === 'won') {
      if (pre) this.startCampaign(false, transfer);
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.send({
        type: voteType,
        to: id,
        term,
        index: lastIndex,
        logTerm: lastTerm,
        context: transfer ? TRANSFER_CONTEXT : null,
      });
    }
  }

  private poll(id: number, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return majorityVoteResult(this.conf.voters, this.votes);
  }

  // ----- ticking -----

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.currentTerm, NONE);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readOnly.lastContext());
    }
  }

  /** Check-quorum: did a quorum talk to us since the last check? Resets the activity marks. */
  private quorumActive(): boolean {
    const active = new Map<number, boolean>();
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id) as Progress;
      active.set(id, id === this.id || pr.recentActive);
    }
    for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
    return majorityVoteResult(this.conf.voters, active) === 'won';
  }

  // ----- stepping -----

  private isRequest(type: MessageType): boolean {
    return (
      type === MessageType.Prop ||
      type === MessageType.ReadIndex ||
      type === MessageType.TransferLeader
    );
  }

  /** Returns false when the message must be ignored. */
  private stepHigherTerm(message: Message): boolean {
    const type = message.type;
    if (type === MessageType.Vote || type === MessageType.PreVote) {
      const forced = isTransferContext(message.context);
      const inLease =
        this.checkQuorum && this.leaderId !== NONE && this.electionElapsed < this.electionTimeout;
      // Leader stickiness: while we hear from a leader, disruptive candidates are ignored.
      if (!forced && inLease) return false;
    }
    if (type === MessageType.PreVote) return true; // a pre-vote never changes our term
    if (type === MessageType.PreVoteResp && !message.reject) return true; // granted future term
    const fromLeader =
      type === MessageType.App || type === MessageType.Heartbeat || type === MessageType.Snap;
    this.becomeFollower(message.term, fromLeader ? message.from : NONE);
    return true;
  }

  private stepLowerTerm(message: Message): void {
    const type = message.type;
    if (
      (this.checkQuorum || this.preVote) &&
      (type === MessageType.App || type === MessageType.Heartbeat)
    ) {
      // A stale leader learns our term and steps down (otherwise, with check-quorum or pre-vote,
      // it could keep a partitioned node from ever hearing about the new term).
      this.send({ type: MessageType.AppResp, to: message.from });
    } else if (type === MessageType.PreVote) {
      this.send({ type: MessageType.PreVoteResp, to: message.from, reject: true });
    }
  }

  private handleVoteRequest(message: Message): void {
    const isPreVote = message.type === MessageType.PreVote;
    const responseType = isPreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
    const canVote =
      this.votedFor === message.from ||
      (this.votedFor === NONE && this.leaderId === NONE) ||
      (isPreVote && message.term > this.currentTerm);
    const injectedDoubleVote = this.bugs.doubleVote === true && !isPreVote;
    if (
      (canVote || injectedDoubleVote) &&
      this.raftLog.isUpToDate(message.index, message.logTerm)
    ) {
      // A granted pre-vote carries the future term so the pre-candidate does not drop it.
      this.send({ type: responseType, to: message.from, term: message.term });
      if (!isPreVote) {
        assert(
          injectedDoubleVote || this.votedFor === NONE || this.votedFor === message.from,
          () => {
            return `node ${this.id} would vote twice in term ${this.currentTerm}`;
          },
        );
        this.electionElapsed = 0;
        this.votedFor = message.from;
      }
    } else {
      this.send({ type: responseType, to: message.from, term: this.currentTerm, reject: true });
    }
  }

  private stepLeader(message: Message): void {
    switch (message.type) {
      case MessageType.Prop:
        this.leaderPropose(message.entries);
        return;
      case MessageType.ReadIndex:
        this.leaderReadIndex(message);
        return;
      case MessageType.TransferLeader:
        this.leaderTransfer(message.from);
        return;
    }
    const pr = this.progress.get(message.from);
    if (pr === undefined) return;
    switch (message.type) {
      case MessageType.AppResp:
        pr.recentActive = true;
        this.handleAppendResponse(message, pr);
        break;
      case MessageType.HeartbeatResp:
        pr.recentActive = true;
        this.handleHeartbeatResponse(message, pr);
        break;
      case MessageType.SnapResp:
        pr.recentActive = true;
        this.handleSnapshotAck(message, pr);
        break;
    }
  }

  private stepCandidate(message: Message): void {
    const responseType =
      this.currentRole === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (message.type) {
      case MessageType.App:
        this.becomeFollower(message.term, message.from);
        this.handleAppend(message);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(message.term, message.from);
        this.handleHeartbeat(message);
        return;
      case MessageType.Snap:
        this.becomeFollower(message.term, message.from);
        this.handleSnapshotChunk(message);
        return;
    }
    if (message.type !== responseType) return;
    const result = this.poll(message.from, !message.reject);
    if (result === 'won') {
      if (this.currentRole === StateRole.PreCandidate) {
        this.startCampaign(false, false);
      } else {
        this.becomeLeader();
        this.broadcastAppend();
      }
    } else if (result === 'lost') {
      this.becomeFollower(this.currentTerm, NONE);
    }
  }

  private stepFollower(message: Message): void {
    switch (message.type) {
      case MessageType.Prop:
      case MessageType.ReadIndex:
      case MessageType.TransferLeader:
        this.forwardToLeader(message);
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.leaderId = message.from;
        this.handleAppend(message);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.leaderId = message.from;
        this.handleHeartbeat(message);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.leaderId = message.from;
        this.handleSnapshotChunk(message);
        return;
      case MessageType.TimeoutNow:
        this.hup(true);
        return;
      case MessageType.ReadIndexResp:
        if (message.context !== null) {
          this.readStates.push({ index: message.index, context: message.context });
        }
        return;
    }
  }

  private forwardToLeader(request: Message): ProposeResult {
    const leader = this.leaderId;
    if (leader === NONE || this.currentRole !== StateRole.Follower) {
      return { outcome: 'no-leader', leader: NONE, index: 0 };
    }
    if (request.type === MessageType.Prop && this.disableProposalForwarding) {
      return { outcome: 'not-leader', leader, index: 0 };
    }
    this.msgs.push(makeMessage({ ...request, to: leader, term: 0 }));
    return { outcome: 'forwarded', leader, index: 0 };
  }

  // ----- proposals -----

  private proposeEntries(entries: readonly ProposedEntry[]): ProposeResult {
    if (this.currentRole === StateRole.Leader) {
      const index = this.leaderPropose(entries);
      this.checkInvariants();
      if (index === 0) return { outcome: 'dropped', leader: this.id, index: 0 };
      return { outcome: 'accepted', leader: this.id, index };
    }
    const proposal = entries.map((entry) => ({
      term: 0,
      index: 0,
      type: entry.type,
      data: entry.data,
    }));
    return this.forwardToLeader(
      makeMessage({ type: MessageType.Prop, to: this.id, from: this.id, entries: proposal }),
    );
  }

  /** Appends proposed entries; returns the last new index, or 0 if the proposal was dropped. */
  private leaderPropose(entries: readonly ProposedEntry[]): number {
    if (!this.conf.voters.includes(this.id)) return 0;
    if (this.leadTransferee !== NONE) return 0;
    let conf = this.conf;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as ProposedEntry;
      if (entry.type !== EntryType.ConfChange) continue;
      const change = decodeConfChange(entry.data);
      if (change === undefined) return 0;
      if (this.pendingConfIndex > this.raftLog.applied) return 0;
      const next = applyConfChange(conf, change);
      if (typeof next === 'string') return 0;
      conf = next;
      this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
    }
    if (!this.appendEntries(entries)) return 0;
    this.broadcastAppend();
    return this.raftLog.lastIndex();
  }

  private appendEntries(entries: readonly ProposedEntry[]): boolean {
    let payloadBytes = 0;
    for (const entry of entries) payloadBytes += entry.data.byteLength;
    if (
      this.maxUncommittedBytes > 0 &&
      payloadBytes > 0 &&
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + payloadBytes > this.maxUncommittedBytes
    ) {
      return false;
    }
    this.uncommittedBytes += payloadBytes;
    let index = this.raftLog.lastIndex();
    const made: Entry[] = [];
    for (const entry of entries) {
      made.push({ term: this.currentTerm, index: ++index, type: entry.type, data: entry.data });
    }
    this.raftLog.append(made);
    // Our own match moves only once the driver has persisted the entries (advance()), so the
    // driver may send a leader's appends before its own fsync (Raft thesis §10.2.1): an entry
    // counts as committed only when a majority, the leader included or not, holds it durably.
    return true;
  }

  private maybeCommit(): boolean {
    const index = majorityCommittedIndex(
      this.conf.voters,
      (id) => this.progress.get(id)?.match ?? 0,
    );
    if (index === COMMITTED_INDEX_UNBOUNDED || index <= this.raftLog.committed) return false;
    // Raft §5.4.2: only entries of the current term are committed by counting replicas.
    if (this.bugs.commitOldTerm !== true && this.raftLog.term(index) !== this.currentTerm) {
      return false;
    }
    this.raftLog.commitTo(index);
    if (this.pendingReadIndexMessages.length > 0 && this.committedEntryInCurrentTerm()) {
      const held = this.pendingReadIndexMessages;
      this.pendingReadIndexMessages = [];
      for (const request of held) this.leaderReadIndex(request);
    }
    return true;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.currentTerm;
  }

  // ----- replication (leader) -----

  private broadcastAppend(): void {
    for (const id of this.peerIds) {
      if (id === this.id) continue;
      const pr = this.progress.get(id) as Progress;
      if (this.sendAppend(id, pr, true)) {
        while (this.sendAppend(id, pr, false));
      }
    }
  }

  private broadcastHeartbeat(context: Uint8Array | null): void {
    for (const id of this.peerIds) {
      if (id === this.id) continue;
      const pr = this.progress.get(id) as Progress;
      const commit = Math.min(pr.match, this.raftLog.committed);
      this.send({ type: MessageType.Heartbeat, to: id, commit, context });
    }
  }

  /** Sends the next append to `to` if flow control allows. Returns whether it sent anything. */
  private sendAppend(to: number, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const previousIndex = pr.next - 1;
    const previousTerm = this.raftLog.term(previousIndex);
    let entries: readonly Entry[] | undefined = NO_ENTRIES;
    if (pr.state !== ProgressState.Replicate || !pr.inflights.full()) {
      entries = this.raftLog.entriesFrom(pr.next, this.maxMessageBytes);
    }
    if (entries !== undefined && entries.length === 0 && !sendIfEmpty) return false;
    if (previousTerm === undefined || entries === undefined) return this.startSnapshot(to, pr);
    let bytes = 0;
    for (const entry of entries) bytes += entryBytes(entry);
    this.send({
      type: MessageType.App,
      to,
      index: previousIndex,
      logTerm: previousTerm,
      entries,
      commit: this.raftLog.committed,
    });
    pr.sentEntries(entries.length, previousIndex + entries.length, bytes);
    return true;
  }

  private handleAppendResponse(message: Message, pr: Progress): void {
    if (message.reject && message.index >= pr.match && message.rejectHint < pr.match) {
      // The follower's log ends below entries it acknowledged: it lost them (its disk was
      // wiped). Start over from what it holds; it may need a snapshot.
      pr.restartFrom(message.rejectHint);
      this.sendAppend(message.from, pr, true);
      return;
    }
    if (message.reject) {
      let nextProbe = message.rejectHint;
      if (message.logTerm > 0) {
        nextProbe = this.raftLog.findConflictByTerm(message.rejectHint, message.logTerm).index;
      }
      if (pr.maybeDecreaseTo(message.index, nextProbe)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(message.from, pr, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    const updated = pr.maybeUpdate(message.index);
    if (pr.state === ProgressState.Snapshot) {
      const connected = pr.match + 1 >= this.raftLog.firstIndex();
      // The follower holds the snapshot's state (even if match did not move: it may have had it
      // already) or can continue from the log. If the log was compacted past the snapshot in
      // the meantime, the next append starts a transfer of a newer one.
      if (!connected && pr.match < pr.pendingSnapshot) return;
      pr.becomeProbe();
      if (connected) pr.becomeReplicate();
      // (wasPaused is true in Snapshot state, so the next append goes out below.)
    } else if (!updated) {
      return;
    } else if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else {
      pr.inflights.freeLE(message.index);
    }
    if (this.maybeCommit()) {
      this.broadcastAppend();
    } else if (wasPaused) {
      this.sendAppend(message.from, pr, true);
    }
    while (this.sendAppend(message.from, pr, false));
    if (message.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to: message.from });
    }
  }

  private handleHeartbeatResponse(message: Message, pr: Progress): void {
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.state === ProgressState.Snapshot && pr.transfer !== null) {
      // Resent from what the receiver acknowledged only if nothing moved since the last
      // heartbeat reply (a chunk was lost); a flowing transfer is left alone.
      const stalled = !pr.transfer.progressed;
      pr.transfer.progressed = false;
      this.sendSnapshotChunks(message.from, pr, stalled);
    } else if (pr.match < this.raftLog.lastIndex()) {
      this.sendAppend(message.from, pr, true);
    }
    if (this.readOnlyMode !== 'safe' || message.context === null) return;
    const acks = this.readOnly.recordAck(message.from, message.context);
    if (acks === undefined || majorityVoteResult(this.conf.voters, acks) !== 'won') return;
    for (const status of this.readOnly.releaseThrough(message.context)) {
      this.answerReadIndex(status.request, status.index);
    }
  }

  // ----- snapshots -----

  private startSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    const snapshot = this.raftLog.snapshotSource();
    assert(snapshot.metadata.index > 0, 'entries are compacted but there is no snapshot');
    pr.becomeSnapshot(snapshot);
    this.sendSnapshotChunks(to, pr, true);
    return true;
  }

  /**
   * Sends the chunks of the window [offset, offset + window) not sent yet; `resend`: from
   * `offset` again (a start, a heartbeat reply while the transfer stalls, a receiver that went
   * back). Chunks flow without waiting for each acknowledgement: one round trip per window, not
   * per chunk. The receiver takes chunks only in order, so a lost one stalls the transfer until
   * the next heartbeat reply resends from what it acknowledged.
   */
  private sendSnapshotChunks(to: number, pr: Progress, resend: boolean): void {
    const transfer = pr.transfer;
    if (transfer === null) return;
    const source = transfer.snapshot;
    const total = source.length;
    const windowEnd = Math.min(transfer.offset + this.snapshotWindowBytes, total);
    let start = resend ? transfer.offset : Math.max(transfer.sent, transfer.offset);
    // Nothing new in the window (a resend always sends at least one chunk, maybe empty).
    if (!resend && start >= windowEnd) return;
    do {
      const end = Math.min(start + this.snapshotChunkBytes, total);
      const data = source.read(start, end);
      if (data === undefined) {
        // Replaced by a newer snapshot meanwhile: the next append attempt sends the latest.
        pr.becomeProbe();
        return;
      }
      this.send({
        type: MessageType.Snap,
        to,
        snapshot: { metadata: source.metadata, offset: start, totalBytes: total, data },
      });
      start = end;
    } while (start < windowEnd);
    transfer.sent = start;
  }

  private handleSnapshotAck(message: Message, pr: Progress): void {
    const transfer = pr.transfer;
    if (pr.state !== ProgressState.Snapshot || transfer === null) return;
    if (transfer.snapshot.metadata.index !== message.index) return;
    const wanted = Math.min(message.rejectHint, transfer.snapshot.length);
    // Only progress (or a restart from 0) triggers a chunk; a repeated ack waits for the next
    // heartbeat reply, so duplicated acks cannot multiply the chunk stream.
    if (wanted === transfer.offset && wanted !== 0) return;
    if (wanted === 0) {
      const latest = this.raftLog.snapshotSource();
      if (latest.metadata.index > transfer.snapshot.metadata.index) {
        pr.becomeSnapshot(latest);
        this.sendSnapshotChunks(message.from, pr, true);
        return;
      }
    }
    // Behind what it had acknowledged (or from 0 again): the receiver started over.
    const resend = wanted < transfer.offset || wanted === 0;
    if (wanted > transfer.offset) transfer.progressed = true;
    transfer.offset = wanted;
    this.sendSnapshotChunks(message.from, pr, resend);
  }

  private handleSnapshotChunk(message: Message): void {
    const chunk = message.snapshot;
    if (chunk === null) return;
    const metadata = chunk.metadata;
    if (metadata.index <= this.raftLog.committed) {
      this.dropIncoming();
      this.send({ type: MessageType.AppResp, to: message.from, index: this.raftLog.committed });
      return;
    }
    if (chunk.offset === 0) {
      this.dropIncoming(); // a restart: the old transfer goes before the new one begins
      const { totalBytes } = chunk;
      const receiver =
        this.raftLog.storage.receiveSnapshot?.(metadata, totalBytes) ?? memoryReceiver(totalBytes);
      this.incoming = { snapshot: metadata, totalBytes, received: 0, receiver };
    }
    const incoming = this.incoming;
    const same =
      incoming !== null &&
      incoming.snapshot.index === metadata.index &&
      incoming.snapshot.term === metadata.term &&
      incoming.totalBytes === chunk.totalBytes;
    if (same && chunk.offset === incoming.received) {
      assert(
        incoming.received + chunk.data.length <= incoming.totalBytes,
        'snapshot chunks overflow the total',
      );
      if (chunk.data.length > 0) incoming.receiver.write(incoming.received, chunk.data);
      incoming.received += chunk.data.length;
    }
    if (same && incoming.received === incoming.totalBytes) {
      this.incoming = null;
      const data = incoming.receiver.finish();
      const index = this.restore({ metadata, data })
        ? this.raftLog.lastIndex()
        : this.raftLog.committed;
      this.send({ type: MessageType.AppResp, to: message.from, index });
      return;
    }
    this.send({
      type: MessageType.SnapResp,
      to: message.from,
      index: metadata.index,
      logTerm: metadata.term,
      rejectHint: same ? incoming.received : 0,
    });
  }

  private dropIncoming(): void {
    this.incoming?.receiver.discard();
    this.incoming = null;
  }

  /** Installs a snapshot; false if it brings nothing new (commit may still fast-forward). */
  private restore(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.raftLog.matchTerm(index, term)) {
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(snapshot);
    this.setConf(snapshot.metadata.confState);
    return true;
  }

  // ----- follower replication -----

  private handleAppend(message: Message): void {
    const log = this.raftLog;
    if (message.index < log.committed) {
      this.send({ type: MessageType.AppResp, to: message.from, index: log.committed });
      return;
    }
    const lastNew = log.maybeAppend(
      message.index,
      message.logTerm,
      message.commit,
      message.entries,
    );
    if (lastNew !== undefined) {
      this.send({ type: MessageType.AppResp, to: message.from, index: lastNew });
      return;
    }
    // Fast backtracking: tell the leader the last index whose term could match.
    const hint = log.findConflictByTerm(Math.min(message.index, log.lastIndex()), message.logTerm);
    this.send({
      type: MessageType.AppResp,
      to: message.from,
      index: message.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  private handleHeartbeat(message: Message): void {
    // The leader sends min(match, commit), so a commit past this log means the node lost entries
    // it had acknowledged (a wiped disk). It can only commit what it has, and says so with a
    // rejection (an idle leader would otherwise never send it anything again).
    const last = this.raftLog.lastIndex();
    if (message.commit > last) {
      this.send({
        type: MessageType.AppResp,
        to: message.from,
        index: message.commit,
        reject: true,
        rejectHint: last,
      });
    }
    this.raftLog.commitTo(Math.min(message.commit, last));
    this.send({ type: MessageType.HeartbeatResp, to: message.from, context: message.context });
  }

  // ----- reads -----

  private leaderReadIndex(request: Message): void {
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      this.answerReadIndex(request, this.raftLog.committed);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      // The commit index is not known to be up to date until an entry of this term commits.
      if (this.pendingReadIndexMessages.length < this.maxPendingReadIndex) {
        this.pendingReadIndexMessages.push(request);
      }
      return;
    }
    if (this.readOnlyMode === 'lease') {
      this.answerReadIndex(request, this.raftLog.committed);
      return;
    }
    if (request.context === null) return;
    if (!this.readOnly.add(this.raftLog.committed, request)) return;
    this.readOnly.recordAck(this.id, request.context);
    this.broadcastHeartbeat(request.context);
  }

  private answerReadIndex(request: Message, index: number): void {
    if (request.context === null) return;
    if (request.from === NONE || request.from === this.id) {
      this.readStates.push({ index, context: request.context });
    } else {
      this.send({
        type: MessageType.ReadIndexResp,
        to: request.from,
        index,
        context: request.context,
      });
    }
  }

  // ----- leadership transfer -----

  private leaderTransfer(transferee: number): void {
    const pr = this.progress.get(transferee);
    if (pr === undefined || pr.isLearner || transferee === this.id) return;
    if (this.leadTransferee === transferee) return;
    this.leadTransferee = transferee;
    // The transfer must finish within an election timeout (see tickHeartbeat).
    this.electionElapsed = 0;
    if (pr.match === this.raftLog.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to: transferee });
    } else {
      this.sendAppend(transferee, pr, true);
    }
  }

  // ----- membership -----

  private applyConfChangeEntry(entry: Entry): void {
    const change = decodeConfChange(entry.data);
    assert(change !== undefined, () => `undecodable conf change at index ${entry.index}`);
    const next = applyConfChange(this.conf, change);
    // A change that is invalid by now (it was checked when proposed) is a no-op everywhere.
    if (typeof next === 'string') return;
    this.setConf(next);
  }

  private setConf(conf: ConfState): void {
    this.conf = conf;
    const ids = [...conf.voters, ...conf.learners].sort((a, b) => a - b);
    const lastIndex = this.raftLog.lastIndex();
    for (const id of this.progress.keys()) {
      if (!ids.includes(id)) this.progress.delete(id);
    }
    const added: number[] = [];
    for (const id of ids) {
      const isLearner = conf.learners.includes(id);
      const existing = this.progress.get(id);
      if (existing !== undefined) {
        existing.isLearner = isLearner;
        continue;
      }
      added.push(id);
      const pr = new Progress(lastIndex + 1, isLearner, this.maxInflight, this.maxInflightBytes);
      pr.recentActive = true; // a new member gets a grace period before check-quorum counts it
      if (id === this.id) pr.match = this.raftLog.stableLastIndex();
      this.progress.set(id, pr);
    }
    this.peerIds = ids;
    if (this.currentRole !== StateRole.Leader) return;
    if (!conf.voters.includes(this.id)) {
      // Removed or demoted: stop leading; the remaining voters elect a new leader.
      this.becomeFollower(this.currentTerm, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !conf.voters.includes(this.leadTransferee)) {
      this.leadTransferee = NONE;
    }
    // The quorum may have changed; new members start probing right away.
    if (this.maybeCommit()) this.broadcastAppend();
    for (const id of added) {
      if (id !== this.id) this.sendAppend(id, this.progress.get(id) as Progress, true);
    }
  }

  // ----- helpers -----

  private send(fields: MessageFields): void {
    if (fields.from === undefined) fields.from = this.id;
    if (fields.term === undefined) fields.term = this.isRequest(fields.type) ? 0 : this.currentTerm;
    this.msgs.push(makeMessage(fields));
  }

  private checkInvariants(): void {
    const log = this.raftLog;
    assert(
      log.applied <= log.committed,
      () => `applied ${log.applied} > committed ${log.committed}`,
    );
    assert(log.committed <= log.lastIndex(), () => {
      return `committed ${log.committed} > last index ${log.lastIndex()}`;
    });
    assert(
      log.stableLastIndex() <= log.lastIndex(),
      () => `advance() reported entries to ${log.stableLastIndex()} durable, storage ends before`,
    );
    assert(
      this.currentRole !== StateRole.Leader || this.leaderId === this.id,
      'a leader leads itself',
    );
  }
}
