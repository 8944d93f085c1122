// Work deferred to the end of the event-loop turn (replies): it runs after the turn's other
// callbacks, in the order queued, at once when runTurnEnd is called first, and a task queued while
// the tasks run waits for the next end of a turn.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { atTurnEnd, runTurnEnd } from '../../src/util/turn-end.js';

test('tasks run at the end of the turn, in order, or sooner through runTurnEnd', async () => {
  const ran: string[] = [];
  atTurnEnd(() => ran.push('a'));
  atTurnEnd(() => ran.push('b'));
  ran.push('turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ran, ['turn', 'a', 'b']);

  ran.length = 0;
  atTurnEnd(() => {
    ran.push('c');
    atTurnEnd(() => ran.push('queued while running'));
  });
  runTurnEnd();
  assert.deepEqual(ran, ['c'], 'run at once; the task it queued waits');
  runTurnEnd();
  assert.deepEqual(ran, ['c', 'queued while running']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ran, ['c', 'queued while running'], 'nothing runs twice');
});
