// The HyperLogLog sketch code on its own: MurmurHash64A on 32-bit halves against a BigInt
// reference of Redis's C (random lengths, every tail length), the register and run each element
// proposes, and a sparse sketch agreeing with a dense one fed the same elements.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DENSE_BYTES,
  elementPattern,
  EMPTY_SPARSE,
  estimate,
  murmurHash64ABigInt,
  REGISTER_COUNT,
  registerHistogram,
  SketchBuffer,
} from '../../src/commands/families/hyperloglog-sketch.js';
import { seeded } from '../persist/helpers.js';

const MASK = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

/** MurmurHash64A exactly as hyperloglog.c writes it, in 64-bit BigInt arithmetic. */
function referenceHash(text: string): bigint {
  const length = text.length;
  let h = (0xadc83b19n ^ (BigInt(length) * M)) & MASK;
  const blockEnd = length - (length & 7);
  for (let i = 0; i < blockEnd; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(text.charCodeAt(i + j));
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const rest = length & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(text.charCodeAt(blockEnd + j)) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

function randomText(random: () => number): string {
  const length = Math.floor(random() * 40);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(Math.floor(random() * 256));
  return text;
}

describe('HyperLogLog sketch', () => {
  it('hashes as MurmurHash64A with seed 0xadc83b19', () => {
    const random = seeded(7);
    for (let i = 0; i < 3000; i++) {
      const text = randomText(random);
      assert.equal(murmurHash64ABigInt(text), referenceHash(text), JSON.stringify(text));
    }
  });

  it('takes the register from the low 14 bits and the run from the rest (at most 51)', () => {
    const random = seeded(8);
    for (let i = 0; i < 2000; i++) {
      const text = randomText(random);
      const hash = referenceHash(text);
      let rest = (hash >> 14n) | (1n << 50n);
      let count = 1;
      while ((rest & 1n) === 0n) {
        count++;
        rest >>= 1n;
      }
      const pattern = elementPattern(text);
      assert.equal(pattern & (REGISTER_COUNT - 1), Number(hash & 0x3fffn));
      assert.equal(pattern >>> 14, count);
    }
  });

  it('gives the same registers and estimate in sparse and dense form', () => {
    const dense = new SketchBuffer('HYLL' + '\0'.repeat(DENSE_BYTES - 4));
    const sparse = new SketchBuffer(EMPTY_SPARSE);
    for (let i = 0; i < 1200; i++) {
      const pattern = elementPattern(`element-${i}`);
      const index = pattern & (REGISTER_COUNT - 1);
      assert.equal(dense.set(index, pattern >>> 14, 3000), sparse.set(index, pattern >>> 14, 3000));
    }
    assert.equal(sparse.encoding, 1);
    const counts = [dense, sparse].map((sketch) => {
      const histogram = new Int32Array(64);
      assert.ok(registerHistogram(sketch.text(), histogram));
      return estimate(histogram);
    });
    assert.equal(counts[0], counts[1]);
    assert.ok(Math.abs((counts[0] as number) - 1200) < 60, `estimate ${counts[0]}`);
    assert.equal(
      estimate(new Int32Array(64).fill(0).map((_, i) => (i === 0 ? REGISTER_COUNT : 0))),
      0,
    );
  });
});
