// HyperLogLog commands (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. A
// HyperLogLog is a string value holding Redis's exact bytes (hyperloglog-sketch.ts owns the
// format), so GET, a copy made with SET, and a log replay see what Redis would store. Every
// change is an effect: SetRange of the bytes a dense register update touches (and of the header
// byte that marks the cached cardinality stale, or of the cache PFCOUNT stores), Set of the
// whole string when it is created, rewritten sparse, promoted to dense, or merged into.

import { type Effect, ExpireKeep, ExpireNone, Op } from '../../engine/effects.js';
import { stringText } from '../../engine/values.js';
import type { CommandContext } from '../context.js';
import { fail } from '../errors.js';
import { EventClass } from '../notify.js';
import { allKeys, command, type CommandDefinition, oneKey } from '../spec.js';
import {
  CACHE_FLAG_OFFSET,
  cachedCardinality,
  cacheIsValid,
  cardinalityBytes,
  cardinalityReply,
  DENSE_BYTES,
  denseRegister,
  describeSparse,
  elementPattern,
  EMPTY_SPARSE,
  ENCODING_DENSE,
  ENCODING_SPARSE,
  estimate,
  HEADER_BYTES,
  isDense,
  isSketch,
  mergeInto,
  packDense,
  rawHistogram,
  REGISTER_COUNT,
  registerHistogram,
  registerOfBytes,
  setDenseRegister,
  SketchBuffer,
} from './hyperloglog-sketch.js';

const NOT_A_SKETCH = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const CORRUPTED = 'INVALIDOBJ Corrupted HLL object detected';

/** A key's sketch text: undefined when absent; WRONGTYPE for another type or a plain string. */
function lookupSketch(ctx: CommandContext, key: string): string | undefined {
  const value = ctx.lookupString(key);
  if (value === undefined) return undefined;
  const text = stringText(value);
  if (!isSketch(text)) fail(NOT_A_SKETCH);
  return text;
}

function sparseMaxBytes(ctx: CommandContext): number {
  return ctx.config.getNumber('hll-sparse-max-bytes');
}

// --- Effects: the changed bytes as SetRange runs, or the whole string ---

/** Unchanged bytes up to this long are carried inside one SetRange rather than splitting it. */
const RUN_GAP_BYTES = 8;
/** More runs than this and the whole string is one Set (each SetRange rebuilds the string). */
const MAX_RUNS = 16;

/**
 * Emits a change that keeps the string's length: the changed bytes are at `offsets` (ascending)
 * with values `byteAt(offset)`; a SetRange per run of them, or one Set of `after()`.
 */
function emitChangedBytes(
  ctx: CommandContext,
  key: string,
  offsets: readonly number[],
  byteAt: (offset: number) => number,
  after: () => string,
): void {
  const db = ctx.client.db;
  const runs: Effect[] = [];
  let i = 0;
  while (i < offsets.length && runs.length <= MAX_RUNS) {
    const start = offsets[i] as number;
    let end = start;
    while (i + 1 < offsets.length && (offsets[i + 1] as number) - end <= RUN_GAP_BYTES) {
      end = offsets[++i] as number;
    }
    i++;
    let bytes = '';
    for (let offset = start; offset <= end; offset++) {
      bytes += String.fromCharCode(byteAt(offset));
    }
    runs.push([Op.SetRange, db, key, start, bytes]);
  }
  if (runs.length > MAX_RUNS) {
    ctx.emit([Op.Set, db, key, after(), ExpireKeep]);
    return;
  }
  for (const run of runs) ctx.emit(run);
}

/** PFADD's hot path: register updates of a dense sketch, kept as changed bytes over its string. */
class DenseChanges {
  private readonly changed = new Map<number, number>();

  constructor(private readonly text: string) {}

  byteAt(offset: number): number {
    return this.changed.get(offset) ?? this.text.charCodeAt(offset);
  }

  /** hllDenseSet: raises register `index` to `count`; true if it grew. */
  raise(index: number, count: number): boolean {
    const bit = index * 6;
    const offset = HEADER_BYTES + (bit >>> 3);
    const shift = bit & 7;
    const first = this.byteAt(offset);
    const second = shift > 2 ? this.byteAt(offset + 1) : 0;
    const current = ((first >>> shift) | (second << (8 - shift))) & 63;
    if (count <= current) return false;
    this.changed.set(offset, ((first & ~(63 << shift)) | (count << shift)) & 0xff);
    if (shift > 2) {
      const rest = 8 - shift;
      this.changed.set(offset + 1, (second & ~(63 >> rest)) | (count >> rest));
    }
    return true;
  }

