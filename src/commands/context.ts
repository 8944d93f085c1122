// What a handler works with while it runs: the client, the reply writer, the time the command
// started, and the engine, read directly and changed only through `emit`.

import { Engine } from '../engine/engine.js';
import type { Database } from '../engine/database.js';
import { type Effect, Op } from '../engine/effects.js';
import { isStringValue, type StringValue, type Value } from '../engine/values.js';
import { type ClientState, replyTimeout, type TimeoutReply } from './client.js';
import type { Config } from './config.js';
import { Errors, ReplyError } from './errors.js';
import type { Host } from './hooks.js';
import type { Reply } from './reply.js';
import type { Executor } from './executor.js';
import { EventClass, notifyKeyspaceEvent } from './notify.js';

/** The effects of a command that has emitted none: shared, so frozen (record() replaces it). */
export const NO_EFFECTS: Effect[] = Object.freeze([]) as unknown as Effect[];

export class CommandContext {
  client!: ClientState;
  reply!: Reply;
  /** Wall-clock time captured once for the whole command (and the whole transaction). */
  nowMs = 0;
  /**
   * Effects emitted by the running command, logged as one entry when it ends. Added to through
   * record() only: between commands this is the shared, frozen NO_EFFECTS.
   */
  effects: Effect[] = NO_EFFECTS;
  /**
   * False on a node that must not decide changes itself (a Raft follower): expired keys read as
   * absent, nothing is evicted, and a read writes nothing (PFCOUNT's cache, SORT's conversion).
   */
  decidesChanges = true;
  /** The dispatcher running this command (INFO and COMMAND read its table and counters). */
  executor!: Executor;
  /** True while EXEC runs its queue: blocking commands answer at once instead of blocking. */
  inTransaction = false;
  /** True while a blocked client's command runs again because one of its keys changed. */
  retryingBlocked = false;
  /** Set by block() during such a retry: the client stays blocked, in its place in line. */
  stillBlocked = false;
  keyspaceHits = 0;
  keyspaceMisses = 0;

  constructor(
    readonly engine: Engine,
    readonly config: Config,
    readonly host: Host,
    readonly random: () => number,
    /** Dispatches a nested command (MULTI/EXEC) through the normal checks. */
    readonly execute: (argv: string[]) => void,
  ) {}

  get db(): Database {
    return this.engine.database(this.client.db);
  }

  /** Applies an effect now and records it for the log. */
  emit(effect: Effect): void {
    this.engine.applyEffect(effect);
    this.record(effect);
    // Access clocks (maxmemory, OBJECT IDLETIME): kept here, outside the deterministic appliers.
    this.executor.memory.written(effect, this.nowMs);
  }

  /** Records an effect for the log without applying it (applied already, or applied elsewhere). */
  record(effect: Effect): void {
    // Most commands emit one effect: an array made for one, not grown by push (room for 17).
    if (this.effects.length === 0) this.effects = [effect];
    else this.effects.push(effect);
  }

  /** The live value of a key in the client's database; an expired key is deleted (as an effect). */
  lookup(key: string): Value | undefined {
    return this.lookupIn(this.client.db, key);
  }

  /** `touch` false: the access clock stays as it was (OBJECT, Redis's LOOKUP_NOTOUCH). */
  lookupIn(dbIndex: number, key: string, touch = true): Value | undefined {
    const db = this.engine.database(dbIndex);
    const entry = db.entries.get(key);
    if (entry === undefined || !db.isExpired(key, this.nowMs)) {
      // INFO keyspace_hits / keyspace_misses (every lookup by a command, reads and writes).
      if (entry === undefined) {
        this.keyspaceMisses++;
        return undefined;
      }
      this.keyspaceHits++;
      // CLIENT NO-TOUCH: the client's reads leave the clock alone, except TOUCH itself.
      if (touch && (!this.client.noTouch || this.currentArgv[0]?.toLowerCase() === 'touch'))
        this.executor.memory.touch(entry, this.nowMs, this.random);
      return db.valueOf(entry);
    }
    this.keyspaceMisses++;
    // While clients are paused (CLIENT PAUSE) an expired key reads as absent but stays.
    if (this.decidesChanges && !this.executor.pause.active) {
      this.emit([Op.Delete, dbIndex, key]);
      notifyKeyspaceEvent(this, EventClass.expired, 'expired', key, dbIndex);
    }
    return undefined;
  }

  /** Publishes a keyspace notification for `key` (notify-keyspace-events). */
  notify(eventClass: number, event: string, key: string, db: number = this.client.db): void {
    if (this.executor.notifyFlags !== 0) notifyKeyspaceEvent(this, eventClass, event, key, db);
  }

  /** A string value, undefined for a missing key, or a WRONGTYPE error. */
  lookupString(key: string): StringValue | undefined {
    const value = this.lookup(key);
    if (value === undefined || isStringValue(value)) return value;
    throw new ReplyError(Errors.wrongType);
  }

  /**
   * Blocks the client until one of `keys` changes or `timeoutMs` passes (0 = forever). The
   * handler calls this when it found no data, and writes no reply: the reply comes when the
   * command runs again with data, or the timeout reply. Inside MULTI it answers at once.
   */
  block(keys: string[], timeoutMs: number, timeoutReply: TimeoutReply): void {
    if (this.retryingBlocked) {
      this.stillBlocked = true;
      return;
    }
    if (this.inTransaction) {
      replyTimeout(this.reply, timeoutReply);
      return;
    }
    this.executor.blocking.block(this.client, {
      db: this.client.db,
      keys,
      argv: this.currentArgv,
      deadlineMs: timeoutMs === 0 ? Infinity : this.nowMs + timeoutMs,
      timeoutReply,
    });
  }

  /** The command line being run (set by the executor). */
  currentArgv: string[] = [];

  exists(key: string): boolean {
    return this.lookup(key) !== undefined;
  }
}
