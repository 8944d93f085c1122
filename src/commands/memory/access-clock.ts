// Per-key access clocks, packed as Redis's 24-bit `lru` field (evict.c): under an LRU (or no)
// policy the clock is seconds modulo 2^24; under an LFU policy it is minutes modulo 2^16 in the
// high 16 bits and a logarithmic access counter in the low 8. Pure functions of the time and the
// settings handed in; the command layer calls them and stores the result in the key's entry
// (KeyEntry.clock).

export const LRU_CLOCK_MAX = (1 << 24) - 1;
const LFU_TIME_MAX = 65535;
/** Counter of a new key under LFU, so it is not evicted before it had a chance to be read. */
export const LFU_INIT_VAL = 5;

export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & LRU_CLOCK_MAX;
}

export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60_000) & LFU_TIME_MAX;
}

/** Milliseconds since `clock` (an LRU clock), wrapping as Redis's estimateObjectIdleTime. */
export function idleMs(clock: number, nowMs: number): number {
  const now = lruClock(nowMs);
  return (now >= clock ? now - clock : now + (LRU_CLOCK_MAX - clock)) * 1000;
}

export function newLfuClock(nowMs: number): number {
  return (lfuMinutes(nowMs) << 8) | LFU_INIT_VAL;
}

/** The counter after decay: one step down per `decayMinutes` elapsed (LFUDecrAndReturn). */
export function lfuDecayed(clock: number, nowMs: number, decayMinutes: number): number {
  const then = clock >>> 8;
  const counter = clock & 255;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= then ? now - then : LFU_TIME_MAX - then + now;
  const periods = decayMinutes > 0 ? Math.floor(elapsed / decayMinutes) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** The clock after one access under LFU: decay, then a logarithmic increment (LFULogIncr). */
export function lfuTouched(
  clock: number,
  nowMs: number,
  logFactor: number,
  decayMinutes: number,
  random: () => number,
): number {
  let counter = lfuDecayed(clock, nowMs, decayMinutes);
  if (counter < 255) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (random() < 1 / (base * logFactor + 1)) counter++;
  }
  return (lfuMinutes(nowMs) << 8) | counter;
}
