// Property tests of the bitmap commands. BITCOUNT and BITPOS, which work byte by byte with masks
// at the edges, against a bit-by-bit reference on random strings and ranges (embedded API); and
// random command sequences (SETBIT, BITFIELD, BITOP and the reads) run on redis-server and on
// Shoal, whose replies and final values must be the same. fast-check prints the seed of a failure.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { open } from '../../src/embedded/index.js';
import { typed, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';

/** Bytes that favour all-zero and all-one bytes, where the byte-skipping loops take shortcuts. */
const byteArb = fc.oneof(
  fc.constant(0x00),
  fc.constant(0xff),
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(0x01, 0x80, 0x7f, 0xfe),
);
const bytesArb = fc.array(byteArb, { maxLength: 24 });
const indexArb = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.integer({ min: -250, max: 250 }),
  fc.constantFrom(-9223372036854775808n, 9223372036854775807n),
);

type Unit = 'BYTE' | 'BIT' | undefined;
const unitArb = fc.constantFrom<Unit>('BYTE', 'BIT', undefined);

function bitsOf(bytes: number[]): number[] {
  return bytes.flatMap((byte) => Array.from({ length: 8 }, (_, i) => (byte >> (7 - i)) & 1));
}

/** Redis's range resolution, in the unit's own indexes: [start, end], or undefined if empty. */
function resolveRange(
  start: number | bigint,
  end: number | bigint,
  total: number,
): [number, number] | undefined {
  const resolve = (index: number | bigint): number => {
    const value = Number(index) < 0 ? total + Number(index) : Number(index);
    return Math.max(0, value);
  };
  const from = resolve(start);
  const to = Math.min(resolve(end), total - 1);
  return from > to ? undefined : [from, to];
}

/** The bit indexes a range covers, in bits. */
function bitRange(range: [number, number], unit: Unit): [number, number] {
  return unit === 'BIT' ? range : [range[0] * 8, range[1] * 8 + 7];
}

function referenceBitcount(
  bytes: number[],
  start: number | bigint,
  end: number | bigint,
  unit: Unit,
) {
  if (start < 0 && end < 0 && start > end) return 0;
  const bits = bitsOf(bytes);
  const range = resolveRange(start, end, unit === 'BIT' ? bits.length : bytes.length);
  if (range === undefined) return 0;
  const [from, to] = bitRange(range, unit);
  return bits.slice(from, to + 1).filter((bit) => bit === 1).length;
}

function referenceBitpos(
  bytes: number[],
  bit: 0 | 1,
  start: number | bigint | undefined,
  end: number | bigint | undefined,
  unit: Unit,
): number {
  const bits = bitsOf(bytes);
  let from = 0;
  let to = bits.length - 1;
  if (start !== undefined) {
    const total = unit === 'BIT' ? bits.length : bytes.length;
    const range = resolveRange(start, end ?? total - 1, total);
    if (range === undefined) return -1;
    [from, to] = bitRange(range, unit);
  }
  if (from > to) return -1;
  for (let i = from; i <= to; i++) if (bits[i] === bit) return i;
  // A 0 searched without an end finds the zero padding just past the string.
  return bit === 0 && end === undefined ? to + 1 : -1;
}

describe('BITCOUNT and BITPOS against a bit-by-bit reference', () => {
  it('agree on random strings, ranges and units', async () => {
    const store = await open();
    try {
      await fc.assert(
        fc.asyncProperty(
          bytesArb,
          indexArb,
          indexArb,
          unitArb,
          fc.constantFrom<0 | 1>(0, 1),
          fc.constantFrom(2, 3, 4),
          async (bytes, start, end, unit, bit, bitposArgs) => {
            await store.command('SET', 'k', Buffer.from(bytes));
            const range = unit === undefined ? [start, end] : [start, end, unit];
            assert.equal(
              await store.command('BITCOUNT', 'k', ...range),
              referenceBitcount(bytes, start, end, unit),
              'BITCOUNT',
            );
            assert.equal(
              await store.command('BITCOUNT', 'k'),
              bitsOf(bytes).filter(Boolean).length,
            );
            // BITPOS k bit [start [end [unit]]]: 2 = start only, 3 = start and end, 4 = with unit.
            const args =
              bitposArgs === 2
                ? [start]
                : bitposArgs === 3
                  ? [start, end]
                  : [start, end, unit ?? 'BYTE'];
            const expected = referenceBitpos(
              bytes,
              bit,
              start,
              bitposArgs === 2 ? undefined : end,
              bitposArgs === 4 ? (unit ?? 'BYTE') : 'BYTE',
            );
            assert.equal(await store.command('BITPOS', 'k', bit, ...args), expected, 'BITPOS');
            assert.equal(
              await store.command('BITPOS', 'k', bit),
              referenceBitpos(bytes, bit, undefined, undefined, undefined),
              'BITPOS whole',
            );
          },
        ),
        { numRuns: 1500 },
      );
    } finally {
      await store.close();
    }
  });
});

