// The hash value against a plain JavaScript Map, over random operation sequences: same fields
// and values, same order (insertion order, updates in place, as Redis's listpack keeps it), and
// random fields that exist and are distinct when asked, before and after the random index.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HashEncoding, HashValue } from '../../src/engine/types/hash.js';

type HashOperation =
  | { kind: 'set'; field: string; value: string }
  | { kind: 'delete'; field: string }
  | { kind: 'pick' }
  | { kind: 'sample'; count: number };

const field = fc.integer({ min: 0, max: 120 }).map((n) => `f${n}`);
const operation: fc.Arbitrary<HashOperation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(field, fc.string({ maxLength: 4 }))
      .map(([f, v]) => ({ kind: 'set' as const, field: f, value: v })),
  },
  { weight: 3, arbitrary: field.map((f) => ({ kind: 'delete' as const, field: f })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pick' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 150 })
      .map((count) => ({ kind: 'sample' as const, count })),
  },
);

describe('HashValue', () => {
  it('behaves like a Map and picks only existing fields', () => {
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 400 }),
        fc.infiniteStream(fc.double({ min: 0, max: 0.9999999, noNaN: true })),
        (operations, randoms) => {
          const random = (): number => randoms.next().value as number;
          const hash = new HashValue(HashEncoding.Listpack);
          const model = new Map<string, string>();
          for (const op of operations) {
            if (op.kind === 'set') {
              assert.equal(hash.set(op.field, op.value), !model.has(op.field));
              model.set(op.field, op.value);
            } else if (op.kind === 'delete') {
              assert.equal(hash.delete(op.field), model.delete(op.field));
            } else if (op.kind === 'pick' && model.size > 0) {
              assert.ok(model.has(hash.randomField(random)));
            } else if (op.kind === 'sample' && model.size > 0) {
              const count = Math.min(op.count, model.size);
              const fields = hash.randomFields(count, random);
              assert.equal(new Set(fields).size, count);
              for (const f of fields) assert.ok(model.has(f));
            }
            assert.equal(hash.size, model.size);
          }
          assert.deepEqual([...hash.entries()], [...model]);
          assert.deepEqual([...hash.clone().entries()], [...model]);
          for (const [f, v] of model) assert.equal(hash.get(f), v);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports its encoding by name', () => {
    assert.equal(new HashValue(HashEncoding.Listpack).encoding(), 'listpack');
    assert.equal(new HashValue(HashEncoding.Hashtable).encoding(), 'hashtable');
  });
});
