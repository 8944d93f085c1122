// Bitmap commands through client libraries: ioredis over TCP (binary values as Buffers, BITFIELD's
// nil on OVERFLOW FAIL, pipelines), node-redis over RESP3, and the embedded API.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { open } from '../../src/embedded/index.js';
import { type RunningServer, startShoal } from '../helpers/servers.js';

function resp3Client(port: number) {
  return createClient({ url: `redis://127.0.0.1:${port}`, RESP: 3 });
}

describe('bitmap commands through client libraries', () => {
  let server: RunningServer;
  let ioredis: Redis;
  let resp3: ReturnType<typeof resp3Client>;

  before(async () => {
    server = await startShoal();
    ioredis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await ioredis.connect();
    resp3 = resp3Client(server.port);
    await resp3.connect();
  });

  after(async () => {
    ioredis?.disconnect();
    await resp3?.close();
    await server?.stop();
  });

  it('ioredis: bits, counts, positions and binary results', async () => {
    assert.equal(await ioredis.setbit('io:b', 7, 1), 0);
    assert.equal(await ioredis.setbit('io:b', 7, 1), 1);
    assert.equal(await ioredis.setbit('io:b', 16, 1), 0);
    assert.deepEqual(await ioredis.getBuffer('io:b'), Buffer.from([0x01, 0x00, 0x80]));
    assert.equal(await ioredis.getbit('io:b', 16), 1);
    assert.equal(await ioredis.getbit('io:b', 1_000_000), 0);
    assert.equal(await ioredis.bitcount('io:b'), 2);
    assert.equal(await ioredis.bitcount('io:b', 0, 0), 1);
    assert.equal(await ioredis.bitcount('io:b', 8, 23, 'BIT'), 1);
    assert.equal(await ioredis.bitpos('io:b', 1), 7);
    assert.equal(await ioredis.bitpos('io:b', 1, 1), 16);
    assert.equal(await ioredis.bitpos('io:b', 0, 2, -1), 17);
    await ioredis.set('io:ones', Buffer.from([0xff, 0xff]));
    assert.equal(await ioredis.bitpos('io:ones', 0), 16);
    assert.equal(await ioredis.bitpos('io:ones', 0, 0, -1), -1);
    assert.equal(await ioredis.bitop('NOT', 'io:not', 'io:b'), 3);
    assert.deepEqual(await ioredis.getBuffer('io:not'), Buffer.from([0xfe, 0xff, 0x7f]));
    assert.equal(await ioredis.bitop('AND', 'io:and', 'io:not', 'io:ones'), 3);
    assert.deepEqual(await ioredis.getBuffer('io:and'), Buffer.from([0xfe, 0xff, 0x00]));
    assert.equal(await ioredis.bitop('OR', 'io:and', 'io:missing'), 0);
    assert.equal(await ioredis.exists('io:and'), 0);
    await assert.rejects(
      ioredis.bitop('NOT', 'io:x', 'io:b', 'io:ones'),
      /BITOP NOT must be called with a single source key/,
    );
    await ioredis.lpush('io:list', 'x');
    await assert.rejects(ioredis.setbit('io:list', 0, 1), /^ReplyError: WRONGTYPE/);
    await assert.rejects(ioredis.setbit('io:b', 4294967296, 1), /bit offset is not an integer/);
  });

  it('ioredis: BITFIELD with overflow modes, BITFIELD_RO and a pipeline', async () => {
    assert.deepEqual(
      await ioredis.call(
        'BITFIELD',
        'io:f',
        'SET',
        'u8',
        0,
        250,
        'INCRBY',
        'u8',
        0,
        10,
        'GET',
        'u8',
        0,
      ),
      [0, 4, 4],
    );
    assert.deepEqual(
      await ioredis.call(
        'BITFIELD',
        'io:f',
        'OVERFLOW',
        'FAIL',
        'INCRBY',
        'u8',
        0,
        300,
        'GET',
        'u8',
        0,
      ),
      [null, 4],
    );
    assert.deepEqual(
      await ioredis.bitfield('io:f', 'OVERFLOW', 'SAT', 'INCRBY', 'i8', '#1', -1000),
      [-128],
    );
    assert.deepEqual(
      await ioredis.call(
        'BITFIELD',
        'io:f',
        'SET',
        'i64',
        0,
        '-9223372036854775808',
        'GET',
        'i64',
        0,
      ),
      [324259173170675712, -9223372036854775808],
    );
    assert.deepEqual(await ioredis.call('BITFIELD_RO', 'io:f', 'GET', 'u4', 0), [8]);
    await assert.rejects(
      ioredis.call('BITFIELD_RO', 'io:f', 'SET', 'u4', 0, 1),
      /BITFIELD_RO only supports the GET subcommand/,
    );
    const results = await ioredis
      .pipeline()
      .setbit('io:p', 3, 1)
      .bitcount('io:p')
      .bitfield('io:p', 'GET', 'u4', 0)
      .exec();
    assert.deepEqual(results, [
      [null, 0],
      [null, 1],
      [null, [1]],
    ]);
  });

  it('node-redis over RESP3', async () => {
    assert.equal(await resp3.setBit('nr:b', 9, 1), 0);
    assert.equal(await resp3.getBit('nr:b', 9), 1);
    assert.equal(await resp3.bitCount('nr:b'), 1);
    assert.equal(await resp3.bitPos('nr:b', 1), 9);
    assert.equal(await resp3.bitOp('XOR', 'nr:x', ['nr:b', 'nr:b']), 2);
    assert.equal(await resp3.bitCount('nr:x'), 0);
    assert.deepEqual(
      await resp3.sendCommand(['BITFIELD', 'nr:b', 'OVERFLOW', 'FAIL', 'INCRBY', 'u1', '9', '1']),
      [null],
    );
  });
});

