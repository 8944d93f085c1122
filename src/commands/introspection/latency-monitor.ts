// The latency monitor, as Redis's latency.c keeps it: per event ("command", "fast-command"), the
// samples of the last 160 seconds that reached latency-monitor-threshold (one per second, the
// largest), the latest sample, and the largest ever seen.

const LATENCY_TIME_SERIES_LENGTH = 160;

export interface LatencySample {
  timeSeconds: number;
  latencyMs: number;
}

export interface LatencyEventSeries {
  /** Oldest first. Invariant: at most LATENCY_TIME_SERIES_LENGTH samples, times increasing. */
  samples: LatencySample[];
  maxMs: number;
}

export class LatencyMonitor {
  readonly events = new Map<string, LatencyEventSeries>();

  add(event: string, timeSeconds: number, latencyMs: number): void {
    let series = this.events.get(event);
    if (series === undefined) {
      series = { samples: [], maxMs: 0 };
      this.events.set(event, series);
    }
    if (latencyMs > series.maxMs) series.maxMs = latencyMs;
    const last = series.samples[series.samples.length - 1];
    if (last !== undefined && last.timeSeconds === timeSeconds) {
      // Several samples in one second: Redis keeps the largest.
      if (latencyMs > last.latencyMs) last.latencyMs = latencyMs;
      return;
    }
    series.samples.push({ timeSeconds, latencyMs });
    if (series.samples.length > LATENCY_TIME_SERIES_LENGTH) series.samples.shift();
  }

  /** Forgets the named events (all when none are named); returns how many it forgot. */
  reset(events: readonly string[]): number {
    if (events.length === 0) {
      const count = this.events.size;
      this.events.clear();
      return count;
    }
    let count = 0;
    for (const event of events) if (this.events.delete(event)) count++;
    return count;
  }
}
