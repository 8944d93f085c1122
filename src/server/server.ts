// The TCP server: listeners, the client registry, connection limits, idle timeouts, and the
// background tasks (active expiry). Hosts the command layer through the Host interface.

import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { ClientState } from '../commands/client.js';
import type { Config } from '../commands/config.js';
import { Executor, runExpiryCycle } from '../commands/executor.js';
import type { EffectSink, Host, InfoFields } from '../commands/hooks.js';
import { Engine } from '../engine/engine.js';
import { Logger, type LogLevel } from './logger.js';
import { Session } from './session.js';
import { type OutputLimits, parseOutputLimits } from '../commands/output-limits.js';
import { InstantaneousMetric, type NetworkCounters } from './metrics.js';

export interface ServerOptions {
  config: Config;
  logger?: Logger;
  engine?: Engine;
  sink?: EffectSink;
}

export class ShoalServer implements Host {
  readonly mode = 'server';
  readonly startedAtMs = Date.now();
  readonly engine: Engine;
  readonly executor: Executor;
  readonly logger: Logger;
  private readonly config: Config;
  private readonly sessions = new Map<number, Session>();
  private readonly listeners: NetServer[] = [];
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
  /** Called when a client asks the server to stop (SHUTDOWN). */
  onShutdown: (save: boolean | undefined) => void = () => void this.close();

  constructor(options: ServerOptions) {
    this.config = options.config;
    this.logger = options.logger ?? new Logger(options.config.get('loglevel') as LogLevel);
    this.engine = options.engine ?? new Engine(this.config.getNumber('databases'));
    this.executor = new Executor({
      engine: this.engine,
      config: this.config,
      host: this,
      sink: options.sink,
    });
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

  /** Listens on every bind address; resolves with the port actually bound (port 0 picks one). */
  async listen(): Promise<{ port: number; addresses: string[] }> {
    let port = this.config.getNumber('port');
    const addresses = this.config
      .get('bind')
      .split(/\s+/)
      .filter((a) => a !== '');
    for (const address of addresses) {
      const listener = createServer((socket) => this.accept(socket));
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
      const bound = listener.address();
      if (bound !== null && typeof bound === 'object') port = bound.port;
      this.listeners.push(listener);
    }
    this.startTimers();
    this.logger.notice(`Ready to accept connections tcp on ${addresses.join(' ')} port ${port}`);
    return { port, addresses };
  }

  private accept(socket: Socket): void {
    this.totalConnections++;
    if (this.sessions.size >= this.config.getNumber('maxclients')) {
      this.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const keepAliveSeconds = this.config.getNumber('tcp-keepalive');
    if (keepAliveSeconds > 0) socket.setKeepAlive(true, keepAliveSeconds * 1000);
    const client = new ClientState(
      this.nextClientId++,
      Date.now(),
      this.config.get('requirepass') === '',
      `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
      `${socket.localAddress ?? ''}:${socket.localPort ?? 0}`,
    );
    const session = new Session(socket, client, this.executor, this.logger, {
      closed: (closed) => {
        this.sessions.delete(closed.client.id);
        this.executor.disconnect(closed.client);
      },
      outputLimits: () => this.outputLimits,
      outputLimitExceeded: () => this.outputLimitDisconnections++,
      counters: this.counters,
    });
    this.sessions.set(client.id, session);
  }

  private startTimers(): void {
    const hz = this.config.getNumber('hz');
    const periodMs = Math.max(1, Math.floor(1000 / hz));
    const expiry = setInterval(
      () => runExpiryCycle(this.executor, Date.now, periodMs / 4),
      periodMs,
    );
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
    if (name === 'proto-max-bulk-len' || name === 'client-query-buffer-limit') {
      for (const session of this.sessions.values()) {
        session.parser.setLimits({
          maxBulkBytes: this.config.getNumber('proto-max-bulk-len'),
          maxQueryBufferBytes: this.config.getNumber('client-query-buffer-limit'),
        });
      }
    }
  }

  // Host interface.

  *clients(): Iterable<ClientState> {
    for (const session of this.sessions.values()) yield session.client;
  }

  clientHasOutput(client: ClientState): void {
    this.sessions.get(client.id)?.outputReady();
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
    };
  }

  /** Stops listening, closes every client, stops background tasks. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      const closed = this.listeners.map(
        (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
      );
      for (const session of this.sessions.values()) session.close();
      for (const session of this.sessions.values()) session.destroy();
      await Promise.all(closed);
      this.logger.notice('Shoal is now ready to exit, bye bye...');
    })();
    return this.closing;
  }
}
