// sin, cos and asin rounded to the nearest double, computed in double-double arithmetic (about
// 106 bits). glibc's libm, which Redis calls, returns the correctly rounded result for nearly
// every argument; V8's fdlibm ports are off by one unit in the last place for a few percent of
// them. The geo commands print full-precision distances (GEOSEARCHSTORE … STOREDIST) and compare
// them with radii, so they use these to reach Redis's doubles.

const SPLIT = 134217729; // 2^27 + 1

/** A double-double: value = hi + lo, |lo| <= ulp(hi) / 2. */
type DD = [hi: number, lo: number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}

function twoProduct(a: number, b: number): DD {
  const p = a * b;
  let t = SPLIT * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLIT * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return [p, aHigh * bHigh - p + aHigh * bLow + aLow * bHigh + aLow * bLow];
}

function add(a: DD, b: DD): DD {
  const [s1, s2] = twoSum(a[0], b[0]);
  const [t1, t2] = twoSum(a[1], b[1]);
  const [u1, u2] = quickTwoSum(s1, s2 + t1);
  return quickTwoSum(u1, u2 + t2);
}

function multiply(a: DD, b: DD): DD {
  const [p, e] = twoProduct(a[0], b[0]);
  return quickTwoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}

function divideBySmall(a: DD, n: number): DD {
  const q1 = a[0] / n;
  const [p, e] = twoProduct(q1, n);
  const q2 = (a[0] - p - e + a[1]) / n;
  return quickTwoSum(q1, q2);
}

// π/2 in three parts.
const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;
/** Beyond this, reduction by a 3-part π/2 loses bits: fall back to Math. */
const REDUCTION_LIMIT = 1e6;

/** x - k·π/2 in double-double. */
function reduce(x: number, k: number): DD {
  let r = add([x, 0], negate(twoProduct(k, PIO2_1)));
  r = add(r, negate(twoProduct(k, PIO2_2)));
  return add(r, [-k * PIO2_3, 0]);
}

function negate(a: DD): DD {
  return [-a[0], -a[1]];
}

/** Taylor series of sin (odd) or cos (even) at |r| <= π/4. */
function series(r: DD, odd: boolean): DD {
  const r2 = multiply(r, r);
  let term: DD = odd ? r : [1, 0];
  let sum = term;
  for (let n = odd ? 3 : 2; n < 60; n += 2) {
    term = negate(divideBySmall(multiply(term, r2), (n - 1) * n));
    sum = add(sum, term);
    if (Math.abs(term[0]) < 1e-36 * Math.abs(sum[0])) break;
  }
  return sum;
}

/** sin(x + quadrant·π/2) in double-double. */
function sinQuadrant(x: number, quadrant: number): DD {
  const k = Math.round(x / PIO2_1);
  const r = reduce(x, k);
  const q = (((k + quadrant) % 4) + 4) % 4;
  const value = series(r, q % 2 === 0);
  return q >= 2 ? negate(value) : value;
}

export function roundedSin(x: number): number {
  if (x === 0 || !(Math.abs(x) < REDUCTION_LIMIT)) return Math.sin(x);
  const [hi, lo] = sinQuadrant(x, 0);
  return hi + lo;
}

export function roundedCos(x: number): number {
  if (!(Math.abs(x) < REDUCTION_LIMIT)) return Math.cos(x);
  const [hi, lo] = sinQuadrant(x, 1);
  return hi + lo;
}

/** asin by one Newton step from Math.asin, in double-double. */
export function roundedAsin(y: number): number {
  const a = Math.asin(y);
  if (y === 0 || !(Math.abs(y) < 1)) return a;
  const sine = sinQuadrant(a, 0);
  const cosine = sinQuadrant(a, 1);
  const error = add(sine, [-y, 0]);
  const delta = (error[0] + error[1]) / (cosine[0] + cosine[1]);
  const [hi, lo] = twoSum(a, -delta);
  return hi + lo;
}
