// The per-connection state a command can see and change: selected database, protocol, name,
// authentication, transaction, watched keys, blocking and subscriptions. The server keeps one
// per socket; the embedded API keeps one per handle.

import type { User } from './acl/user.js';
import type { Reply } from './reply.js';

/** What a blocked command answers when its timeout passes: a nil, a nil array, or 0 (WAIT). */
export type TimeoutReply = 'nil' | 'nilArray' | 'zero';

export function replyTimeout(reply: Reply, kind: TimeoutReply): void {
  if (kind === 'nil') reply.nil();
  else if (kind === 'nilArray') reply.nilArray();
  else reply.int(0);
}

/** A MULTI in progress: queued command lines, and whether one was refused (EXEC aborts). */
export interface Transaction {
  queue: string[][];
  failed: boolean;
}

/** A watched key: its database, and whether it existed (unexpired) when WATCH ran. */
export interface WatchedKey {
  db: number;
  key: string;
  existed: boolean;
}

/** A client waiting in a blocking command until one of its keys has data or time runs out. */
export interface BlockedState {
  db: number;
  keys: string[];
  argv: string[];
  /** Absolute time at which the command times out; Infinity for "block forever". */
  deadlineMs: number;
  /** What the command answers on timeout (null array for BLPOP, null for BLMOVE …). */
  timeoutReply: TimeoutReply;
}

/**
 * What the connection under a client can tell CLIENT LIST (the server's session implements it;
 * embedded handles have none). Sizes in bytes.
 */
export interface ConnectionInfo {
  /** The socket's file descriptor, or -1. */
  readonly fd: number;
  /** Bytes received and not yet run as commands (qbuf). */
  queryBufferBytes(): number;
  /** Replies encoded but not yet handed to the socket (obl), and the buffer's size and peak (rbs, rbp). */
  replyBufferBytes(): number;
  replyBufferSize(): number;
  replyBufferPeak(): number;
  /** Replies handed to the socket that the peer has not read yet (omem). */
  pendingOutputBytes(): number;
}

/** CLIENT TRACKING state of a client with tracking on (commands/tracking.ts). */
export interface ClientTracking {
  /** The client id invalidations go to; 0 for this connection. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) given for the next command or transaction. */
  caching: boolean;
  /** The redirect target was gone when an invalidation was due (flag R, broken_redirect). */
  brokenRedirect: boolean;
  /** BCAST prefixes, sorted as Redis's radix tree lists them. */
  prefixes: string[];
}

export class ClientState {
  name = '';
  db = 0;
  protocol: 2 | 3 = 2;
  authenticated: boolean;
  /** The name of the ACL user this client runs as (CLIENT LIST user=). */
  user = 'default';
  /** That user's rules; undefined for the default user (commands/acl/access-control.ts). */
  aclUser: User | undefined;
  libName = '';
  libVersion = '';
  lastCommand = 'NULL';
  lastInteractionMs: number;
  /** Set by QUIT, CLIENT KILL, SHUTDOWN: the server closes the connection after the pending replies. */
  closeAfterReply = false;
  /** Incremented when a new command arrives (for CLIENT LIST / INFO). */
  commandsProcessed = 0;
  transaction: Transaction | undefined;
  watched: WatchedKey[] = [];
  /** Set when a watched key changed: the next EXEC fails. */
  watchDirty = false;
  blocked: BlockedState | undefined;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /**
   * Where this client's replies go. Besides the command being run, others write here too:
   * pub/sub messages, and the reply of a blocked command served when its key got data.
   */
  reply: Reply | undefined;

  // Introspection and client control (commands/families/client.ts, commands/introspection/).
  /** In MONITOR mode: receives every command run, may only PING, QUIT or RESET. */
  monitor = false;
  /** CLIENT NO-EVICT: never closed to free memory (maxmemory-clients). */
  noEvict = false;
  /** CLIENT NO-TOUCH: this client's reads leave keys' LRU/LFU data alone (eviction reads it). */
  noTouch = false;
  /** CLIENT REPLY OFF, and SKIP (this command's reply is dropped; the next one's too). */
  replyOff = false;
  replySkip = false;
  replySkipNext = false;
  /** CLIENT TRACKING ON: undefined while off (one property test per command). */
  tracking: ClientTracking | undefined;
  /** Its next command waits for CLIENT PAUSE to end. */
  postponed = false;
  connection: ConnectionInfo | undefined;

  /**
   * After a command ran: whether its reply is dropped (CLIENT REPLY OFF, or SKIP for this one),
   * moving SKIP's flag on to the next command as Redis's resetClient does.
   */
  takeReplyDropped(): boolean {
    const dropped = this.replyOff || this.replySkip;
    this.replySkip = false;
    if (this.replySkipNext) {
      this.replySkip = true;
      this.replySkipNext = false;
    }
    return dropped;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  constructor(
    readonly id: number,
    readonly createdAtMs: number,
    authenticated: boolean,
    readonly address = '',
    readonly localAddress = '',
  ) {
    this.authenticated = authenticated;
    this.lastInteractionMs = createdAtMs;
  }
}
