// A member that must catch up from a snapshot larger than the room on its disk (a real tmpfs):
// the chunks go to their file as they come, the disk refuses one, and the member stops, saying
// why (as for any failed write); once there is room it restarts, receives the snapshot whole
// and catches up. The group serves throughout. Mounting needs root (CI runs as root); elsewhere
// the test is skipped, saying so.

import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { Cluster, type Member } from './cluster.js';
import { converged } from './workload.js';

const ELECTION_TIMEOUT_MS = 300;
const SNAPSHOT = ['--raft-snapshot-entries', '20'];
const VALUE = 'v'.repeat(8 * 1024);
const KEYS = 400; // a snapshot of about 3.3 MB
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const cleanup: (() => Promise<void> | void)[] = [];

after(async () => {
  await cluster.stopAll();
  for (const step of cleanup.reverse()) await step();
});

test('a snapshot larger than the room on the disk stops the member; with room it catches up', async (t) => {
  const mount = mountTmpfs(16 * 1024 * 1024);
  if ('why' in mount) return t.skip(mount.why);
  cleanup.push(() => mount.unmount());
  const members: Member[] = [];
  for (let id = 1; id <= 3; id++) members.push(await cluster.add(id));
  const [first, second, small] = members as [Member, Member, Member];
  small.dir = join(mount.dir, 'n3');
  await Promise.all(members.map((m) => cluster.start(m, cluster.peers(), SNAPSHOT)));
  await cluster.agreedLeader(10_000);

  // Member 3 is down while the others write and compact past it.
  await cluster.stop(small);
  const leader = await cluster.agreedLeader(10_000, [first, second]);
  const writer = await RawClient.connect(first.clientPort);
  cleanup.push(() => writer.close());
  for (let i = 0; i < KEYS; i++) assert.equal(await writer.call('SET', `k${i}`, VALUE), 'OK');
  await waitFor(
    async () => Number((await cluster.raftStatus(leader))['first_index']) > KEYS / 2,
    'the leader to compact its log past member 3',
    20_000,
  );

  const freeSpace = mount.fill(1024 * 1024);
  await cluster.start(small, cluster.peers(), SNAPSHOT).catch(() => undefined);
  const child = small.child;
  await waitFor(() => child?.exitCode !== null, `member 3 to stop: ${small.output}`, 30_000);
  assert.notEqual(child?.exitCode, 0, small.output);
  assert.match(small.output, /receiving a snapshot: .*(No space left on device|ENOSPC)/);
  small.child = undefined;
  assert.equal(await writer.call('SET', 'during', 'full'), 'OK', 'the group serves');

  freeSpace();
  await cluster.start(small, cluster.peers(), SNAPSHOT);
  await waitFor(
    () => /installed the leader's snapshot/.test(small.output),
    'member 3 to install the snapshot',
    30_000,
  );
  await converged(cluster, members, 30_000);
  const reader = await RawClient.connect(small.clientPort);
  try {
    assert.equal(await reader.call('READONLY'), 'OK');
    assert.equal(await reader.call('GET', `k${KEYS - 1}`), VALUE);
    assert.equal(await reader.call('GET', 'during'), 'full');
  } finally {
    reader.close();
  }
  // The refused transfer's file went at the restart.
  const raftDir = join(small.dir, 'raft');
  assert.deepEqual(
    readdirSync(raftDir).filter((name) => name.endsWith('.tmp')),
    [],
  );
});
