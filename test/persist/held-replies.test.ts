// Under `appendfsync always` a session's replies wait for the fsync of what its commands wrote.
// Commands that arrive meanwhile wait in its parser (reading stops), and run once the replies
// went, in order. The fsync is held by the test (a disk whose datasync waits for a gate), so the
// second batch surely arrives while the first one's reply is held.

import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { Config } from '../../src/commands/config.js';
import type { FileSystem } from '../../src/persist/fs.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { Logger } from '../../src/server/logger.js';
import { ShoalServer } from '../../src/server/server.js';
import type { Session } from '../../src/server/session.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { interceptingHandles } from './helpers.js';

/** A simulated disk whose fsyncs wait while `closed`; `waiting` counts those not yet done. */
class GatedDisk {
  readonly fs: FileSystem;
  closed = false;
  waiting = 0;
  private opened: (() => void)[] = [];

  constructor(disk = new SimulatedFileSystem()) {
    this.fs = interceptingHandles(disk, (handle) => ({
      datasync: async (): Promise<void> => {
        this.waiting++;
        if (this.closed) await new Promise<void>((resolve) => this.opened.push(resolve));
        this.waiting--;
        return handle.datasync();
      },
    }));
  }

  open(): void {
    this.closed = false;
    for (const resolve of this.opened.splice(0)) resolve();
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

it('commands sent while the replies are held run after them, in order', async () => {
  const disk = new GatedDisk();
  const config = new Config();
  config.setMany(
    Object.entries({ port: '0', dir: '/data', appendonly: 'yes', appendfsync: 'always', save: '' }),
    true,
  );
  const server = new ShoalServer({ config, logger: new Logger('nothing'), fileSystem: disk.fs });
  const { port } = await server.listen();
  cleanup.push(() => server.close());
  const client = await RawClient.connect(port);
  cleanup.push(() => client.close());
  assert.equal(await client.call('SET', 'counter', '1'), 'OK');
  // Every client's replies wait for the fsync now (a read sees the unsynced INCR), so the query
  // buffer is looked at in the server itself.
  const sessions = (server as unknown as { sessions: Map<number, Session> }).sessions;
  const session = [...sessions.values()][0] as Session;

  disk.closed = true;
  client.send('INCR', 'counter');
  await waitFor(() => disk.waiting > 0, 'the INCR to wait for its fsync', 5000);
  client.send('INCR', 'counter');
  client.send('GET', 'counter');
  // Received, not run (a command that runs leaves the parser): they wait in the query buffer.
  await waitFor(
    () => session.queryBufferBytes() > 0,
    'the second batch to wait in the query buffer',
    5000,
  );
  disk.open();
  assert.deepEqual(await client.read(3), [2, 3, '3']);
});
