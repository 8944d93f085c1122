// Embedded transactions, WATCH across handles, and pub/sub as events and async iteration.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { open, ReplyError } from '../../src/embedded/index.js';
import { waitFor } from '../helpers/servers.js';

describe('embedded transactions and pub/sub', () => {
  it('runs MULTI/EXEC as a builder, with runtime errors in place', async () => {
    const db = await open();
    try {
      await db.set('text', 'abc');
      const results = await db.multi().set('a', '1').incr('a').incr('text').get('a').exec();
      assert.equal(results?.length, 4);
      assert.deepEqual(results?.slice(0, 2), ['OK', 2]);
      assert.ok(results?.[2] instanceof ReplyError);
      assert.equal(results?.[3], '2');
    } finally {
      await db.close();
    }
  });

  it('fails EXEC when another handle changed a watched key', async () => {
    const db = await open();
    const other = db.duplicate();
    try {
      await db.set('balance', '10');
      await db.watch('balance');
      await other.set('balance', '20');
      assert.equal(await db.multi().set('balance', '0').exec(), null);
      assert.equal(await db.get('balance'), '20');
      await db.watch('balance');
      assert.deepEqual(await db.multi().set('balance', '0').exec(), ['OK']);
    } finally {
      await other.close();
      await db.close();
    }
  });

  it('delivers messages to subscriptions as events and by iteration', async () => {
    const db = await open();
    try {
      const subscription = db.subscribe('news');
      const patterns = db.psubscribe('n*');
      const events: string[] = [];
      subscription.on('message', (message) => events.push(message.message));
      assert.equal(await db.publish('news', 'first'), 2);
      assert.equal(await db.publish('news', 'second'), 2);
      await waitFor(() => events.length === 2, 'two message events');
      const iterated: string[] = [];
      for await (const message of patterns) {
        assert.equal(message.pattern, 'n*');
        iterated.push(message.message);
        if (iterated.length === 2) break;
      }
      assert.deepEqual(iterated, ['first', 'second']);
      subscription.close();
      patterns.close();
      assert.equal(await db.publish('news', 'third'), 0);
    } finally {
      await db.close();
    }
  });
});
