// A latency histogram per command, cheap enough to update on every call: log-linear buckets
// over nanoseconds (32 linear sub-buckets per power of two, so a bucket is at most 1/32 ≈ 3%
// wide), one Uint32Array, no allocation per sample. It answers what INFO latencystats and
// LATENCY HISTOGRAM need: percentiles, and cumulative counts at powers of two.

/** Sub-buckets per power of two (a power of two itself). */
const SUB_BUCKET_BITS = 5;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** Values are clamped here: 2^31 - 1 ns, about 2.1 s. Slower calls land in the last bucket. */
export const HISTOGRAM_MAX_NANOSECONDS = 2 ** 31 - 1;
const BUCKET_COUNT = SUB_BUCKETS + (31 - SUB_BUCKET_BITS) * SUB_BUCKETS;

/** Bucket index of a value in nanoseconds (an integer in [0, HISTOGRAM_MAX_NANOSECONDS]). */
function bucketOf(nanoseconds: number): number {
  if (nanoseconds < SUB_BUCKETS) return nanoseconds;
  const exponent = 31 - Math.clz32(nanoseconds); // floor(log2), >= SUB_BUCKET_BITS
  const mantissa = (nanoseconds >>> (exponent - SUB_BUCKET_BITS)) - SUB_BUCKETS;
  return SUB_BUCKETS + (exponent - SUB_BUCKET_BITS) * SUB_BUCKETS + mantissa;
}

/** The largest value (ns) that falls in a bucket. */
function bucketHighest(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const octave = Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS);
  const mantissa = (index - SUB_BUCKETS) % SUB_BUCKETS;
  const width = 2 ** octave;
  return (SUB_BUCKETS + mantissa) * width + width - 1;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKET_COUNT);
  /** Samples recorded in the buckets. */
  total = 0;
  /**
   * Sum of every call's time in milliseconds (INFO commandstats usec), in a typed array: a
   * double stored in an object field would allocate a number on every update.
   */
  private readonly sum = new Float64Array(1);

  /** One call's time, in milliseconds; in the buckets too when `bucket` (latency-tracking). */
  record(milliseconds: number, bucket: boolean): void {
    this.sum[0] = (this.sum[0] as number) + milliseconds;
    if (bucket) this.recordNanoseconds(milliseconds * 1e6);
  }

  get totalMilliseconds(): number {
    return this.sum[0] as number;
  }

  /** Records one sample, in nanoseconds (fractions dropped, clamped to the range). */
  recordNanoseconds(nanoseconds: number): void {
    const value =
      nanoseconds >= HISTOGRAM_MAX_NANOSECONDS ? HISTOGRAM_MAX_NANOSECONDS : nanoseconds | 0;
    const index = bucketOf(value < 0 ? 0 : value);
    this.counts[index] = (this.counts[index] as number) + 1;
    this.total++;
  }

  /** The value (ns) at or below which `percentile` percent of samples lie (bucket's top). */
  valueAtPercentile(percentile: number): number {
    if (this.total === 0) return 0;
    const wanted = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.counts[index] as number;
      if (seen >= wanted) return bucketHighest(index);
    }
    return HISTOGRAM_MAX_NANOSECONDS;
  }

  /** Samples at or below `nanoseconds`, which must be a power of two >= SUB_BUCKETS. */
  countAtOrBelowPowerOfTwo(nanoseconds: number): number {
    const end = bucketOf(Math.min(nanoseconds, HISTOGRAM_MAX_NANOSECONDS));
    let seen = 0;
    for (let index = 0; index <= end; index++) seen += this.counts[index] as number;
    return seen;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum[0] = 0;
  }
}