  invalidateCache(): void {
    if (cacheIsValid(this.text)) {
      this.changed.set(CACHE_FLAG_OFFSET, this.text.charCodeAt(CACHE_FLAG_OFFSET) | 0x80);
    }
  }

  emit(ctx: CommandContext, key: string): void {
    const offsets = [...this.changed.keys()].sort((a, b) => a - b);
    emitChangedBytes(
      ctx,
      key,
      offsets,
      (offset) => this.byteAt(offset),
      () => {
        const bytes = Buffer.from(this.text, 'latin1');
        for (const [offset, value] of this.changed) bytes[offset] = value;
        return bytes.toString('latin1');
      },
    );
  }
}

// --- PFADD ---

function pfadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const text = lookupSketch(ctx, key);
  if (text !== undefined && isDense(text)) return denseAdd(ctx, key, text, argv);
  const sketch = new SketchBuffer(text ?? EMPTY_SPARSE);
  // Creating the key counts as an update, even with no element (PFADD key).
  let updated = text === undefined ? 1 : 0;
  const maxBytes = sparseMaxBytes(ctx);
  for (let i = 2; i < argv.length; i++) {
    const result = sketch.add(argv[i] as string, maxBytes);
    if (result === 1) updated++;
    else if (result === -1) {
      // Redis changed the string in place up to the malformed part, and keeps it so.
      const partial = sketch.text();
      if (text !== undefined && partial !== text)
        ctx.emit([Op.Set, ctx.client.db, key, partial, ExpireKeep]);
      fail(CORRUPTED);
    }
  }
  if (updated > 0) {
    sketch.invalidateCache();
    const expiry = text === undefined ? ExpireNone : ExpireKeep;
    ctx.emit([Op.Set, ctx.client.db, key, sketch.text(), expiry]);
    ctx.notify(EventClass.string, 'pfadd', key);
  }
  ctx.reply.int(updated > 0 ? 1 : 0);
}

function denseAdd(ctx: CommandContext, key: string, text: string, argv: string[]): void {
  const changes = new DenseChanges(text);
  let updated = false;
  for (let i = 2; i < argv.length; i++) {
    const pattern = elementPattern(argv[i] as string);
    if (changes.raise(pattern & (REGISTER_COUNT - 1), pattern >>> 14)) updated = true;
  }
  if (updated) {
    changes.invalidateCache();
    changes.emit(ctx, key);
    ctx.notify(EventClass.string, 'pfadd', key);
  }
  ctx.reply.int(updated ? 1 : 0);
}

// --- PFCOUNT ---

function pfcount(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2) return countUnion(ctx, argv);
  const key = argv[1] as string;
  const text = lookupSketch(ctx, key);
  if (text === undefined) return ctx.reply.int(0);
  if (cacheIsValid(text)) return ctx.reply.int(cachedCardinality(text));
  const histogram = new Int32Array(64);
  if (!registerHistogram(text, histogram)) fail(CORRUPTED);
  const cardinality = estimate(histogram);
  // The cache is part of the value: Redis writes and propagates it. A replica group follower
  // answering a local read (READONLY) leaves that to the leader, as it does expiry.
  if (ctx.decidesChanges) {
    ctx.emit([Op.SetRange, ctx.client.db, key, 8, cardinalityBytes(cardinality)]);
  }
  ctx.reply.int(cardinalityReply(cardinality));
}

/** The registers of the union of the sketches at `keys` (absent keys are empty). */
function unionRegisters(
  ctx: CommandContext,
  keys: readonly string[],
): {
  registers: Uint8Array;
  anyDense: boolean;
} {
  const registers = new Uint8Array(REGISTER_COUNT);
  let anyDense = false;
  for (const key of keys) {
    const text = lookupSketch(ctx, key);
    if (text === undefined) continue;
    if (isDense(text)) anyDense = true;
    if (!mergeInto(registers, text)) fail(CORRUPTED);
  }
  return { registers, anyDense };
}

/** PFCOUNT of several keys: the cardinality of their union, nothing cached. */
function countUnion(ctx: CommandContext, argv: string[]): void {
  const { registers } = unionRegisters(ctx, argv.slice(1));
  ctx.reply.int(cardinalityReply(estimate(rawHistogram(registers))));
}

