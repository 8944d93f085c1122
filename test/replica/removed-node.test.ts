// A node removed while it was down never receives the entry that removed it. When it comes
// back, the members it contacts tell it so (they remember removed ids, across snapshots and
// restarts), and it stops, as a removed etcd member does. Its id cannot be added again.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

/**
 * A write through the leader `among` agree on, again until it is acknowledged: with this short
 * election timeout a loaded machine may move the leadership, and a write whose leader changed
 * gets an error or a closed connection.
 */
async function writeThroughLeader(among: Member[], ...argv: string[]): Promise<void> {
  await waitFor(
    async () => (await cluster.call(await cluster.agreedLeader(10_000, among), ...argv)) === 'OK',
    `${argv.join(' ')} acknowledged`,
    30_000,
  );
}

test(
  'a node removed while down is told so when it comes back, and stops',
  { timeout: 90_000 },
  async () => {
    const snapshots = ['--raft-snapshot-entries', '20'];
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    const peers = cluster.peers();
    await Promise.all(cluster.members.map((m) => cluster.start(m, peers, snapshots)));
    const leader = await cluster.agreedLeader(10_000);
    const gone = cluster.members.find((m) => m !== leader) as Member;
    const stay = cluster.members.filter((m) => m !== gone);
    await writeThroughLeader(cluster.members, 'SET', 'before', '1');

    await cluster.stop(gone);
    const voters = stay.map((m) => String(m.id)).join(',');
    // Again until acknowledged, or applied already (an earlier try whose reply was lost).
    await waitFor(
      async () =>
        (await cluster.call(
          await cluster.agreedLeader(10_000, stay),
          'RAFT',
          'REMOVE-NODE',
          String(gone.id),
        )) === 'OK' || (await cluster.raftStatus(stay[0] as Member))['voters'] === voters,
      'the removal acknowledged',
      30_000,
    );
    await waitFor(
      async () =>
        (await Promise.all(stay.map((m) => cluster.raftStatus(m)))).every(
          (status) => status['voters'] === voters,
        ),
      'both remaining members to apply the removal',
      10_000,
    );
    const removedAt = Number(
      (await cluster.raftStatus(await cluster.agreedLeader(10_000, stay)))['commit_index'],
    );

    // Enough writes for a snapshot past the removal, so the members restart without the entry
    // that removed it: they must remember the removed id from the snapshot.
    for (let i = 0; i < 60; i++) await writeThroughLeader(stay, 'SET', `k${i}`, 'v');
    await waitFor(
      async () =>
        (await Promise.all(stay.map((m) => cluster.raftStatus(m)))).every(
          (status) => Number(status['snapshot_index']) > removedAt,
        ),
      'snapshots past the removal on both members',
      15_000,
    );
    const remaining = cluster.peers(stay);
    for (const member of stay) {
      await cluster.stop(member);
      await cluster.start(member, remaining, snapshots);
    }
    await cluster.agreedLeader(10_000, stay);

    // The removed node comes back with its old configuration (itself and both others voters),
    // campaigns, is told, and stops. (It may stop before its start is even seen.)
    await cluster.start(gone, peers, snapshots).catch(() => undefined);
    const child = gone.child;
    await waitFor(
      () => child === undefined || child.exitCode !== null,
      'the removed node to stop',
      15_000,
    );
    assert.match(
      gone.output,
      new RegExp(`node \\d says this node \\(${gone.id}\\) was removed from the replica group`),
    );

    // The group is unaffected, and the id cannot come back.
    await writeThroughLeader(stay, 'SET', 'after', '2');
    const again = await cluster.call(
      await cluster.agreedLeader(10_000, stay),
      'RAFT',
      'ADD-NODE',
      String(gone.id),
      cluster.address(gone),
    );
    assert.ok(again instanceof ReplyError && /was removed from the group/.test(again.message));
  },
);
