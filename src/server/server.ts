// The TCP server: listeners, the client registry, connection limits, idle timeouts, and the
// background tasks (active expiry). Hosts the command layer through the Host interface.

import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { ClientState } from '../commands/client.js';
import type { Config } from '../commands/config.js';
import { Executor, NO_SINK, runExpiryCycle } from '../commands/executor.js';
import type { EffectSink, Host, InfoFields, ReplicationCommands } from '../commands/hooks.js';
import { Engine } from '../engine/engine.js';
import type { FileSystem } from '../persist/fs.js';
import type { FsyncPolicy } from '../persist/log.js';
import { disabledPersistenceInfo, Persistence } from '../persist/persistence.js';
import { Logger, type LogLevel } from './logger.js';
import { type DurabilityGate, Session } from './session.js';
import { type OutputLimits, parseOutputLimits } from '../commands/output-limits.js';
import { PROTECTED_MODE_DENIAL, refusedByProtectedMode } from './protected-mode.js';
import { createTlsListener, secureContextOptions, TLS_CONTEXT_SETTINGS } from './tls.js';
import type { Server as TlsServer } from 'node:tls';
import { InstantaneousMetric, type NetworkCounters } from './metrics.js';
import { nodeFileSystem } from '../persist/fs.js';
import { type DirectoryLock, lockDirectory } from '../persist/dir-lock.js';
import { parsePeers, ReplicaNode } from '../replica/node.js';
import { ReplicaRouter } from './replica-router.js';

export interface ServerOptions {
  config: Config;
  logger?: Logger;
  engine?: Engine;
  sink?: EffectSink;
  /** With appendonly yes: the file system under `dir` (tests inject a simulated one). */
  fileSystem?: FileSystem;
  /** Truncate the log at the first bad record instead of refusing to start (--repair). */
  repair?: boolean;
  /** Run as a member of a Raft replica group (docs/REPLICATION.md). */
  replication?: ReplicationOptions;
}

export interface ReplicationOptions {
  nodeId: number;
  /** `id=host:clientport@raftport,...` */
  peers: string;
  electionTimeoutMs: number;
  /** Join an existing group (added with RAFT ADD-NODE) instead of bootstrapping a new one. */
  join?: boolean;
  /** Snapshot and compact the Raft log every this many applied entries (0: never). */
  snapshotEntries?: number;
}

export class ShoalServer implements Host {
  readonly mode = 'server';
  readonly startedAtMs = Date.now();
  readonly engine: Engine;
  readonly executor: Executor;
  readonly logger: Logger;
  /**
   * The log and snapshots; undefined with appendonly no (nothing kept on disk). Replaced at run
   * time by CONFIG SET appendonly (switchAppendonly).
   */
  persistence: Persistence | undefined;
  /** CONFIG SET appendonly changes, applied one after another, and how many are pending. */
  private appendonlySwitch: Promise<void> = Promise.resolve();
  private appendonlySwitches = 0;
  /** The last log sequence of a Persistence stopped by CONFIG SET appendonly no. */
  private stoppedAtSequence: number | undefined;
  /** The Raft group member, when replicated (then `persistence` is undefined). */
  readonly replica: ReplicaNode | undefined;
  private readonly router: ReplicaRouter | undefined;
  /** ROLE, RAFT, READONLY, READWRITE in a replica group (Host; undefined standalone). */
  readonly replication: ReplicationCommands | undefined;
  /** The port bound by listen() (set before the dataset is loaded). */
  port = 0;
  private readonly config: Config;
  private readonly sessions = new Map<number, Session>();
  private readonly listeners: NetServer[] = [];
  private readonly tlsListeners: TlsServer[] = [];
  private nextClientId = 1;
  private totalConnections = 0;
  private rejectedConnections = 0;
  private outputLimitDisconnections = 0;
  private outputLimits: OutputLimits;
  private readonly counters: NetworkCounters = {
    inputBytes: 0,
    outputBytes: 0,
    reads: 0,
    writes: 0,
  };
  private readonly opsPerSecond = new InstantaneousMetric();
  private readonly inputBytesPerSecond = new InstantaneousMetric();
  private readonly outputBytesPerSecond = new InstantaneousMetric();
  private timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  /** The data directory's lock while this server may write to it. */
  private directoryLock: DirectoryLock | undefined;
  /** Called when a client asks the server to stop (SHUTDOWN). */
  onShutdown: (save: boolean | undefined) => void = () => void this.close();

