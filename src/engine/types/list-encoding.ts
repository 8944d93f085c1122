// Which encoding OBJECT ENCODING reports for a list, following Redis 7.2: "listpack" while the
// list would fit one listpack under list-max-listpack-size, "quicklist" once it outgrows that,
// and back to "listpack" only when it shrinks to half the limit (Redis's hysteresis, so a list
// at the boundary does not flip on every push and pop).
//
// Shoal stores every list the same way (a ring buffer); the encoding is only reported. Sizes are
// Redis's listpack sizes computed per element (entry header + data + back-length, integers in
// their compact integer encodings), so for a list that has stayed a listpack the size is exact.
// The approximation: Redis converts a quicklist back only when it has a single node, and Shoal
// does not model nodes, so after deletions in the middle of a large list Shoal may report
// "listpack" where Redis would still report "quicklist". Redis 7.0 reports "quicklist" for
// every list; the 7.2 behaviour is the one followed here.

/** Bytes of an empty listpack: total-bytes (4) + element count (2) + end marker (1). */
export const LISTPACK_HEADER_BYTES = 7;

/** Redis's quicklist optimization_level: fill -1..-5 are listpacks of 4, 8, 16, 32, 64 KB. */
const SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536] as const;
/** With a positive fill (an entry count), a listpack is still never larger than this. */
const SIZE_SAFETY_LIMIT = 8192;

/**
 * Redis's quicklistNodeExceedsLimit for a listpack of `bytes` bytes holding `count` entries,
 * under list-max-listpack-size `fill` (the engine's EncodingLimits.listMaxListpackSize).
 */
export function exceedsListpackLimit(bytes: number, count: number, fill: number): boolean {
  if (fill < 0) return bytes > (SIZE_LIMITS[Math.min(-fill - 1, SIZE_LIMITS.length - 1)] as number);
  if (bytes > SIZE_SAFETY_LIMIT) return true;
  return count > (fill === 0 ? 1 : fill);
}

/** Whether a shrinking quicklist is small enough to go back: half of either limit. */
export function fitsHalfListpackLimit(bytes: number, count: number, fill: number): boolean {
  if (fill < 0) {
    return bytes <= (SIZE_LIMITS[Math.min(-fill - 1, SIZE_LIMITS.length - 1)] as number) / 2;
  }
  return count <= Math.floor((fill === 0 ? 1 : fill) / 2);
}

const INT64_MIN_TEXT = '-9223372036854775808';
const INT64_MAX_TEXT = '9223372036854775807';

/**
 * The integer a listpack would store `text` as (lpStringToInt64: canonical decimal, no sign
 * but '-', no leading zeros), as a number of bytes of its integer encoding; 0 if not one.
 */
function integerEntryBytes(text: string): number {
  const length = text.length;
  if (length === 0 || length > 20) return 0;
  const negative = text.charCodeAt(0) === 45; // '-'
  const digitsStart = negative ? 1 : 0;
  if (digitsStart === length) return 0;
  const first = text.charCodeAt(digitsStart);
  if (first < 48 || first > 57) return 0;
  if (first === 48 && (length > digitsStart + 1 || negative)) return 0; // "0" only, never "-0"
  for (let i = digitsStart + 1; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return 0;
  }
  if (length - digitsStart >= 19) {
    const limit = negative ? INT64_MIN_TEXT : INT64_MAX_TEXT;
    if (length > limit.length || (length === limit.length && text > limit)) return 0;
    return 9;
  }
  const value = Number(text);
  if (value >= 0 && value <= 127) return 1; // 7-bit unsigned
  if (value >= -4096 && value <= 4095) return 2; // 13-bit
  if (value >= -32768 && value <= 32767) return 3; // 16-bit
  if (value >= -8388608 && value <= 8388607) return 4; // 24-bit
  if (value >= -2147483648 && value <= 2147483647) return 5; // 32-bit
  return 9; // 64-bit
}

/** Bytes one element takes in a listpack: encoding header and data, then its back-length. */
export function listpackEntryBytes(text: string): number {
  let encoded = integerEntryBytes(text);
  if (encoded === 0) {
    const length = text.length;
    encoded = length + (length < 64 ? 1 : length < 4096 ? 2 : 5);
  }
  const backLength =
    encoded <= 127 ? 1 : encoded < 16383 ? 2 : encoded < 2097151 ? 3 : encoded < 268435455 ? 4 : 5;
  return encoded + backLength;
}