// --- PFMERGE ---

function pfmerge(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const { registers, anyDense } = unionRegisters(ctx, argv.slice(1));
  const text = lookupSketch(ctx, key);
  const sketch = new SketchBuffer(text ?? EMPTY_SPARSE);
  // One dense input makes the destination dense at once, as Redis does.
  if (anyDense && !sketch.toDense()) fail(CORRUPTED);
  if (sketch.encoding === ENCODING_SPARSE) {
    const maxBytes = sparseMaxBytes(ctx);
    for (let index = 0; index < REGISTER_COUNT; index++) {
      const value = registers[index] as number;
      // Register by register, as Redis does: the opcodes (and any promotion) are its own.
      if (value !== 0) sketch.set(index, value, maxBytes);
    }
  }
  // Dense (from the start or promoted on the way): the union covers the destination, so every
  // register ends at its maximum.
  if (sketch.encoding === ENCODING_DENSE) packDense(registers, sketch.bytes);
  sketch.invalidateCache();
  emitRewrite(ctx, key, text, sketch);
  // Redis sends "pfadd" for PFMERGE too.
  ctx.notify(EventClass.string, 'pfadd', key);
  ctx.reply.ok();
}

/** A sketch rewritten whole: its changed bytes when it was and stays dense, else a Set. */
function emitRewrite(
  ctx: CommandContext,
  key: string,
  before: string | undefined,
  sketch: SketchBuffer,
): void {
  const db = ctx.client.db;
  if (before === undefined) return ctx.emit([Op.Set, db, key, sketch.text(), ExpireNone]);
  if (!isDense(before) || sketch.length !== DENSE_BYTES) {
    return ctx.emit([Op.Set, db, key, sketch.text(), ExpireKeep]);
  }
  const bytes = sketch.bytes;
  const old = Buffer.from(before, 'latin1');
  const offsets: number[] = [];
  for (let offset = 0; offset < DENSE_BYTES; offset++) {
    if (bytes[offset] !== old[offset]) offsets.push(offset);
  }
  // Nothing changed (the cache was already invalid): Redis still counts it as a write.
  if (offsets.length === 0) offsets.push(CACHE_FLAG_OFFSET);
  emitChangedBytes(
    ctx,
    key,
    offsets,
    (offset) => bytes[offset] as number,
    () => sketch.text(),
  );
}

// --- PFDEBUG ---

function pfdebug(ctx: CommandContext, argv: string[]): void {
  const subcommand = argv[1] as string;
  const key = argv[2] as string;
  const text = lookupSketch(ctx, key);
  if (text === undefined) fail('ERR The specified key does not exist');
  switch (subcommand.toLowerCase()) {
    case 'getreg': {
      const dense = toDense(ctx, key, text);
      ctx.reply.array(REGISTER_COUNT);
      for (let index = 0; index < REGISTER_COUNT; index++) {
        ctx.reply.int(denseRegister(dense, index));
      }
      return;
    }
    case 'decode':
      if (isDense(text)) fail('ERR HLL encoding is not sparse');
      return ctx.reply.bulk(describeSparse(text));
    case 'encoding':
      return ctx.reply.simple(isDense(text) ? 'dense' : 'sparse');
    case 'todense':
      if (isDense(text)) return ctx.reply.int(0);
      toDense(ctx, key, text);
      return ctx.reply.int(1);
    default:
      fail(`ERR Unknown PFDEBUG subcommand '${subcommand}'`);
  }
}

/** A sketch made dense (stored so when it was sparse: Redis propagates the conversion). */
function toDense(ctx: CommandContext, key: string, text: string): string {
  if (isDense(text)) return text;
  const sketch = new SketchBuffer(text);
  if (!sketch.toDense()) fail(CORRUPTED);
  const dense = sketch.text();
  ctx.emit([Op.Set, ctx.client.db, key, dense, ExpireKeep]);
  return dense;
}

// --- PFSELFTEST ---

/** HLL_TEST_CYCLES: rounds of random register values in the first test. */
const REGISTER_TEST_CYCLES = 1000;
const SELF_TEST_ELEMENTS = 10_000_000;

/**
 * pfselftestCommand's two tests, run on this implementation: registers written and read back
 * (each value kept, neighbours untouched), then ten million distinct elements added to a dense
 * and a sparse sketch, which must agree and stay within six standard errors at 1, 10, 100 …
 */
