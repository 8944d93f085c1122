// Stream entry IDs: two unsigned 64-bit numbers, milliseconds and sequence, held as one bigint
// (ms << 64 | seq) so that comparing two IDs is one comparison, as Redis compares its 128-bit
// big-endian rax keys. Effects carry IDs as their text ("ms-seq").

export type StreamId = bigint;

const U64_MAX = (1n << 64n) - 1n;
export const ID_ZERO: StreamId = 0n;
export const ID_MAX: StreamId = (U64_MAX << 64n) | U64_MAX;

export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

export function idMs(id: StreamId): bigint {
  return id >> 64n;
}

export function idSeq(id: StreamId): bigint {
  return id & U64_MAX;
}

export function formatId(id: StreamId): string {
  return `${id >> 64n}-${id & U64_MAX}`;
}

/** Parses the text an effect carries (always "ms-seq", both parts present). */
export function idFromText(text: string): StreamId {
  const dash = text.indexOf('-');
  return makeId(BigInt(text.slice(0, dash)), BigInt(text.slice(dash + 1)));
}

/** The next ID (streamIncrID); undefined past the largest. */
export function nextId(id: StreamId): StreamId | undefined {
  return id === ID_MAX ? undefined : id + 1n;
}

/** The previous ID (streamDecrID); undefined before 0-0. */
export function previousId(id: StreamId): StreamId | undefined {
  return id === ID_ZERO ? undefined : id - 1n;
}

/**
 * Redis's string2ull: a strict long long first (a negative one refused), then strtoull's rules
 * (leading blanks, a sign, decimal digits, at most 2^64-1; "-n" wraps around).
 */
export function parseU64(text: string): bigint | undefined {
  if (/^(0|-?[1-9][0-9]*)$/.test(text)) {
    const value = BigInt(text);
    if (value >= -(1n << 63n) && value < 1n << 63n) return value < 0n ? undefined : value;
  }
  const match = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(text);
  if (match === null) return undefined;
  const value = BigInt(match[2] as string);
  if (value > U64_MAX) return undefined;
  return match[1] === '-' ? (U64_MAX + 1n - value) & U64_MAX : value;
}

export interface ParsedId {
  id: StreamId;
  /** False for "ms-*" (the sequence is to be chosen). */
  seqGiven: boolean;
}

/**
 * streamParseID: "-" and "+" (unless strict), "ms" (sequence `missingSeq`), "ms-seq", and with
 * `allowStarSeq` "ms-*". Undefined when invalid.
 */
export function parseId(
  text: string,
  missingSeq: bigint,
  strict: boolean,
  allowStarSeq = false,
): ParsedId | undefined {
  if (text.length > 127) return undefined;
  if (text === '-') return strict ? undefined : { id: ID_ZERO, seqGiven: true };
  if (text === '+') return strict ? undefined : { id: ID_MAX, seqGiven: true };
  const dash = text.indexOf('-');
  const ms = parseU64(dash < 0 ? text : text.slice(0, dash));
  if (ms === undefined) return undefined;
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const rest = text.slice(dash + 1);
  if (allowStarSeq && rest === '*') return { id: makeId(ms, 0n), seqGiven: false };
  const seq = parseU64(rest);
  if (seq === undefined) return undefined;
  return { id: makeId(ms, seq), seqGiven: true };
}
