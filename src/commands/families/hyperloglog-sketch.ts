// HyperLogLog sketches in Redis's exact byte format (hyperloglog.c), so that a value made here
// is the same string Redis makes: the element hash (MurmurHash64A, seed 0xadc83b19), the 16-byte
// "HYLL" header with its cached cardinality, the dense (16384 six-bit registers) and sparse
// (ZERO / XZERO / VAL opcodes) encodings, the in-place sparse update with its merges and its
// promotion to dense, and Redis 7's estimator. The commands are in hyperloglog.ts.
//
// Header: "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, then the cardinality as a
// little-endian 64-bit integer whose top bit set means "not cached".

/** HLL_P: index bits of the hash; 2^14 registers. */
const INDEX_BITS = 14;
export const REGISTER_COUNT = 1 << INDEX_BITS;
const REGISTER_MAX = 63;
export const HEADER_BYTES = 16;
/** A dense sketch: the header and 16384 six-bit registers (12288 bytes). */
export const DENSE_BYTES = HEADER_BYTES + (REGISTER_COUNT * 6) / 8;
export const ENCODING_DENSE = 0;
export const ENCODING_SPARSE = 1;
/** Offset of the byte that holds the "cardinality not cached" bit (0x80). */
export const CACHE_FLAG_OFFSET = 15;
const CACHE_INVALID = 0x80;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
/** HLL_Q + 1: the longest run an element can propose (bit 50 is forced). */
const MAX_COUNT = 51;

/** createHLLObject: a sparse sketch of one XZERO covering every register, cache valid (0). */
export const EMPTY_SPARSE = 'HYLL\x01\0\0\0' + '\0'.repeat(8) + '\x7f\xff';

// --- MurmurHash64A on 32-bit halves (the 64-bit products are built from 16-bit limbs) ---

const SEED = 0xadc83b19 | 0;
const M_HIGH = 0xc6a4a793 | 0;
const M_LOW = 0x5bd1e995 | 0;

let productHigh = 0;
let productLow = 0;

/** (high, low) × 0xc6a4a7935bd1e995 mod 2^64, into productHigh / productLow (int32 halves). */
function multiplyByM(high: number, low: number): void {
  const a0 = low & 0xffff;
  const a1 = low >>> 16;
  const p00 = a0 * 0xe995;
  const middle = a0 * 0x5bd1 + a1 * 0xe995 + (p00 >>> 16);
  productLow = ((middle & 0xffff) << 16) | (p00 & 0xffff);
  const carry = a1 * 0x5bd1 + Math.floor(middle / 65536);
  productHigh = (carry + Math.imul(high, M_LOW) + Math.imul(low, M_HIGH)) | 0;
}

let hashHigh = 0;
let hashLow = 0;

/** MurmurHash64A of a latin1 string (one char per byte), into hashHigh / hashLow. */
function murmurHash64A(text: string): void {
  const length = text.length;
  multiplyByM(0, length);
  let high = productHigh;
  let low = productLow ^ SEED;
  const blockEnd = length - (length & 7);
  for (let i = 0; i < blockEnd; i += 8) {
    multiplyByM(
      text.charCodeAt(i + 4) |
        (text.charCodeAt(i + 5) << 8) |
        (text.charCodeAt(i + 6) << 16) |
        (text.charCodeAt(i + 7) << 24),
      text.charCodeAt(i) |
        (text.charCodeAt(i + 1) << 8) |
        (text.charCodeAt(i + 2) << 16) |
        (text.charCodeAt(i + 3) << 24),
    );
    multiplyByM(productHigh, productLow ^ (productHigh >>> 15));
    multiplyByM(high ^ productHigh, low ^ productLow);
    high = productHigh;
    low = productLow;
  }
  const rest = length & 7;
  if (rest > 0) {
    if (rest >= 7) high ^= text.charCodeAt(blockEnd + 6) << 16;
    if (rest >= 6) high ^= text.charCodeAt(blockEnd + 5) << 8;
    if (rest >= 5) high ^= text.charCodeAt(blockEnd + 4);
    if (rest >= 4) low ^= text.charCodeAt(blockEnd + 3) << 24;
    if (rest >= 3) low ^= text.charCodeAt(blockEnd + 2) << 16;
    if (rest >= 2) low ^= text.charCodeAt(blockEnd + 1) << 8;
    low ^= text.charCodeAt(blockEnd);
    multiplyByM(high, low);
    high = productHigh;
    low = productLow;
  }
  multiplyByM(high, low ^ (high >>> 15));
  hashHigh = productHigh;
  hashLow = productLow ^ (productHigh >>> 15);
}

