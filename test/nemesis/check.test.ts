// The nemesis checks must fail the runs they are meant to fail: a lost acknowledged append, an
// element applied twice, an element nobody sent, members that diverge, a stale read, a read of a
// value nobody wrote; and report a search that hits its bound as inconclusive, not as a pass.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { checkRun, withoutUnobservedUnknownWrites, type Lists } from '../../nemesis/check.js';
import { History } from '../../nemesis/history.js';

function appends(acknowledged: string[], unknown: string[] = []): History {
  const history = new History();
  for (const element of [...acknowledged, ...unknown]) history.attempt('l0', element);
  for (const element of acknowledged) history.acknowledge('l0', element);
  return history;
}

const lists = (elements: string[]): Lists => new Map([['l0', elements]]);

test('a clean run passes; unknown appends may be present or not', () => {
  const history = appends(['e0', 'e1'], ['e2', 'e3']);
  const result = checkRun(
    history,
    lists(['e0', 'e2', 'e1']),
    new Map([[1, lists(['e0', 'e2', 'e1'])]]),
    1000,
  );
  assert.deepEqual(result, { violations: 0, lost: 0, inconclusive: 0, details: [] });
});

test('a missing acknowledged append is lost', () => {
  const result = checkRun(appends(['e0', 'e1']), lists(['e1']), new Map(), 1000);
  assert.equal(result.lost, 1);
  assert.match(result.details.join('\n'), /acknowledged e0 is missing/);
});

test('an element twice, an element never sent and a diverging member are violations', () => {
  const history = appends(['e0']);
  assert.equal(checkRun(history, lists(['e0', 'e0']), new Map(), 1000).violations, 1);
  assert.equal(checkRun(history, lists(['e0', 'e9']), new Map(), 1000).violations, 1);
  const diverged = checkRun(history, lists(['e0']), new Map([[2, lists([])]]), 1000);
  assert.equal(diverged.violations, 1);
  assert.match(diverged.details.join('\n'), /node 2/);
});

test('a stale read and a read of a value nobody wrote are violations', () => {
  const history = new History();
  const value = history.freshValue();
  history.record({
    clientId: 1,
    kind: 'put',
    key: 0,
    value,
    expected: 0,
    output: true,
    call: 1,
    ret: 2,
  });
  history.record({
    clientId: 2,
    kind: 'get',
    key: 0,
    value: 0,
    expected: 0,
    output: -1,
    call: 3,
    ret: 4,
  });
  assert.equal(history.readValue(0, 'v77'), undefined);
  const result = checkRun(history, new Map(), new Map(), 1000);
  assert.equal(result.violations, 2);
  assert.match(result.details.join('\n'), /r0: NOT linearizable/);
  assert.match(result.details.join('\n'), /nobody wrote/);
});

test('a search that hits its step bound is inconclusive, not a pass', () => {
  const history = new History();
  for (let i = 0; i < 20; i++) {
    const value = history.freshValue();
    history.record({
      clientId: i,
      kind: 'put',
      key: 0,
      value,
      expected: 0,
      output: undefined,
      call: i,
      ret: Infinity,
    });
  }
  // Every value is read at some point, so no unknown write can be left out of the search.
  for (let i = 0; i < 20; i++)
    history.record({
      clientId: 99,
      kind: 'get',
      key: 0,
      value: 0,
      expected: 0,
      output: i,
      call: 30 + 2 * i,
      ret: 31 + 2 * i,
    });
  const result = checkRun(history, new Map(), new Map(), 3);
  assert.equal(result.inconclusive, 1);
  assert.equal(result.violations, 0);
});

test('unknown writes nobody observed are dropped; observed ones stay in the search', () => {
  const history = new History();
  const seen = history.freshValue();
  const unseen = history.freshValue();
  const put = (value: number, ret: number): void =>
    history.record({
      clientId: value,
      kind: 'put',
      key: 0,
      value,
      expected: 0,
      output: ret === Infinity ? undefined : true,
      call: 1,
      ret,
    });
  put(seen, Infinity);
  put(unseen, Infinity);
  history.record({
    clientId: 9,
    kind: 'get',
    key: 0,
    value: 0,
    expected: 0,
    output: seen,
    call: 5,
    ret: 6,
  });
  const kept = withoutUnobservedUnknownWrites(history.operations);
  assert.deepEqual(
    kept.map((op) => op.value === unseen && op.kind === 'put'),
    [false, false],
  );
  assert.equal(kept.length, 2);
  assert.equal(checkRun(history, new Map(), new Map(), 1000).violations, 0);
  // A read of "absent" after an acknowledged write stays a violation among unknown writes.
  put(history.freshValue(), 10);
  history.record({
    clientId: 9,
    kind: 'get',
    key: 0,
    value: 0,
    expected: 0,
    output: -1,
    call: 20,
    ret: 21,
  });
  assert.equal(checkRun(history, new Map(), new Map(), 1000).violations, 1);
});