function pfselftest(ctx: CommandContext): void {
  const failure = registerTest(ctx) ?? approximationTest(ctx);
  if (failure !== undefined) fail(`ERR TESTFAILED ${failure}`);
  ctx.reply.ok();
}

function random31(ctx: CommandContext): number {
  return Math.floor(ctx.random() * 0x80000000);
}

function registerTest(ctx: CommandContext): string | undefined {
  const bytes = Buffer.alloc(DENSE_BYTES + 1);
  const expected = new Uint8Array(REGISTER_COUNT);
  for (let cycle = 0; cycle < REGISTER_TEST_CYCLES; cycle++) {
    for (let i = 0; i < REGISTER_COUNT; i++) {
      const value = random31(ctx) & 63;
      expected[i] = value;
      setDenseRegister(bytes, i, value);
    }
    for (let i = 0; i < REGISTER_COUNT; i++) {
      const value = registerOfBytes(bytes, i);
      if (value !== expected[i]) {
        return `Register ${i} should be ${expected[i]} but is ${value}`;
      }
    }
  }
  return undefined;
}

function approximationTest(ctx: CommandContext): string | undefined {
  const dense = new SketchBuffer('HYLL' + '\0'.repeat(DENSE_BYTES - 4));
  const sparse = new SketchBuffer(EMPTY_SPARSE);
  const maxBytes = sparseMaxBytes(ctx);
  const relativeError = 1.04 / Math.sqrt(REGISTER_COUNT);
  const seedLow = random31(ctx);
  const seedHigh = random31(ctx);
  const high = String.fromCharCode(
    seedHigh & 0xff,
    (seedHigh >>> 8) & 0xff,
    (seedHigh >>> 16) & 0xff,
    seedHigh >>> 24,
  );
  let checkpoint = 1;
  for (let j = 1; j <= SELF_TEST_ELEMENTS; j++) {
    const low = (j ^ seedLow) >>> 0;
    const element =
      String.fromCharCode(low & 0xff, (low >>> 8) & 0xff, (low >>> 16) & 0xff, low >>> 24) + high;
    const pattern = elementPattern(element);
    const index = pattern & (REGISTER_COUNT - 1);
    dense.set(index, pattern >>> 14, maxBytes);
    sparse.set(index, pattern >>> 14, maxBytes);
    if (j !== checkpoint) continue;
    if (j < Math.floor(maxBytes / 2) && sparse.encoding !== ENCODING_SPARSE) {
      return 'sparse encoding not used';
    }
    const denseCount = countOf(dense.text());
    if (denseCount !== countOf(sparse.text())) return 'dense/sparse disagree';
    const maxError = j === 10 ? 1 : Math.ceil(relativeError * 6 * checkpoint);
    const absoluteError = Math.abs(checkpoint - denseCount);
    if (absoluteError > maxError) {
      return `Too big error. card:${checkpoint} abserr:${absoluteError}`;
    }
    checkpoint *= 10;
  }
  return undefined;
}

function countOf(text: string): number {
  const histogram = new Int32Array(64);
  registerHistogram(text, histogram);
  return estimate(histogram);
}

export const hyperLogLogCommands: CommandDefinition[] = [
  command('pfadd', -2, 'hyperloglog', 'Adds elements to a HyperLogLog key.', pfadd, {
    flags: ['write', 'denyoom', 'fast'],
    keys: oneKey,
    since: '2.8.9',
  }),
  command(
    'pfcount',
    -2,
    'hyperloglog',
    'Returns the approximated cardinality of the set(s).',
    pfcount,
    {
      // Read-only, but it may store the cardinality it computed (hence may_replicate).
      flags: ['readonly', 'may_replicate'],
      keys: allKeys,
      since: '2.8.9',
    },
  ),
  command('pfmerge', -2, 'hyperloglog', 'Merges HyperLogLogs into one.', pfmerge, {
    flags: ['write', 'denyoom'],
    keys: allKeys,
    since: '2.8.9',
  }),
  command(
    'pfdebug',
    3,
    'hyperloglog',
    'Internal commands for debugging HyperLogLog values.',
    pfdebug,
    {
      flags: ['write', 'denyoom', 'admin'],
      keys: [2, 2, 1],
      since: '2.8.9',
    },
  ),
  command(
    'pfselftest',
    1,
    'hyperloglog',
    'An internal command for testing HyperLogLog values.',
    pfselftest,
    {
      flags: ['admin'],
      since: '2.8.9',
    },
  ),
];
