// PublishDelivery: a leader's own messages wait for their entry's commit; applied entries deliver
// once; entries committed before the process started deliver nothing; a rebuild drops the
// speculative ones (they come back through applied() if they commit after all).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Op, type LogEntry } from '../../src/engine/effects.js';
import { PublishDelivery } from '../../src/replica/publishes.js';

function entry(...messages: string[]): LogEntry {
  return {
    timeMs: 0,
    effects: [[Op.Set, 0, 'k', 'v', -1], ...messages.map((m) => [Op.Publish, 0, 'ch', m] as const)],
  } as LogEntry;
}

test('messages reach subscribers at commit, once, in log order', () => {
  const got: string[] = [];
  const delivery = new PublishDelivery((channel, message, shard) => {
    got.push(`${shard ? 's' : ''}${channel}:${message}`);
  }, 5);
  // Replayed at start (committed before): nothing.
  delivery.applied(5, entry('old'));
  // Applied as a follower: delivered.
  delivery.applied(6, entry('a', 'b'));
  assert.deepEqual(got, ['ch:a', 'ch:b']);
  // Proposed as leader: held until committed.
  delivery.proposed(7, entry('c'));
  delivery.proposed(8, entry());
  delivery.proposed(9, entry('d'));
  assert.deepEqual(got, ['ch:a', 'ch:b']);
  delivery.committedOwn(7);
  delivery.committedOwn(8);
  assert.deepEqual(got, ['ch:a', 'ch:b', 'ch:c']);
  // Leadership lost before 9 committed: dropped; a later commit of it arrives as applied().
  delivery.dropSpeculative();
  delivery.committedOwn(9);
  assert.deepEqual(got, ['ch:a', 'ch:b', 'ch:c']);
  delivery.applied(9, { timeMs: 0, effects: [[Op.Publish, 1, 'sh', 'd']] });
  assert.deepEqual(got, ['ch:a', 'ch:b', 'ch:c', 'ssh:d']);
  // Commands of one batch entry share its index: delivered together, in order.
  delivery.proposed(10, entry('e'));
  delivery.proposed(10, entry('f'));
  assert.throws(() => delivery.proposed(9, entry('x')), /after/, 'proposals go up');
  delivery.committedOwn(10);
  assert.deepEqual(got.slice(4), ['ch:e', 'ch:f']);
});
