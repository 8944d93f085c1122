// The public in-process API: `open()` returns a handle with a typed method per command and a
// generic `command()`. It runs the same engine, command table and dispatcher as the server;
// a method only builds the command line and shapes the reply.

import { ClientState } from '../commands/client.js';
import { Config } from '../commands/config.js';
import { Executor, runExpiryCycle } from '../commands/executor.js';
import type { EffectSink, Host, InfoFields } from '../commands/hooks.js';
import { Engine } from '../engine/engine.js';
import { type DirectoryLock, lockDirectory } from '../persist/dir-lock.js';
import type { FileSystem } from '../persist/fs.js';
import type { FsyncPolicy } from '../persist/log.js';
import {
  disabledPersistenceInfo,
  Persistence,
  type PersistenceOptions,
} from '../persist/persistence.js';
import { resolve } from 'node:path';
import { type Argument, encodeArgument } from './codec.js';
import { ReplyError, type ReplyValue } from './value-reply.js';
import type { StoreLike } from './handle-base.js';
import { SortedSetMethods } from './methods/zsets.js';
import { Subscription } from './subscription.js';
import { decodeToBuffer, decodeToString } from './codec.js';
import { ValueReply } from './value-reply.js';

export { Subscription, type Message } from './subscription.js';

export { ReplyError, type ReplyValue, type Argument };

export interface OpenOptions {
  /** Data directory: the log and snapshots, as the server keeps them. Omitted: memory only. */
  dir?: string;
  /**
   * When writes reach the disk: 'always' (default: a method's promise settles once its writes
   * are fsynced), 'everysec' (fsync once a second), 'no' (the OS decides).
   */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** @internal a simulated file system, for tests */
  fileSystem?: FileSystem;
  /** @internal persistence tuning (slices, retry delays), for tests */
  persistence?: Partial<PersistenceOptions>;
  /** Values come back as Buffers instead of UTF-8 strings. */
  returnBuffers?: boolean;
  /** Any server setting by its Redis name, e.g. { databases: '4', hz: '10' }. */
  config?: Record<string, string | number>;
}

export interface SetOptions {
  ex?: number;
  px?: number;
  exat?: number;
  pxat?: number;
  keepTtl?: boolean;
  nx?: boolean;
  xx?: boolean;
  get?: boolean;
}

export interface GetExOptions {
  ex?: number;
  px?: number;
  exat?: number;
  pxat?: number;
  persist?: boolean;
}

export type ExpireMode = 'NX' | 'XX' | 'GT' | 'LT';

export interface ScanOptions {
  match?: string;
  count?: number;
  type?: string;
}

/** The shared store behind one or more handles: engine, dispatcher, background expiry. */
class Store implements Host, StoreLike {
  readonly mode = 'embedded';
  readonly startedAtMs = Date.now();
  readonly config = new Config();
  readonly engine: Engine;
  readonly executor: Executor;
  readonly handles = new Set<ClientState>();
  readonly outputWaiters = new Map<ClientState, () => void>();
  readonly subscriptions = new Map<ClientState, { deliver(): void }>();
  /** The log and snapshots when the store has a directory. */
  readonly persistence: Persistence | undefined;
  private nextClientId = 1;
  private readonly expiryTimer: NodeJS.Timeout;
  private readonly lockedDir: string | undefined;
  private readonly directoryLock: DirectoryLock | undefined;

