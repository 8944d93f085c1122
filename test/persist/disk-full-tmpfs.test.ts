// Disk full on a real file system, end to end: the server process writes its log on a small
// tmpfs that a filler file has all but filled. The kernel's ENOSPC must give write commands
// MISCONF while reads keep working, hold the write that hit it unanswered (never a false +OK),
// and once the filler is removed, writes resume by themselves and the held write is answered.
// After kill -9 and a restart on the same disk, every acknowledged write is there.
// Mounting a tmpfs needs root (CI runs as root); elsewhere the test is skipped, saying so.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Reply, ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, spawnShoal, waitFor } from '../helpers/servers.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const TMPFS_BYTES = 8 * 1024 * 1024;
/** Room the filler leaves: a few dozen of the values below. */
const ROOM_BYTES = 256 * 1024;
const VALUE = 'v'.repeat(8 * 1024);

describe('disk full on a real tmpfs', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('MISCONF while full, reads work, writes resume once space is freed, nothing acknowledged is lost', async (t) => {
    const mount = mountTmpfs(TMPFS_BYTES);
    if ('why' in mount) return t.skip(mount.why);
    const root = mount.dir;
    cleanup.push(() => mount.unmount());
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    const args = ['--dir', dataDir, '--appendfsync', 'always', '--save', ''];
    // Filled before the server starts, so its log makes no spare segment (it wants 4x the
    // room): with one, the log would move into the spare and, once that filled, fail opening
    // the next segment after a write was acknowledged, so no write would be held.
    const freeSpace = mount.fill(ROOM_BYTES);
    let server: ChildServer = await spawnShoal(args);
    cleanup.push(() => server.stop());

    const writer = await RawClient.connect(server.port);
    const probe = await RawClient.connect(server.port);
    cleanup.push(() => {
      writer.close();
      probe.close();
    });
    assert.equal(await probe.call('SET', 'before', 'full'), 'OK');

    // The writer sends SETs one at a time until one is not answered: the log could not store
    // it, so it is held, and INFO reports the write error.
    const acknowledged: string[] = [];
    let held: { key: string; reply: Promise<Reply[]> } | undefined;
    for (let i = 0; held === undefined; i++) {
      assert.ok(i < 10_000, 'the disk never filled up');
      const key = `k${i}`;
      writer.send('SET', key, VALUE);
      let answered = false;
      const reply = writer.read(1, 120_000);
      void reply.then(() => (answered = true)).catch(() => undefined);
      await waitFor(
        async () =>
          answered ||
          /aof_last_write_status:err/.test(String(await probe.call('INFO', 'persistence'))),
        `SET ${key} to be answered or the log to fail`,
        30_000,
      );
      if (!answered) {
        held = { key, reply };
        break;
      }
      const [answer] = await reply;
      assert.equal(answer, 'OK', `SET ${key}`);
      acknowledged.push(key);
    }
    assert.ok(acknowledged.length > 0, 'some writes fit before the disk filled');
    const refused = (await probe.call('SET', 'probe', '1')) as ReplyError;
    assert.equal(
      refused.message,
      'MISCONF Errors writing to the AOF file: No space left on device',
    );
    assert.equal(await probe.call('GET', 'before'), 'full');
    assert.equal(await probe.call('GET', acknowledged[0] as string), VALUE);

    // Space again: the server retries by itself; the held write is answered +OK.
    freeSpace();
    const [heldReply] = await held.reply;
    assert.equal(heldReply, 'OK');
    acknowledged.push(held.key);
    await waitFor(
      async () => (await probe.call('SET', 'after', 'freed')) === 'OK',
      'writes to be accepted again',
      30_000,
    );
    acknowledged.push('after');

    // kill -9 and restart on the same disk: every acknowledged write is there.
    server.process.kill('SIGKILL');
    await server.stop();
    writer.close();
    probe.close();
    server = await spawnShoal(args);
    const reader = await RawClient.connect(server.port);
    cleanup.push(() => reader.close());
    assert.equal(await reader.call('GET', 'before'), 'full');
    assert.equal(await reader.call('GET', 'after'), 'freed');
    for (const key of acknowledged.slice(0, -1)) {
      assert.equal(await reader.call('GET', key), VALUE, key);
    }
  });
});
