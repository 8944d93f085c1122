// The in-process API: typed methods, the generic command(), Buffers on request, scan as an
// async iterator, errors as ReplyError; and the package's own name resolving to it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { open, ReplyError } from '../../src/embedded/index.js';
import { waitFor } from '../helpers/servers.js';

describe('embedded API', () => {
  it('runs string commands with typed methods', async () => {
    const db = await open();
    try {
      assert.equal(await db.set('k', 'v', { ex: 10 }), 'OK');
      assert.equal(await db.get('k'), 'v');
      assert.equal(await db.ttl('k'), 10);
      assert.equal(await db.set('k', 'w', { nx: true }), null);
      assert.equal(await db.set('k', 'w', { get: true }), 'v');
      assert.equal(await db.incr('n'), 1);
      assert.equal(await db.incrby('n', 9), 10);
      assert.equal(await db.incrby('big', 9007199254740993n), 9007199254740993n);
      assert.equal(await db.incrbyfloat('f', 0.1), '0.1');
      assert.deepEqual(await db.mget('k', 'nope', 'n'), ['w', null, '10']);
      assert.equal(await db.mset({ a: '1', b: '2' }), 'OK');
      assert.equal(await db.append('a', 'x'), 2);
      assert.equal(await db.del('a', 'b', 'c'), 2);
      assert.equal(await db.exists('k', 'n'), 2);
      assert.equal(await db.type('k'), 'string');
    } finally {
      await db.close();
    }
  });

  it('returns the same values a client receives from command()', async () => {
    const db = await open();
    try {
      assert.equal(await db.command('SET', 'x', 1), 'OK');
      assert.equal(await db.command('INCR', 'x'), 2);
      assert.deepEqual(await db.command('MGET', 'x', 'y'), ['2', null]);
      await assert.rejects(db.command('INCR'), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.message, "ERR wrong number of arguments for 'incr' command");
        return true;
      });
      await assert.rejects(db.command('NOPE'), ReplyError);
    } finally {
      await db.close();
    }
  });

  it('keeps UTF-8 and binary values intact, and returns Buffers on request', async () => {
    const db = await open();
    try {
      await db.set('ü', 'wörld ✓');
      assert.equal(await db.get('ü'), 'wörld ✓');
      assert.equal(await db.strlen('ü'), Buffer.byteLength('wörld ✓'));
      const bytes = Buffer.from([0, 255, 13, 10, 128]);
      await db.set('bin', bytes);
      const raw = db.withBuffers();
      assert.deepEqual(await raw.get('bin'), bytes);
      const buffered = await open({ returnBuffers: true });
      await buffered.set('x', 'y');
      assert.deepEqual(await buffered.get('x'), Buffer.from('y'));
      await buffered.close();
    } finally {
      await db.close();
    }
  });

  it('scans every key with an async iterator', async () => {
    const db = await open();
    try {
      for (let i = 0; i < 300; i++) await db.set(`user:${i}`, String(i));
      await db.set('other', 'x');
      const keys = new Set<string>();
      for await (const key of db.scan({ match: 'user:*', count: 17 })) keys.add(key);
      assert.equal(keys.size, 300);
    } finally {
      await db.close();
    }
  });

  it('expires keys lazily and in the background', async () => {
    const db = await open({ config: { hz: 100 } });
    try {
      await db.set('short', 'v', { px: 20 });
      for (let i = 0; i < 100; i++) await db.set(`bulk:${i}`, 'v', { px: 20 });
      await waitFor(async () => (await db.dbsize()) === 0, 'background expiry to remove every key');
      assert.equal(await db.get('short'), null);
    } finally {
      await db.close();
    }
  });

  it('selects databases per handle and rejects use after close', async () => {
    const db = await open({ config: { databases: 4 } });
    await db.select(3);
    await db.set('in3', 'x');
    assert.equal(await db.dbsize(), 1);
    await assert.rejects(db.select(4), /DB index is out of range/);
    await db.close();
    await assert.rejects(db.get('in3'), /closed/);
  });

  it('resolves the package by its own name', async () => {
    const module = await import('shoal');
    assert.equal(typeof module.open, 'function');
    const db = await module.open();
    assert.equal(await db.ping(), 'PONG');
    await db.close();
  });
});
