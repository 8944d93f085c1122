// Disk errors through the real server on the simulated disk: when the disk fills up (ENOSPC) or
// fsync fails (EIO), write commands get Redis's MISCONF, reads keep working, the server stays
// up, nothing unpersisted is acknowledged, and writes resume by themselves once the disk
// accepts data again.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Config } from '../../src/commands/config.js';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { Logger } from '../../src/server/logger.js';
import { ShoalServer } from '../../src/server/server.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';

async function startOnDisk(
  fs: SimulatedFileSystem,
): Promise<{ server: ShoalServer; port: number }> {
  const config = new Config();
  config.setMany(
    Object.entries({ port: '0', dir: '/data', appendonly: 'yes', appendfsync: 'always', save: '' }),
    true,
  );
  const server = new ShoalServer({ config, logger: new Logger('nothing'), fileSystem: fs });
  const { port } = await server.listen();
  return { server, port };
}

/**
 * A disk with less than four times a first spare segment free, so the log prepares no spare: a
 * disk filled by the test stays full. (A log that fills the disk gives up its spare, which
 * frees room: log-writer.test.ts.)
 */
function smallDisk(): SimulatedFileSystem {
  const fs = new SimulatedFileSystem();
  fs.capacityBytes = 512 * 1024;
  return fs;
}

