// The typed embedded methods for sets: reply shapes, the algebra, random members, SSCAN as an
// async iterator, and OBJECT ENCODING following Redis 7.2 (intset, listpack, hashtable).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open, type Shoal } from '../../src/embedded/index.js';

describe('embedded set methods', () => {
  let db: Shoal;
  before(async () => {
    db = await open();
  });
  after(async () => {
    await db.close();
  });

  it('adds, removes and tests members', async () => {
    assert.equal(await db.sadd('tags', 'red', 'blue', 'red'), 2);
    assert.equal(await db.sadd('tags', 'green'), 1);
    assert.equal(await db.scard('tags'), 3);
    assert.equal(await db.sismember('tags', 'red'), true);
    assert.deepEqual(await db.smismember('tags', 'red', 'pink'), [true, false]);
    assert.deepEqual(await db.smembers('tags'), ['red', 'blue', 'green']);
    assert.equal(await db.srem('tags', 'red', 'pink'), 1);
    assert.deepEqual(await db.smembers('absent'), []);
    assert.equal(await db.smove('tags', 'other', 'blue'), true);
    assert.equal(await db.smove('tags', 'other', 'blue'), false);
    assert.deepEqual(await db.smembers('other'), ['blue']);
  });

  it('computes intersections, unions and differences, stored or not', async () => {
    await db.sadd('a', 1, 2, 3, 4);
    await db.sadd('b', 3, 4, 5);
    assert.deepEqual(await db.sinter('a', 'b'), ['3', '4']);
    assert.deepEqual(await db.sunion('a', 'b'), ['1', '2', '3', '4', '5']);
    assert.deepEqual(await db.sdiff('a', 'b'), ['1', '2']);
    assert.equal(await db.sintercard(['a', 'b']), 2);
    assert.equal(await db.sintercard(['a', 'b'], { limit: 1 }), 1);
    assert.equal(await db.sinterstore('ab', 'a', 'b'), 2);
    assert.equal(await db.sunionstore('ab', 'a', 'b'), 5);
    assert.equal(await db.sdiffstore('ab', 'a', 'b'), 2);
    assert.deepEqual(await db.smembers('ab'), ['1', '2']);
    assert.equal(await db.sdiffstore('ab', 'a', 'a'), 0);
    assert.equal(await db.exists('ab'), 0);
  });

  it('pops and samples random members', async () => {
    await db.sadd('bag', ...Array.from({ length: 200 }, (_, i) => `m${i}`));
    const one = await db.spop('bag');
    assert.ok(one !== null && /^m\d+$/.test(one));
    const popped = await db.spop('bag', 50);
    assert.equal(new Set(popped).size, 50);
    assert.equal(await db.scard('bag'), 149);
    for (const member of popped) assert.equal(await db.sismember('bag', member), false);
    assert.equal(new Set(await db.srandmember('bag', 20)).size, 20);
    assert.equal((await db.srandmember('bag', -500)).length, 500);
    assert.equal((await db.srandmember('bag', 1000)).length, 149);
    assert.equal(await db.spop('absent'), null);
    assert.deepEqual(await db.spop('absent', 3), []);
    assert.equal(await db.srandmember('absent'), null);
  });

  it('reports Redis 7.2 encodings', async () => {
    const encoding = (key: string) => db.objectEncoding(key);
    await db.sadd('ints', 3, 1, 2);
    assert.equal(await encoding('ints'), 'intset');
    assert.deepEqual(await db.smembers('ints'), ['1', '2', '3']);
    await db.sadd('ints', 'x');
    assert.equal(await encoding('ints'), 'listpack');
    // The integers keep their ascending order when the intset becomes a listpack.
    assert.deepEqual(await db.smembers('ints'), ['1', '2', '3', 'x']);
    await db.sadd('words', 'a');
    assert.equal(await encoding('words'), 'listpack');
    await db.sadd('words', 'v'.repeat(65));
    assert.equal(await encoding('words'), 'hashtable');
    await db.sadd('many', ...Array.from({ length: 128 }, (_, i) => `w${i}`));
    assert.equal(await encoding('many'), 'listpack');
    await db.sadd('many', 'one-more');
    assert.equal(await encoding('many'), 'hashtable');
    await db.sadd('bigints', ...Array.from({ length: 513 }, (_, i) => i));
    assert.equal(await encoding('bigints'), 'hashtable');
    await db.sadd('mid', ...Array.from({ length: 200 }, (_, i) => i));
    assert.equal(await encoding('mid'), 'intset');
    // 200 integers are too many for a listpack: a string turns them into a hashtable.
    await db.sadd('mid', 'x');
    assert.equal(await encoding('mid'), 'hashtable');
    // SADD with more arguments than a listpack holds converts at once (setTypeMaybeConvert).
    await db.sadd('hint', 'a');
    await db.sadd('hint', ...Array.from({ length: 129 }, () => 'a'));
    assert.equal(await encoding('hint'), 'hashtable');
    assert.equal(await db.sunionstore('u', 'ints', 'words'), 6);
    assert.equal(await encoding('u'), 'hashtable');
    assert.equal(await db.sinterstore('i', 'ints', 'bigints'), 3);
    assert.equal(await encoding('i'), 'intset');
  });

  it('scans a large set, yielding every member present throughout despite changes', async () => {
    await db.sadd('large', ...Array.from({ length: 3000 }, (_, i) => `m${i}`));
    await db.srandmember('large', 5); // switches the set to its random index mid-life
    const seen = new Set<string>();
    let step = 0;
    for await (const member of db.sscan('large', { count: 64 })) {
      seen.add(member);
      if (++step % 100 === 0) {
        await db.srem('large', `m${2999 - step / 100}`);
        await db.sadd('large', `new${step}`);
      }
    }
    for (let i = 0; i < 2960; i++) assert.ok(seen.has(`m${i}`), `m${i}`);
    const small: string[] = [];
    for await (const member of db.sscan('ints', { match: '[12]' })) small.push(member);
    assert.deepEqual(small, ['1', '2']);
  });
});
