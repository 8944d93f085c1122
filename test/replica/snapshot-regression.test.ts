// Named regression for the Jepsen Redis-Raft finding "snapshot/log index mismatch" (a node that
// installed a snapshot, or restarted from one, applied entries next to the snapshot index twice
// or not at all, so its state diverged from the leader's at the same index). Here: a writer
// increments a counter on the leader without pause while a follower is left behind the
// compaction, catches up from a streamed snapshot, and is killed (-9) and restarted right after
// installing it, twice. Then every node's dataset equals the leader's at the same applied index,
// and the counter equals the number of acknowledged increments.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';
import { caughtUp, contents } from './dataset.js';

const SNAPSHOT = ['--raft-snapshot-entries', '20'];
const cluster = new Cluster(300);

after(() => cluster.stopAll());

test('redis-raft: snapshot/log index mismatch', { timeout: 90_000 }, async () => {
  for (let id = 1; id <= 3; id++) await cluster.add(id);
  await Promise.all(cluster.members.map((m) => cluster.start(m, cluster.peers(), SNAPSHOT)));
  const leader = await cluster.agreedLeader(10_000);
  const follower = cluster.members.find((m) => m !== leader) as Member;

  let acknowledged = 0;
  let stop = false;
  const client = await RawClient.connect(leader.clientPort);
  const writer = (async () => {
    while (!stop) {
      const reply = await client.call('INCR', 'counter');
      assert.equal(reply, acknowledged + 1, 'every increment is acknowledged, in order');
      acknowledged++;
      assert.equal(await client.call('SET', `k${acknowledged % 37}`, String(acknowledged)), 'OK');
    }
  })();
  const progress = (count: number) => {
    const target = acknowledged + count;
    return waitFor(() => acknowledged >= target, `${count} more increments`, 20_000);
  };
  try {
    for (let round = 1; round <= 2; round++) {
      await cluster.stop(follower);
      await progress(60); // the leader compacts past the follower (20-entry snapshots)
      await cluster.start(follower, cluster.peers(), SNAPSHOT); // (output starts afresh)
      await waitFor(
        () => /installed the leader's snapshot/.test(follower.output),
        `round ${round}: the follower to install a snapshot`,
        20_000,
      );
      // Killed just after the install, while entries after the snapshot index arrive; it
      // restarts from its snapshot file and the log after it.
      await cluster.stop(follower);
      await cluster.start(follower, cluster.peers(), SNAPSHOT);
      assert.match(follower.output, /loaded the Raft snapshot at \d+/);
      await progress(30);
    }
  } finally {
    stop = true;
    await writer.finally(() => client.close());
  }
  await caughtUp(cluster, leader);
  const expected = await contents(leader);
  assert.ok(expected.includes(`counter=${acknowledged}`), `counter is ${acknowledged}`);
  for (const member of cluster.members) {
    assert.deepEqual(await contents(member), expected, `node ${member.id} equals the leader`);
    const status = await cluster.raftStatus(member);
    assert.ok(Number(status['snapshot_index']) > 0, `node ${member.id} has a snapshot`);
  }
});