  constructor(options: OpenOptions, sink: EffectSink | undefined) {
    const settings = Object.entries(options.config ?? {}).map(
      ([name, value]) => [name, String(value)] as [string, string],
    );
    if (options.dir !== undefined) settings.push(['dir', options.dir]);
    if (options.appendfsync !== undefined) settings.push(['appendfsync', options.appendfsync]);
    this.config.setMany(settings, true);
    this.engine = new Engine(this.config.getNumber('databases'));
    if (options.dir !== undefined && sink === undefined && this.config.getBool('appendonly')) {
      const dir = resolve(options.dir);
      if (options.fileSystem === undefined) {
        if (openDirectories.has(dir)) {
          throw new ReplyError(`ERR ${dir} is already open in this process: share its handle`);
        }
        // Another process: the lock file (persist/dir-lock.ts) refuses it.
        this.directoryLock = lockDirectory(dir);
        openDirectories.add(dir);
        this.lockedDir = dir;
      }
      this.persistence = new Persistence(this.engine, {
        dir,
        appendfsync: this.config.get('appendfsync') as FsyncPolicy,
        save: this.config.get('save'),
        stopWritesOnBgsaveError: this.config.getBool('stop-writes-on-bgsave-error'),
        log: (level, message) => {
          if (level === 'warning') process.emitWarning(message, 'ShoalWarning');
        },
        fs: options.fileSystem,
        ...options.persistence,
      });
    }
    this.executor = new Executor({
      engine: this.engine,
      config: this.config,
      host: this,
      sink: sink ?? this.persistence,
      schedule: keepAliveTimer,
    });
    const periodMs = Math.max(1, Math.floor(1000 / this.config.getNumber('hz')));
    this.expiryTimer = setInterval(
      () => runExpiryCycle(this.executor, Date.now, periodMs / 4),
      periodMs,
    );
    this.expiryTimer.unref();
  }

  newClient(): ClientState {
    const client = new ClientState(this.nextClientId++, Date.now(), true);
    this.handles.add(client);
    return client;
  }

  clients(): Iterable<ClientState> {
    return this.handles;
  }
  closeClient(): void {}
  clientHasOutput(client: ClientState): void {
    this.subscriptions.get(client)?.deliver();
    const waiter = this.outputWaiters.get(client);
    if (waiter === undefined || client.blocked !== undefined) return;
    this.outputWaiters.delete(client);
    waiter();
  }
  shutdown(): void {
    throw new ReplyError('ERR SHUTDOWN is not available in embedded mode: call close()');
  }
  get durability(): Persistence | undefined {
    return this.persistence;
  }
  info(): InfoFields {
    return { persistence: this.persistence?.info() ?? disabledPersistenceInfo(this.startedAtMs) };
  }
  /** Loads the directory (before any handle runs a command). */
  async load(): Promise<void> {
    try {
      await this.persistence?.open();
    } catch (error) {
      await this.close();
      throw error;
    }
  }
  /** Stops background work; with a directory, writes and fsyncs the log first. */
  async close(): Promise<void> {
    clearInterval(this.expiryTimer);
    try {
      await this.persistence?.close();
    } finally {
      if (this.lockedDir !== undefined) openDirectories.delete(this.lockedDir);
      this.directoryLock?.release();
    }
  }
}

/**
 * Blocking-command timeouts in embedded mode keep the process alive (unlike the server's, which
 * its listener keeps alive): a caller awaiting BLPOP k 1 must get its null, not an early exit.
 */
function keepAliveTimer(task: () => void, ms: number): () => void {
  const timer = setTimeout(task, Math.min(ms, 2 ** 31 - 1));
  return () => clearTimeout(timer);
}

/** Directories open in this process: two stores on one log would corrupt it. */
const openDirectories = new Set<string>();

function setArguments(options: SetOptions): string[] {
  const words: string[] = [];
  if (options.nx === true) words.push('NX');
  if (options.xx === true) words.push('XX');
  if (options.get === true) words.push('GET');
  if (options.ex !== undefined) words.push('EX', String(options.ex));
  if (options.px !== undefined) words.push('PX', String(options.px));
  if (options.exat !== undefined) words.push('EXAT', String(options.exat));
  if (options.pxat !== undefined) words.push('PXAT', String(options.pxat));
  if (options.keepTtl === true) words.push('KEEPTTL');
  return words;
}

type Value = string | Buffer;

/** A handle on an open store: one client (its own selected database), typed commands. */
export class Shoal<V extends Value = string> extends SortedSetMethods<V> {
  /** A handle on the same store whose values come back as Buffers. */
  withBuffers(): Shoal<Buffer> {
    return new Shoal<Buffer>(this.store, this.store.newClient(), true);
  }

  /** Another handle on the same store: its own client (database, transaction, watches). */
  duplicate(): Shoal<V> {
    return new Shoal<V>(this.store, this.store.newClient(), this.returnsBuffers) as Shoal<V>;
  }

