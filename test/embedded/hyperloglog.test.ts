// HyperLogLogs through the embedded API: the typed methods, the stored bytes as a Buffer, a log
// replayed after a restart giving back the same bytes (register updates and the cached
// cardinality are SetRange effects, sparse rewrites and promotion Set effects), and PFSELFTEST.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open, ReplyError, type Shoal } from '../../src/embedded/index.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { openSimulated } from '../persist/helpers.js';

const elements = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('embedded HyperLogLog methods', () => {
  let db: Shoal;
  before(async () => {
    db = await open();
  });
  after(async () => {
    await db.close();
  });

  it('adds, counts and merges', async () => {
    assert.equal(await db.pfadd('visitors', 'ann', 'bob', 'ann'), true);
    assert.equal(await db.pfadd('visitors', 'bob'), false);
    assert.equal(await db.pfcount('visitors'), 2);
    assert.equal(await db.pfcount('absent'), 0);
    assert.equal(await db.pfadd('others', 'cy', 'bob'), true);
    assert.equal(await db.pfcount('visitors', 'others'), 3);
    assert.equal(await db.pfmerge('everyone', 'visitors', 'others'), 'OK');
    assert.equal(await db.pfcount('everyone'), 3);
    assert.equal(await db.pfadd('created'), true);
    assert.equal(await db.pfcount('created'), 0);
  });

  it('keeps Redis bytes: sparse, then dense past hll-sparse-max-bytes', async () => {
    const buffers = db.withBuffers();
    await db.pfadd('grow', 'a');
    const sparse = (await buffers.get('grow')) as Buffer;
    assert.equal(sparse.subarray(0, 5).toString('latin1'), 'HYLL\x01');
    await db.pfadd('grow', ...elements('e', 5000));
    const dense = (await buffers.get('grow')) as Buffer;
    assert.equal(dense.length, 12304);
    assert.equal(dense[4], 0);
    assert.equal(dense[15]! & 0x80, 0x80, 'the cache is invalid after PFADD');
    const count = await db.pfcount('grow');
    assert.ok(Math.abs(count - 5001) < 5001 * 0.05, `estimate ${count}`);
    const cached = (await buffers.get('grow')) as Buffer;
    assert.equal(cached.readBigUInt64LE(8), BigInt(count));
    await buffers.close();
  });

  it('refuses strings that are not HyperLogLogs', async () => {
    await db.set('plain', 'hello');
    await assert.rejects(db.pfadd('plain', 'x'), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.message, 'WRONGTYPE Key is not a valid HyperLogLog string value.');
      return true;
    });
    await db.set('broken', 'HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe');
    await assert.rejects(db.pfcount('broken'), /INVALIDOBJ Corrupted HLL object detected/);
  });

  it('passes PFSELFTEST', async () => {
    assert.equal(await db.command('PFSELFTEST'), 'OK');
  });
});

describe('HyperLogLogs after a restart', () => {
  it('replays the log to the same bytes', async () => {
    const fs = new SimulatedFileSystem();
    const db = await openSimulated(fs, {}, { returnBuffers: true });
    const store = db as unknown as Shoal<Buffer>;
    const before: Record<string, Buffer> = {};
    await store.pfadd('small', 'a', 'b');
    await store.pfcount('small');
    await store.pfadd('big', ...elements('x', 3000));
    for (let i = 0; i < 50; i++) {
      await store.pfadd('big', `one${i}`);
      if (i % 10 === 0) await store.pfcount('big');
    }
    await store.pfmerge('merged', 'small', 'big');
    await store.pfmerge('sparse', 'small');
    await store.command('PFDEBUG', 'TODENSE', 'small');
    for (const key of ['small', 'big', 'merged', 'sparse']) before[key] = (await store.get(key))!;
    await db.close();

    const again = (await openSimulated(
      fs,
      {},
      { returnBuffers: true },
    )) as unknown as Shoal<Buffer>;
    for (const key of Object.keys(before)) {
      assert.deepEqual(await again.get(key), before[key], key);
    }
    assert.equal(await again.pfcount('big', 'small'), await again.pfcount('merged'));
    await again.close();
  });
});