/** The 64-bit MurmurHash64A of `text` as a bigint (tests compare it with a reference). */
export function murmurHash64ABigInt(text: string): bigint {
  murmurHash64A(text);
  return (BigInt(hashHigh >>> 0) << 32n) | BigInt(hashLow >>> 0);
}

function trailingZeros(value: number): number {
  return 31 - Math.clz32(value & -value);
}

/**
 * hllPatLen: the register an element falls in (the hash's low 14 bits) and the run it proposes
 * (1 + trailing zeros of the rest, at most 51), packed as `index | count << 14`.
 */
export function elementPattern(element: string): number {
  murmurHash64A(element);
  const index = hashLow & (REGISTER_COUNT - 1);
  const rest = (hashLow >>> INDEX_BITS) | (hashHigh << (32 - INDEX_BITS));
  const count =
    rest !== 0
      ? 1 + trailingZeros(rest)
      : 33 + trailingZeros((hashHigh >>> INDEX_BITS) | (1 << (50 - 32)));
  return index | (count << INDEX_BITS);
}

// --- Validity, cache ---

/** isHLLObjectOrReply's checks: header, magic, a known encoding, the dense length. */
export function isSketch(text: string): boolean {
  if (text.length < HEADER_BYTES || !text.startsWith('HYLL')) return false;
  const encoding = text.charCodeAt(4);
  if (encoding > ENCODING_SPARSE) return false;
  return encoding !== ENCODING_DENSE || text.length === DENSE_BYTES;
}

export function isDense(text: string): boolean {
  return text.charCodeAt(4) === ENCODING_DENSE;
}

export function cacheIsValid(text: string): boolean {
  return (text.charCodeAt(CACHE_FLAG_OFFSET) & CACHE_INVALID) === 0;
}

