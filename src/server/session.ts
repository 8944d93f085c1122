// One client connection: parses requests from the socket, runs every complete command of one
// read synchronously, and writes all their replies with one socket write, at the end of the
// event-loop turn together with every other session's (see flushAtEndOfTurn). Pauses reading
// while the kernel will not take more output, so a client that does not read cannot grow our
// memory.

import type { Socket } from 'node:net';
import { ClientState, type ConnectionInfo } from '../commands/client.js';
import type { Executor } from '../commands/executor.js';
import { InvariantError } from '../engine/assert.js';
import { ReplyEncoder } from '../resp/encoder.js';
import { ProtocolError, RequestParser } from '../resp/parser.js';
import type { Logger } from './logger.js';
import type { ClientRelay } from './relay.js';
import type { NetworkCounters } from './metrics.js';
import { checkOutputLimit, type OutputLimits } from '../commands/output-limits.js';
import { atTurnEnd } from '../util/turn-end.js';

export interface SessionEvents {
  closed(session: Session): void;
  /** Current client-output-buffer-limit, parsed. */
  outputLimits(): OutputLimits;
  /** A client was closed for going over its output buffer limit (INFO stats). */
  outputLimitExceeded(session: Session): void;
  /** Shared byte and operation counters (INFO stats). */
  readonly counters: NetworkCounters;
  /** Under appendfsync always: replies wait until the writes they may reveal are durable. */
  durability?: DurabilityGate | undefined;
  /** In a replica group: which commands run here, wait, or go to the leader. */
  router?: CommandRouter | undefined;
}

/** Where a command of a replica group's client runs (implemented by server/replica-router.ts). */
export interface CommandRouter {
  /**
   * 'local': run it here; 'done': answered already (into session.encoder); 'wait': postpone it
   * until the host calls processPending again; 'relay': the router forwarded it to the leader.
   */
  route(session: Session, argv: string[]): 'local' | 'done' | 'wait' | 'relay';
}

/** What a session needs of the log to hold replies (implemented by src/persist). */
export interface DurabilityGate {
  readonly lastAppendedSequence: number;
  readonly lastDurableSequence: number;
  /** The sequence this batch's replies must wait for, or undefined to send them now. */
  holdUntil(appendedBefore: number): number | undefined;
  /** `lost`, if the gate can tell, when `sequence` will never be durable (a failover). */
  whenDurable(sequence: number, callback: () => void, lost?: () => void): void;
  /** True while the disk refuses writes (absent: a gate whose disk errors stop the process). */
  readonly failing?: boolean;
  /** As whenDurable, and also once the disk refuses writes: for a batch that wrote nothing. */
  whenDurableOrFailing?(sequence: number, callback: () => void): void;
}

/** The encoder's slab size: CLIENT LIST's rbs (Redis's 16 KiB reply buffer). */
const REPLY_BUFFER_BYTES = 16 * 1024;

export class Session implements ConnectionInfo {
  readonly parser: RequestParser;
  readonly encoder = new ReplyEncoder();
  executing = false;
  private closed = false;
  /** When unsent output first went over the soft limit (undefined while under it). */
  private overSoftLimitSinceMs: number | undefined;
  /** Replies are held until this log sequence is durable (0: nothing held). */
  private heldUntil = 0;
  /** Whether every batch whose replies are held wrote nothing. */
  private heldReadsOnly = false;
  /** Whether data came while replies were held, so reading stopped until they go. */
  private pausedWhileHeld = false;
  /** A command that must wait for CLIENT PAUSE to end, taken from the parser already. */
  private postponedArgv: string[] | undefined;
  /** The most reply bytes one flush sent (CLIENT LIST rbp). */
  private replyPeakBytes = 0;
  readonly fd: number;
  /** A replica group follower's upstream to the leader for this client (created by the router). */
  relay: ClientRelay | undefined;

