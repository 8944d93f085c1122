// x87 80-bit long double arithmetic (64-bit mantissa, round to nearest even), emulated exactly
// with BigInt. INCRBYFLOAT and HINCRBYFLOAT add in long double and print with "%.17Lf" in Redis,
// and clients see the rounding of that format ("1005.59999999999999998"), so we do the same.

interface LongDouble {
  negative: boolean;
  mantissa: bigint; // 0, or in [2^63, 2^64)
  exponent: number; // value = mantissa * 2^exponent
}

const MANTISSA_BITS = 64;
const MAX_DECIMAL_EXPONENT = 4900; // long double's range ends near 1e4932

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds the exact value numerator * 2^exponent to a 64-bit mantissa (ties to even). */
function roundInteger(negative: boolean, numerator: bigint, exponent: number): LongDouble {
  const bits = bitLength(numerator);
  if (bits <= MANTISSA_BITS) {
    if (numerator === 0n) return { negative, mantissa: 0n, exponent: 0 };
    const shift = MANTISSA_BITS - bits;
    return { negative, mantissa: numerator << BigInt(shift), exponent: exponent - shift };
  }
  const shift = bits - MANTISSA_BITS;
  let mantissa = numerator >> BigInt(shift);
  const remainder = numerator - (mantissa << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (remainder > half || (remainder === half && (mantissa & 1n) === 1n)) mantissa += 1n;
  let resultExponent = exponent + shift;
  if (bitLength(mantissa) > MANTISSA_BITS) {
    mantissa >>= 1n;
    resultExponent++;
  }
  return { negative, mantissa, exponent: resultExponent };
}

/** Rounds numerator / denominator (both positive) to a long double. */
function roundQuotient(negative: boolean, numerator: bigint, denominator: bigint): LongDouble {
  if (numerator === 0n) return { negative, mantissa: 0n, exponent: 0 };
  let shift = MANTISSA_BITS - (bitLength(numerator) - bitLength(denominator));
  for (;;) {
    const scaledNumerator = shift >= 0 ? numerator << BigInt(shift) : numerator;
    const scaledDenominator = shift >= 0 ? denominator : denominator << BigInt(-shift);
    const quotient = scaledNumerator / scaledDenominator;
    const bits = bitLength(quotient);
    if (bits > MANTISSA_BITS) {
      shift--;
      continue;
    }
    if (bits < MANTISSA_BITS) {
      shift++;
      continue;
    }
    const remainder = scaledNumerator - quotient * scaledDenominator;
    let mantissa = quotient;
    const twice = remainder * 2n;
    if (twice > scaledDenominator || (twice === scaledDenominator && (mantissa & 1n) === 1n)) {
      mantissa += 1n;
    }
    let exponent = -shift;
    if (bitLength(mantissa) > MANTISSA_BITS) {
      mantissa >>= 1n;
      exponent++;
    }
    return { negative, mantissa, exponent };
  }
}

/** strtold for decimal text; undefined when the text is not a finite decimal number. */
export function parseLongDouble(text: string): LongDouble | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, integerPart = '', fractionPart = '', exponentText] = match;
  if (integerPart === '' && fractionPart === '') return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (Math.abs(exponent) > MAX_DECIMAL_EXPONENT) return undefined;
  const digits = BigInt((integerPart || '0') + fractionPart);
  const scale = fractionPart.length - exponent;
  const negative = sign === '-';
  if (scale <= 0) return roundInteger(negative, digits * 10n ** BigInt(-scale), 0);
  return roundQuotient(negative, digits, 10n ** BigInt(scale));
}

function signed(value: LongDouble): bigint {
  return value.negative ? -value.mantissa : value.mantissa;
}

export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.mantissa === 0n) return b;
  if (b.mantissa === 0n) return a;
  const exponent = Math.min(a.exponent, b.exponent);
  const sum =
    (signed(a) << BigInt(a.exponent - exponent)) + (signed(b) << BigInt(b.exponent - exponent));
  return roundInteger(sum < 0n, sum < 0n ? -sum : sum, exponent);
}

/** printf("%.17Lf") followed by Redis's "human friendly" trimming of trailing zeros. */
export function formatLongDoubleHuman(value: LongDouble): string {
  const places = 17n;
  const scale = 10n ** places;
  let scaled: bigint;
  if (value.exponent >= 0) {
    scaled = (value.mantissa << BigInt(value.exponent)) * scale;
  } else {
    const shift = BigInt(-value.exponent);
    const numerator = value.mantissa * scale;
    scaled = numerator >> shift;
    const remainder = numerator - (scaled << shift);
    const half = 1n << (shift - 1n);
    if (remainder > half || (remainder === half && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const integer = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(17, '0').replace(/0+$/, '');
  const text = fraction === '' ? integer.toString() : `${integer}.${fraction}`;
  return value.negative && text !== '0' ? `-${text}` : text;
}
