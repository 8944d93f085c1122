// WATCH/MULTI/EXEC across a leader change (found by reasoning over the nemesis runner's CAS; the
// runner's WATCH-based compare-and-set relies on it). A client's WATCH lives on the node that
// ran it: the leader itself, or (for a client of a follower) the leader's session at the other
// end of the follower's relay. If leadership moves between WATCH and EXEC, the EXEC must not
// succeed unconditionally on a node that never saw the WATCH while another client changed the
// key: it must answer nil, an error, or close the connection (its state is gone).

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

/** Moves leadership to `to`, asking again if an election under load got in the way. */
async function transfer(to: Member): Promise<void> {
  await waitFor(
    async () => {
      const leader = await cluster.agreedLeader(5000);
      if (leader === to) return true;
      await cluster.call(leader, 'RAFT', 'TRANSFER-LEADER', String(to.id));
      return waitFor(
        async () => (await cluster.agreedLeader(5000)) === to,
        `leadership to move to node ${to.id}`,
        3000,
      ).catch(() => false);
    },
    `leadership to move to node ${to.id}`,
    30_000,
  );
}

/**
 * WATCH k / GET k on `watcher`'s node, then leadership moves to `next`, another client changes
 * k, then MULTI / SET / EXEC: the EXEC must not report a swap.
 */
async function watchAcrossTransfer(key: string, watcherNode: Member, next: Member): Promise<void> {
  const leader = await cluster.agreedLeader(10_000);
  assert.equal(await cluster.call(leader, 'SET', key, 'start'), 'OK');
  const watcher = await RawClient.connect(watcherNode.clientPort);
  try {
    assert.equal(await watcher.call('WATCH', key), 'OK');
    assert.equal(await watcher.call('GET', key), 'start');
    await transfer(next);
    assert.equal(await cluster.call(next, 'SET', key, 'changed'), 'OK');
    watcher.send('MULTI');
    watcher.send('SET', key, 'swapped');
    watcher.send('EXEC');
    const replies = await watcher.read(3, 10_000).catch(() => []);
    const exec = replies[2];
    assert.ok(
      !(Array.isArray(exec) && exec[0] === 'OK'),
      `EXEC swapped although ${key} changed after WATCH: ${JSON.stringify(replies)}`,
    );
    assert.equal(await cluster.call(next, 'GET', key), 'changed');
  } finally {
    watcher.close();
  }
}

test(
  'WATCH on the leader, leadership moves away, EXEC does not swap',
  { timeout: 60_000 },
  async () => {
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
    const leader = await cluster.agreedLeader(10_000);
    const next = cluster.members.find((m) => m !== leader) as Member;
    await watchAcrossTransfer('k1', leader, next);
  },
);

test(
  'WATCH relayed by a follower that becomes leader, EXEC does not swap',
  { timeout: 60_000 },
  async () => {
    const leader = await cluster.agreedLeader(10_000);
    const follower = cluster.members.find((m) => m !== leader) as Member;
    await watchAcrossTransfer('k2', follower, follower);
  },
);

test(
  'WATCH relayed by a follower, leadership moves to a third node, EXEC does not swap',
  { timeout: 60_000 },
  async () => {
    const leader = await cluster.agreedLeader(10_000);
    const [follower, third] = cluster.members.filter((m) => m !== leader) as [Member, Member];
    await watchAcrossTransfer('k3', follower, third);
  },
);

test(
  'SELECT relayed by a follower is never silently switched to database 0',
  { timeout: 60_000 },
  async () => {
    const leader = await cluster.agreedLeader(10_000);
    const [follower, third] = cluster.members.filter((m) => m !== leader) as [Member, Member];
    const client = await RawClient.connect(follower.clientPort);
    try {
      assert.equal(await client.call('SELECT', '1'), 'OK');
      assert.equal(await client.call('SET', 'db1key', 'in-db-1'), 'OK');
      await transfer(third);
      // Either the same database answers, or the connection is closed; never database 0's nil.
      client.send('GET', 'db1key');
      const [reply] = await client.read(1, 10_000);
      assert.ok(reply === undefined || reply === 'in-db-1', `GET answered ${String(reply)}`);
    } finally {
      client.close();
    }
  },
);
