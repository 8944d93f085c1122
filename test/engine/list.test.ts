// The list value against a plain array model over random operation sequences (contents, listpack
// byte accounting, ring-buffer capacity), and the op codes pinned.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StringDeque } from '../../src/engine/types/list-deque.js';
import {
  exceedsListpackLimit,
  fitsHalfListpackLimit,
  listpackEntryBytes,
} from '../../src/engine/types/list-encoding.js';
import { ListOp, ListValue } from '../../src/engine/types/list.js';

type Operation =
  | { kind: 'push'; toLeft: boolean; elements: string[] }
  | { kind: 'pop'; fromLeft: boolean; count: number }
  | { kind: 'set'; index: number; element: string }
  | { kind: 'insert'; index: number; element: string }
  | { kind: 'remove'; count: number; element: string }
  | { kind: 'trim'; left: number; right: number }
  | { kind: 'rotate'; fromLeft: boolean; toLeft: boolean };

/** Few distinct short values (so LREM finds matches), integers, and a few large ones. */
const element = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', '', '0', '17', '-5', '300', '1e3') },
  { weight: 2, arbitrary: fc.string({ maxLength: 70 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((n) => 'x'.repeat(n)) },
);

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('push' as const),
    toLeft: fc.boolean(),
    elements: fc.array(element, { minLength: 1, maxLength: 12 }),
  }),
  fc.record({
    kind: fc.constant('pop' as const),
    fromLeft: fc.boolean(),
    count: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ kind: fc.constant('set' as const), index: fc.nat(40), element }),
  fc.record({ kind: fc.constant('insert' as const), index: fc.nat(40), element }),
  fc.record({
    kind: fc.constant('remove' as const),
    count: fc.integer({ min: -3, max: 3 }),
    element,
  }),
  fc.record({ kind: fc.constant('trim' as const), left: fc.nat(4), right: fc.nat(4) }),
  fc.record({ kind: fc.constant('rotate' as const), fromLeft: fc.boolean(), toLeft: fc.boolean() }),
);

function modelBytes(model: readonly string[]): number {
  return 7 + model.reduce((sum, text) => sum + listpackEntryBytes(text), 0);
}

/** Applies one operation to both; skips what the command layer would never emit. */
/** `fill` is list-max-listpack-size, as the engine passes it from its EncodingLimits. */
function apply(list: ListValue, model: string[], op: Operation, fill: number): void {
  const length = model.length;
  switch (op.kind) {
    case 'push':
      list.pushAll(op.elements, 0, op.toLeft, fill);
      for (const text of op.elements) {
        if (op.toLeft) model.unshift(text);
        else model.push(text);
      }
      return;
    case 'pop': {
      const count = Math.min(op.count, length);
      if (count === 0) return;
      list.popMany(count, op.fromLeft, fill);
      if (op.fromLeft) model.splice(0, count);
      else model.splice(length - count, count);
      return;
    }
    case 'set':
      if (op.index >= length) return;
      list.replaceAt(op.index, op.element, fill);
      model[op.index] = op.element;
      return;
    case 'insert': {
      const index = Math.min(op.index, length);
      list.insertElement(index, op.element, fill);
      model.splice(index, 0, op.element);
      return;
    }
    case 'remove': {
      const removed = list.removeElements(op.count, op.element, fill);
      const limit = Math.abs(op.count);
      let expected = 0;
      const order = [...model.keys()];
      if (op.count < 0) order.reverse();
      const drop = new Set<number>();
      for (const i of order) {
        if (model[i] === op.element && (limit === 0 || expected < limit)) {
          drop.add(i);
          expected++;
        }
      }
      assert.equal(removed, expected, 'LREM count');
      const kept = model.filter((_, i) => !drop.has(i));
      model.splice(0, model.length, ...kept);
      return;
    }
    case 'trim': {
      const left = Math.min(op.left, length);
      const right = Math.min(op.right, length - left);
      list.trimEnds(left, right, fill);
      model.splice(length - right, right);
      model.splice(0, left);
      return;
    }
    case 'rotate': {
      if (length === 0) return;
      list.rotate(op.fromLeft, op.toLeft, fill);
      const moved = (op.fromLeft ? model.shift() : model.pop()) as string;
      if (op.toLeft) model.unshift(moved);
      else model.push(moved);
      return;
    }
  }
}