  constructor(
    readonly socket: Socket,
    readonly client: ClientState,
    private readonly executor: Executor,
    private readonly logger: Logger,
    private readonly events: SessionEvents,
  ) {
    this.parser = new RequestParser(requestLimits(executor, client));
    client.reply = this.encoder;
    client.connection = this;
    this.fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => socket.resume());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.client.lastInteractionMs = Date.now();
    const counters = this.events.counters;
    counters.inputBytes += chunk.length;
    counters.reads++;
    this.parser.feed(chunk);
    if (this.heldUntil !== 0) {
      // Its replies are held (hold): these commands wait in the parser, and reading stops.
      if (!this.pausedWhileHeld) {
        this.pausedWhileHeld = true;
        this.socket.pause();
      }
      return;
    }
    // A blocked or paused client's further commands wait in the parser until it is served, within
    // the query buffer limit.
    if (this.client.blocked === undefined && this.postponedArgv === undefined) {
      this.processPending();
    } else if (
      this.parser.bufferedBytes > this.executor.config.getNumber('client-query-buffer-limit')
    ) {
      this.logger.warning(
        `Closing client that reached max query buffer length: id=${this.client.id} addr=${this.client.address}`,
      );
      this.destroy();
    }
  }

  /** Runs every complete command buffered, unless the client blocks or is closing. */
  processPending(): void {
    if (this.closed || this.executing) return;
    const client = this.client;
    const encoder = this.encoder;
    const nowMs = Date.now();
    const appendedBefore = this.events.durability?.lastAppendedSequence ?? 0;
    const pause = this.executor.pause;
    // One clock read per command: each starts where the previous one ended (its time includes
    // parsing its own arguments).
    let clockMs = performance.now();
    this.executing = true;
    try {
      while (client.blocked === undefined && !client.closeAfterReply) {
        const argv = this.postponedArgv ?? this.parser.next();
        if (argv === null) break;
        // CLIENT PAUSE: the command waits (the server calls processPending when the pause ends).
        if (pause.kind !== undefined && pause.mustWait(client, argv)) {
          this.postponedArgv = argv;
          client.postponed = true;
          break;
        }
        const router = this.events.router;
        if (router !== undefined) {
          const route = router.route(this, argv);
          if (route === 'wait') {
            this.postponedArgv = argv;
            client.postponed = true;
            break;
          }
          this.postponedArgv = undefined;
          client.postponed = false;
          if (route !== 'local') {
            this.orderAfterRelay();
            continue;
          }
        }
        this.postponedArgv = undefined;
        client.postponed = false;
        const mark = encoder.mark();
        const wasAuthenticated = client.authenticated;
        try {
          this.executor.execute(client, argv, encoder, nowMs, clockMs);
          clockMs = this.executor.clockMs;
          if (client.authenticated !== wasAuthenticated) {
            this.parser.setLimits({ unauthenticated: !client.authenticated });
          }
          if (client.replyOff || client.replySkip || client.replySkipNext) this.replyControl(mark);
        } catch (error) {
          if (error instanceof InvariantError) throw error;
          // A bug in one handler: answer that command with an error and keep serving.
          encoder.rewind(mark);
          encoder.error(`ERR internal error: ${(error as Error).message}`);
          this.logger.warning(
            `internal error in '${argv[0] ?? ''}': ${(error as Error).stack ?? ''}`,
          );
        }
        if (router !== undefined) this.orderAfterRelay();
      }
    } catch (error) {
      this.protocolError(error);
    } finally {
      this.executing = false;
    }
    // --- durability: hold this read's replies until its log entries are fsynced (issue 4) ---
    const durability = this.events.durability;
    const holdUntil = durability?.holdUntil(appendedBefore);
    if (holdUntil !== undefined) {
      return this.hold(holdUntil, durability?.lastAppendedSequence === appendedBefore);
    }
    // --- end durability ---
    this.flushAtEndOfTurn();
  }

  private flushPending = false;
  private readonly flushQueued = (): void => {
    this.flushPending = false;
    this.flush();
  };

  /**
   * The replies go out at the end of the turn, after every socket read of the turn ran, one
   * write after another with every other session's. Written as each read was handled, nearly
   * every write had to wake the reading client again, and on a virtual machine a wakeup on
   * another CPU costs the writer tens of microseconds (41 % of a pipelined SET run's CPU).
   */
  private flushAtEndOfTurn(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    atTurnEnd(this.flushQueued);
  }

  /** Relayed commands still unanswered: later local replies queue behind them. */
  private orderAfterRelay(): void {
    const relay = this.relay;
    if (relay !== undefined && relay.pending > 0 && this.encoder.length > 0) {
      relay.local(this.encoder.take());
    }
  }

  /** The upstream connection to the leader went away with commands unanswered. */
  relayFailed(reason: string): void {
    this.logger.verbose(`closing client id=${this.client.id}: ${reason}`);
    this.destroy();
  }

  /** CLIENT REPLY OFF / SKIP: the command ran, its reply is not sent. */
  private replyControl(mark: number): void {
    if (this.client.takeReplyDropped()) this.encoder.rewind(mark);
  }

  /** Whether a command of this client waits for CLIENT PAUSE to end. */
  get isPostponed(): boolean {
    return this.postponedArgv !== undefined;
  }

  private protocolError(error: unknown): void {
    if (!(error instanceof ProtocolError)) throw error;
    this.encoder.error(`ERR ${error.message}`);
    this.client.closeAfterReply = true;
    this.logger.verbose(`protocol error from client id=${this.client.id}: ${error.message}`);
  }

  /**
   * Output written outside this session's own commands (a message, or the reply of its blocked
   * command): send it, and if the client is no longer blocked, carry on with its pipeline, on
   * a later turn so the command that caused this finishes first.
   */
  outputReady(): void {
    if (this.executing || this.closed) return;
    // A served blocked command, or a keyspace notification, may reveal writes not yet durable.
    const holdUntil = this.events.durability?.holdUntil(-1);
    if (holdUntil !== undefined) this.hold(holdUntil, false);
    else this.flushAtEndOfTurn();
    if (this.client.blocked === undefined && this.parser.bufferedBytes > 0) {
      setImmediate(() => this.processPending());
    }
  }

  /**
   * Keeps every pending reply until log entry `sequence` is durable; reading pauses meanwhile.
   * Replies of batches that all `wroteNothing` also go once the disk refuses writes (reads keep
   * working while it is full, as new reads do).
   */
  private hold(sequence: number, wroteNothing: boolean): void {
    const alreadyHolding = this.heldUntil !== 0;
    this.heldUntil = Math.max(this.heldUntil, sequence);
    this.heldReadsOnly = alreadyHolding ? this.heldReadsOnly && wroteNothing : wroteNothing;
    if (!alreadyHolding) this.waitForHeld();
  }

  // Bound once per session rather than made per held batch: at -P 1 that is every command.
  // (Reading stops only if data comes meanwhile, in onData: pausing and resuming the socket for
  // every batch cost a tick of stream machinery each.)
  private waitForHeld(): void {
    const gate = this.events.durability as DurabilityGate;
    if (this.heldReadsOnly && gate.whenDurableOrFailing !== undefined) {
      gate.whenDurableOrFailing(this.heldUntil, this.releaseHeld);
    } else gate.whenDurable(this.heldUntil, this.releaseHeld, this.heldLost);
  }

  private readonly releaseHeld = (): void => {
    const gate = this.events.durability as DurabilityGate;
    const early = this.heldReadsOnly && gate.failing === true;
    if (!early && gate.lastDurableSequence < this.heldUntil) return this.waitForHeld();
    this.heldUntil = 0;
    if (this.closed) return;
    const paused = this.pausedWhileHeld;
    this.pausedWhileHeld = false;
    // Resumed before the flush, which pauses again if the client does not read its replies.
    if (paused) this.socket.resume();
    this.flush();
    if (paused && this.parser.bufferedBytes > 0) process.nextTick(this.processPendingLater);
  };

  /** A failover: the held replies may claim writes that will never commit; close instead. */
  private readonly heldLost = (): void => this.destroy();
  private readonly processPendingLater = (): void => {
    if (this.heldUntil === 0) this.processPending();
  };

  /** Writes pending replies; closes the connection if the client is marked to close. */
  flush(): void {
    if (this.closed || this.heldUntil !== 0) return;
    if (this.encoder.length > 0) {
      if (this.encoder.length > this.replyPeakBytes) this.replyPeakBytes = this.encoder.length;
      const bytes = this.encoder.take();
      const counters = this.events.counters;
      counters.outputBytes += bytes.length;
      counters.writes++;
      const accepted = this.socket.write(bytes);
      if (!accepted) {
        this.socket.pause();
        if (this.outputOverLimit()) return;
      }
    }
    if (this.client.closeAfterReply) {
      this.closed = true;
      this.socket.end();
      this.events.closed(this);
    }
  }

  /** Closes the client if its unsent output is over its class's limit; true if it did. */
  private outputOverLimit(): boolean {
    const limits = this.events.outputLimits();
    const limit = this.client.subscriptionCount > 0 ? limits.pubsub : limits.normal;
    const check = checkOutputLimit(
      limit,
      this.socket.writableLength,
      Date.now(),
      this.overSoftLimitSinceMs,
    );
    this.overSoftLimitSinceMs = check.overSoftSinceMs;
    if (!check.close) return false;
    this.logger.warning(
      `Client id=${this.client.id} addr=${this.client.address} closed for overcoming of output buffer limits.`,
    );
    this.events.outputLimitExceeded(this);
    this.destroy();
    return true;
  }

  /** Closes after pending replies (CLIENT KILL, SHUTDOWN); immediate when not mid-command. */
  close(): void {
    this.client.closeAfterReply = true;
    if (!this.executing) this.flush();
  }

  // ConnectionInfo (CLIENT LIST).
  queryBufferBytes(): number {
    return this.parser.bufferedBytes;
  }
  replyBufferBytes(): number {
    return this.encoder.length;
  }
  replyBufferSize(): number {
    return REPLY_BUFFER_BYTES;
  }
  replyBufferPeak(): number {
    return this.replyPeakBytes;
  }
  pendingOutputBytes(): number {
    return this.socket.writableLength;
  }

  destroy(): void {
    this.relay?.close();
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.closed) return;
    this.closed = true;
    this.events.closed(this);
  }
}

function requestLimits(executor: Executor, client: ClientState) {
  return {
    unauthenticated: !client.authenticated,
    maxBulkBytes: executor.config.getNumber('proto-max-bulk-len'),
    maxQueryBufferBytes: executor.config.getNumber('client-query-buffer-limit'),
  };
}

export { ClientState };