  constructor(private readonly options: ServerOptions) {
    this.config = options.config;
    this.logger = options.logger ?? new Logger(options.config.get('loglevel') as LogLevel);
    this.engine = options.engine ?? new Engine(this.config.getNumber('databases'));
    const replication = options.replication;
    // One process per data directory (on a real disk; tests may inject a simulated one). A
    // previous server on it that is still closing gets a few seconds to finish.
    if (
      options.fileSystem === undefined &&
      options.sink === undefined &&
      (replication !== undefined || this.config.getBool('appendonly'))
    ) {
      this.directoryLock = lockDirectory(this.config.get('dir'), 5000);
    }
    if (replication !== undefined) {
      this.replica = new ReplicaNode({
        nodeId: replication.nodeId,
        peers: parsePeers(replication.peers),
        dir: this.config.get('dir'),
        fs: options.fileSystem ?? nodeFileSystem,
        engine: this.engine,
        electionTimeoutMs: replication.electionTimeoutMs,
        join: replication.join ?? false,
        ...(replication.snapshotEntries !== undefined
          ? { snapshotEntries: replication.snapshotEntries }
          : {}),
        log: (level, message) => this.logger.log(level, message),
        onServingChanged: () => this.resumePostponed(),
        // Replicated PUBLISH: each committed message goes to this node's own subscribers.
        deliver: (channel, message, shard) => this.executor.pubsub.publish(channel, message, shard),
        bind: bindAddresses(this.config),
        onFatal: () => {
          this.logger.warning('stopping: the replica cannot go on');
          void this.close().then(() => process.exit(1));
        },
        onRemoved: () => {
          this.logger.warning('removed from the replica group: shutting down');
          // After this turn: the reply to the RAFT REMOVE-NODE that removed it goes out first.
          setImmediate(() => this.onShutdown(false));
        },
      });
    } else if (options.sink === undefined && this.config.getBool('appendonly')) {
      this.persistence = this.newPersistence();
    }
    if (this.replica === undefined && options.sink === undefined) {
      this.config.guard('appendonly', (value) => this.appendonlyRefusal(value));
    }
    this.executor = new Executor({
      engine: this.engine,
      config: this.config,
      host: this,
      sink: options.sink ?? this.replica ?? this.persistence,
    });
    if (this.replica !== undefined) {
      this.router = new ReplicaRouter(this.replica, this.executor);
      this.replication = this.router;
      this.executor.setDecidesChanges(false);
    }
    this.outputLimits = parseOutputLimits(this.config.get('client-output-buffer-limit'));
    this.config.onChange((name, value) => this.settingChanged(name, value));
    // Paused clients carry on when CLIENT PAUSE ends; on a later turn, since the end may come
    // from a command (CLIENT UNPAUSE) that is still running.
    this.executor.pause.onResume(() =>
      setImmediate(() => {
        for (const session of this.sessions.values()) {
          if (session.isPostponed) session.processPending();
        }
      }),
    );
  }

  /**
   * Listens on every bind address, on `port` (plain) and `tls-port` (TLS) when set; resolves
   * with the ports actually bound (0 picks a free one). As in Redis, port 0 with a tls-port set
   * means TLS only.
   */
  async listen(): Promise<{ port: number; tlsPort: number; addresses: string[] }> {
    let port = this.config.getNumber('port');
    let tlsPort = this.config.getNumber('tls-port');
    const plain = port !== 0 || tlsPort === 0;
    const addresses = bindAddresses(this.config);
    for (const address of addresses) {
      if (plain) {
        const listener = createServer((socket) => this.accept(socket));
        port = await this.listenOn(listener, port, address);
      }
      if (tlsPort !== 0) {
        const listener = createTlsListener(this.config, (socket) => this.accept(socket));
        tlsPort = await this.listenOn(listener, tlsPort, address);
        this.tlsListeners.push(listener);
      }
    }
    this.port = port;
    await this.load(addresses, port);
    this.startTimers();
    if (plain) {
      this.logger.notice(`Ready to accept connections tcp on ${addresses.join(' ')} port ${port}`);
    }
    if (tlsPort !== 0) {
      this.logger.notice(
        `Ready to accept connections tls on ${addresses.join(' ')} port ${tlsPort}`,
      );
    }
    return { port: plain ? port : 0, tlsPort, addresses };
  }

