// The dispatcher: finds the command, enforces what its table entry declares (arity, subcommand,
// authentication, write refusal), runs the handler, and hands the effects it emitted to the sink
// as one log entry. Also runs the active expiry cycle, which deletes expired keys as effects.

import type { Engine } from '../engine/engine.js';
import { Op } from '../engine/effects.js';
import { ClientState, replyTimeout } from './client.js';
import { GroupSettings } from './group-settings.js';
import type { Config } from './config.js';
import { CommandContext, NO_EFFECTS } from './context.js';
import { Errors, ReplyError } from './errors.js';
import type { EffectSink, Host } from './hooks.js';
import type { Reply } from './reply.js';
import { type Command, FlagBit } from './spec.js';
import { CommandTable } from './table.js';
import { allCommands } from './all.js';
import { BlockingRegistry } from './blocking.js';
import { PubSubRegistry } from './pubsub.js';
import { WatchRegistry } from './watch.js';
import { TrackingRegistry } from './tracking.js';
import { EventClass, notifyKeyspaceEvent, parseEventClasses } from './notify.js';
import { followEncodingSettings } from './encoding-settings.js';
import { AccessControl } from './acl/access-control.js';
import { describeClient } from './families/client.js';
import { CommandRecorder } from './introspection/recorder.js';
import { ClientPause } from './pause.js';
import { MemoryManager, OOM_ERROR } from './memory/eviction.js';

/** A MONITOR client may not run these (Redis: "Replica can't interact with the keyspace"). */
const KEYSPACE_ACCESS = FlagBit.write | FlagBit.readonly | FlagBit.may_replicate;
/** Commands a transaction runs at once instead of queueing. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** What a RESP2 client may run while subscribed. */
const SUBSCRIBED_CONTEXT = new Set([
  'subscribe',
  'ssubscribe',
  'unsubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'ping',
  'quit',
  'reset',
]);

export interface ExecutorOptions {
  engine: Engine;
  config: Config;
  host: Host;
  sink?: EffectSink;
  random?: () => number;
  /** Runs `task` after `ms` (blocking-command timeouts); returns a cancel function. */
  schedule?: (task: () => void, ms: number) => () => void;
}

/** A real timer; it keeps the process alive, as a caller awaiting a blocked command expects. */
function scheduleWithTimer(task: () => void, ms: number): () => void {
  const timer = setTimeout(task, Math.min(ms, 2 ** 31 - 1));
  return () => clearTimeout(timer);
}

/** Where effects go when nothing keeps them (appendonly no): nowhere, and writes are never refused. */
export const NO_SINK: EffectSink = { writeRefusal: () => undefined, append: () => undefined };

export class Executor {
  readonly table: CommandTable;
  readonly engine: Engine;
  readonly config: Config;
  sink: EffectSink;
  private readonly ctx: CommandContext;
  /** Commands refused or failed, by error prefix (INFO errorstats). */
  readonly errorCounts = new Map<string, number>();
  commandsProcessed = 0;
  expiredKeys = 0;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the background expiry cycle off (tests use it). */
  activeExpire = true;
  readonly watches: WatchRegistry;
  readonly blocking: BlockingRegistry;
  readonly pubsub: PubSubRegistry;
  /** CLIENT TRACKING: keys read by tracking clients, invalidations (tracking.ts). */
  readonly tracking: TrackingRegistry;
  readonly host: Host;
  private readonly schedule: NonNullable<ExecutorOptions['schedule']>;
  private readonly blockTimers = new Map<ClientState, () => void>();
  /** notify-keyspace-events, parsed (0 = off, the default). */
  notifyFlags = 0;
  /** Users, AUTH, the per-command ACL check, the ACL log. */
  readonly acl: AccessControl;
  /** A replica group's shared settings and users, as its log applies them (group-settings.ts). */
  readonly groupSettings: GroupSettings;
  /** True while the host loads the dataset: commands without the `loading` flag get -LOADING. */
  loading = false;
  /** performance.now() at the start of the command about to run, then at the end of the last. */
  clockMs = 0;
  /** Command timing, latency histograms, slow log, latency monitor, MONITOR feed. */
  readonly recorder: CommandRecorder;
  /** CLIENT PAUSE state; the host holds paused clients' commands (mustWait) until it ends. */
  readonly pause: ClientPause;
  /** maxmemory: access clocks, eviction before commands, the OOM refusal. */
  readonly memory: MemoryManager;