describe('bitmap commands in the embedded API', () => {
  it('sets, reads and combines bits', async () => {
    const store = await open();
    try {
      assert.equal(await store.command('SETBIT', 'k', 0, 1), 0);
      assert.equal(await store.command('SETBIT', 'k', 15, 1), 0);
      assert.equal(await store.command('GETBIT', 'k', 15), 1);
      assert.equal(await store.command('BITCOUNT', 'k'), 2);
      assert.equal(await store.command('BITPOS', 'k', 0), 1);
      assert.deepEqual(await store.withBuffers().command('GET', 'k'), Buffer.from([0x80, 0x01]));
      await store.set('n', 12345);
      assert.equal(await store.command('BITCOUNT', 'n'), 17);
      assert.equal(await store.command('BITOP', 'NOT', 'nn', 'n'), 5);
      assert.deepEqual(
        await store.command(
          'BITFIELD',
          'f',
          'SET',
          'u63',
          0,
          '9223372036854775807',
          'GET',
          'u63',
          0,
        ),
        [0, 9223372036854775807n],
      );
      assert.deepEqual(
        await store.command('BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'INCRBY', 'u63', 0, 1),
        [null],
      );
      await assert.rejects(
        store.command('BITFIELD', 'f', 'GET', 'u64', 0),
        /Invalid bitfield type/,
      );
      await store.command('RPUSH', 'l', 'x');
      await assert.rejects(store.command('GETBIT', 'l', 0), /WRONGTYPE/);
    } finally {
      await store.close();
    }
  });

  it('replays its bitmaps from the log after a restart', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'shoal-bitmaps-'));
    try {
      const first = await open({ dir, appendfsync: 'always' });
      await first.command('SETBIT', 'b', 100, 1);
      await first.command('BITFIELD', 'b', 'SET', 'i16', '#2', -2, 'INCRBY', 'u4', 0, 9);
      await first.command('SET', 'src', 'abc');
      await first.command('BITOP', 'NOT', 'd', 'src');
      const firstBinary = first.withBuffers();
      const before = await firstBinary.command('GET', 'b');
      await firstBinary.close();
      await first.close();
      const second = await open({ dir });
      const secondBinary = second.withBuffers();
      try {
        assert.deepEqual(await secondBinary.command('GET', 'b'), before);
        assert.equal(await second.command('GETBIT', 'b', 100), 1);
        assert.deepEqual(await second.command('BITFIELD_RO', 'b', 'GET', 'i16', '#2'), [-2]);
        assert.equal(await second.command('BITCOUNT', 'd'), 24 - 10);
      } finally {
        await secondBinary.close();
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
