// The typed list methods of the embedded API: argument building and reply shapes (strings or
// Buffers, numbers, null), errors as ReplyError.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { open, ReplyError, type Shoal } from '../../src/embedded/index.js';

describe('embedded list methods', () => {
  let db: Shoal;
  before(async () => {
    db = await open();
  });
  after(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.flushall();
  });

  it('push, pop and length', async () => {
    assert.equal(await db.lpush('l', 'b', 'a'), 2);
    assert.equal(await db.rpush('l', 'c', 1, 2n), 5);
    assert.equal(await db.lpushx('missing', 'x'), 0);
    assert.equal(await db.rpushx('missing', 'x'), 0);
    assert.equal(await db.lpushx('l', 'first'), 6);
    assert.equal(await db.rpushx('l', 'last'), 7);
    assert.equal(await db.llen('l'), 7);
    assert.equal(await db.lpop('l'), 'first');
    assert.equal(await db.rpop('l'), 'last');
    assert.deepEqual(await db.lpop('l', 2), ['a', 'b']);
    assert.deepEqual(await db.rpop('l', 5), ['2', '1', 'c']);
    assert.equal(await db.exists('l'), 0);
    assert.equal(await db.lpop('l'), null);
    assert.equal(await db.lpop('l', 3), null);
    assert.equal(await db.llen('l'), 0);
  });

  it('ranges, indexes and in-place changes', async () => {
    await db.rpush('l', 'a', 'b', 'c', 'b');
    assert.deepEqual(await db.lrange('l', 0, -1), ['a', 'b', 'c', 'b']);
    assert.deepEqual(await db.lrange('l', -2, 100), ['c', 'b']);
    assert.equal(await db.lindex('l', -1), 'b');
    assert.equal(await db.lindex('l', 10), null);
    assert.equal(await db.lset('l', 0, 'A'), 'OK');
    assert.equal(await db.linsert('l', 'AFTER', 'c', 'd'), 5);
    assert.equal(await db.linsert('l', 'BEFORE', 'nope', 'x'), -1);
    assert.equal(await db.linsert('missing', 'BEFORE', 'a', 'x'), 0);
    assert.equal(await db.lrem('l', -1, 'b'), 1);
    assert.deepEqual(await db.lrange('l', 0, -1), ['A', 'b', 'c', 'd']);
    assert.equal(await db.ltrim('l', 1, 2), 'OK');
    assert.deepEqual(await db.lrange('l', 0, -1), ['b', 'c']);
    await assert.rejects(db.lset('l', 5, 'x'), new ReplyError('ERR index out of range'));
    await assert.rejects(db.lset('missing', 0, 'x'), new ReplyError('ERR no such key'));
  });

  it('lpos with and without options', async () => {
    await db.rpush('l', 'a', 'b', 'a', 'c', 'a');
    assert.equal(await db.lpos('l', 'a'), 0);
    assert.equal(await db.lpos('l', 'z'), null);
    assert.equal(await db.lpos('l', 'a', { rank: -1 }), 4);
    assert.equal(await db.lpos('l', 'a', { rank: 2 }), 2);
    assert.equal(await db.lpos('l', 'a', { rank: 1, maxlen: 1 }), 0);
    assert.equal(await db.lpos('l', 'c', { maxlen: 2 }), null);
    assert.deepEqual(await db.lpos('l', 'a', { count: 0 }), [0, 2, 4]);
    assert.deepEqual(await db.lpos('l', 'a', { count: 2, rank: -1 }), [4, 2]);
    assert.deepEqual(await db.lpos('missing', 'a', { count: 1 }), []);
    await assert.rejects(db.lpos('l', 'a', { rank: 0 }), /RANK can't be zero/);
  });

  it('moves between lists and pops from the first non-empty one', async () => {
    await db.rpush('src', 'a', 'b', 'c');
    assert.equal(await db.lmove('src', 'dst', 'LEFT', 'RIGHT'), 'a');
    assert.equal(await db.rpoplpush('src', 'dst'), 'c');
    assert.equal(await db.lmove('src', 'src', 'RIGHT', 'LEFT'), 'b');
    assert.equal(await db.lmove('missing', 'dst', 'LEFT', 'LEFT'), null);
    assert.equal(await db.rpoplpush('missing', 'dst'), null);
    assert.deepEqual(await db.lrange('dst', 0, -1), ['c', 'a']);
    assert.deepEqual(await db.lmpop(['none', 'dst', 'src'], 'RIGHT', 5), ['dst', ['a', 'c']]);
    assert.deepEqual(await db.lmpop(['none', 'src'], 'LEFT'), ['src', ['b']]);
    assert.equal(await db.lmpop(['none', 'src'], 'LEFT'), null);
  });

  it('rejects other types with WRONGTYPE and keeps binary elements intact', async () => {
    await db.set('s', 'v');
    await assert.rejects(db.lpush('s', 'x'), /^ReplyError: WRONGTYPE/);
    await assert.rejects(db.lrange('s', 0, -1), /WRONGTYPE/);
    await assert.rejects(db.lmpop(['s'], 'LEFT'), /WRONGTYPE/);
    const raw = db.withBuffers();
    try {
      const bytes = Buffer.from([0, 255, 13, 10, 128]);
      await raw.rpush('bin', bytes, 'é');
      const [first, second] = await raw.lrange('bin', 0, -1);
      assert.deepEqual(first, bytes);
      assert.deepEqual(second, Buffer.from('é'));
      assert.equal(await db.lindex('bin', 1), 'é');
      assert.deepEqual(await raw.lpop('bin', 1), [bytes]);
    } finally {
      await raw.close();
    }
  });

  it('reports listpack and quicklist encodings (Redis 7.2)', async () => {
    await db.rpush('small', 'a');
    assert.equal(await db.objectEncoding('small'), 'listpack');
    await db.rpush('large', 'x'.repeat(10_000));
    assert.equal(await db.objectEncoding('large'), 'quicklist');
    await db.configSet({ 'list-max-listpack-size': 2 });
    try {
      await db.rpush('counted', 'a', 'b');
      assert.equal(await db.objectEncoding('counted'), 'listpack');
      await db.rpush('counted', 'c');
      assert.equal(await db.objectEncoding('counted'), 'quicklist');
      await db.rpop('counted', 2);
      assert.equal(await db.objectEncoding('counted'), 'listpack');
    } finally {
      await db.configSet({ 'list-max-listpack-size': -2 });
    }
  });
});
