// The linearizability checker must accept linearizable histories and reject the others.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { checkLinearizable, type KvOperation } from '../../src/sim/linearizability.js';

function op(
  kind: KvOperation['kind'],
  call: number,
  ret: number,
  fields: Partial<KvOperation> = {},
): KvOperation {
  return {
    clientId: 1,
    kind,
    key: 0,
    value: 0,
    expected: -1,
    output: undefined,
    call,
    ret,
    ...fields,
  };
}

test('sequential history is linearizable', () => {
  const history = [
    op('put', 1, 2, { value: 5, output: true }),
    op('get', 3, 4, { output: 5 }),
    op('cas', 5, 6, { expected: 5, value: 6, output: true }),
    op('get', 7, 8, { output: 6 }),
  ];
  assert.equal(checkLinearizable(history).ok, true);
});

test('a stale read after a completed write is rejected', () => {
  const history = [op('put', 1, 2, { value: 5, output: true }), op('get', 3, 4, { output: -1 })];
  const result = checkLinearizable(history);
  assert.equal(result.ok, false);
  assert.equal(result.key, 0);
});

test('a read concurrent with a write may see either value, but reads cannot go back', () => {
  const write = op('put', 1, 10, { value: 5, output: true });
  assert.equal(checkLinearizable([write, op('get', 2, 3, { output: -1 })]).ok, true);
  assert.equal(checkLinearizable([write, op('get', 2, 3, { output: 5 })]).ok, true);
  const backwards = [write, op('get', 2, 3, { output: 5 }), op('get', 4, 5, { output: -1 })];
  assert.equal(checkLinearizable(backwards).ok, false);
});

test('compare-and-set outcomes are checked', () => {
  const put = op('put', 1, 2, { value: 5, output: true });
  assert.equal(
    checkLinearizable([put, op('cas', 3, 4, { expected: 5, value: 7, output: false })]).ok,
    false,
  );
  assert.equal(
    checkLinearizable([put, op('cas', 3, 4, { expected: 4, value: 7, output: true })]).ok,
    false,
  );
  // Two successful CAS from the same value cannot both happen.
  const both = [
    put,
    op('cas', 3, 6, { expected: 5, value: 7, output: true, clientId: 2 }),
    op('cas', 4, 5, { expected: 5, value: 8, output: true, clientId: 3 }),
  ];
  assert.equal(checkLinearizable(both).ok, false);
});

test('an operation with an unknown outcome may or may not have happened', () => {
  const unknown = op('put', 1, Infinity, { value: 5, output: undefined });
  assert.equal(checkLinearizable([unknown, op('get', 2, 3, { output: 5 })]).ok, true);
  assert.equal(checkLinearizable([unknown, op('get', 2, 3, { output: -1 })]).ok, true);
  assert.equal(checkLinearizable([unknown, op('get', 2, 3, { output: 9 })]).ok, false);
});

test('keys are checked independently', () => {
  const history = [
    op('put', 1, 2, { key: 1, value: 5, output: true }),
    op('get', 3, 4, { key: 2, output: -1 }),
    op('get', 5, 6, { key: 1, output: 5 }),
  ];
  assert.equal(checkLinearizable(history).ok, true);
});
