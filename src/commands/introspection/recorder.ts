// What the dispatcher records after each command. The executor itself adds the time to the
// command's usec (INFO commandstats) and records it in the command's latency histogram (INFO
// latencystats, LATENCY HISTOGRAM); it calls commandDone only when the command took at least
// `attentionMs`, the smallest threshold in force: the slow log, the latency monitor, or
// MONITOR (which wants every command, so its threshold is -Infinity).

import type { ClientState } from '../client.js';
import type { Config } from '../config.js';
import type { Host } from '../hooks.js';
import { type Command, FlagBit } from '../spec.js';
import { LatencyHistogram } from './histogram.js';
import { LatencyMonitor } from './latency-monitor.js';
import {
  monitorLine,
  MonitorRegistry,
  redactedArguments,
  wallClockMicroseconds,
} from './monitor.js';
import { SlowLog, trimArguments } from './slowlog.js';

const NOT_MONITORED = FlagBit.admin | FlagBit.skip_monitor;

export class CommandRecorder {
  readonly slowLog: SlowLog;
  readonly latencyMonitor = new LatencyMonitor();
  readonly monitors = new MonitorRegistry(() => this.updateAttention());
  /** Commands that have a latency histogram (they keep it in Command.histogram). */
  readonly histograms = new Set<Command>();
  /** Percentiles INFO latencystats reports (latency-tracking-info-percentiles). */
  percentiles: number[] = [50, 99, 99.9];
  /** latency-tracking: the executor records histograms while true. */
  trackLatency: boolean;
  /** Commands at least this slow (ms) go through commandDone. */
  attentionMs = Infinity;
  private slowLogThresholdMicroseconds: number;
  private latencyThresholdMilliseconds: number;

  constructor(
    config: Config,
    private readonly host: Host,
  ) {
    this.slowLog = new SlowLog(config.getNumber('slowlog-max-len'));
    this.slowLogThresholdMicroseconds = config.getNumber('slowlog-log-slower-than');
    this.latencyThresholdMilliseconds = config.getNumber('latency-monitor-threshold');
    this.trackLatency = config.getBool('latency-tracking');
    this.percentiles = parsePercentiles(config.get('latency-tracking-info-percentiles'));
    config.onChange((name, value) => {
      if (name === 'slowlog-log-slower-than') this.slowLogThresholdMicroseconds = Number(value);
      // As Redis, a shorter slowlog-max-len trims the log at the next entry, not at once.
      else if (name === 'slowlog-max-len') this.slowLog.maxLength = Number(value);
      else if (name === 'latency-monitor-threshold') {
        this.latencyThresholdMilliseconds = Number(value);
      } else if (name === 'latency-tracking') this.trackLatency = value === 'yes';
      else if (name === 'latency-tracking-info-percentiles') {
        this.percentiles = parsePercentiles(value);
      }
      this.updateAttention();
    });
    this.updateAttention();
  }

  private updateAttention(): void {
    let attention = Infinity;
    if (this.slowLogThresholdMicroseconds >= 0) {
      attention = this.slowLogThresholdMicroseconds / 1000;
    }
    if (this.latencyThresholdMilliseconds > 0) {
      attention = Math.min(attention, this.latencyThresholdMilliseconds);
    }
    if (this.monitors.size > 0) attention = -Infinity;
    this.attentionMs = attention;
  }

  /** The command's histogram, created at its first call. */
  newHistogram(command: Command): LatencyHistogram {
    const histogram = new LatencyHistogram();
    command.histogram = histogram;
    this.histograms.add(command);
    return histogram;
  }

  /** Slow log, latency monitor and MONITOR, for a command that took `elapsedMilliseconds`. */
  commandDone(
    command: Command,
    argv: string[],
    client: ClientState,
    elapsedMilliseconds: number,
    retryingBlocked: boolean,
  ): void {
    const microseconds = elapsedMilliseconds * 1000;
    const slowLogThreshold = this.slowLogThresholdMicroseconds;
    if (
      slowLogThreshold >= 0 &&
      microseconds >= slowLogThreshold &&
      (command.flagBits & FlagBit.skip_slowlog) === 0
    ) {
      this.slowLog.push({
        timestampSeconds: Math.floor(Date.now() / 1000),
        durationMicroseconds: Math.floor(microseconds),
        argv: trimArguments(redactedArguments(argv)),
        address: client.address,
        clientName: client.name,
      });
    }
    const latencyThreshold = this.latencyThresholdMilliseconds;
    if (latencyThreshold > 0 && elapsedMilliseconds >= latencyThreshold) {
      const event = (command.flagBits & FlagBit.fast) !== 0 ? 'fast-command' : 'command';
      this.latencyMonitor.add(
        event,
        Math.floor(Date.now() / 1000),
        Math.floor(elapsedMilliseconds),
      );
    }
    if (this.monitors.size > 0 && !retryingBlocked && (command.flagBits & NOT_MONITORED) === 0) {
      this.feedMonitors(client, argv);
    }
  }

  private feedMonitors(client: ClientState, argv: string[]): void {
    const line = monitorLine(wallClockMicroseconds(), client.db, client.address, argv);
    for (const monitor of this.monitors.clients) {
      if (monitor.reply === undefined) continue;
      monitor.reply.simple(line);
      this.host.clientHasOutput(monitor);
    }
  }

  /** CONFIG RESETSTAT: the histograms (commandstats live on the table entries). */
  resetStats(): void {
    for (const command of this.histograms) command.histogram = undefined;
    this.histograms.clear();
  }
}

/** "50 99 99.9" as numbers; Redis's setting accepts 0..100 separated by spaces. */
export function parsePercentiles(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(Number)
    .filter((value) => Number.isFinite(value) && value >= 0 && value <= 100);
}