  private async listenOn(listener: NetServer, port: number, address: string): Promise<number> {
    listener.maxConnections = Number.MAX_SAFE_INTEGER;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(
        { port, host: address.replace(/^-/, ''), backlog: this.config.getNumber('tcp-backlog') },
        () => {
          listener.off('error', reject);
          resolve();
        },
      );
    });
    this.listeners.push(listener);
    const bound = listener.address();
    return bound !== null && typeof bound === 'object' ? bound.port : port;
  }

  private newPersistence(): Persistence {
    return new Persistence(this.engine, {
      dir: this.config.get('dir'),
      appendfsync: this.config.get('appendfsync') as FsyncPolicy,
      save: this.config.get('save'),
      stopWritesOnBgsaveError: this.config.getBool('stop-writes-on-bgsave-error'),
      log: (level, message) => this.logger.log(level, message),
      fs: this.options.fileSystem,
      repair: this.options.repair,
    });
  }

  /** Why CONFIG SET appendonly `value` cannot be done now, or undefined. */
  private appendonlyRefusal(value: string): string | undefined {
    if (value !== 'yes' || this.persistence !== undefined) return undefined;
    // Its own files: from before CONFIG SET appendonly no (the new log continues them), or those
    // of a switch still under way.
    if (this.stoppedAtSequence !== undefined || this.appendonlySwitches > 0) return undefined;
    const dir = this.config.get('dir');
    try {
      if (!Persistence.holdsDataset(this.options.fileSystem ?? nodeFileSystem, dir)) return;
    } catch (error) {
      return `cannot read ${dir}: ${(error as Error).message}`;
    }
    return `${dir} holds a Shoal dataset from another run; starting on it would mix two datasets (remove its files, or start a server on it to load them)`;
  }

  /**
   * CONFIG SET appendonly, as Redis does it but without fork. yes: lock the directory, then in one
   * turn send every later write to a held log and start a snapshot of the dataset; once the
   * snapshot is durable the log is written (until then a write is as durable as under no, and
   * replies do not wait for the disk). no: later writes are not logged; the log is synced and
   * closed (its files stay, and a later yes continues their sequence).
   * Changes apply in order; each converges on the setting's value at the time it runs.
   */
  private switchAppendonly(): void {
    this.appendonlySwitches++;
    this.appendonlySwitch = this.appendonlySwitch.then(async () => {
      try {
        if (this.closing !== undefined) return;
        const wanted = this.config.getBool('appendonly');
        if (wanted && this.persistence === undefined) await this.startPersisting();
        else if (!wanted && this.persistence !== undefined) await this.stopPersisting();
      } catch (error) {
        this.logger.warning(`CONFIG SET appendonly: ${(error as Error).message}`);
      } finally {
        this.appendonlySwitches--;
      }
    });
  }

  private async startPersisting(): Promise<void> {
    const dir = this.config.get('dir');
    const persistence = this.newPersistence();
    try {
      if (this.options.fileSystem === undefined) this.directoryLock ??= lockDirectory(dir, 0);
      await persistence.openEmpty(this.stoppedAtSequence ?? 0);
      if (this.closing !== undefined) throw new Error('the server is shutting down');
    } catch (error) {
      await this.abandonPersisting(persistence, (error as Error).message);
      return;
    }
    // One turn: the snapshot is the dataset before the log's first entry.
    this.persistence = persistence;
    this.executor.sink = persistence;
    const written = persistence.writeFirstSnapshot();
    this.logger.notice(`appendonly is yes: writes are logged once the dataset is saved in ${dir}`);
    if (await written) {
      this.logger.notice(`appendonly is yes: the dataset is saved in ${dir}, writes are logged`);
      return;
    }
    this.persistence = undefined;
    this.executor.sink = NO_SINK;
    await this.abandonPersisting(persistence, 'the first snapshot could not be written');
  }

  private async abandonPersisting(persistence: Persistence, why: string): Promise<void> {
    this.logger.warning(`appendonly stays no: ${why}`);
    await persistence.close();
    if (this.stoppedAtSequence === undefined) {
      this.directoryLock?.release();
      this.directoryLock = undefined;
    }
    this.config.set('appendonly', 'no', true);
  }

  private async stopPersisting(): Promise<void> {
    const persistence = this.persistence as Persistence;
    this.persistence = undefined;
    this.executor.sink = NO_SINK;
    this.logger.notice('appendonly is no: writes are no longer logged; closing the log');
    await persistence.close();
    // The directory stays locked: its files are this dataset's past, continued by a later yes.
    this.stoppedAtSequence = persistence.lastAppendedSequence;
  }

  /** Loads the data directory while already accepting connections (they get -LOADING). */
  private async load(addresses: string[], port: number): Promise<void> {
    if (this.replica !== undefined) {
      try {
        await this.replica.start();
      } catch (error) {
        await this.close();
        throw error;
      }
      return;
    }
    const persistence = this.persistence;
    if (persistence === undefined) return;
    this.logger.notice(`Listening on tcp ${addresses.join(' ')} port ${port}, loading the dataset`);
    this.executor.loading = true;
    try {
      await persistence.open();
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      this.executor.loading = false;
    }
  }

  private accept(socket: Socket): void {
    this.totalConnections++;
    if (this.sessions.size >= this.config.getNumber('maxclients')) {
      this.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const acl = this.executor.acl;
    const protectedMode = this.config.getBool('protected-mode');
    if (refusedByProtectedMode(protectedMode, acl.defaultUser.nopass, socket.remoteAddress)) {
      socket.end(PROTECTED_MODE_DENIAL);
      return;
    }
    const keepAliveSeconds = this.config.getNumber('tcp-keepalive');
    if (keepAliveSeconds > 0) socket.setKeepAlive(true, keepAliveSeconds * 1000);
    const client = new ClientState(
      this.nextClientId++,
      Date.now(),
      acl.newClientAuthenticated(),
      `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
      `${socket.localAddress ?? ''}:${socket.localPort ?? 0}`,
    );
    const gate = (): DurabilityGate | undefined => this.router ?? this.persistence;
    const session = new Session(socket, client, this.executor, this.logger, {
      closed: (closed) => {
        this.sessions.delete(closed.client.id);
        this.executor.disconnect(closed.client);
      },
      outputLimits: () => this.outputLimits,
      outputLimitExceeded: () => this.outputLimitDisconnections++,
      // Read at each batch: CONFIG SET appendonly may start or stop persistence.
      get durability() {
        return gate();
      },
      router: this.router,
      counters: this.counters,
    });
    this.sessions.set(client.id, session);
  }

  private startTimers(): void {
    const hz = this.config.getNumber('hz');
    const periodMs = Math.max(1, Math.floor(1000 / hz));
    const expiry = setInterval(() => {
      // In a replica group only the leader decides expiry; its deletions replicate as entries.
      if (this.replica !== undefined && !this.replica.decidesChanges) return;
      this.executor.setDecidesChanges(true);
      runExpiryCycle(this.executor, Date.now, periodMs / 4);
    }, periodMs);
    const idle = setInterval(() => this.closeIdleClients(), 1000);
    const metrics = setInterval(() => this.sampleMetrics(), 100);
    expiry.unref();
    idle.unref();
    metrics.unref();
    this.timers = [expiry, idle, metrics];
  }

  private restartTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.startTimers();
  }

  private sampleMetrics(): void {
    const nowMs = Date.now();
    this.opsPerSecond.sample(this.executor.commandsProcessed, nowMs);
    this.inputBytesPerSecond.sample(this.counters.inputBytes, nowMs);
    this.outputBytesPerSecond.sample(this.counters.outputBytes, nowMs);
  }

  private closeIdleClients(): void {
    const timeoutSeconds = this.config.getNumber('timeout');
    if (timeoutSeconds === 0) return;
    const nowMs = Date.now();
    for (const session of this.sessions.values()) {
      const client = session.client;
      // As Redis: blocked (or paused), subscribed and MONITOR clients never time out.
      if (client.blocked !== undefined || client.postponed) continue;
      if (client.subscriptionCount > 0 || client.monitor) continue;
      if (nowMs - client.lastInteractionMs > timeoutSeconds * 1000) session.destroy();
    }
  }

  private settingChanged(name: string, value: string): void {
    if (name === 'hz' && this.timers.length > 0) this.restartTimers();
    if (name === 'loglevel') this.logger.level = value as LogLevel;
    if (name === 'client-output-buffer-limit') this.outputLimits = parseOutputLimits(value);
    if (TLS_CONTEXT_SETTINGS.has(name) && this.tlsListeners.length > 0) this.reloadTls();
    if (name === 'appendonly') this.switchAppendonly();
    if (name === 'appendfsync') this.persistence?.setFsyncPolicy(value as FsyncPolicy);
    if (name === 'save') this.persistence?.setSaveRules(value);
    if (name === 'stop-writes-on-bgsave-error') {
      this.persistence?.setStopWritesOnBgsaveError(value === 'yes');
    }
    if (name === 'proto-max-bulk-len' || name === 'client-query-buffer-limit') {
      for (const session of this.sessions.values()) {
        session.parser.setLimits({
          maxBulkBytes: this.config.getNumber('proto-max-bulk-len'),
          maxQueryBufferBytes: this.config.getNumber('client-query-buffer-limit'),
        });
      }
    }
  }

  /** New certificates, keys or CA for TLS connections made from now on (CONFIG SET tls-*). */
  private reloadTls(): void {
    try {
      const options = secureContextOptions(this.config);
      for (const listener of this.tlsListeners) listener.setSecureContext(options);
    } catch (error) {
      this.logger.warning(`TLS configuration not reloaded: ${(error as Error).message}`);
    }
  }

  /** Commands that waited for a leader carry on (they may wait again). */
  private resumePostponed(): void {
    for (const session of this.sessions.values()) {
      if (session.isPostponed) session.processPending();
    }
  }

  // Host interface.

  *clients(): Iterable<ClientState> {
    for (const session of this.sessions.values()) yield session.client;
  }

  client(id: number): ClientState | undefined {
    return this.sessions.get(id)?.client;
  }

  clientHasOutput(client: ClientState): void {
    const session = this.sessions.get(client.id);
    if (session === undefined) return;
    // A follower's client with relayed replies still due: its message waits behind them.
    const relay = session.relay;
    if (relay !== undefined && relay.pending > 0 && !session.executing) {
      relay.local(session.encoder.take());
    }
    session.outputReady();
  }

  closeClient(client: ClientState): void {
    this.sessions.get(client.id)?.close();
  }

  shutdown(save: boolean | undefined): void {
    this.logger.warning('User requested shutdown...');
    setImmediate(() => this.onShutdown(save));
  }

  info(): InfoFields {
    const first = this.listeners[0]?.address();
    return {
      server: { tcp_port: first !== null && typeof first === 'object' ? first.port : 0 },
      stats: {
        total_connections_received: this.totalConnections,
        instantaneous_ops_per_sec: Math.round(this.opsPerSecond.perSecond),
        total_net_input_bytes: this.counters.inputBytes,
        total_net_output_bytes: this.counters.outputBytes,
        instantaneous_input_kbps: (this.inputBytesPerSecond.perSecond / 1024).toFixed(2),
        instantaneous_output_kbps: (this.outputBytesPerSecond.perSecond / 1024).toFixed(2),
        rejected_connections: this.rejectedConnections,
        total_reads_processed: this.counters.reads,
        total_writes_processed: this.counters.writes,
        client_output_buffer_limit_disconnections: this.outputLimitDisconnections,
      },
      persistence: this.persistence?.info() ?? disabledPersistenceInfo(this.startedAtMs),
      ...(this.replica !== undefined ? { replication: this.replicationInfo(this.replica) } : {}),
    };
  }

  private replicationInfo(replica: ReplicaNode): Record<string, string | number> {
    if (!replica.started) return { role: 'slave', raft_node_id: replica.id, raft_role: 'loading' };
    const status = replica.status();
    const leader = replica.peer(status.leader);
    const fields: Record<string, string | number> = {
      role: replica.leaderReady ? 'master' : 'slave',
      raft_node_id: replica.id,
      raft_role: replica.roleName().toLowerCase(),
      raft_term: status.term,
      raft_leader_id: status.leader,
      raft_commit_index: status.commit,
      raft_applied_index: replica.appliedIndex,
      raft_snapshot_index: replica.snapshotIndex,
    };
    if (!replica.leaderReady) {
      fields['master_host'] = leader?.host ?? '';
      fields['master_port'] = leader?.clientPort ?? 0;
      fields['master_link_status'] = leader !== undefined ? 'up' : 'down';
    } else {
      fields['connected_slaves'] = Math.max(0, status.confState.voters.length - 1);
    }
    return fields;
  }

  /** Stops listening, closes every client, stops background tasks. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      const closed = this.listeners.map(
        (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
      );
      // Closing removes a session from the registry: work on a copy. close() sends what is
      // pending; destroy() then drops the socket even if the client keeps its side open.
      const sessions = [...this.sessions.values()];
      for (const session of sessions) session.close();
      for (const session of sessions) session.destroy();
      await Promise.all(closed);
      await this.replica?.close();
      await this.appendonlySwitch;
      if (this.persistence !== undefined) {
        this.logger.notice('Calling fsync() on the log and closing it.');
        await this.persistence.close();
      }
      this.directoryLock?.release();
      this.logger.notice('Shoal is now ready to exit, bye bye...');
    })();
    return this.closing;
  }
}

/** The `bind` setting's addresses (client and Raft listeners alike). */
function bindAddresses(config: Config): string[] {
  return config
    .get('bind')
    .split(/\s+/)
    .filter((a) => a !== '');
}
