// Instantaneous rates for INFO (instantaneous_ops_per_sec, instantaneous_input_kbps …), as Redis's
// trackInstantaneousMetric computes them: a sample every 100 ms, the average of the last 16.

const SAMPLES = 16;

export class InstantaneousMetric {
  private readonly rates = new Float64Array(SAMPLES);
  private index = 0;
  private lastValue = 0;
  private lastTimeMs = 0;

  /** Records the counter's current value at `nowMs`. */
  sample(value: number, nowMs: number): void {
    if (this.lastTimeMs !== 0 && nowMs > this.lastTimeMs) {
      const perSecond = ((value - this.lastValue) * 1000) / (nowMs - this.lastTimeMs);
      this.rates[this.index] = Math.max(0, perSecond);
      this.index = (this.index + 1) % SAMPLES;
    }
    this.lastValue = value;
    this.lastTimeMs = nowMs;
  }

  /** The average rate per second over the last samples. */
  get perSecond(): number {
    let sum = 0;
    for (const rate of this.rates) sum += rate;
    return sum / SAMPLES;
  }
}

/** Bytes and socket operations counted by every session (INFO stats). */
export interface NetworkCounters {
  inputBytes: number;
  outputBytes: number;
  reads: number;
  writes: number;
}