/** The cached cardinality (bit 63 is clear when valid): a number, or a bigint past 2^53. */
export function cachedCardinality(text: string): number | bigint {
  let low = 0;
  let high = 0;
  for (let i = 3; i >= 0; i--) {
    low = low * 256 + text.charCodeAt(8 + i);
    high = high * 256 + text.charCodeAt(12 + i);
  }
  if (high < 0x200000) return high * 0x100000000 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** The 8 cache bytes for a cardinality (an integer-valued double, at most 2^63). */
export function cardinalityBytes(cardinality: number): string {
  let low = cardinality % 0x100000000;
  let high = Math.floor(cardinality / 0x100000000);
  let out = '';
  for (let i = 0; i < 4; i++, low = Math.floor(low / 256)) out += String.fromCharCode(low % 256);
  for (let i = 0; i < 4; i++, high = Math.floor(high / 256)) out += String.fromCharCode(high % 256);
  return out;
}

/** A cardinality as PFCOUNT replies it: Redis's uint64 read back as a long long. */
export function cardinalityReply(cardinality: number): number | bigint {
  if (cardinality >= 2 ** 63) return -(2n ** 63n);
  return Number.isSafeInteger(cardinality) ? cardinality : BigInt(cardinality);
}

// --- Dense registers ---

/** HLL_DENSE_GET_REGISTER on a sketch held as a string. */
export function denseRegister(text: string, index: number): number {
  const bit = index * 6;
  const offset = HEADER_BYTES + (bit >>> 3);
  const shift = bit & 7;
  let value = text.charCodeAt(offset) >>> shift;
  if (shift > 2) value |= text.charCodeAt(offset + 1) << (8 - shift);
  return value & REGISTER_MAX;
}

/** HLL_DENSE_SET_REGISTER on a sketch's bytes. */
export function setDenseRegister(bytes: Uint8Array, index: number, value: number): void {
  const bit = index * 6;
  const offset = HEADER_BYTES + (bit >>> 3);
  const shift = bit & 7;
  bytes[offset] = ((bytes[offset] as number) & ~(REGISTER_MAX << shift)) | (value << shift);
  if (shift > 2) {
    const next = offset + 1;
    const rest = 8 - shift;
    bytes[next] = ((bytes[next] as number) & ~(REGISTER_MAX >> rest)) | (value >> rest);
  }
}

/** HLL_DENSE_GET_REGISTER on a sketch's bytes. */
export function registerOfBytes(bytes: Uint8Array, index: number): number {
  const bit = index * 6;
  const offset = HEADER_BYTES + (bit >>> 3);
  const shift = bit & 7;
  let value = (bytes[offset] as number) >>> shift;
  if (shift > 2) value |= (bytes[offset + 1] as number) << (8 - shift);
  return value & REGISTER_MAX;
}

/** hllDenseSet: raises a register; 1 if it changed. */
function denseSet(bytes: Uint8Array, index: number, count: number): number {
  if (count <= registerOfBytes(bytes, index)) return 0;
  setDenseRegister(bytes, index, count);
  return 1;
}

/** Calls `visit(index, value)` for every register of a dense sketch, 4 per 3 bytes, in order. */
function forEachDenseRegister(text: string, visit: (index: number, value: number) => void): void {
  const bytes = Buffer.from(text, 'latin1');
  for (let index = 0, offset = HEADER_BYTES; index < REGISTER_COUNT; index += 4, offset += 3) {
    const b0 = bytes[offset] as number;
    const b1 = bytes[offset + 1] as number;
    const b2 = bytes[offset + 2] as number;
    visit(index, b0 & 63);
    visit(index + 1, (b0 >>> 6) | ((b1 & 15) << 2));
    visit(index + 2, (b1 >>> 4) | ((b2 & 3) << 4));
    visit(index + 3, b2 >>> 2);
  }
}

/** Writes every register of a dense sketch's bytes from one register per byte. */
export function packDense(registers: Uint8Array, bytes: Uint8Array): void {
  for (let index = 0, offset = HEADER_BYTES; index < REGISTER_COUNT; index += 4, offset += 3) {
    const r1 = registers[index + 1] as number;
    const r2 = registers[index + 2] as number;
    bytes[offset] = (registers[index] as number) | (r1 << 6);
    bytes[offset + 1] = (r1 >>> 2) | (r2 << 4);
    bytes[offset + 2] = (r2 >>> 4) | ((registers[index + 3] as number) << 2);
  }
}

// --- Sparse opcodes: 00xxxxxx ZERO, 01xxxxxx yyyyyyyy XZERO, 1vvvvvxx VAL ---

/** A byte of a sketch, 0 past its end (Redis reads the sds terminator there). */
function byteOf(text: string, offset: number): number {
  return offset < text.length ? text.charCodeAt(offset) : 0;
}

/**
 * Walks a sparse sketch's opcodes: `run(first register, count, value)` per opcode (value 0
 * for ZERO and XZERO).
 * Returns the number of registers covered; `stopAtOverflow` stops, as hllMerge and
 * hllSparseToDense do, at a VAL run that would go past the last register.
 */
function walkSparse(
  text: string,
  run: (first: number, count: number, value: number) => void,
  stopAtOverflow: boolean,
): number {
  let index = 0;
  const end = text.length;
  for (let p = HEADER_BYTES; p < end;) {
    const opcode = text.charCodeAt(p);
    if ((opcode & 0xc0) === 0) {
      const count = (opcode & 0x3f) + 1;
      run(index, count, 0);
      index += count;
      p++;
    } else if ((opcode & 0xc0) === 0x40) {
      const count = (((opcode & 0x3f) << 8) | byteOf(text, p + 1)) + 1;
      run(index, count, 0);
      index += count;
      p += 2;
    } else {
      const count = (opcode & 3) + 1;
      if (stopAtOverflow && index + count > REGISTER_COUNT) break;
      run(index, count, ((opcode >>> 2) & 0x1f) + 1);
      index += count;
      p++;
    }
  }
  return index;
}

/** PFDEBUG DECODE: the opcodes as "z:len", "Z:len", "v:value,len", space-separated. */
export function describeSparse(text: string): string {
  const words: string[] = [];
  let p = HEADER_BYTES;
  while (p < text.length) {
    const opcode = text.charCodeAt(p);
    if ((opcode & 0xc0) === 0) {
      words.push(`z:${(opcode & 0x3f) + 1}`);
      p++;
    } else if ((opcode & 0xc0) === 0x40) {
      words.push(`Z:${(((opcode & 0x3f) << 8) | byteOf(text, p + 1)) + 1}`);
      p += 2;
    } else {
      words.push(`v:${((opcode >>> 2) & 0x1f) + 1},${(opcode & 3) + 1}`);
      p++;
    }
  }
  return words.join(' ');
}

// --- Histograms and the estimator ---

function addTo(histogram: Int32Array, value: number, count: number): void {
  histogram[value] = (histogram[value] as number) + count;
}

/** hllDenseRegHisto / hllSparseRegHisto; false when a sparse sketch does not cover 16384 registers. */
export function registerHistogram(text: string, histogram: Int32Array): boolean {
  if (isDense(text)) {
    const bytes = Buffer.from(text, 'latin1');
    for (let offset = HEADER_BYTES; offset < DENSE_BYTES; offset += 3) {
      const b0 = bytes[offset] as number;
      const b1 = bytes[offset + 1] as number;
      const b2 = bytes[offset + 2] as number;
      addTo(histogram, b0 & 63, 1);
      addTo(histogram, (b0 >>> 6) | ((b1 & 15) << 2), 1);
      addTo(histogram, (b1 >>> 4) | ((b2 & 3) << 4), 1);
      addTo(histogram, b2 >>> 2, 1);
    }
    return true;
  }
  const covered = walkSparse(text, (_first, count, value) => addTo(histogram, value, count), false);
  return covered === REGISTER_COUNT;
}

function addRegisters(histogram: Int32Array, registers: Uint8Array): void {
  for (let i = 0; i < REGISTER_COUNT; i++) addTo(histogram, registers[i] as number, 1);
}

/** hllRawRegHisto: the histogram of one register per byte (PFCOUNT of several keys). */
export function rawHistogram(registers: Uint8Array): Int32Array {
  const histogram = new Int32Array(64);
  addRegisters(histogram, registers);
  return histogram;
}

/** hllMerge: registers[i] = max(registers[i], sketch's); false for a malformed sparse sketch. */
export function mergeInto(registers: Uint8Array, text: string): boolean {
  if (isDense(text)) {
    forEachDenseRegister(text, (index, value) => {
      if (value > (registers[index] as number)) registers[index] = value;
    });
    return true;
  }
  const covered = walkSparse(
    text,
    (first, count, value) => {
      if (value === 0) return;
      for (let i = first; i < first + count; i++) {
        if (value > (registers[i] as number)) registers[i] = value;
      }
    },
    true,
  );
  return covered === REGISTER_COUNT;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    const gap = 1 - x;
    z -= gap * gap * y; // pow(1 - x, 2), which the compiler turns into this product
  } while (previous !== z);
  return z / 3;
}