describe('list value', () => {
  it('matches an array model over random operation sequences', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(-2, -1, 2, 3, 5, 128),
        fc.array(operation, { maxLength: 80 }),
        (fill, operations) => {
          let list = new ListValue();
          const model: string[] = [];
          for (const op of operations) {
            apply(list, model, op, fill);
            if (list.size === 0) list = new ListValue(); // the engine deletes an emptied list
            assert.deepEqual(list.toArray(), model);
            assert.equal(list.size, model.length);
            assert.equal(list.listpackBytes, modelBytes(model), 'listpack bytes accounted');
            for (let i = 0; i < model.length; i++) assert.equal(list.at(i), model[i]);
            // The ring buffer follows the length: full at most, and never more than 3/4 empty.
            assert.ok(list.capacity >= model.length);
            assert.ok(list.capacity === 4 || model.length > list.capacity / 4, 'capacity shrinks');
          }
          const copy = list.clone();
          assert.deepEqual(copy.toArray(), model);
          assert.equal(copy.encoding(), list.encoding());
          copy.pushAll(['extra'], 0, false, fill);
          assert.deepEqual(list.toArray(), model, 'a clone is independent');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports encodings with the same hysteresis as a naive model', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(-2, -1, 0, 1, 2, 4, 7),
        fc.array(operation, { maxLength: 60 }),
        (fill, operations) => {
          let list = new ListValue();
          const model: string[] = [];
          let packed = true;
          for (const op of operations) {
            const before = [...model];
            apply(list, model, op, fill);
            if (list.size === 0) {
              list = new ListValue(); // the engine deletes an emptied list
              packed = true;
              continue;
            }
            // Growing: the limit is checked with the raw lengths of what is added.
            const added = addedElements(op, before);
            if (added !== undefined && packed) {
              const rawBytes = added.reduce((sum, text) => sum + text.length, 0);
              const countAfterAdd = before.length + added.length - (op.kind === 'rotate' ? 1 : 0);
              const bytesBefore =
                op.kind === 'rotate' ? modelBytesWithoutMoved(before, op) : modelBytes(before);
              if (exceedsListpackLimit(bytesBefore + rawBytes, countAfterAdd, fill)) packed = false;
            }
            const removedSome = op.kind !== 'remove' || model.length < before.length;
            if (
              !packed &&
              shrinks(op) &&
              removedSome &&
              fitsHalfListpackLimit(modelBytes(model), model.length, fill)
            ) {
              packed = true;
            }
            assert.equal(list.encoding(), packed ? 'listpack' : 'quicklist', `after ${op.kind}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a long queue at a bounded capacity (push at one end, pop at the other)', () => {
    const deque = new StringDeque();
    for (let i = 0; i < 100; i++) deque.pushRight(String(i));
    for (let i = 100; i < 100_000; i++) {
      deque.pushRight(String(i));
      assert.equal(deque.popLeft(), String(i - 100));
    }
    assert.equal(deque.length, 100);
    assert.equal(deque.capacity, 128);
    while (deque.length > 0) deque.popRight();
    assert.equal(deque.capacity, 4);
  });

  it('pins its op codes (they are on disk and on the wire)', () => {
    assert.deepEqual(ListOp, {
      PushLeft: 20,
      PushRight: 21,
      PopLeft: 22,
      PopRight: 23,
      SetAt: 24,
      InsertAt: 25,
      Remove: 26,
      Trim: 27,
      Rotate: 28,
    });
  });
});

function addedElements(op: Operation, before: readonly string[]): string[] | undefined {
  switch (op.kind) {
    case 'push':
      return op.elements;
    case 'set':
      return op.index < before.length ? [op.element] : undefined;
    case 'insert':
      return [op.element];
    case 'rotate':
      return before.length === 0
        ? undefined
        : [(op.fromLeft ? before[0] : before.at(-1)) as string];
    default:
      return undefined;
  }
}

/** LMOVE onto the same list pops first, then checks the push against what is left. */
function modelBytesWithoutMoved(before: readonly string[], op: Operation & { kind: 'rotate' }) {
  return modelBytes(op.fromLeft ? before.slice(1) : before.slice(0, -1));
}

function shrinks(op: Operation): boolean {
  return (
    op.kind === 'pop' ||
    op.kind === 'set' ||
    op.kind === 'trim' ||
    op.kind === 'rotate' ||
    op.kind === 'remove'
  );
}

describe('listpack sizes', () => {
  // Entry sizes (header + data + back-length) read from redis-server 7.0.15's DEBUG LISTPACK
  // for these values stored in a listpack hash: the same encoder lists use.
  const measured: [string, number][] = [
    ['', 2],
    ['a', 3],
    ['0', 2],
    ['00', 4],
    ['-0', 4],
    ['127', 2],
    ['128', 3],
    ['-1', 3],
    ['4095', 3],
    ['4096', 4],
    ['-4096', 3],
    ['-4097', 4],
    ['32767', 4],
    ['32768', 5],
    ['-32768', 4],
    ['-32769', 5],
    ['8388607', 5],
    ['8388608', 6],
    ['-8388608', 5],
    ['-8388609', 6],
    ['2147483647', 6],
    ['2147483648', 10],
    ['-2147483648', 6],
    ['-2147483649', 10],
    ['9223372036854775807', 10],
    ['9223372036854775808', 21],
    ['-9223372036854775808', 10],
    ['-9223372036854775809', 22],
    ['12345678901234567890', 22],
    [' 1', 4],
    ['+1', 4],
    ['1.0', 5],
    ['x'.repeat(63), 65],
    ['x'.repeat(64), 67],
    ['x'.repeat(124), 127],
    ['x'.repeat(125), 128],
    ['x'.repeat(126), 130],
    ['x'.repeat(4095), 4099],
    ['x'.repeat(4096), 4103],
    ['x'.repeat(16370), 16377],
    ['x'.repeat(16380), 16388],
    ['x'.repeat(20000), 20008],
  ];

  it("match Redis's listpack encoder", () => {
    for (const [text, bytes] of measured) {
      assert.equal(listpackEntryBytes(text), bytes, `${text.slice(0, 24)} (${text.length})`);
    }
  });
});
