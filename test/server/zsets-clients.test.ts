// Sorted set commands through real client libraries over TCP: ioredis (RESP2) and node-redis
// (RESP2 and RESP3), against an in-process Shoal server. Also covers ZRANK/ZREVRANK WITHSCORE,
// which the installed Redis (7.0) lacks and the side-by-side test therefore leaves out.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientsOnShoal } from '../helpers/clients.js';

describe('sorted sets through client libraries', () => {
  const clients = clientsOnShoal();

  describe('ioredis', () => {
    it('adds, ranges and scores', async () => {
      await clients.ioredis.del('io:z');
      assert.equal(await clients.ioredis.zadd('io:z', 1, 'a', 2, 'b', 3.5, 'c'), 3);
      assert.equal(await clients.ioredis.zadd('io:z', 'NX', 'CH', 9, 'a', 4, 'd'), 1);
      assert.deepEqual(await clients.ioredis.zrange('io:z', '0', '-1', 'WITHSCORES'), [
        'a',
        '1',
        'b',
        '2',
        'c',
        '3.5',
        'd',
        '4',
      ]);
      assert.deepEqual(
        await clients.ioredis.zrangebyscore('io:z', '(1', '+inf', 'LIMIT', '1', '2'),
        ['c', 'd'],
      );
      assert.deepEqual(
        await clients.ioredis.zrevrangebyscore('io:z', '+inf', '-inf', 'LIMIT', '0', '1'),
        ['d'],
      );
      assert.equal(await clients.ioredis.zscore('io:z', 'c'), '3.5');
      assert.equal(await clients.ioredis.zincrby('io:z', 0.5, 'c'), '4');
      assert.equal(await clients.ioredis.zrank('io:z', 'b'), 1);
      assert.equal(await clients.ioredis.zcount('io:z', 2, 4), 3);
      assert.deepEqual(await clients.ioredis.zmscore('io:z', 'a', 'x'), ['1', null]);
      assert.deepEqual(await clients.ioredis.zpopmax('io:z', 2), ['d', '4', 'c', '4']);
      assert.equal(await clients.ioredis.zcard('io:z'), 2);
      await assert.rejects(clients.ioredis.zadd('io:z', 'INCR', 'x', 'a'), /not a valid float/);
      await clients.ioredis.zadd('io:inf', '+inf', 'm');
      await assert.rejects(
        clients.ioredis.zincrby('io:inf', '-inf', 'm'),
        /resulting score is not a number \(NaN\)/,
      );
    });

    it('stores unions and intersections and runs them in a transaction', async () => {
      await clients.ioredis.del('io:a', 'io:b', 'io:out');
      await clients.ioredis.zadd('io:a', 1, 'x', 2, 'y');
      await clients.ioredis.zadd('io:b', 10, 'y', 20, 'z');
      assert.equal(
        await clients.ioredis.zunionstore('io:out', 2, 'io:a', 'io:b', 'WEIGHTS', '1', '2'),
        3,
      );
      assert.deepEqual(await clients.ioredis.zrange('io:out', '0', '-1', 'WITHSCORES'), [
        'x',
        '1',
        'y',
        '22',
        'z',
        '40',
      ]);
      const results = await clients.ioredis
        .pipeline()
        .zinterstore('io:out', 2, 'io:a', 'io:b', 'AGGREGATE', 'MIN')
        .zrange('io:out', '0', '-1', 'WITHSCORES')
        .zdiff(2, 'io:a', 'io:b')
        .exec();
      assert.deepEqual(
        results?.map(([error, value]) => [error, value]),
        [
          [null, 1],
          [null, ['y', '2']],
          [null, ['x']],
        ],
      );
    });

    it('scans every member of a large set', async () => {
      await clients.ioredis.del('io:big');
      const args: (string | number)[] = [];
      for (let i = 0; i < 2000; i++) args.push(i, `m${i}`);
      await clients.ioredis.zadd('io:big', ...args);
      assert.equal(await clients.ioredis.object('ENCODING', 'io:big'), 'skiplist');
      const seen = new Map<string, string>();
      await new Promise<void>((resolve, reject) => {
        const stream = clients.ioredis.zscanStream('io:big', { count: 100 });
        stream.on('data', (batch: string[]) => {
          for (let i = 0; i < batch.length; i += 2)
            seen.set(batch[i] as string, batch[i + 1] as string);
        });
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      assert.equal(seen.size, 2000);
      assert.equal(seen.get('m1234'), '1234');
    });

    it('answers ZRANK and ZREVRANK WITHSCORE as Redis 7.2 does', async () => {
      await clients.ioredis.del('io:r');
      await clients.ioredis.zadd('io:r', 1, 'a', 2.5, 'b');
      assert.deepEqual(await clients.ioredis.call('ZRANK', 'io:r', 'b', 'WITHSCORE'), [1, '2.5']);
      assert.deepEqual(await clients.ioredis.call('ZREVRANK', 'io:r', 'b', 'withscore'), [
        0,
        '2.5',
      ]);
      assert.equal(await clients.ioredis.call('ZRANK', 'io:r', 'nope', 'WITHSCORE'), null);
      assert.equal(await clients.ioredis.call('ZRANK', 'io:missing', 'a', 'WITHSCORE'), null);
      await assert.rejects(
        clients.ioredis.call('ZRANK', 'io:r', 'a', 'WITHSCORES'),
        /syntax error/,
      );
      await assert.rejects(
        clients.ioredis.call('ZRANK', 'io:r', 'a', 'WITHSCORE', 'x'),
        /wrong number of arguments for 'zrank' command/,
      );
      await assert.rejects(clients.ioredis.call('ZRANK', 'io:r'), /wrong number of arguments/);
    });
  });

  describe('node-redis', () => {
    it('adds, ranges and pops (RESP2)', async () => {
      await clients.nodeRedis.del('nr:z');
      assert.equal(
        await clients.nodeRedis.zAdd('nr:z', [
          { score: 1, value: 'a' },
          { score: 2, value: 'b' },
          { score: -Infinity, value: 'n' },
        ]),
        3,
      );
      assert.deepEqual(await clients.nodeRedis.zRangeWithScores('nr:z', 0, -1), [
        { value: 'n', score: -Infinity },
        { value: 'a', score: 1 },
        { value: 'b', score: 2 },
      ]);
      assert.deepEqual(
        await clients.nodeRedis.zRange('nr:z', '+inf', '(1', { BY: 'SCORE', REV: true }),
        ['b'],
      );
      assert.equal(await clients.nodeRedis.zScore('nr:z', 'b'), 2);
      assert.deepEqual(await clients.nodeRedis.zRankWithScore('nr:z', 'a'), { rank: 1, score: 1 });
      assert.deepEqual(await clients.nodeRedis.zPopMinCount('nr:z', 2), [
        { value: 'n', score: -Infinity },
        { value: 'a', score: 1 },
      ]);
      assert.deepEqual(await clients.nodeRedis.zmPop(['nr:none', 'nr:z'], 'MAX'), {
        key: 'nr:z',
        members: [{ value: 'b', score: 2 }],
      });
      assert.equal(await clients.nodeRedis.exists('nr:z'), 0);
    });

    it('combines, samples and scans (RESP3)', async () => {
      await clients.nodeRedis3.del(['nr3:a', 'nr3:b']);
      await clients.nodeRedis3.zAdd('nr3:a', [
        { score: 1, value: 'x' },
        { score: 2, value: 'y' },
      ]);
      await clients.nodeRedis3.zAdd('nr3:b', [{ score: 5, value: 'y' }]);
      assert.deepEqual(await clients.nodeRedis3.zUnionWithScores(['nr3:a', 'nr3:b']), [
        { value: 'x', score: 1 },
        { value: 'y', score: 7 },
      ]);
      assert.deepEqual(await clients.nodeRedis3.zInterWithScores(['nr3:a', 'nr3:b']), [
        { value: 'y', score: 7 },
      ]);
      assert.equal(await clients.nodeRedis3.zScore('nr3:a', 'y'), 2);
      assert.deepEqual(await clients.nodeRedis3.zRangeWithScores('nr3:a', 0, 0), [
        { value: 'x', score: 1 },
      ]);
      assert.deepEqual(await clients.nodeRedis3.zPopMaxCount('nr3:a', 1), [
        { value: 'y', score: 2 },
      ]);
      assert.equal(await clients.nodeRedis3.zRandMember('nr3:a'), 'x');
      assert.deepEqual(await clients.nodeRedis3.zRandMemberCountWithScores('nr3:a', -2), [
        { value: 'x', score: 1 },
        { value: 'x', score: 1 },
      ]);
      const seen: string[] = [];
      for await (const members of clients.nodeRedis3.zScanIterator('nr3:b')) {
        for (const { value, score } of members) seen.push(`${value}=${score}`);
      }
      assert.deepEqual(seen, ['y=5']);
    });
  });
});
