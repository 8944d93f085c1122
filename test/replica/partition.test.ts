// Network partitions between real processes, through the fault proxies of test/helpers/
// fault-proxy.ts: the leader cut off from both followers (black hole: no FIN, only timeouts
// notice) loses leadership, the majority elects a new leader and goes on, the old leader
// acknowledges nothing while cut off, and after healing it follows and holds the same data.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { ProxyMesh } from '../helpers/fault-proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
let mesh: ProxyMesh | undefined;

after(async () => {
  await cluster.stopAll();
  await mesh?.close();
});

test(
  'an isolated leader acknowledges nothing; the majority goes on; healed, it catches up',
  { timeout: 60_000 },
  async () => {
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    const meshed = await ProxyMesh.create(cluster.members);
    mesh = meshed;
    await Promise.all(cluster.members.map((m) => cluster.start(m, meshed.peersFor(m.id))));
    const oldLeader = await cluster.agreedLeader(10_000);
    assert.equal(await cluster.call(oldLeader, 'SET', 'before', '1'), 'OK');

    meshed.isolate(oldLeader.id);
    // A write on the isolated leader must not be acknowledged: it either fails (-TRYAGAIN,
    // closed connection) or stays unanswered until healing. Nothing it answers is +OK.
    const isolatedClient = await RawClient.connect(oldLeader.clientPort);
    const isolatedWrite = isolatedClient.call('SET', 'lost', 'x');

    const majority = cluster.members.filter((m) => m !== oldLeader);
    const newLeader = await cluster.agreedLeader(10 * ELECTION_TIMEOUT_MS + 5000, majority);
    assert.notEqual(newLeader.id, oldLeader.id);
    assert.equal(await cluster.call(newLeader, 'SET', 'during', '2'), 'OK');
    const follower = majority.find((m) => m !== newLeader) as Member;
    assert.equal(await cluster.call(follower, 'GET', 'during'), '2');

    const isolatedReply = await isolatedWrite;
    assert.ok(
      isolatedReply === undefined || isolatedReply instanceof ReplyError,
      `the isolated leader answered ${String(isolatedReply)}`,
    );
    isolatedClient.close();

    meshed.heal();
    await waitFor(
      async () => {
        const status = await cluster.raftStatus(oldLeader).catch(() => undefined);
        return status?.['role'] === 'follower' && status['leader'] === String(newLeader.id);
      },
      'the old leader to follow the new one',
      10_000,
    );
    for (const member of cluster.members) {
      assert.deepEqual(await cluster.call(member, 'MGET', 'before', 'during', 'lost'), [
        '1',
        '2',
        null,
      ]);
    }
  },
);
