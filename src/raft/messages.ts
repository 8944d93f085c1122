// The Raft core's data types. Everything here has a plain, serialisable shape (numbers, booleans,
// arrays, Uint8Array) so a later layer can put it on the wire. Numeric codes are append-only:
// never renumber or reuse one.

/** Node ids are positive integers; 0 means "none". */
export const NONE = 0;

export const EntryType = {
  Normal: 0,
  ConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque to the core. An empty Normal entry is the no-op a new leader appends. */
  readonly data: Uint8Array;
}

/** Byte cost of an entry for flow control and limits: payload plus a fixed header estimate. */
export const ENTRY_OVERHEAD_BYTES = 16;
export function entryBytes(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

export const MessageType = {
  /** AppendEntries. index/logTerm: the entry before `entries`; commit: leader's commit index. */
  App: 1,
  /** Reply to App/Snap. index: last index now matching (accept) or the rejected index (reject). */
  AppResp: 2,
  /** RequestVote. index/logTerm: candidate's last entry. context: TRANSFER_CONTEXT if forced. */
  Vote: 3,
  VoteResp: 4,
  /** Pre-vote: term is the term the sender would campaign in; the receiver's term is not changed. */
  PreVote: 5,
  PreVoteResp: 6,
  /** commit: min(leader commit, follower match). context: ReadIndex round, if any. */
  Heartbeat: 7,
  HeartbeatResp: 8,
  /** One chunk of an InstallSnapshot transfer (see `snapshot`). */
  Snap: 9,
  /** Chunk acknowledgement. index/logTerm: snapshot id; rejectHint: next byte offset wanted. */
  SnapResp: 10,
  /** A proposal forwarded by a follower to the leader. Carries no term. */
  Prop: 11,
  /** A ReadIndex request forwarded to the leader. Carries no term. */
  ReadIndex: 12,
  /** index: the read index for `context`. */
  ReadIndexResp: 13,
  /** Leadership transfer: the receiver campaigns at once, skipping pre-vote and leases. */
  TimeoutNow: 14,
  /** Transfer request forwarded to the leader; `from` is the transferee. Carries no term. */
  TransferLeader: 15,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const messageTypeNames: Record<number, string> = {};
for (const [name, code] of Object.entries(MessageType)) messageTypeNames[code] = `Msg${name}`;
export function messageTypeName(type: MessageType): string {
  return messageTypeNames[type] ?? `Msg?${type}`;
}

export interface HardState {
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
}
export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

export interface ConfState {
  /** Sorted ascending. */
  readonly voters: readonly number[];
  /** Sorted ascending; disjoint from voters. */
  readonly learners: readonly number[];
}
export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** Opaque state-machine image. */
  readonly data: Uint8Array;
}

/**
 * A snapshot to send, read a range at a time (a storage may keep the bytes on disk rather than
 * in memory). `read` answers undefined once the snapshot is gone (a newer one replaced it): the
 * core then starts over with the latest.
 */
export interface SnapshotSource {
  readonly metadata: SnapshotMetadata;
  readonly length: number;
  read(start: number, end: number): Uint8Array | undefined;
}

/** A snapshot held in memory, as a source. */
export function snapshotSource(snapshot: Snapshot): SnapshotSource {
  return {
    metadata: snapshot.metadata,
    length: snapshot.data.length,
    read: (start, end) => snapshot.data.subarray(start, end),
  };
}

export interface SnapshotChunk {
  readonly metadata: SnapshotMetadata;
  /** Byte offset of `data` in the whole snapshot. */
  readonly offset: number;
  readonly totalBytes: number;
  readonly data: Uint8Array;
}

export interface Message {
  readonly type: MessageType;
  readonly to: number;
  readonly from: number;
  /** 0 for Prop, ReadIndex and TransferLeader (they are requests, not part of a term's exchange). */
  readonly term: number;
  readonly logTerm: number;
  readonly index: number;
  readonly commit: number;
  readonly entries: readonly Entry[];
  readonly reject: boolean;
  /** AppResp reject: highest index that might match; SnapResp: next byte offset wanted. */
  readonly rejectHint: number;
  readonly snapshot: SnapshotChunk | null;
  readonly context: Uint8Array | null;
}

export const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/** Marks a Vote/PreVote sent because of a leadership transfer (bypasses leader leases). */
export const TRANSFER_CONTEXT = new Uint8Array([0x54]);

export function isTransferContext(context: Uint8Array | null): boolean {
  return context !== null && context.length === 1 && context[0] === 0x54;
}

export interface MessageFields {
  type: MessageType;
  to: number;
  from?: number;
  term?: number;
  logTerm?: number;
  index?: number;
  commit?: number;
  entries?: readonly Entry[];
  reject?: boolean;
  rejectHint?: number;
  snapshot?: SnapshotChunk | null;
  context?: Uint8Array | null;
}

/** Builds a message with every field present (one object shape for the whole program). */
export function makeMessage(fields: MessageFields): Message {
  return {
    type: fields.type,
    to: fields.to,
    from: fields.from ?? NONE,
    term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    commit: fields.commit ?? 0,
    entries: fields.entries ?? NO_ENTRIES,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    snapshot: fields.snapshot ?? null,
    context: fields.context ?? null,
  };
}

export const StateRole = {
  Follower: 0,
  PreCandidate: 1,
  Candidate: 2,
  Leader: 3,
} as const;
export type StateRole = (typeof StateRole)[keyof typeof StateRole];
export const stateRoleNames = ['Follower', 'PreCandidate', 'Candidate', 'Leader'] as const;

export interface SoftState {
  readonly leader: number;
  readonly role: StateRole;
  readonly term: number;
}

export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

export interface Ready {
  /** Present when role or leader changed. Volatile; not persisted. */
  readonly softState: SoftState | null;
  /** Present when term, vote or commit changed. Persist before sending `messages`. */
  readonly hardState: HardState | null;
  /** Entries to append to stable storage (may overwrite a suffix). Persist before sending. */
  readonly entries: readonly Entry[];
  /** Snapshot to persist and install into the state machine. */
  readonly snapshot: Snapshot | null;
  /** Entries to apply, in order, after persisting. */
  readonly committedEntries: readonly Entry[];
  /**
   * Send only after `hardState`, `entries` and `snapshot` are durable — unless
   * `messagesMayPrecedePersist`.
   */
  readonly messages: readonly Message[];
  /**
   * True when `messages` may be sent before (or while) this Ready is persisted: the node leads
   * and neither term nor vote changed, so the messages promise nothing about this node's disk
   * (a leader counts itself towards commit only for entries already persisted: Raft thesis
   * §10.2.1, the leader writes its log in parallel with replicating it).
   */
  readonly messagesMayPrecedePersist: boolean;
  readonly readStates: readonly ReadState[];
  /** True when hard state or entries changed and must be fsynced. */
  readonly mustSync: boolean;
}