const ALPHA_INF = 0.72134752044448170368;

/**
 * hllCount: Otmar Ertl's improved estimator over the register histogram. Returns Redis's
 * uint64 as a double: an integer, or 2^63 where llroundl overflows (an infinite or too large
 * estimate, only for crafted registers).
 */
export function estimate(histogram: Int32Array): number {
  const m = REGISTER_COUNT;
  let z = m * tau((m - (histogram[MAX_COUNT] as number)) / m);
  for (let j = MAX_COUNT - 1; j >= 1; j--) {
    z += histogram[j] as number;
    z *= 0.5;
  }
  z += m * sigma((histogram[0] as number) / m);
  const rounded = Math.round((ALPHA_INF * m * m) / z);
  return rounded < 2 ** 63 ? rounded : 2 ** 63;
}

// --- A sketch being changed: its bytes in a buffer with room to grow ---

/** A writable copy of a sketch (Redis changes the sds in place; we change this, then store it). */
export class SketchBuffer {
  bytes: Buffer;
  length: number;

  constructor(text: string) {
    this.length = text.length;
    this.bytes = Buffer.alloc(text.length + 16);
    this.bytes.write(text, 0, 'latin1');
  }

  get encoding(): number {
    return this.bytes[4] as number;
  }

  text(): string {
    return this.bytes.toString('latin1', 0, this.length);
  }

