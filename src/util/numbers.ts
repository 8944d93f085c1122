// Number parsing and printing with Redis's exact rules (util.c: string2ll, string2ld, ld2string).
// Integers are int64: values within JavaScript's safe range are numbers, the rest bigint.

import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from './long-double.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses a strict int64 as Redis's string2ll does: optional '-', no '+', no spaces, no leading
 * zeros, no "-0". Returns undefined when the text is not such an integer.
 */
export function parseInt64(text: string): number | bigint | undefined {
  const length = text.length;
  if (length === 0 || length > 20) return undefined;
  let i = 0;
  const negative = text.charCodeAt(0) === 45;
  if (negative) {
    i = 1;
    if (length === 1) return undefined;
  }
  const first = text.charCodeAt(i);
  if (first === 48) return length === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  for (let j = i + 1; j < length; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  if (length - i <= 15) return Number(text);
  const big = BigInt(text);
  if (big > INT64_MAX || big < INT64_MIN) return undefined;
  return normalizeInteger(big);
}

/** The canonical safe integer a string spells, if any (stored compactly, encoding "int"). */
export function canonicalSafeInteger(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > 16) return undefined;
  const c0 = text.charCodeAt(0);
  if (c0 !== 45 && (c0 < 48 || c0 > 57)) return undefined;
  const value = parseInt64(text);
  return typeof value === 'number' ? value : undefined;
}

export function isInt64(value: bigint): boolean {
  return value <= INT64_MAX && value >= INT64_MIN;
}

/** An int64 as a number when it is safe, as the rest of the code expects, else a bigint. */
export function normalizeInteger(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

/**
 * Parses a double as Redis's string2d / getDoubleFromObject: no spaces, "inf"/"-inf"/"+inf" and
 * "infinity" accepted, nan rejected. Returns undefined when the text is not a number.
 */
export function parseDouble(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > 5000) return undefined;
  if (isSpace(text.charCodeAt(0)) || isSpace(text.charCodeAt(length - 1))) return undefined;
  const lowered = text.toLowerCase();
  if (
    lowered === 'inf' ||
    lowered === '+inf' ||
    lowered === 'infinity' ||
    lowered === '+infinity'
  ) {
    return Infinity;
  }
  if (lowered === '-inf' || lowered === '-infinity') return -Infinity;
  if (!DOUBLE_SYNTAX.test(text)) return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

const DOUBLE_SYNTAX = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?0[xX][0-9a-fA-F]+$/;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Adds two float texts as INCRBYFLOAT does (long double); undefined if not finite numbers. */
export function addFloatTexts(current: string, increment: string): string | undefined {
  const a = parseDouble(current);
  const b = parseDouble(increment);
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) {
    return undefined;
  }
  // Hex floats, which strtold also reads, go through their double value.
  const x = parseLongDouble(current) ?? parseLongDouble(String(a));
  const y = parseLongDouble(increment) ?? parseLongDouble(String(b));
  if (x === undefined || y === undefined) return undefined;
  return formatLongDoubleHuman(addLongDouble(x, y));
}

const LLONG_HALF = 2 ** 62; // (double)(LLONG_MAX / 2), the bound of Redis's double2ll

/**
 * Redis 7.2 d2string: "nan", "inf", "-inf", "0", "-0", integers (up to 2^62) as integers, else
 * the shortest text that reads back as the same double, in fpconv_dtoa's layout: plain digits
 * when the exponent is small, else "d.ddde+X" / "d.ddde-X" with no zero padding on the exponent.
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && d >= -LLONG_HALF && d <= LLONG_HALF) {
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }
  const negative = d < 0;
  // toExponential() with no argument gives the shortest round-trip digits.
  const exponential = Math.abs(d).toExponential();
  const marker = exponential.indexOf('e');
  const digits = exponential.slice(0, marker).replace('.', '');
  const exponent10 = Number(exponential.slice(marker + 1));
  const digitCount = digits.length;
  const k = exponent10 - (digitCount - 1); // value = digits * 10^k
  const exponent = Math.abs(k + digitCount - 1);
  let text: string;
  if (k >= 0 && exponent < digitCount + 7) {
    text = digits + '0'.repeat(k);
  } else if (k < 0 && (k > -7 || exponent < 4)) {
    const offset = digitCount + k;
    text =
      offset <= 0
        ? '0.' + '0'.repeat(-offset) + digits
        : digits.slice(0, offset) + '.' + digits.slice(offset);
  } else {
    const mantissa = digitCount > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    text = mantissa + 'e' + (k + digitCount - 1 < 0 ? '-' : '+') + String(exponent);
  }
  return negative ? '-' + text : text;
}

/**
 * C's printf("%.<decimals>f", d) as glibc prints it: the exact binary value rounded to the
 * nearest (ties to even) at that many decimals; "inf", "-inf", "nan"; "-0.000" for negatives that
 * round to zero.
 */
export function formatFixed(d: number, decimals: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  const negative = d < 0 || Object.is(d, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = high >>> 20;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biased !== 0) mantissa |= 1n << 52n;
  const exponent = (biased === 0 ? 1 : biased) - 1075; // value = mantissa * 2^exponent
  let scaled = mantissa * 10n ** BigInt(decimals);
  if (exponent >= 0) scaled <<= BigInt(exponent);
  else {
    const divisor = 1n << BigInt(-exponent);
    const quotient = scaled / divisor;
    const twice = (scaled - quotient * divisor) * 2n;
    scaled = quotient;
    if (twice > divisor || (twice === divisor && (quotient & 1n) === 1n)) scaled += 1n;
  }
  const digits = scaled.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const text = decimals > 0 ? whole + '.' + digits.slice(digits.length - decimals) : whole;
  return negative ? '-' + text : text;
}

/**
 * Redis's ld2string(LD_STR_HUMAN) of a double: "%.17Lf" with trailing zeros (and a bare '.')
 * removed, "-0" printed as "0". GEOPOS and WITHCOORD print coordinates this way.
 */
export function formatHumanFixed(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  let text = formatFixed(d, 17);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}
