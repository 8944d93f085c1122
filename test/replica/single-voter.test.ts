// A group whose only voter is this node (a one-node group, the first step from one server to a
// replicated group) elects itself at once when it starts, at its first start and after a kill:
// no other node could win an election or must be asked. The election timeout here is two
// minutes, so a node that waited one out would miss the test's deadlines.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { Cluster } from './cluster.js';

const ELECTION_TIMEOUT_MS = 120_000;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
after(() => cluster.stopAll());

test(
  'the only voter leads as soon as it starts, again after kill -9',
  { timeout: 60_000 },
  async () => {
    const node = await cluster.add(1);
    await cluster.start(node);
    assert.equal(await cluster.agreedLeader(15_000), node);
    assert.equal(await cluster.call(node, 'SET', 'k', 'v'), 'OK');

    await cluster.stop(node, 'SIGKILL');
    await cluster.start(node);
    assert.equal(await cluster.agreedLeader(15_000), node);
    assert.equal(await cluster.call(node, 'GET', 'k'), 'v');
    assert.equal((await cluster.raftStatus(node))['role'], 'leader');
  },
);