  invalidateCache(): void {
    this.bytes[CACHE_FLAG_OFFSET] = (this.bytes[CACHE_FLAG_OFFSET] as number) | CACHE_INVALID;
  }

  /** hllAdd: 1 if a register grew, 0 if not, -1 for a malformed sketch. */
  add(element: string, sparseMaxBytes: number): number {
    const pattern = elementPattern(element);
    return this.set(pattern & (REGISTER_COUNT - 1), pattern >>> INDEX_BITS, sparseMaxBytes);
  }

  /** Raises register `index` to `count` in either encoding. */
  set(index: number, count: number, sparseMaxBytes: number): number {
    if (this.encoding === ENCODING_DENSE) return denseSet(this.bytes, index, count);
    if (this.encoding === ENCODING_SPARSE) return sparseSet(this, index, count, sparseMaxBytes);
    return -1;
  }

  /** hllSparseToDense; false (nothing changed) when the sparse opcodes are malformed. */
  toDense(): boolean {
    if (this.encoding === ENCODING_DENSE) return true;
    const dense = Buffer.alloc(DENSE_BYTES + 1);
    this.bytes.copy(dense, 0, 0, HEADER_BYTES);
    dense[4] = ENCODING_DENSE;
    const covered = walkSparse(
      this.text(),
      (first, count, value) => {
        if (value === 0) return;
        for (let i = first; i < first + count; i++) setDenseRegister(dense, i, value);
      },
      true,
    );
    if (covered !== REGISTER_COUNT) return false;
    this.bytes = dense;
    this.length = DENSE_BYTES;
    return true;
  }

  /** Makes room for `extra` more bytes past the length (sdsMakeRoomFor). */
  reserve(extra: number): void {
    if (this.length + extra + 1 <= this.bytes.length) return;
    const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.length + extra + 16));
    this.bytes.copy(grown, 0, 0, this.bytes.length);
    this.bytes = grown;
  }

  /** sdsIncrLen: moves the end, writing the terminator there as sds does. */
  resize(delta: number): void {
    this.length += delta;
    this.bytes[this.length] = 0;
  }
}

const isZero = (opcode: number): boolean => (opcode & 0xc0) === 0;
const isXZero = (opcode: number): boolean => (opcode & 0xc0) === 0x40;
const isVal = (opcode: number): boolean => (opcode & 0x80) !== 0;
const zeroLength = (opcode: number): number => (opcode & 0x3f) + 1;
const valValue = (opcode: number): number => ((opcode >>> 2) & 0x1f) + 1;
const valLength = (opcode: number): number => (opcode & 3) + 1;
const valOpcode = (value: number, length: number): number =>
  (((value - 1) << 2) | (length - 1) | 0x80) & 0xff;

/** The opcode covering a register: its offset, the first register it covers, its span. */
interface SparseLocation {
  offset: number;
  first: number;
  span: number;
  /** The opcode before it, or -1. */
  previous: number;
}

/** Step 1 of hllSparseSet: finds the opcode covering `index`, or undefined (malformed). */
function locate(sketch: SketchBuffer, index: number): SparseLocation | undefined {
  const bytes = sketch.bytes;
  const end = sketch.length;
  let p = HEADER_BYTES;
  let first = 0;
  let span = 0;
  let previous = -1;
  while (p < end) {
    const opcode = bytes[p] as number;
    let opcodeLength = 1;
    if (isZero(opcode)) span = zeroLength(opcode);
    else if (isVal(opcode)) span = valLength(opcode);
    else {
      span = (((opcode & 0x3f) << 8) | (bytes[p + 1] as number)) + 1;
      opcodeLength = 2;
    }
    if (index <= first + span - 1) break;
    previous = p;
    p += opcodeLength;
    first += span;
  }
  if (span === 0 || p >= end) return undefined;
  return { offset: p, first, span, previous };
}