  constructor(options: ExecutorOptions) {
    this.engine = options.engine;
    this.config = options.config;
    this.sink = options.sink ?? NO_SINK;
    this.host = options.host;
    this.schedule = options.schedule ?? scheduleWithTimer;
    this.watches = new WatchRegistry(options.engine);
    this.blocking = new BlockingRegistry(options.engine);
    this.pubsub = new PubSubRegistry(options.host);
    this.tracking = new TrackingRegistry(options.host);
    options.engine.addObserver(this.tracking);
    this.notifyFlags = parseEventClasses(this.config.get('notify-keyspace-events')) ?? 0;
    this.config.onChange((name, value) => {
      if (name === 'notify-keyspace-events') this.notifyFlags = parseEventClasses(value) ?? 0;
    });
    followEncodingSettings(this.config, this.engine.encodingLimits);
    this.table = new CommandTable(allCommands);
    this.acl = new AccessControl(this.table, options.config, options.host, (client) =>
      describeClient(this.ctx, client),
    );
    this.groupSettings = new GroupSettings(options.config, this.acl);
    options.engine.observeSettings(this.groupSettings);
    this.recorder = new CommandRecorder(options.config, options.host);
    this.pause = new ClientPause(this.table);
    this.memory = new MemoryManager(options.engine, options.config, Date.now());
    this.ctx = new CommandContext(
      options.engine,
      options.config,
      options.host,
      options.random ?? Math.random,
      (argv) => this.run(argv),
    );
    this.ctx.executor = this;
  }

  /** False on a replica group follower: it expires, evicts and writes nothing itself. */
  setDecidesChanges(value: boolean): void {
    this.ctx.decidesChanges = value;
  }

  /**
   * Runs one command for `client`, writing its reply to `reply`. `clockMs` is performance.now()
   * when the command started, if the caller has it (a pipeline passes the end of the previous
   * command, `clockMs` after the call, so each command costs one clock read).
   */
  execute(
    client: ClientState,
    argv: string[],
    reply: Reply,
    nowMs: number,
    clockMs: number = performance.now(),
  ): void {
    this.clockMs = clockMs;
    const ctx = this.ctx;
    ctx.client = client;
    ctx.reply = reply;
    ctx.nowMs = nowMs;
    client.lastInteractionMs = nowMs;
    client.commandsProcessed++;
    const tracking = this.tracking;
    // CLIENT TRACKING: one compare while nobody tracks.
    const tracked = tracking.active;
    if (tracked) tracking.commandStarts(client);
    try {
      this.run(argv);
    } finally {
      this.flushEffects(nowMs);
      if (tracked || client.tracking !== undefined) tracking.commandDone(client, argv);
    }
    if (client.blocked !== undefined && !this.blockTimers.has(client)) this.armTimeout(client);
    if (this.blocking.size > 0) this.serveBlocked(nowMs);
  }

  /**
   * Serves blocked clients whose keys changed, oldest first, by running their command again;
   * each served command is its own log entry. Serving one may feed another (BLMOVE), so repeat.
   */
  private serveBlocked(nowMs: number): void {
    const ctx = this.ctx;
    const saved = [ctx.client, ctx.reply] as const;
    for (
      let ready = this.blocking.takeReady();
      ready.length > 0;
      ready = this.blocking.takeReady()
    ) {
      for (const client of ready) {
        const state = client.blocked;
        if (state === undefined || client.reply === undefined) continue;
        ctx.client = client;
        ctx.reply = client.reply;
        ctx.nowMs = nowMs;
        ctx.retryingBlocked = true;
        ctx.stillBlocked = false;
        try {
          this.run(state.argv);
        } finally {
          ctx.retryingBlocked = false;
          this.flushEffects(nowMs);
        }
        if (!ctx.stillBlocked) this.release(client);
      }
    }
    [ctx.client, ctx.reply] = saved;
  }

  private armTimeout(client: ClientState): void {
    const deadline = client.blocked?.deadlineMs ?? Infinity;
    if (deadline === Infinity) return;
    const cancel = this.schedule(() => this.timeOut(client), Math.max(0, deadline - Date.now()));
    this.blockTimers.set(client, cancel);
  }

  private timeOut(client: ClientState): void {
    const state = client.blocked;
    if (state === undefined || client.reply === undefined) return;
    if (state.deadlineMs > Date.now()) {
      // Timers cap at about 24.8 days; a longer timeout is armed again.
      this.blockTimers.delete(client);
      return this.armTimeout(client);
    }
    replyTimeout(client.reply, state.timeoutReply);
    this.release(client);
  }

  /** Ends a client's blocking (served, timed out, or CLIENT UNBLOCK) and hands over its output. */
  private release(client: ClientState): void {
    this.blocking.unblock(client);
    this.blockTimers.get(client)?.();
    this.blockTimers.delete(client);
    this.host.clientHasOutput(client);
  }