  /** Subscribes a new client to channels; messages come as events and by async iteration. */
  subscribe(...channels: Argument[]): Subscription<V> {
    const subscription = this.newSubscription();
    if (channels.length > 0) subscription.subscribe(...channels);
    return subscription;
  }

  /** Subscribes a new client to channel patterns. */
  psubscribe(...patterns: Argument[]): Subscription<V> {
    const subscription = this.newSubscription();
    if (patterns.length > 0) subscription.psubscribe(...patterns);
    return subscription;
  }

  private newSubscription(): Subscription<V> {
    const client = this.store.newClient();
    const reply = new ValueReply(this.returnsBuffers ? decodeToBuffer : decodeToString);
    client.reply = reply;
    const subscription = new Subscription<V>(this.store, client, reply);
    (this.store as Store).subscriptions.set(client, subscription);
    return subscription;
  }

  async publish(channel: Argument, message: Argument): Promise<number> {
    return this.int('PUBLISH', channel, message);
  }

  /** Queues commands and runs them as one MULTI/EXEC transaction on this handle's client. */
  multi(): TransactionBuilder {
    return new TransactionBuilder((commands) => this.runTransaction(commands));
  }

  private async runTransaction(commands: [string, Argument[]][]): Promise<ReplyValue[] | null> {
    this.run('MULTI');
    try {
      for (const [name, args] of commands) this.run(name, ...args);
    } catch (error) {
      this.run('DISCARD');
      throw error;
    }
    return this.run('EXEC') as ReplyValue[] | null;
  }

  async watch(...keys: Argument[]): Promise<'OK'> {
    return this.run('WATCH', ...keys) as 'OK';
  }

  async unwatch(): Promise<'OK'> {
    return this.run('UNWATCH') as 'OK';
  }

  // Strings.
  async get(key: Argument): Promise<V | null> {
    return this.value('GET', key);
  }
  /** Resolves to 'OK', or null when NX/XX prevented the write; with `get`, the old value. */
  async set(key: Argument, value: Argument, options: SetOptions = {}): Promise<V | 'OK' | null> {
    return this.run('SET', key, value, ...setArguments(options)) as V | 'OK' | null;
  }
  async setnx(key: Argument, value: Argument): Promise<boolean> {
    return this.int('SETNX', key, value) === 1;
  }
  async setex(key: Argument, seconds: number, value: Argument): Promise<'OK'> {
    return this.run('SETEX', key, seconds, value) as 'OK';
  }
  async psetex(key: Argument, milliseconds: number, value: Argument): Promise<'OK'> {
    return this.run('PSETEX', key, milliseconds, value) as 'OK';
  }
  async getset(key: Argument, value: Argument): Promise<V | null> {
    return this.value('GETSET', key, value);
  }
  async getdel(key: Argument): Promise<V | null> {
    return this.value('GETDEL', key);
  }
  async getex(key: Argument, options: GetExOptions = {}): Promise<V | null> {
    const words: string[] = [];
    if (options.ex !== undefined) words.push('EX', String(options.ex));
    if (options.px !== undefined) words.push('PX', String(options.px));
    if (options.exat !== undefined) words.push('EXAT', String(options.exat));
    if (options.pxat !== undefined) words.push('PXAT', String(options.pxat));
    if (options.persist === true) words.push('PERSIST');
    return this.value('GETEX', key, ...words);
  }
  async mget(...keys: Argument[]): Promise<(V | null)[]> {
    return this.values('MGET', ...keys);
  }
  async mset(entries: Record<string, Argument> | [Argument, Argument][]): Promise<'OK'> {
    const pairs = Array.isArray(entries) ? entries : Object.entries(entries);
    return this.run('MSET', ...pairs.flat()) as 'OK';
  }
  async msetnx(entries: Record<string, Argument> | [Argument, Argument][]): Promise<boolean> {
    const pairs = Array.isArray(entries) ? entries : Object.entries(entries);
    return this.int('MSETNX', ...pairs.flat()) === 1;
  }
  async append(key: Argument, value: Argument): Promise<number> {
    return this.int('APPEND', key, value);
  }
  async strlen(key: Argument): Promise<number> {
    return this.int('STRLEN', key);
  }
  async getrange(key: Argument, start: number, end: number): Promise<V> {
    return this.run('GETRANGE', key, start, end) as V;
  }
  async setrange(key: Argument, offset: number, value: Argument): Promise<number> {
    return this.int('SETRANGE', key, offset, value);
  }
  async incr(key: Argument): Promise<number> {
    return this.int('INCR', key);
  }
  async decr(key: Argument): Promise<number> {
    return this.int('DECR', key);
  }
  /** Numbers past 2^53 come back as bigint. */
  async incrby(key: Argument, increment: number | bigint): Promise<number | bigint> {
    return this.run('INCRBY', key, increment) as number | bigint;
  }
  async decrby(key: Argument, decrement: number | bigint): Promise<number | bigint> {
    return this.run('DECRBY', key, decrement) as number | bigint;
  }
  async incrbyfloat(key: Argument, increment: number | string): Promise<V> {
    return this.run('INCRBYFLOAT', key, increment) as V;
  }
  async lcs(key1: Argument, key2: Argument): Promise<V> {
    return this.run('LCS', key1, key2) as V;
  }