/** Appends a run of zero registers as a ZERO or XZERO opcode. */
function pushZeros(sequence: number[], length: number): void {
  if (length > SPARSE_ZERO_MAX_LEN) {
    const encoded = length - 1;
    sequence.push((encoded >> 8) | 0x40, encoded & 0xff);
  } else {
    sequence.push(length - 1);
  }
}

/** Step 2, case D: the opcodes replacing the one at `at` once register `index` is `count`. */
function splitSequence(opcode: number, at: SparseLocation, index: number, count: number): number[] {
  const sequence: number[] = [];
  const last = at.first + at.span - 1;
  if (!isVal(opcode)) {
    if (index !== at.first) pushZeros(sequence, index - at.first);
    sequence.push(valOpcode(count, 1));
    if (index !== last) pushZeros(sequence, last - index);
  } else {
    const current = valValue(opcode);
    if (index !== at.first) sequence.push(valOpcode(current, index - at.first));
    sequence.push(valOpcode(count, 1));
    if (index !== last) sequence.push(valOpcode(current, last - index));
  }
  return sequence;
}

/**
 * hllSparseSet: raises register `index` to `count` in a sparse sketch, in place as Redis does
 * (the same opcodes, the same merges of equal neighbours), promoting the sketch to dense when the
 * value does not fit a VAL opcode or the sketch would grow past `sparseMaxBytes`.
 */
function sparseSet(
  sketch: SketchBuffer,
  index: number,
  count: number,
  sparseMaxBytes: number,
): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(sketch, index, count);
  sketch.reserve(3);
  const at = locate(sketch, index);
  if (at === undefined) return -1;
  const bytes = sketch.bytes;
  const opcode = bytes[at.offset] as number;
  if (isVal(opcode)) {
    if (valValue(opcode) >= count) return 0; // case A
    if (valLength(opcode) === 1) {
      bytes[at.offset] = valOpcode(count, 1); // case B
      return mergeNeighbours(sketch, at.previous);
    }
  }
  if (isZero(opcode) && zeroLength(opcode) === 1) {
    bytes[at.offset] = valOpcode(count, 1); // case C
    return mergeNeighbours(sketch, at.previous);
  }
  const sequence = splitSequence(opcode, at, index, count);
  const oldLength = isXZero(opcode) ? 2 : 1;
  const delta = sequence.length - oldLength;
  if (delta > 0 && sketch.length + delta > sparseMaxBytes) return promote(sketch, index, count);
  const next = at.offset + oldLength;
  const end = sketch.length;
  if (delta !== 0 && next < end) bytes.copy(bytes, next + delta, next, end);
  sketch.resize(delta);
  for (let i = 0; i < sequence.length; i++) bytes[at.offset + i] = sequence[i] as number;
  return mergeNeighbours(sketch, at.previous);
}

/** Step 4 of hllSparseSet: merges equal adjacent VAL opcodes near the change, then invalidates the cache. */
function mergeNeighbours(sketch: SketchBuffer, previous: number): number {
  const bytes = sketch.bytes;
  let p = previous >= 0 ? previous : HEADER_BYTES;
  let end = sketch.length;
  let scans = 5;
  while (p < end && scans-- > 0) {
    const opcode = bytes[p] as number;
    if (isXZero(opcode)) {
      p += 2;
      continue;
    }
    if (isZero(opcode)) {
      p++;
      continue;
    }
    const following = bytes[p + 1] as number;
    if (p + 1 < end && isVal(following) && valValue(opcode) === valValue(following)) {
      const length = valLength(opcode) + valLength(following);
      if (length <= SPARSE_VAL_MAX_LEN) {
        bytes[p + 1] = valOpcode(valValue(opcode), length);
        bytes.copy(bytes, p, p + 1, end);
        sketch.resize(-1);
        end--;
        continue;
      }
    }
    p++;
  }
  sketch.invalidateCache();
  return 1;
}

function promote(sketch: SketchBuffer, index: number, count: number): number {
  if (!sketch.toDense()) return -1;
  return denseSet(sketch.bytes, index, count);
}
