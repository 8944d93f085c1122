// Stream commands through real client libraries over TCP (ioredis; node-redis in RESP2 and
// RESP3, which parse XREAD, XINFO and XPENDING into objects), a blocking XREAD woken by another
// connection, and the embedded store replaying its streams from the log after a restart.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { open } from '../../src/embedded/index.js';
import { type RunningServer, startShoal } from '../helpers/servers.js';

describe('stream commands through client libraries', () => {
  let server: RunningServer;
  let ioredis: Redis;
  let ioredisBlocked: Redis;
  let resp2: ReturnType<typeof createClient>;
  let resp3: ReturnType<typeof createClient>;

  before(async () => {
    server = await startShoal();
    ioredis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    ioredisBlocked = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await ioredis.connect();
    await ioredisBlocked.connect();
    resp2 = createClient({ url: `redis://127.0.0.1:${server.port}` });
    resp3 = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3 });
    await resp2.connect();
    await resp3.connect();
  });

  after(async () => {
    ioredis?.disconnect();
    ioredisBlocked?.disconnect();
    await resp2?.close();
    await resp3?.close();
    await server?.stop();
  });

  it('ioredis: entries, groups, pending, claims, a blocked XREAD', async () => {
    const first = await ioredis.xadd('io:s', '*', 'a', '1');
    assert.match(String(first), /^\d+-\d+$/);
    assert.equal(await ioredis.xadd('io:s', '99999999999999-1', 'b', '2'), '99999999999999-1');
    assert.equal(await ioredis.xlen('io:s'), 2);
    assert.deepEqual(await ioredis.xrange('io:s', '-', '+'), [
      [first, ['a', '1']],
      ['99999999999999-1', ['b', '2']],
    ]);
    assert.deepEqual(await ioredis.xrevrange('io:s', '+', '-', 'COUNT', 1), [
      ['99999999999999-1', ['b', '2']],
    ]);
    assert.equal(await ioredis.xgroup('CREATE', 'io:s', 'g', '0'), 'OK');
    const read = (await ioredis.xreadgroup(
      'GROUP',
      'g',
      'c1',
      'COUNT',
      1,
      'STREAMS',
      'io:s',
      '>',
    )) as [string, [string, string[]][]][];
    assert.deepEqual(read, [['io:s', [[first, ['a', '1']]]]]);
    const summary = (await ioredis.xpending('io:s', 'g')) as unknown[];
    assert.deepEqual(summary, [1, first, first, [['c1', '1']]]);
    const claimed = await ioredis.xclaim('io:s', 'g', 'c2', 0, first as string, 'JUSTID');
    assert.deepEqual(claimed, [first]);
    assert.equal(await ioredis.xack('io:s', 'g', first as string), 1);
    assert.equal(await ioredis.xtrim('io:s', 'MAXLEN', 1), 1);
    assert.equal(await ioredis.xdel('io:s', '99999999999999-1'), 1);
    assert.equal(await ioredis.xlen('io:s'), 0);

    const waiting = ioredisBlocked.xread('BLOCK', 0, 'STREAMS', 'io:wake', '$');
    for (;;) {
      const info = await ioredis.info('clients');
      if (/blocked_clients:1/.test(info)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await ioredis.xadd('io:wake', '5-5', 'x', 'y');
    assert.deepEqual(await waiting, [['io:wake', [['5-5', ['x', 'y']]]]]);
  });

  it('node-redis RESP2 and RESP3: XADD options, XREAD, XINFO, XAUTOCLAIM', async () => {
    for (const [client, prefix] of [
      [resp2, 'r2'],
      [resp3, 'r3'],
    ] as const) {
      const key = `${prefix}:s`;
      assert.equal(await client.xAdd(key, '1-1', { a: '1' }), '1-1');
      assert.equal(
        await client.xAdd(key, '2-1', { b: '2' }, { TRIM: { strategy: 'MAXLEN', threshold: 5 } }),
        '2-1',
      );
      const range = await client.xRange(key, '-', '+');
      assert.deepEqual(
        (range ?? []).map((entry) => [entry.id, { ...entry.message }]),
        [
          ['1-1', { a: '1' }],
          ['2-1', { b: '2' }],
        ],
      );
      const read = (await client.xRead({ key, id: '1-1' })) as unknown;
      assert.ok(JSON.stringify(read).includes('2-1'), JSON.stringify(read));
      await client.xGroupCreate(key, 'g', '0');
      await client.xReadGroup('g', 'c', { key, id: '>' });
      const info = (await client.xInfoStream(key)) as unknown as Record<string, unknown>;
      assert.equal(info['length'], 2);
      assert.equal(info['last-generated-id'] ?? info['lastGeneratedId'], '2-1');
      const groups = (await client.xInfoGroups(key)) as unknown as Record<string, unknown>[];
      assert.equal(groups.length, 1);
      assert.equal(groups[0]?.['name'], 'g');
      assert.equal(groups[0]?.['pending'], 2);
      const auto = (await client.xAutoClaim(key, 'g', 'd', 0, '0-0')) as unknown as Record<
        string,
        unknown
      >;
      assert.equal((auto['messages'] as unknown[]).length, 2);
      const pending = (await client.xPending(key, 'g')) as unknown as Record<string, unknown>;
      assert.equal(pending['pending'], 2);
    }
  });

  it('embedded: streams and groups come back from the log after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-streams-'));
    try {
      const first = await open({ dir, appendfsync: 'always' });
      await first.command('CONFIG', 'SET', 'stream-node-max-entries', '3');
      for (let i = 1; i <= 10; i++) await first.command('XADD', 's', `${i}-1`, 'f', String(i));
      await first.command('XDEL', 's', '5-1');
      await first.command('XTRIM', 's', 'MAXLEN', '~', '6');
      await first.command('XGROUP', 'CREATE', 's', 'g', '0');
      await first.command('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', 's', '>');
      await first.command('XCLAIM', 's', 'g', 'd', '0', '4-1', 'FORCE', 'TIME', '12345');
      await first.command('XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM');
      const before = [
        await first.command('XRANGE', 's', '-', '+'),
        await first.command('XINFO', 'STREAM', 's', 'FULL'),
        await first.command('XINFO', 'STREAM', 'empty', 'FULL'),
      ];
      await first.close();
      const second = await open({ dir });
      try {
        const afterRestart = [
          await second.command('XRANGE', 's', '-', '+'),
          await second.command('XINFO', 'STREAM', 's', 'FULL'),
          await second.command('XINFO', 'STREAM', 'empty', 'FULL'),
        ];
        assert.deepEqual(afterRestart, before);
        // BGREWRITEAOF writes a snapshot of streams and groups; a third start loads it.
        await second.command('BGREWRITEAOF');
        for (;;) {
          const info = String(await second.command('INFO', 'persistence'));
          if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        await second.close();
      }
      const third = await open({ dir });
      try {
        assert.deepEqual(
          [
            await third.command('XRANGE', 's', '-', '+'),
            await third.command('XINFO', 'STREAM', 's', 'FULL'),
            await third.command('XINFO', 'STREAM', 'empty', 'FULL'),
          ],
          before,
        );
      } finally {
        await third.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