  // HyperLogLogs.
  /** Adds elements; true when the sketch changed (or was created), so the estimate may have. */
  async pfadd(key: Argument, ...elements: Argument[]): Promise<boolean> {
    return this.int('PFADD', key, ...elements) === 1;
  }
  /** The estimated number of distinct elements added (of the union, for several keys). */
  async pfcount(...keys: Argument[]): Promise<number> {
    return this.int('PFCOUNT', ...keys);
  }
  /** Stores at `destination` the union of itself and the sources. */
  async pfmerge(destination: Argument, ...sources: Argument[]): Promise<'OK'> {
    return this.run('PFMERGE', destination, ...sources) as 'OK';
  }

  // Keys.
  async del(...keys: Argument[]): Promise<number> {
    return this.int('DEL', ...keys);
  }
  async unlink(...keys: Argument[]): Promise<number> {
    return this.int('UNLINK', ...keys);
  }
  async exists(...keys: Argument[]): Promise<number> {
    return this.int('EXISTS', ...keys);
  }
  async type(key: Argument): Promise<string> {
    return this.run('TYPE', key) as string;
  }
  async keys(pattern: Argument): Promise<V[]> {
    return this.run('KEYS', pattern) as V[];
  }
  /** Iterates over the keys with SCAN; every key present throughout the iteration is yielded. */
  async *scan(options: ScanOptions = {}): AsyncGenerator<V, void, undefined> {
    const words: string[] = [];
    if (options.match !== undefined) words.push('MATCH', encodeArgument(options.match));
    if (options.count !== undefined) words.push('COUNT', String(options.count));
    if (options.type !== undefined) words.push('TYPE', options.type);
    let cursor = '0';
    do {
      const [next, batch] = this.run('SCAN', cursor, ...words) as [Value, V[]];
      cursor = next.toString();
      for (const key of batch) yield key;
    } while (cursor !== '0');
  }
  async randomkey(): Promise<V | null> {
    return this.value('RANDOMKEY');
  }
  async rename(key: Argument, newKey: Argument): Promise<'OK'> {
    return this.run('RENAME', key, newKey) as 'OK';
  }
  async renamenx(key: Argument, newKey: Argument): Promise<boolean> {
    return this.int('RENAMENX', key, newKey) === 1;
  }
  async copy(
    source: Argument,
    destination: Argument,
    options: { db?: number; replace?: boolean } = {},
  ): Promise<boolean> {
    const words: Argument[] = [];
    if (options.db !== undefined) words.push('DB', options.db);
    if (options.replace === true) words.push('REPLACE');
    return this.int('COPY', source, destination, ...words) === 1;
  }
  async move(key: Argument, db: number): Promise<boolean> {
    return this.int('MOVE', key, db) === 1;
  }
  async swapdb(a: number, b: number): Promise<'OK'> {
    return this.run('SWAPDB', a, b) as 'OK';
  }
  async dbsize(): Promise<number> {
    return this.int('DBSIZE');
  }
  async flushdb(): Promise<'OK'> {
    return this.run('FLUSHDB') as 'OK';
  }
  async flushall(): Promise<'OK'> {
    return this.run('FLUSHALL') as 'OK';
  }
  async expire(key: Argument, seconds: number, mode?: ExpireMode): Promise<boolean> {
    return this.int('EXPIRE', key, seconds, ...(mode === undefined ? [] : [mode])) === 1;
  }
  async pexpire(key: Argument, milliseconds: number, mode?: ExpireMode): Promise<boolean> {
    return this.int('PEXPIRE', key, milliseconds, ...(mode === undefined ? [] : [mode])) === 1;
  }
  async expireat(key: Argument, unixSeconds: number, mode?: ExpireMode): Promise<boolean> {
    return this.int('EXPIREAT', key, unixSeconds, ...(mode === undefined ? [] : [mode])) === 1;
  }
  async pexpireat(key: Argument, unixMilliseconds: number, mode?: ExpireMode): Promise<boolean> {
    return (
      this.int('PEXPIREAT', key, unixMilliseconds, ...(mode === undefined ? [] : [mode])) === 1
    );
  }
  async ttl(key: Argument): Promise<number> {
    return this.int('TTL', key);
  }
  async pttl(key: Argument): Promise<number> {
    return this.int('PTTL', key);
  }
  async expiretime(key: Argument): Promise<number> {
    return this.int('EXPIRETIME', key);
  }
  async pexpiretime(key: Argument): Promise<number> {
    return this.int('PEXPIRETIME', key);
  }
  async persist(key: Argument): Promise<boolean> {
    return this.int('PERSIST', key) === 1;
  }
  async touch(...keys: Argument[]): Promise<number> {
    return this.int('TOUCH', ...keys);
  }
  async objectEncoding(key: Argument): Promise<string | null> {
    return this.run('OBJECT', 'ENCODING', key) as string | null;
  }