  /** CLIENT UNBLOCK: answers the blocked client with its timeout reply, or an error. */
  unblockClient(id: number, withError: boolean): boolean {
    const client = this.blocking.find(id);
    if (client === undefined || client.reply === undefined) return false;
    if (withError) client.reply.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    else replyTimeout(client.reply, client.blocked?.timeoutReply ?? 'nilArray');
    this.release(client);
    return true;
  }

  /** Forgets everything about a client that went away. */
  disconnect(client: ClientState): void {
    this.blocking.unblock(client);
    this.blockTimers.get(client)?.();
    this.blockTimers.delete(client);
    this.watches.unwatchAll(client);
    this.pubsub.unsubscribeAll(client);
    this.recorder.monitors.remove(client);
    this.tracking.forget(client);
    client.transaction = undefined;
  }

  private flushEffects(nowMs: number): void {
    const ctx = this.ctx;
    if (ctx.effects.length === 0) return;
    const effects = ctx.effects;
    ctx.effects = NO_EFFECTS;
    this.sink.append({ timeMs: nowMs, effects });
  }

  private run(argv: string[]): void {
    const ctx = this.ctx;
    const reply = ctx.reply;
    const client = ctx.client;
    const command = this.resolve(argv);
    if (typeof command === 'string') return this.refuse(command, undefined);
    // Authentication, then the user's ACL rules (Redis's processCommand order).
    if (!client.authenticated && (command.flagBits & FlagBit.no_auth) === 0) {
      if (this.acl.authRequired()) return this.refuse(Errors.noAuth, command);
    }
    if (this.loading && (command.flagBits & FlagBit.loading) === 0) {
      return this.refuse(Errors.loading, command);
    }
    const denied = this.acl.check(client, command, argv, ctx.nowMs, ctx.inTransaction);
    if (denied !== undefined) return this.refuse(denied, command);
    // --- maxmemory (commands/memory/eviction.ts): evict first, then refuse as processCommand ---
    // A follower neither evicts nor refuses (Redis's replica-ignore-maxmemory): like expiry,
    // eviction is the leader's decision, replicated as deletions.
    const memory = this.memory;
    if (
      memory.maxmemory !== 0 &&
      ctx.decidesChanges &&
      !ctx.inTransaction &&
      !this.pause.active &&
      !memory.makeRoom(ctx)
    ) {
      if (this.refusedOnOom(command, client)) return this.refuse(OOM_ERROR, command);
    }
    // --- end maxmemory ---
    // PING too is refused while the disk fails writes (Redis's processCommand), so a health
    // check notices; a refusal of another kind (a replica's) leaves PING alone.
    const isWrite = (command.flagBits & FlagBit.write) !== 0;
    if (isWrite || command.name === 'ping') {
      const refusal = this.sink.writeRefusal();
      if (refusal !== undefined && (isWrite || refusal.startsWith('MISCONF'))) {
        return this.refuse(refusal, command);
      }
    }
    const name = command.parent?.name ?? command.name;
    if (client.monitor && (command.flagBits & KEYSPACE_ACCESS) !== 0) {
      return this.refuse("ERR Replica can't interact with the keyspace", command);
    }
    if (client.protocol === 2 && client.subscriptionCount > 0 && !SUBSCRIBED_CONTEXT.has(name)) {
      return this.refuse(
        `ERR Can't execute '${command.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
        command,
      );
    }
    if (client.transaction !== undefined && !TRANSACTION_CONTROL.has(name)) {
      if ((command.flagBits & FlagBit.no_multi) !== 0) {
        return this.refuse('ERR Command not allowed inside a transaction', command);
      }
      client.transaction.queue.push(argv);
      reply.simple('QUEUED');
      return;
    }
    client.lastCommand = command.fullName;
    command.calls++;
    this.commandsProcessed++;
    const startedMs = this.clockMs;
    try {
      ctx.currentArgv = argv;
      (command.handler as NonNullable<Command['handler']>)(ctx, argv);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      command.failedCalls++;
      this.countError(error.prefix);
      reply.error(error.message);
    }
    // Hot path: time, histogram, and one compare; the rest only when the recorder asks.
    const endedMs = performance.now();
    this.clockMs = endedMs;
    const elapsedMs = endedMs - startedMs;
    const recorder = this.recorder;
    (command.histogram ?? recorder.newHistogram(command)).record(elapsedMs, recorder.trackLatency);
    if (elapsedMs >= recorder.attentionMs) {
      recorder.commandDone(command, argv, client, elapsedMs, ctx.retryingBlocked);
    }
    // CLIENT TRACKING: the keys a read-only command read (not a blocked command's retry).
    if (client.tracking !== undefined && !ctx.retryingBlocked) {
      this.tracking.commandRan(client, command, argv);
    }
  }

  /**
   * Whether an out-of-memory state refuses `command`: denyoom commands, EXEC of a transaction
   * holding one, and anything queued into a transaction but EXEC, DISCARD, QUIT and RESET.
   */
  private refusedOnOom(command: Command, client: ClientState): boolean {
    if ((command.flagBits & FlagBit.denyoom) !== 0) return true;
    const name = command.parent?.name ?? command.name;
    if (client.transaction === undefined) return false;
    if (name === 'exec') {
      return client.transaction.queue.some((argv) => {
        const queued = this.table.lookup(argv[0] ?? '');
        return queued !== undefined && (queued.flagBits & FlagBit.denyoom) !== 0;
      });
    }
    return name !== 'discard' && name !== 'quit' && name !== 'reset';
  }

  /** The command (or subcommand) to run, or the error message that refuses it. */
  private resolve(argv: string[]): Command | string {
    const name = argv[0] ?? '';
    const command = this.table.lookup(name);
    if (command === undefined) return unknownCommand(name, argv);
    if (!arityOk(command.arity, argv.length)) return Errors.wrongArity(command.fullName);
    if (command.subcommandTable === undefined) return command;
    if (argv.length === 1 && command.handler !== undefined) return command;
    const subName = argv[1] ?? '';
    const sub = command.subcommandTable.get(subName.toLowerCase());
    if (sub === undefined) {
      return `ERR unknown subcommand '${clip(subName)}'. Try ${command.name.toUpperCase()} HELP.`;
    }
    if (!arityOk(sub.arity, argv.length)) return Errors.wrongArity(sub.fullName);
    return sub;
  }

  private refuse(message: string, command: Command | undefined): void {
    if (command !== undefined) command.rejectedCalls++;
    // A command refused while queueing a transaction makes its EXEC fail (EXECABORT).
    const transaction = this.ctx.client.transaction;
    if (transaction !== undefined) transaction.failed = true;
    this.countError(message.slice(0, Math.max(0, message.indexOf(' '))) || message);
    this.ctx.reply.error(message);
  }

  private countError(prefix: string): void {
    this.errorCounts.set(prefix, (this.errorCounts.get(prefix) ?? 0) + 1);
  }

  /**
   * One pass of active expiry: samples keys with an expiry in every database and deletes those
   * past their time, as Redis's activeExpireCycle does. Returns how many keys it deleted; the
   * caller repeats while a good share of the sample was expired and its time budget lasts.
   */
  expireCycle(nowMs: number, samplesPerDatabase: number): { sampled: number; expired: number } {
    const ctx = this.ctx;
    let sampled = 0;
    let expired = 0;
    for (const db of this.engine.databases) {
      if (db.expires.size === 0) continue;
      const index = db.index;
      sampled += db.sampleExpiring(samplesPerDatabase, (key, expireAtMs) => {
        if (nowMs > expireAtMs) ctx.record([Op.Delete, index, key]);
      });
    }
    for (const effect of ctx.effects) this.engine.applyEffect(effect);
    expired = ctx.effects.length;
    if (this.notifyFlags !== 0) {
      // (In a replica group a notification is itself an effect, appended to ctx.effects.)
      const deletes = ctx.effects.slice();
      for (const effect of deletes) {
        notifyKeyspaceEvent(
          ctx,
          EventClass.expired,
          'expired',
          effect[2] as string,
          effect[1] as number,
        );
      }
    }
    this.expiredKeys += expired;
    this.flushEffects(nowMs);
    return { sampled, expired };
  }
}

function arityOk(arity: number, words: number): boolean {
  return arity >= 0 ? words === arity : words >= -arity;
}

/** Redis clips names and arguments quoted in error messages to 128 bytes. */
function clip(text: string): string {
  return text.slice(0, 128).replace(/[\r\n]/g, ' ');
}

function unknownCommand(name: string, argv: string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${(argv[i] ?? '').slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${clip(name)}', with args beginning with: ${args.replace(/[\r\n]/g, ' ')}`;
}

export { ClientState };

/**
 * Runs expiry passes until few sampled keys were expired or the time budget is spent, as Redis's
 * active expire cycle does (at most a quarter of each tick's time).
 */
export function runExpiryCycle(executor: Executor, clock: () => number, budgetMs: number): number {
  if (!executor.activeExpire || executor.loading) return 0;
  // Nothing expires while clients are paused (CLIENT PAUSE), as in Redis.
  if (!executor.activeExpire || executor.pause.active) return 0;
  const effort = executor.config.getNumber('active-expire-effort');
  const samples = 20 + 5 * (effort - 1);
  const startMs = clock();
  let expired = 0;
  for (;;) {
    const nowMs = clock();
    const pass = executor.expireCycle(nowMs, samples);
    expired += pass.expired;
    if (pass.sampled === 0 || pass.expired * 4 <= pass.sampled) break;
    if (nowMs - startMs >= budgetMs) break;
  }
  return expired;
}
