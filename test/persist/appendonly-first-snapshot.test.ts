// CONFIG SET appendonly yes on the simulated disk, with a slow fsync holding its first snapshot
// back: the snapshot runs in the background (the server keeps answering, writes included, and
// replies do not wait for the disk), nothing of the log reaches the disk before the snapshot is
// durable (a crash then finds no half dataset), and once it is, writes are logged and durable.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Config } from '../../src/commands/config.js';
import { classify } from '../../src/persist/names.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { Logger } from '../../src/server/logger.js';
import { ShoalServer } from '../../src/server/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';

async function startOnDisk(
  fs: SimulatedFileSystem,
  appendonly: 'yes' | 'no',
): Promise<{ server: ShoalServer; client: RawClient }> {
  const config = new Config();
  config.setMany(
    Object.entries({ port: '0', dir: '/data', appendonly, appendfsync: 'always', save: '' }),
    true,
  );
  const server = new ShoalServer({ config, logger: new Logger('nothing'), fileSystem: fs });
  const { port } = await server.listen();
  const client = await RawClient.connect(port);
  return { server, client };
}

/** Turns `appendonly` on with every fsync held back; `endSlowDisk` lets them through. */
async function switchOnSlowDisk(): Promise<{
  fs: SimulatedFileSystem;
  server: ShoalServer;
  client: RawClient;
  endSlowDisk: () => void;
}> {
  const fs = new SimulatedFileSystem();
  const { server, client } = await startOnDisk(fs, 'no');
  assert.equal(await client.call('SET', 'before', '1'), 'OK');
  let endSync = (): void => undefined;
  fs.syncGate = new Promise((resolve) => (endSync = resolve));
  assert.equal(await client.call('CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
  await waitFor(
    () => server.persistence?.info()['aof_rewrite_in_progress'] === 1,
    'the first snapshot to start',
  );
  const endSlowDisk = (): void => {
    fs.syncGate = undefined;
    endSync();
  };
  return { fs, server, client, endSlowDisk };
}

describe('CONFIG SET appendonly yes: the first snapshot', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('runs in the background; until it is durable the log writes nothing, so a crash loses only what appendonly no would', async () => {
    const { fs, server, client, endSlowDisk } = await switchOnSlowDisk();
    // Not awaited: after fs.crash() this server's disk is dead, so close() would wait forever.
    cleanup.push(
      () => client.close(),
      () => void server.close(),
      endSlowDisk,
    );
    // The server keeps serving while the snapshot waits for the disk, and the write's reply does
    // not wait for an fsync (there is no durable log to wait for yet, as with appendonly no).
    assert.equal(await client.call('SET', 'during', '2'), 'OK');
    assert.equal(await client.call('GET', 'before'), '1');
    assert.deepEqual(
      classify(fs.readdirSync('/data')).segments,
      [],
      'no log segment before the snapshot it follows is durable',
    );
    // Power loss keeping every byte written: without a snapshot there must be no log entry
    // either, or the restart would load 'during' without 'before', a dataset that never was.
    const again = await startOnDisk(
      fs.crash(() => 1),
      'yes',
    );
    cleanup.push(
      () => again.client.close(),
      () => again.server.close(),
    );
    assert.deepEqual(await again.client.call('MGET', 'before', 'during'), [null, null]);
  });

  it('once durable, the log follows it: every acknowledged write survives a crash', async () => {
    const { fs, server, client, endSlowDisk } = await switchOnSlowDisk();
    cleanup.push(
      () => client.close(),
      () => void server.close(),
    );
    assert.equal(await client.call('SET', 'during', '2'), 'OK');
    endSlowDisk();
    await waitFor(
      () => server.persistence?.info()['aof_rewrite_in_progress'] === 0,
      'the first snapshot to finish',
    );
    assert.equal(server.persistence?.info()['aof_last_bgrewrite_status'], 'ok');
    assert.equal(await client.call('SET', 'after', '3'), 'OK');
    const again = await startOnDisk(
      fs.crash(() => 0),
      'yes',
    ); // nothing unsynced survives
    cleanup.push(
      () => again.client.close(),
      () => again.server.close(),
    );
    assert.deepEqual(await again.client.call('MGET', 'before', 'during', 'after'), ['1', '2', '3']);
  });
});
