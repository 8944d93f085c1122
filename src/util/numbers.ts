// Number parsing and printing with Redis's exact rules (util.c: string2ll, string2ld, ld2string).
// Integers are int64: values within JavaScript's safe range are numbers, the rest bigint.

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
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
}

/** The canonical safe integer a string spells, if any (used to store "int"-encoded strings compactly). */
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

/** Normalizes an int64 to a number when it is safe, as the rest of the code expects. */
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
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(length - 1);
  if (isSpace(first) || isSpace(last)) return undefined;
  const lowered = text.toLowerCase();
  if (lowered === 'inf' || lowered === '+inf' || lowered === 'infinity' || lowered === '+infinity')
    return Infinity;
  if (lowered === '-inf' || lowered === '-infinity') return -Infinity;
  if (!DOUBLE_SYNTAX.test(text)) return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

const DOUBLE_SYNTAX = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?0[xX][0-9a-fA-F]+$/;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Exact decimal value of a float literal, for INCRBYFLOAT. Redis adds in long double and prints
 * with "%.17Lf" minus trailing zeros; adding exact decimals and rounding to 17 places gives the
 * same text in the cases that matter (0.1 + 0.2 prints "0.3", as Redis does).
 */
interface Decimal {
  digits: bigint; // value = digits / 10^scale
  scale: number;
}

const MAX_DECIMAL_EXPONENT = 4900; // long double's range ends near 1e4932

function parseDecimal(text: string): Decimal | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, intPart = '', fracPart = '', exponentText] = match;
  if (intPart === '' && fracPart === '') return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isFinite(exponent) || Math.abs(exponent) > MAX_DECIMAL_EXPONENT) return undefined;
  let digits = BigInt((intPart || '0') + fracPart);
  if (sign === '-') digits = -digits;
  let scale = fracPart.length - exponent;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

/** Adds two float texts as INCRBYFLOAT does; undefined when either is not a finite number. */
export function addFloatTexts(current: string, increment: string): string | undefined {
  const a = parseDouble(current);
  const b = parseDouble(increment);
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) {
    return undefined;
  }
  const x = parseDecimal(current);
  const y = parseDecimal(increment);
  if (x === undefined || y === undefined) {
    // Hex and other forms Number() accepts: fall back to binary doubles.
    return formatLongDouble(a + b);
  }
  const scale = Math.max(x.scale, y.scale);
  const sum = x.digits * 10n ** BigInt(scale - x.scale) + y.digits * 10n ** BigInt(scale - y.scale);
  return formatDecimal(sum, scale);
}

function formatDecimal(digits: bigint, scale: number): string {
  // Round half away from zero to 17 decimal places, as printf does for these values.
  let value = digits;
  let places = scale;
  if (places > 17) {
    const divisor = 10n ** BigInt(places - 17);
    const negative = value < 0n;
    const magnitude = negative ? -value : value;
    let rounded = magnitude / divisor;
    if ((magnitude % divisor) * 2n >= divisor) rounded += 1n;
    value = negative ? -rounded : rounded;
    places = 17;
  }
  const negative = value < 0n;
  let text = (negative ? -value : value).toString();
  if (places > 0) {
    text = text.padStart(places + 1, '0');
    text = `${text.slice(0, text.length - places)}.${text.slice(text.length - places)}`;
    text = text.replace(/\.?0+$/, '');
  }
  if (text === '0') return '0';
  return negative ? `-${text}` : text;
}

/** ld2string in humanfriendly mode for a binary double (used where no exact decimal exists). */
export function formatLongDouble(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e17) return String(value);
  const text = value.toFixed(17).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

/**
 * Prints a double the way Redis 7.2 replies with one (addReplyDouble / fpconv_dtoa): the shortest
 * text that reads back to the same double, "inf" / "-inf" / "nan", exponent form as "1e+21" and
 * "1e-7" (no zero padding), which is also what JavaScript prints.
 */
export function formatDouble(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  return Object.is(value, -0) ? '-0' : String(value);
}
