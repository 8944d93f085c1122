// The dispatcher: finds the command, enforces what its table entry declares (arity, subcommand,
// authentication, write refusal), runs the handler, and hands the effects it emitted to the sink
// as one log entry. Also runs the active expiry cycle, which deletes expired keys as effects.

import type { Engine } from '../engine/engine.js';
import { Op } from '../engine/effects.js';
import { ClientState } from './client.js';
import type { Config } from './config.js';
import { CommandContext } from './context.js';
import { Errors, ReplyError } from './errors.js';
import type { EffectSink, Host } from './hooks.js';
import type { Reply } from './reply.js';
import { type Command, FlagBit } from './spec.js';
import { CommandTable } from './table.js';
import { allCommands } from './all.js';

export interface ExecutorOptions {
  engine: Engine;
  config: Config;
  host: Host;
  sink?: EffectSink;
  random?: () => number;
}

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
  /** True while the host loads the dataset: commands without the `loading` flag get -LOADING. */
  loading = false;

  constructor(options: ExecutorOptions) {
    this.engine = options.engine;
    this.config = options.config;
    this.sink = options.sink ?? { writeRefusal: () => undefined, append: () => undefined };
    this.table = new CommandTable(allCommands);
    this.ctx = new CommandContext(
      options.engine,
      options.config,
      options.host,
      options.random ?? Math.random,
      (argv) => this.run(argv),
    );
    this.ctx.executor = this;
  }

  /** Runs one command for `client`, writing its reply to `reply`. */
  execute(client: ClientState, argv: string[], reply: Reply, nowMs: number): void {
    const ctx = this.ctx;
    ctx.client = client;
    ctx.reply = reply;
    ctx.nowMs = nowMs;
    client.lastInteractionMs = nowMs;
    client.commandsProcessed++;
    try {
      this.run(argv);
    } finally {
      this.flushEffects(nowMs);
    }
  }

  private flushEffects(nowMs: number): void {
    const ctx = this.ctx;
    if (ctx.effects.length === 0) return;
    const effects = ctx.effects;
    ctx.effects = [];
    this.sink.append({ timeMs: nowMs, effects });
  }

  private run(argv: string[]): void {
    const ctx = this.ctx;
    const reply = ctx.reply;
    const command = this.resolve(argv);
    if (typeof command === 'string') return this.refuse(command, undefined);
    if (!ctx.client.authenticated && (command.flagBits & FlagBit.no_auth) === 0) {
      return this.refuse(Errors.noAuth, command);
    }
    if (this.loading && (command.flagBits & FlagBit.loading) === 0) {
      return this.refuse(Errors.loading, command);
    }
    if ((command.flagBits & FlagBit.write) !== 0) {
      const refusal = this.sink.writeRefusal();
      if (refusal !== undefined) return this.refuse(refusal, command);
    }
    ctx.client.lastCommand = command.fullName;
    command.calls++;
    this.commandsProcessed++;
    try {
      (command.handler as NonNullable<Command['handler']>)(ctx, argv);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      command.failedCalls++;
      this.countError(error.prefix);
      reply.error(error.message);
    }
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
        if (nowMs > expireAtMs) ctx.effects.push([Op.Delete, index, key]);
      });
    }
    for (const effect of ctx.effects) this.engine.applyEffect(effect);
    expired = ctx.effects.length;
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
