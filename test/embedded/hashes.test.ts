// The typed embedded methods for hashes: argument shapes, reply shapes, Buffers, errors, and
// HSCAN as an async iterator that yields every field present throughout the iteration.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open, ReplyError, type Shoal } from '../../src/embedded/index.js';

describe('embedded hash methods', () => {
  let db: Shoal;
  before(async () => {
    db = await open();
  });
  after(async () => {
    await db.close();
  });

  it('sets and reads fields from objects, Maps and pairs', async () => {
    assert.equal(await db.hset('user:1', { name: 'Ada', born: 1815 }), 2);
    assert.equal(
      await db.hset(
        'user:1',
        new Map([
          ['born', '1816'],
          ['lang', 'en'],
        ]),
      ),
      1,
    );
    assert.equal(await db.hset('user:1', [['name', 'Ada L.']]), 0);
    assert.equal(await db.hmset('user:1', { title: 'Countess' }), 'OK');
    assert.deepEqual(await db.hgetall('user:1'), {
      name: 'Ada L.',
      born: '1816',
      lang: 'en',
      title: 'Countess',
    });
    assert.equal(await db.hget('user:1', 'name'), 'Ada L.');
    assert.equal(await db.hget('user:1', 'missing'), null);
    assert.deepEqual(await db.hmget('user:1', 'lang', 'nope'), ['en', null]);
    assert.equal(await db.hlen('user:1'), 4);
    assert.equal(await db.hexists('user:1', 'lang'), true);
    assert.equal(await db.hexists('user:1', 'nope'), false);
    assert.equal(await db.hstrlen('user:1', 'name'), 6);
    assert.deepEqual(await db.hkeys('user:1'), ['name', 'born', 'lang', 'title']);
    assert.deepEqual(await db.hvals('user:1'), ['Ada L.', '1816', 'en', 'Countess']);
    assert.equal(await db.hsetnx('user:1', 'name', 'x'), false);
    assert.equal(await db.hsetnx('user:1', 'nick', 'x'), true);
    assert.equal(await db.hdel('user:1', 'nick', 'title', 'nope'), 2);
    assert.deepEqual(await db.hgetall('absent'), {});
    assert.equal(await db.objectEncoding('user:1'), 'listpack');
  });

  it('keeps UTF-8 text and binary values intact', async () => {
    await db.hset('i18n', { clé: 'été ☀', bin: Buffer.from([0, 255, 13, 10]) });
    assert.equal(await db.hget('i18n', 'clé'), 'été ☀');
    assert.equal(await db.hstrlen('i18n', 'clé'), Buffer.byteLength('été ☀'));
    const buffers = db.withBuffers();
    assert.deepEqual(await buffers.hget('i18n', 'bin'), Buffer.from([0, 255, 13, 10]));
    const all = await buffers.hgetall('i18n');
    assert.deepEqual(all['clé'], Buffer.from('été ☀'));
    await buffers.close();
  });

  it('counts with integers and floats', async () => {
    assert.equal(await db.hincrby('counters', 'n', 5), 5);
    assert.equal(await db.hincrby('counters', 'n', -7), -2);
    assert.equal(await db.hincrby('counters', 'big', 9007199254740993n), 9007199254740993n);
    assert.equal(await db.hincrbyfloat('counters', 'f', 0.1), '0.1');
    assert.equal(await db.hincrbyfloat('counters', 'f', '0.2'), '0.3');
    await assert.rejects(db.hincrby('counters', 'f', 1), /ERR hash value is not an integer/);
    await assert.rejects(
      db.hincrby('counters', 'big', 9223372036854775807n),
      (error: unknown) => error instanceof ReplyError && /overflow/.test(error.message),
    );
    await db.set('text', 'v');
    await assert.rejects(db.hget('text', 'f'), /^ReplyError: WRONGTYPE/);
  });

  it('returns random fields with the count rules of HRANDFIELD', async () => {
    await db.hset('colors', { red: '1', green: '2', blue: '3' });
    const one = await db.hrandfield('colors');
    assert.ok(one !== null && ['red', 'green', 'blue'].includes(one));
    assert.equal(await db.hrandfield('absent'), null);
    assert.deepEqual((await db.hrandfield('colors', 5)).sort(), ['blue', 'green', 'red']);
    assert.equal((await db.hrandfield('colors', -7)).length, 7);
    const pairs = await db.hrandfieldWithValues('colors', 2);
    assert.equal(pairs.length, 2);
    for (const [field, value] of pairs) assert.equal(await db.hget('colors', field), value);
    assert.deepEqual(await db.hrandfield('absent', 3), []);
  });

  it('scans a large hash, yielding every field present throughout despite changes', async () => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) fields[`f${i}`] = String(i);
    await db.hset('large', fields);
    assert.equal(await db.objectEncoding('large'), 'hashtable');
    const seen = new Map<string, string>();
    let step = 0;
    for await (const [field, value] of db.hscan('large', { count: 50 })) {
      seen.set(field, value);
      // Churn while iterating: delete some not-yet-seen fields, add new ones.
      if (++step % 100 === 0) {
        await db.hdel('large', `f${2999 - step / 100}`);
        await db.hset('large', { [`new${step}`]: 'x' });
      }
    }
    for (let i = 0; i < 2960; i++) assert.equal(seen.get(`f${i}`), String(i), `f${i}`);
    const matched: string[] = [];
    for await (const [field] of db.hscan('large', { match: 'f1??', count: 1000 }))
      matched.push(field);
    assert.equal(matched.length, 100);
  });
});