  // Connection and server.
  async ping(message?: Argument): Promise<V | 'PONG'> {
    return (message === undefined ? this.run('PING') : this.run('PING', message)) as V | 'PONG';
  }
  async echo(message: Argument): Promise<V> {
    return this.run('ECHO', message) as V;
  }
  /** Selects the database this handle works in. */
  async select(db: number): Promise<'OK'> {
    return this.run('SELECT', db) as 'OK';
  }
  async info(...sections: string[]): Promise<string> {
    return String(this.run('INFO', ...sections));
  }
  async time(): Promise<[number, number]> {
    const [seconds, micros] = this.run('TIME') as Value[];
    return [Number(seconds), Number(micros)];
  }
  async configGet(pattern: string): Promise<Record<string, string>> {
    const flat = this.run('CONFIG', 'GET', pattern) as Value[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
    return out;
  }
  async configSet(settings: Record<string, string | number>): Promise<'OK'> {
    return this.run('CONFIG', 'SET', ...Object.entries(settings).flat()) as 'OK';
  }

  /** Releases the store: stops background work (and, with a data directory, flushes the log). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.store.handles.delete(this.client);
    this.store.executor.disconnect(this.client);
    if (this.store.handles.size === 0) await this.store.close();
  }
}

/** Commands queued for one transaction: `await db.multi().set('a', '1').incr('n').exec()`. */
export class TransactionBuilder {
  private readonly commands: [string, Argument[]][] = [];

  constructor(
    private readonly runner: (commands: [string, Argument[]][]) => Promise<ReplyValue[] | null>,
  ) {}

  command(name: string, ...args: Argument[]): this {
    this.commands.push([name, args]);
    return this;
  }
  set(key: Argument, value: Argument): this {
    return this.command('SET', key, value);
  }
  get(key: Argument): this {
    return this.command('GET', key);
  }
  incr(key: Argument): this {
    return this.command('INCR', key);
  }
  del(...keys: Argument[]): this {
    return this.command('DEL', ...keys);
  }

  /** Runs the transaction: the replies in order (errors as ReplyError values), or null when a watched key changed. */
  exec(): Promise<ReplyValue[] | null> {
    return this.runner(this.commands);
  }
}

/**
 * Opens a store in this process. With `dir`, it loads the data kept there (the same log and
 * snapshots as the server's) and keeps every write; without, data lives in memory only.
 */
export async function open(options: OpenOptions = {}): Promise<Shoal> {
  const store = new Store(options, undefined);
  await store.load();
  return new Shoal<string>(store, store.newClient(), options.returnBuffers === true);
}
