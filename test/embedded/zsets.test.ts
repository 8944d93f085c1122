// The embedded API's typed sorted set methods: argument building and reply shaping.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open, ReplyError, type Shoal } from '../../src/embedded/index.js';

describe('embedded sorted set methods', () => {
  let db: Shoal;

  before(async () => {
    db = await open();
  });

  after(async () => {
    await db.close();
  });

  it('adds, scores and ranks', async () => {
    await db.del('z');
    assert.equal(
      await db.zadd('z', [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]),
      3,
    );
    assert.equal(await db.zadd('z', { d: 4, a: 1.5 }), 1);
    assert.equal(await db.zadd('z', { a: 10, e: 5 }, { xx: true, ch: true }), 1);
    assert.equal(await db.zadd('z', { a: 0 }, { gt: true }), 0);
    assert.equal(await db.zaddIncr('z', 2, 'a'), 12);
    assert.equal(await db.zaddIncr('z', 2, 'a', { nx: true }), null);
    assert.equal(await db.zincrby('z', -Infinity, 'f'), -Infinity);
    assert.equal(await db.zscore('z', 'a'), 12);
    assert.equal(await db.zscore('z', 'f'), -Infinity);
    assert.equal(await db.zscore('z', 'nope'), null);
    assert.deepEqual(await db.zmscore('z', 'b', 'nope', 'c'), [2, null, 3]);
    assert.equal(await db.zcard('z'), 5);
    assert.equal(await db.zrank('z', 'b'), 1);
    assert.equal(await db.zrevrank('z', 'b'), 3);
    assert.equal(await db.zrank('z', 'nope'), null);
    assert.deepEqual(await db.zrankWithScore('z', 'c'), { rank: 2, score: 3 });
    assert.deepEqual(await db.zrevrankWithScore('z', 'a'), { rank: 0, score: 12 });
    assert.equal(await db.zrankWithScore('z', 'nope'), null);
    assert.equal(await db.zcount('z', '(2', Infinity), 3);
    assert.equal(await db.zrem('z', 'f', 'nope'), 1);
    await assert.rejects(db.zaddIncr('z', Number.NaN, 'a'), ReplyError);
    await assert.rejects(db.zadd('z', { a: 1 }, { nx: true, xx: true }), /not compatible/);
  });

  it('reads ranges by rank, score and member', async () => {
    await db.del('z', 'lex');
    await db.zadd('z', [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
    ]);
    await db.zadd('lex', { a: 0, b: 0, c: 0, d: 0 });
    assert.deepEqual(await db.zrange('z', 0, -1), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await db.zrange('z', 0, 1, { rev: true }), ['d', 'c']);
    assert.deepEqual(await db.zrange('z', '(1', 3, { by: 'score' }), ['b', 'c']);
    assert.deepEqual(
      await db.zrange('z', Infinity, -Infinity, {
        by: 'score',
        rev: true,
        limit: { offset: 1, count: 2 },
      }),
      ['c', 'b'],
    );
    assert.deepEqual(await db.zrange('lex', '[b', '+', { by: 'lex' }), ['b', 'c', 'd']);
    assert.deepEqual(await db.zrangeWithScores('z', 0, 1), [
      { member: 'a', score: 1 },
      { member: 'b', score: 2 },
    ]);
    assert.equal(await db.zlexcount('lex', '(a', '[c'), 2);
    assert.equal(await db.zrangestore('dst', 'z', 2, 4, { by: 'score' }), 3);
    assert.deepEqual(await db.zrange('dst', 0, -1), ['b', 'c', 'd']);
    assert.equal(await db.zremrangebyscore('dst', '-inf', '(3'), 1);
    assert.equal(await db.zremrangebylex('lex', '-', '[b'), 2);
    assert.equal(await db.zremrangebyrank('dst', 0, 0), 1);
    assert.deepEqual(await db.zrange('dst', 0, -1), ['d']);
  });

  it('pops', async () => {
    await db.del('z', 'y');
    await db.zadd('z', { a: 1, b: 2, c: 3 });
    assert.deepEqual(await db.zpopmin('z'), [{ member: 'a', score: 1 }]);
    assert.deepEqual(await db.zpopmax('z', 5), [
      { member: 'c', score: 3 },
      { member: 'b', score: 2 },
    ]);
    assert.deepEqual(await db.zpopmin('z'), []);
    assert.equal(await db.zmpop(['y', 'z'], 'MIN'), null);
    await db.zadd('y', { q: 7, r: 8 });
    assert.deepEqual(await db.zmpop(['z', 'y'], 'MAX', 5), {
      key: 'y',
      members: [
        { member: 'r', score: 8 },
        { member: 'q', score: 7 },
      ],
    });
  });

  it('combines sets', async () => {
    await db.del('a', 'b');
    await db.zadd('a', { x: 1, y: 2 });
    await db.zadd('b', { y: 10, z: 20 });
    assert.deepEqual(await db.zunion(['a', 'b']), ['x', 'y', 'z']);
    assert.deepEqual(await db.zunionWithScores(['a', 'b'], { weights: [2, 1], aggregate: 'MAX' }), [
      { member: 'x', score: 2 },
      { member: 'y', score: 10 },
      { member: 'z', score: 20 },
    ]);
    assert.deepEqual(await db.zinter(['a', 'b']), ['y']);
    assert.deepEqual(await db.zinterWithScores(['a', 'b']), [{ member: 'y', score: 12 }]);
    assert.deepEqual(await db.zdiff(['a', 'b']), ['x']);
    assert.deepEqual(await db.zdiffWithScores(['b', 'a']), [{ member: 'z', score: 20 }]);
    assert.equal(await db.zunionstore('u', ['a', 'b'], { aggregate: 'MIN' }), 3);
    assert.deepEqual(await db.zrangeWithScores('u', 0, -1), [
      { member: 'x', score: 1 },
      { member: 'y', score: 2 },
      { member: 'z', score: 20 },
    ]);
    assert.equal(await db.zinterstore('i', ['a', 'b']), 1);
    assert.equal(await db.zdiffstore('d', ['a', 'b']), 1);
    assert.equal(await db.zintercard(['a', 'b']), 1);
    assert.equal(await db.zintercard(['a', 'u'], 1), 1);
  });

  it('samples and scans', async () => {
    await db.del('z');
    assert.equal(await db.zrandmember('z'), null);
    const members: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) members[`m${i}`] = i;
    await db.zadd('z', members);
    const one = await db.zrandmember('z');
    assert.ok(one !== null && one in members);
    const distinct = await db.zrandmemberCount('z', 100);
    assert.equal(new Set(distinct).size, 100);
    assert.equal((await db.zrandmemberCount('z', -5000)).length, 5000);
    for (const { member, score } of await db.zrandmemberWithScores('z', 10)) {
      assert.equal(members[member as string], score);
    }
    const seen = new Map<string, number>();
    for await (const { member, score } of db.zscan('z', { count: 50 })) seen.set(member, score);
    assert.equal(seen.size, 1000);
    assert.equal(seen.get('m999'), 999);
    const matched: string[] = [];
    for await (const { member } of db.zscan('z', { match: 'm99*' })) matched.push(member);
    assert.deepEqual(matched.sort(), [
      'm99',
      'm990',
      'm991',
      'm992',
      'm993',
      'm994',
      'm995',
      'm996',
      'm997',
      'm998',
      'm999',
    ]);
  });

  it('keeps binary members with a Buffer handle', async () => {
    const raw = db.withBuffers();
    const member = Buffer.from([0, 255, 128, 10]);
    assert.equal(await raw.zadd('bin', [[1.5, member]]), 1);
    const [first] = await raw.zrangeWithScores('bin', 0, -1);
    assert.ok(first !== undefined && Buffer.isBuffer(first.member) && first.member.equals(member));
    assert.equal(first.score, 1.5);
    assert.equal(await raw.zscore('bin', member), 1.5);
    await raw.close();
  });
});
