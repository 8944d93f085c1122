// SORT and SORT_RO through ioredis over TCP (its own argument building and reply parsing), and
// through the embedded API, where a stored result must come back from the log after a restart.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { open } from '../../src/embedded/index.js';
import { type RunningServer, startShoal } from '../helpers/servers.js';

describe('SORT through ioredis', () => {
  let shoal: RunningServer;
  let redis: Redis;
  before(async () => {
    shoal = await startShoal();
    redis = new Redis({ port: shoal.port, lazyConnect: true });
    await redis.connect();
  });
  after(async () => {
    redis.disconnect();
    await shoal.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
  });

  it('sorts lists, sets and sorted sets', async () => {
    await redis.rpush('l', '10', '2', '-1.5', '7');
    assert.deepEqual(await redis.sort('l'), ['-1.5', '2', '7', '10']);
    assert.deepEqual(await redis.sort('l', 'LIMIT', 1, 2, 'DESC'), ['7', '2']);
    assert.deepEqual(await redis.sort('l', 'ALPHA'), ['-1.5', '10', '2', '7']);
    assert.deepEqual(await redis.sort_ro('l', 'BY', 'nosort', 'DESC'), ['7', '-1.5', '2', '10']);
    await redis.sadd('s', 'pear', 'apple', 'fig');
    assert.deepEqual(await redis.sort('s', 'DESC', 'ALPHA'), ['pear', 'fig', 'apple']);
    await redis.zadd('z', 3, 'c', 1, 'a', 2, 'b');
    assert.deepEqual(await redis.sort('z', 'BY', 'nosort', 'LIMIT', 1, 5), ['b', 'c']);
    await assert.rejects(redis.sort('s'), /One or more scores can't be converted into double/);
    await redis.set('str', 'v');
    await assert.rejects(redis.sort('str'), /^ReplyError: WRONGTYPE/);
    await assert.rejects(redis.call('SORT_RO', 'l', 'STORE', 'x'), /ERR syntax error/);
  });

  it('sorts by other keys, fetches them and stores the result', async () => {
    await redis.rpush('ids', '1', '2', '3');
    await redis.mset('weight_1', '30', 'weight_2', '10', 'weight_3', '20');
    await redis.hset('user_1', 'name', 'ann');
    await redis.hset('user_3', 'name', 'cid');
    assert.deepEqual(await redis.sort('ids', 'BY', 'weight_*', 'GET', '#', 'GET', 'user_*->name'), [
      '2',
      null,
      '3',
      'cid',
      '1',
      'ann',
    ]);
    assert.equal(
      await redis.sort('ids', 'BY', 'weight_*', 'GET', 'user_*->name', 'STORE', 'names'),
      3,
    );
    assert.deepEqual(await redis.lrange('names', 0, -1), ['', 'cid', 'ann']);
    assert.equal(await redis.sort('missing', 'STORE', 'names'), 0);
    assert.equal(await redis.exists('names'), 0);
  });

  it('refuses BY and GET to a user who may not read every key', async () => {
    await redis.acl('SETUSER', 'sorter', 'on', 'nopass', '~ids', '+@all');
    await redis.rpush('ids', '2', '1');
    const limited = new Redis({
      port: shoal.port,
      username: 'sorter',
      password: 'x',
      lazyConnect: true,
    });
    await limited.connect();
    try {
      assert.deepEqual(await limited.sort('ids'), ['1', '2']);
      await assert.rejects(
        limited.sort('ids', 'BY', 'w_*'),
        /BY option of SORT denied due to insufficient ACL permissions/,
      );
      await assert.rejects(
        limited.sort('ids', 'GET', '#'),
        /GET option of SORT denied due to insufficient ACL permissions/,
      );
      await assert.rejects(limited.sort('ids', 'STORE', 'other'), /^ReplyError: NOPERM/);
    } finally {
      limited.disconnect();
      await redis.acl('DELUSER', 'sorter');
    }
  });
});

describe('SORT in the embedded API', () => {
  it('sorts, and a stored result replays from the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-sort-'));
    try {
      const first = await open({ dir, appendfsync: 'always' });
      try {
        await first.command('RPUSH', 'l', 'b', 'c', 'a');
        await first.command('SET', 'old', 'value');
        assert.deepEqual(await first.command('SORT', 'l', 'ALPHA'), ['a', 'b', 'c']);
        assert.equal(await first.command('SORT', 'l', 'ALPHA', 'DESC', 'STORE', 'old'), 3);
        assert.equal(await first.command('SORT', 'l', 'ALPHA', 'LIMIT', 0, 0, 'STORE', 'gone'), 0);
        await first.command('ZADD', 'z', 1, 'x', 2, 'y');
        assert.deepEqual(await first.command('SORT_RO', 'z', 'BY', 'nosort', 'DESC'), ['y', 'x']);
        assert.equal(await first.command('OBJECT', 'ENCODING', 'z'), 'skiplist');
      } finally {
        await first.close();
      }
      const second = await open({ dir });
      try {
        assert.deepEqual(await second.command('LRANGE', 'old', 0, -1), ['c', 'b', 'a']);
        assert.equal(await second.command('TYPE', 'old'), 'list');
        assert.equal(await second.command('EXISTS', 'gone'), 0);
        assert.equal(await second.command('OBJECT', 'ENCODING', 'z'), 'skiplist');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
