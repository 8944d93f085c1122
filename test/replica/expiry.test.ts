// Expiry in a replica group: the leader decides (lazily on access and in its active cycle) and
// replicates each expiry as a deletion; followers never delete on their own but read a key past
// its time as absent. A key once seen as expired never reappears on any node, also after the
// leader is killed and the group fails over.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { waitFor } from '../helpers/servers.js';
import { Cluster } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

test(
  'expiry is decided by the leader, replicated as deletions, and never undone',
  { timeout: 60_000 },
  async () => {
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    await Promise.all(cluster.members.map((member) => cluster.start(member)));
    const leader = await cluster.agreedLeader(10_000);
    const followers = cluster.members.filter((m) => m !== leader);
    const keys = Array.from({ length: 50 }, (_, i) => `temp:${i}`);
    for (const key of keys)
      assert.equal(await cluster.call(leader, 'SET', key, 'v', 'PX', '300'), 'OK');
    assert.equal(await cluster.call(leader, 'SET', 'kept', 'v'), 'OK');
    // 'kept' was written last: a follower that holds it has applied every write before it.
    for (const follower of followers)
      await waitFor(
        async () => (await cluster.localCall(follower, 'GET', 'kept')) === 'v',
        `node ${follower.id} to apply the writes`,
        10_000,
      );

    // Once a key is past its time, every node reads it as absent, even before the deletion
    // arrives (followers use their own clock for reads and never delete).
    await waitFor(
      async () => (await cluster.call(leader, 'EXISTS', ...keys)) === 0,
      'the keys to expire on the leader',
      10_000,
    );
    for (const member of cluster.members) {
      assert.equal(await cluster.localCall(member, 'EXISTS', ...keys), 0, `node ${member.id}`);
      assert.equal(await cluster.call(member, 'EXISTS', ...keys), 0, `node ${member.id}`);
    }
    // The leader's deletions reach the followers' data (DBSIZE counts keys not yet deleted).
    for (const member of cluster.members)
      await waitFor(
        async () => (await cluster.localCall(member, 'DBSIZE')) === 1,
        `node ${member.id} to hold only the key without a TTL`,
        10_000,
      );

    // Kill the leader: the new leader and the restarted node still have no trace of them.
    await cluster.stop(leader, 'SIGKILL');
    const next = await cluster.agreedLeader(10 * ELECTION_TIMEOUT_MS + 5000, followers);
    await cluster.start(leader);
    await waitFor(
      async () =>
        (await cluster.raftStatus(leader).catch(() => undefined))?.['leader'] === String(next.id),
      'the restarted node to follow',
      10_000,
    );
    for (const member of cluster.members) {
      await waitFor(
        async () => (await cluster.localCall(member, 'DBSIZE')) === 1,
        `node ${member.id} to hold one key`,
        10_000,
      );
      assert.equal(await cluster.call(member, 'EXISTS', ...keys), 0);
      assert.equal(await cluster.call(member, 'GET', 'kept'), 'v');
    }
  },
);