describe('disk errors', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('disk full: MISCONF for writes, reads work, the held write is acknowledged only once stored', async () => {
    const fs = smallDisk();
    const { server, port } = await startOnDisk(fs);
    // Not awaited: after fs.crash() below this server's disk is dead, like a machine without
    // power, so its close() would wait forever on the log.
    cleanup.push(() => void server.close());
    const client = await RawClient.connect(port);
    const reader = await RawClient.connect(port);
    cleanup.push(
      () => client.close(),
      () => reader.close(),
    );
    assert.equal(await client.call('SET', 'before', '1'), 'OK');

    fs.capacityBytes = fs.usedBytes() + 10; // the next write does not fit
    client.send('SET', 'big', 'x'.repeat(100));
    // The write's reply is held (not acknowledged) while the disk refuses it...
    await waitFor(() => server.persistence?.info()['aof_last_write_status'] === 'err', 'the error');
    const refusal = (await reader.call('SET', 'other', '1')) as ReplyError;
    assert.equal(
      refusal.message,
      'MISCONF Errors writing to the AOF file: No space left on device',
    );
    assert.equal(await reader.call('GET', 'before'), '1', 'reads keep working');
    // As Redis: PING is refused too, so a health check sees the failure.
    assert.equal(
      ((await reader.call('PING')) as ReplyError).message,
      'MISCONF Errors writing to the AOF file: No space left on device',
    );
    const info = String(await reader.call('INFO', 'persistence'));
    assert.match(info, /aof_last_write_status:err/);
    await assert.rejects(client.read(1, 300), /timed out/, 'SET big is not acknowledged');

    // ... and goes out once the disk has room again; then writes are accepted again.
    fs.capacityBytes = Number.POSITIVE_INFINITY;
    assert.deepEqual(await client.read(1), ['OK']);
    await waitFor(async () => (await reader.call('SET', 'after', '2')) === 'OK', 'writes resume');
    assert.match(String(await reader.call('INFO', 'persistence')), /aof_last_write_status:ok/);

    // Everything acknowledged is on disk.
    const restarted = fs.crash(() => 1);
    const again = await startOnDisk(restarted);
    cleanup.push(() => again.server.close());
    const check = await RawClient.connect(again.port);
    cleanup.push(() => check.close());
    assert.deepEqual(await check.call('MGET', 'before', 'big', 'after'), [
      '1',
      'x'.repeat(100),
      '2',
    ]);
  });

  it('a read held behind a write that then fails is answered once the disk refuses it', async () => {
    const fs = smallDisk();
    const { server, port } = await startOnDisk(fs);
    cleanup.push(() => void server.close()); // its disk stays full (see above)
    const writer = await RawClient.connect(port);
    const reader = await RawClient.connect(port);
    cleanup.push(
      () => writer.close(),
      () => reader.close(),
    );
    assert.equal(await writer.call('SET', 'k', 'v0'), 'OK');
    const persistence = server.persistence as NonNullable<typeof server.persistence>;
    // A slow fsync: SET first is written and waits for it; SET second waits unwritten behind it.
    let endSync = (): void => undefined;
    fs.syncGate = new Promise((resolve) => (endSync = resolve));
    const appended = persistence.lastAppendedSequence;
    const writes = fs.counts.write;
    writer.send('SET', 'first', '1');
    await waitFor(() => fs.counts.write > writes, 'SET first written');
    const second = await RawClient.connect(port); // the writer's connection waits for its reply
    cleanup.push(() => second.close());
    second.send('SET', 'second', '2');
    await waitFor(() => persistence.lastAppendedSequence === appended + 2, 'SET second appended');
    fs.capacityBytes = fs.usedBytes(); // SET second will not fit
    // The GET is held: it could reveal SET second, not durable yet.
    const commands = server.executor.commandsProcessed;
    reader.send('GET', 'k');
    await waitFor(() => server.executor.commandsProcessed > commands, 'the GET to run');
    fs.syncGate = undefined;
    endSync();
    assert.deepEqual(await writer.read(1), ['OK'], 'SET first is durable');
    // SET second's write fails: the disk refuses writes, and the held read is answered.
    assert.deepEqual(await reader.read(1), ['v0']);
    await assert.rejects(second.read(1, 300), /timed out/, 'SET second is not acknowledged');
  });

  it('fsync error (EIO): the data is written again and synced before the reply', async () => {
    const fs = new SimulatedFileSystem();
    const { server, port } = await startOnDisk(fs);
    cleanup.push(() => void server.close()); // its disk dies below (see above)
    const client = await RawClient.connect(port);
    cleanup.push(() => client.close());
    fs.failNext('datasync', 'EIO', /\.seg$/); // the log's, not a spare segment's
    assert.equal(await client.call('SET', 'k', 'v'), 'OK');
    assert.equal(fs.failuresPending, 0, "the log's fsync failed once");
    const restarted = fs.crash(() => 0); // nothing unsynced survives
    const again = await startOnDisk(restarted);
    cleanup.push(() => again.server.close());
    const check = await RawClient.connect(again.port);
    cleanup.push(() => check.close());
    assert.equal(await check.call('GET', 'k'), 'v');
  });

  it('a failed background snapshot refuses writes with the RDB MISCONF until one succeeds', async () => {
    const fs = new SimulatedFileSystem();
    const config = new Config();
    config.setMany(Object.entries({ port: '0', dir: '/data', save: '3600 1' }), true);
    const server = new ShoalServer({ config, logger: new Logger('nothing'), fileSystem: fs });
    const { port } = await server.listen();
    cleanup.push(() => server.close());
    const client = await RawClient.connect(port);
    cleanup.push(() => client.close());
    assert.equal(await client.call('SET', 'k', 'v'), 'OK');
    fs.failNext('rename', 'EIO', /snapshot/); // the snapshot's, not a spare segment's
    assert.equal(await client.call('BGSAVE'), 'Background saving started');
    await waitFor(
      async () =>
        /rdb_last_bgsave_status:err/.test(String(await client.call('INFO', 'persistence'))),
      'the snapshot to fail',
    );
    const refusal = (await client.call('SET', 'k', 'w')) as ReplyError;
    assert.match(refusal.message, /^MISCONF Redis is configured to save RDB snapshots/);
    assert.equal(await client.call('GET', 'k'), 'v');
    assert.match(((await client.call('PING')) as ReplyError).message, /^MISCONF/);
    assert.equal(await client.call('BGSAVE'), 'Background saving started');
    await waitFor(async () => (await client.call('SET', 'k', 'w')) === 'OK', 'writes resume');
    assert.equal(await client.call('PING'), 'PONG');
  });
});