const KEYS = ['a', 'b', 'c'];
const keyArb = fc.constantFrom(...KEYS);
const offsetArb = fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 400 }));
const signedValueArb = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(-9223372036854775808n, 9223372036854775807n, 0n, 1n, -1n),
);
const fieldTypeArb = fc.oneof(
  fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 16 })),
  fc.tuple(fc.constant('i'), fc.integer({ min: 1, max: 64 })),
  fc.tuple(fc.constant('u'), fc.integer({ min: 1, max: 63 })),
);
const fieldArb = fc
  .tuple(fieldTypeArb, offsetArb, fc.boolean())
  .map(([[sign, bits], offset, hash]) => [
    `${sign}${bits}`,
    hash ? `#${Math.floor(offset / 8)}` : String(offset),
  ]);
const fieldOpArb = fc.oneof(
  fieldArb.map((field) => ['GET', ...field]),
  fc.tuple(fieldArb, signedValueArb).map(([field, value]) => ['SET', ...field, String(value)]),
  fc.tuple(fieldArb, signedValueArb).map(([field, value]) => ['INCRBY', ...field, String(value)]),
  fc.constantFrom('WRAP', 'SAT', 'FAIL').map((mode) => ['OVERFLOW', mode]),
);
const smallIndexArb = fc.integer({ min: -20, max: 20 });

const commandArb: fc.Arbitrary<string[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(keyArb, offsetArb, fc.constantFrom('0', '1'))
      .map(([key, offset, bit]) => ['SETBIT', key, String(offset), bit]),
  },
  fc.tuple(keyArb, offsetArb).map(([key, offset]) => ['GETBIT', key, String(offset)]),
  {
    weight: 3,
    arbitrary: fc
      .tuple(keyArb, fc.array(fieldOpArb, { minLength: 1, maxLength: 5 }))
      .map(([key, ops]) => ['BITFIELD', key, ...ops.flat()]),
  },
  fc
    .tuple(keyArb, fc.array(fieldArb, { maxLength: 3 }))
    .map(([key, fields]) => ['BITFIELD_RO', key, ...fields.flatMap((field) => ['GET', ...field])]),
  fc
    .tuple(keyArb, smallIndexArb, smallIndexArb, fc.constantFrom([], ['BIT'], ['BYTE']))
    .map(([key, start, end, unit]) => ['BITCOUNT', key, String(start), String(end), ...unit]),
  fc
    .tuple(
      keyArb,
      fc.constantFrom('0', '1'),
      smallIndexArb,
      smallIndexArb,
      fc.integer({ min: 0, max: 3 }),
    )
    .map(
      ([key, bit, start, end, form]) =>
        [
          ['BITPOS', key, bit],
          ['BITPOS', key, bit, String(start)],
          ['BITPOS', key, bit, String(start), String(end)],
          ['BITPOS', key, bit, String(start), String(end), 'BIT'],
        ][form] as string[],
    ),
  fc
    .tuple(
      fc.constantFrom('AND', 'OR', 'XOR'),
      keyArb,
      fc.array(keyArb, { minLength: 1, maxLength: 3 }),
    )
    .map(([op, destination, sources]) => ['BITOP', op, destination, ...sources]),
  fc.tuple(keyArb, keyArb).map(([destination, source]) => ['BITOP', 'NOT', destination, source]),
  fc
    .tuple(keyArb, fc.constantFrom('0', '7', '12345', '-99', 'foobar', '', '\u00ff\u0000\u00f0'))
    .map(([key, value]) => ['SET', key, value]),
  fc
    .tuple(keyArb, fc.integer({ min: 0, max: 10 }), fc.constantFrom('x', '\u00ff'))
    .map(([key, offset, value]) => ['SETRANGE', key, String(offset), value]),
  keyArb.map((key) => ['INCR', key]),
  keyArb.map((key) => ['DEL', key]),
);

describe('random bitmap command sequences match redis-server', { timeout: 120_000 }, () => {
  const pair = withRedisAndShoal();

  it('replies and final values are the same', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const redis = await RawClient.connect(pair.redis.port);
    const shoal = await RawClient.connect(pair.shoal.port);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(commandArb, { minLength: 1, maxLength: 40 }),
          async (commands) => {
            await redis.call('FLUSHALL');
            await shoal.call('FLUSHALL');
            for (const argv of [...commands, ...KEYS.map((key) => ['GET', key])]) {
              const expected = JSON.stringify(typed(await redis.call(...argv)));
              const actual = JSON.stringify(typed(await shoal.call(...argv)));
              assert.equal(actual, expected, argv.join(' '));
            }
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      redis.close();
      shoal.close();
    }
  });
});
