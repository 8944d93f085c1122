// CONFIG SET appendonly at run time, through real server processes: yes on a server started
// without persistence saves the dataset and logs every later write (kill -9 and a restart bring
// all of it back, expiry included); no stops logging, and a later yes continues the same files;
// yes on a directory that holds another run's dataset is refused, naming it; the embedded store
// and a replica group node keep the setting fixed.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { open } from '../../src/embedded/index.js';
import type { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, spawnShoal, waitFor } from '../helpers/servers.js';

describe('CONFIG SET appendonly', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  function directory(): string {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-aof-switch-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function start(args: string[]): Promise<{ server: ChildServer; client: RawClient }> {
    const server = await spawnShoal([...args, '--save', '']);
    const client = await RawClient.connect(server.port);
    cleanup.push(
      () => client.close(),
      () => server.stop(),
    );
    return { server, client };
  }

  /** As a Redis client would see a switch end: for yes, also the first rewrite is done. */
  async function aofEnabled(client: RawClient, enabled: 0 | 1): Promise<void> {
    await waitFor(async () => {
      const info = String(await client.call('INFO', 'persistence'));
      return info.includes(`aof_enabled:${enabled}`) && info.includes('aof_rewrite_in_progress:0');
    }, `aof_enabled:${enabled}, no rewrite in progress`);
  }

  async function killAndRestart(server: ChildServer, dir: string): Promise<RawClient> {
    server.process.kill('SIGKILL');
    await server.stop();
    return (await start(['--dir', dir, '--appendonly', 'yes'])).client;
  }

  it('yes: saves what was only in memory, then logs every write', async () => {
    const dir = directory();
    const { server, client } = await start(['--dir', dir, '--appendonly', 'no']);
    assert.equal(await client.call('SET', 'before', '1'), 'OK');
    assert.equal(await client.call('SET', 'expiring', 'x', 'PX', '600000'), 'OK');
    assert.equal(await client.call('RPUSH', 'list', 'a', 'b'), 2);
    assert.deepEqual(readdirSync(dir), [], 'nothing on disk with appendonly no');
    assert.equal(await client.call('CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
    await aofEnabled(client, 1);
    assert.deepEqual(await client.call('CONFIG', 'GET', 'appendonly'), ['appendonly', 'yes']);
    assert.equal(await client.call('SET', 'after', '2'), 'OK');
    assert.equal(await client.call('INCR', 'counter'), 1);

    const again = await killAndRestart(server, dir);
    assert.deepEqual(await again.call('MGET', 'before', 'after', 'counter'), ['1', '2', '1']);
    assert.deepEqual(await again.call('LRANGE', 'list', '0', '-1'), ['a', 'b']);
    const ttl = (await again.call('PTTL', 'expiring')) as number;
    assert.ok(ttl > 500_000 && ttl <= 600_000, `PTTL ${ttl}`);
  });

  it('no: stops logging; a later yes continues the same files', async () => {
    const dir = directory();
    const { server, client } = await start(['--dir', dir, '--appendonly', 'yes']);
    assert.equal(await client.call('SET', 'first', '1'), 'OK');
    assert.equal(await client.call('CONFIG', 'SET', 'appendonly', 'no'), 'OK');
    await aofEnabled(client, 0);
    assert.equal(await client.call('SET', 'unlogged', '2'), 'OK');
    assert.equal(
      ((await client.call('BGSAVE')) as ReplyError).message,
      'ERR persistence is off (appendonly no): nothing is kept on disk',
    );
    assert.equal(await client.call('CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
    await aofEnabled(client, 1);
    assert.equal(await client.call('SET', 'third', '3'), 'OK');

    const again = await killAndRestart(server, dir);
    assert.deepEqual(await again.call('MGET', 'first', 'unlogged', 'third'), ['1', '2', '3']);
  });

  it('yes under load: every write acknowledged once it took effect survives kill -9', async () => {
    const dir = directory();
    const { server, client } = await start(['--dir', dir, '--appendonly', 'no']);
    const writers = await Promise.all(
      Array.from({ length: 4 }, () => RawClient.connect(server.port)),
    );
    cleanup.push(() => writers.forEach((writer) => writer.close()));
    // Each writer APPENDs to its string, pipelined, until the process dies; `acknowledged` keeps
    // the last length each one saw, `enabled` those seen once aof_enabled was 1. APPEND is logged
    // as a change relative to the value: had a write slipped between the first snapshot and the
    // log, the string would come back shorter than acknowledged.
    const acknowledged = [0, 0, 0, 0];
    let stop = false;
    const running = writers.map(async (writer, id) => {
      while (!stop) {
        for (let i = 0; i < 8; i++) writer.send('APPEND', `log${id}`, 'x');
        const replies = await writer.read(8).catch(() => []);
        const last = replies[replies.length - 1];
        if (typeof last === 'number') acknowledged[id] = last;
        if (replies.length < 8) return; // the connection closed
      }
    });
    await waitFor(() => acknowledged.every((value) => value > 100), 'writes before the switch');
    assert.equal(await client.call('CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
    await aofEnabled(client, 1);
    const enabled = [...acknowledged];
    await waitFor(
      () => acknowledged.every((value, id) => value > (enabled[id] as number) + 100),
      'writes after the switch',
    );
    server.process.kill('SIGKILL');
    await server.stop();
    stop = true;
    await Promise.all(running);
    const again = (await start(['--dir', dir, '--appendonly', 'yes'])).client;
    for (let id = 0; id < 4; id++) {
      const stored = (await again.call('STRLEN', `log${id}`)) as number;
      assert.ok(
        stored >= (acknowledged[id] as number),
        `log${id}: ${stored} < ${acknowledged[id]}`,
      );
    }
  });

  it('kill -9 while the first snapshot is written: the restart finds all of the dataset or none', async () => {
    const dir = directory();
    const { server, client } = await start(['--dir', dir, '--appendonly', 'no']);
    const KEYS = 200_000;
    for (let at = 0; at < KEYS; at += 1000) {
      const argv = ['MSET'];
      for (let i = at; i < at + 1000; i++) argv.push(`key:${i}`, 'v');
      client.send(...argv);
    }
    assert.ok((await client.read(KEYS / 1000, 30_000)).every((reply) => reply === 'OK'));
    assert.equal(await client.call('CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
    // The switch has happened (the log is open, held) once INFO says so; its snapshot runs on.
    await waitFor(
      async () => String(await client.call('INFO', 'persistence')).includes('aof_enabled:1'),
      'aof_enabled:1',
    );
    // Writes while the snapshot runs: logged, but not on disk before the snapshot is.
    for (let i = 0; i < 50; i++) assert.equal(await client.call('SET', `during:${i}`, 'x'), 'OK');
    server.process.kill('SIGKILL');
    await server.stop();
    const again = (await start(['--dir', dir, '--appendonly', 'yes'])).client;
    const keys = (await again.call('DBSIZE')) as number;
    // Without its snapshot, a log entry would bring back 'during:*' alone: a dataset that never was.
    assert.ok(keys === 0 || keys >= KEYS, `${keys} keys after the restart`);
    if (keys >= KEYS) assert.equal(await again.call('GET', `key:${KEYS - 1}`), 'v');
    // (Which case ran depends on the snapshot's speed; the kill usually comes first.)
  });

  it('switches sent back to back converge on the last one', async () => {
    const dir = directory();
    const { server, client } = await start(['--dir', dir, '--appendonly', 'no']);
    assert.equal(await client.call('SET', 'k', '1'), 'OK');
    for (const value of ['yes', 'no', 'yes', 'no', 'yes']) {
      client.send('CONFIG', 'SET', 'appendonly', value);
    }
    assert.deepEqual(await client.read(5), ['OK', 'OK', 'OK', 'OK', 'OK']);
    await aofEnabled(client, 1);
    assert.equal(await client.call('SET', 'k', '2'), 'OK');
    const again = await killAndRestart(server, dir);
    assert.equal(await again.call('GET', 'k'), '2');
  });

  it('refuses yes on a directory that holds another dataset, and keeps serving', async () => {
    const dir = directory();
    const first = await start(['--dir', dir, '--appendonly', 'yes']);
    assert.equal(await first.client.call('SET', 'old', 'data'), 'OK');
    await first.server.stop();
    const { client } = await start(['--dir', dir, '--appendonly', 'no']);
    const refused = (await client.call('CONFIG', 'SET', 'appendonly', 'yes')) as ReplyError;
    assert.match(
      refused.message,
      /^ERR CONFIG SET failed \(possibly related to argument 'appendonly'\) - .* holds a Shoal dataset from another run/,
    );
    assert.deepEqual(await client.call('CONFIG', 'GET', 'appendonly'), ['appendonly', 'no']);
    assert.equal(await client.call('SET', 'k', 'v'), 'OK');
  });

  it('embedded: the setting is fixed (open() decides)', async () => {
    const db = await open();
    try {
      await assert.rejects(
        db.command('CONFIG', 'SET', 'appendonly', 'yes'),
        /can't set immutable config/,
      );
    } finally {
      await db.close();
    }
  });
});
