// A replica group member whose disk fills up (a real tmpfs, its Raft log and snapshots on it),
// while it leads: it stops, saying why, as an etcd member does; the other two elect a leader and
// go on serving writes;
// once there is room again the member restarts on the same disk (whatever its log held that it
// had not fsynced is cut off) and catches up, and every acknowledged write is on every member.
// Mounting needs root (CI runs as root); elsewhere the test is skipped, saying so.

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { Cluster, type Member } from './cluster.js';
import { converged } from './workload.js';

const ELECTION_TIMEOUT_MS = 300;
const VALUE = 'v'.repeat(8 * 1024);
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const cleanup: (() => Promise<void> | void)[] = [];

after(async () => {
  await cluster.stopAll();
  for (const step of cleanup.reverse()) await step();
});

test('a member whose disk is full stops; the group goes on; it catches up once there is room', async (t) => {
  const mount = mountTmpfs(16 * 1024 * 1024);
  if ('why' in mount) return t.skip(mount.why);
  cleanup.push(() => mount.unmount());
  const members: Member[] = [];
  for (let id = 1; id <= 3; id++) members.push(await cluster.add(id));
  const [first, second, full] = members as [Member, Member, Member];
  full.dir = join(mount.dir, 'n3');
  await Promise.all(members.map((m) => cluster.start(m)));
  // The member whose disk fills up leads: its writes stop, and the group must fail over.
  const leader = await cluster.agreedLeader(10_000);
  if (leader !== full) {
    assert.equal(await cluster.call(leader, 'RAFT', 'TRANSFER-LEADER', '3'), 'OK');
    await waitFor(async () => (await cluster.agreedLeader(10_000)) === full, 'member 3 to lead');
  }

  const freeSpace = mount.fill(512 * 1024);
  // Writes through member 1 (relayed if it is not the leader) until member 3 stops.
  const writer = await RawClient.connect(first.clientPort);
  cleanup.push(() => writer.close());
  const acknowledged: string[] = [];
  const exited = (): boolean => full.child?.exitCode !== null;
  for (let i = 0; ; i++) {
    assert.ok(i < 10_000, 'member 3 never ran out of disk');
    const reply = await writer.call('SET', `k${i}`, VALUE).catch((error: Error) => error);
    if (reply !== 'OK') break; // the leader could not store it
    acknowledged.push(`k${i}`);
  }
  await waitFor(exited, `member 3 to stop: ${full.output}`, 30_000);
  assert.notEqual(full.child?.exitCode, 0, full.output);
  assert.match(full.output, /No space left on device|ENOSPC/);
  full.child = undefined;

  // Two of three: still a majority.
  const survivors = [first, second];
  await cluster.agreedLeader(10 * ELECTION_TIMEOUT_MS + 5000, survivors);
  const client = await RawClient.connect(first.clientPort);
  cleanup.push(() => client.close());
  await waitFor(async () => (await client.call('SET', 'after', 'full')) === 'OK', 'writes', 10_000);
  acknowledged.push('after');

  // Room again: member 3 restarts on its disk and catches up.
  freeSpace();
  await cluster.start(full);
  await converged(cluster, members, 30_000);
  for (const member of members) {
    const reader = await RawClient.connect(member.clientPort);
    try {
      assert.equal(await reader.call('READONLY'), 'OK');
      for (const key of acknowledged) {
        const expected = key === 'after' ? 'full' : VALUE;
        assert.equal(await reader.call('GET', key), expected, `${key} on member ${member.id}`);
      }
    } finally {
      reader.close();
    }
  }
});
