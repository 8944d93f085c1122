// Membership of a group of real processes: RAFT TRANSFER-LEADER moves leadership; RAFT ADD-NODE
// adds a 4th node that starts empty (--join), catches up as a learner and is promoted to voter;
// RAFT REMOVE-NODE takes a member out (the group goes on without it).

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

test('transfer leadership, add a 4th node, remove a node', { timeout: 60_000 }, async () => {
  for (let id = 1; id <= 3; id++) await cluster.add(id);
  const founders = [...cluster.members];
  const peers = cluster.peers(founders);
  await Promise.all(founders.map((m) => cluster.start(m, peers)));
  const first = await cluster.agreedLeader(10_000);

  // Transfer: asked on a follower (relayed to the leader), to the other follower.
  const [asked, target] = founders.filter((m) => m !== first) as [Member, Member];
  assert.equal(await cluster.call(asked, 'RAFT', 'TRANSFER-LEADER', String(target.id)), 'OK');
  await waitFor(
    async () => (await cluster.agreedLeader(5000)) === target,
    'leadership to move to the transferee',
    10_000,
  );
  const bad = await cluster.call(target, 'RAFT', 'TRANSFER-LEADER', '9');
  assert.ok(bad instanceof ReplyError && /not a voter/.test(bad.message));

  for (let i = 0; i < 50; i++)
    assert.equal(await cluster.call(asked, 'SET', `k${i}`, `v${i}`), 'OK');

  // Add: node 4 starts with an empty directory and joins; asked through a follower.
  const fourth = await cluster.add(4);
  await cluster.start(fourth, cluster.peers(), ['--join']);
  const address = cluster.address(fourth);
  const dup = await cluster.call(asked, 'RAFT', 'ADD-NODE', String(asked.id), address);
  assert.ok(dup instanceof ReplyError && /already a member/.test(dup.message), String(dup));
  assert.equal(await cluster.call(asked, 'RAFT', 'ADD-NODE', '4', address), 'OK');
  await waitFor(
    async () => {
      const status = await cluster.raftStatus(target);
      return status['voters'] === '1,2,3,4' && status['learners'] === '';
    },
    'node 4 to be promoted to voter',
    15_000,
  );
  await waitFor(
    async () => {
      const mine = await cluster.raftStatus(fourth);
      const leaders = await cluster.raftStatus(target);
      return mine['applied_index'] === leaders['commit_index'] && mine['voters'] === '1,2,3,4';
    },
    'node 4 to catch up',
    15_000,
  );
  const reader = await RawClient.connect(fourth.clientPort);
  try {
    assert.equal(await reader.call('READONLY'), 'OK');
    assert.deepEqual(await reader.call('MGET', 'k0', 'k49'), ['v0', 'v49']);
  } finally {
    reader.close();
  }
  // Writes through the new node reach the leader.
  assert.equal(await cluster.call(fourth, 'SET', 'from4', 'yes'), 'OK');
  assert.equal(await cluster.call(target, 'GET', 'from4'), 'yes');

  // Remove: the first leader leaves; the group (now 1 of 3 voters down) goes on.
  assert.equal(await cluster.call(fourth, 'RAFT', 'REMOVE-NODE', String(first.id)), 'OK');
  const others = cluster.members.filter((m) => m !== first);
  await waitFor(
    async () => {
      const statuses = await Promise.all(others.map((m) => cluster.raftStatus(m)));
      const voters = others.map((m) => String(m.id)).join(',');
      return statuses.every((s) => s['voters'] === voters);
    },
    'every remaining node to see the removal',
    10_000,
  );
  await cluster.stop(first);
  await cluster.stop(asked);
  const leader = await cluster.agreedLeader(10_000, others);
  assert.equal(await cluster.call(leader, 'SET', 'after-remove', '1'), 'OK');
  const gone = await cluster.call(leader, 'RAFT', 'REMOVE-NODE', String(first.id));
  assert.ok(gone instanceof ReplyError && /not a member/.test(gone.message));
});
