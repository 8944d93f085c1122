// A 3-node group of real processes: WAIT counts the followers holding the client's last write
// (on the leader, and relayed from a follower), times out as Redis's WAIT; with two nodes
// killed, commands waiting for a leader get -TRYAGAIN after about two election timeouts.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

function errorText(reply: unknown): string | undefined {
  return reply instanceof ReplyError ? reply.message : undefined;
}

test('WAIT, and -TRYAGAIN when no leader comes', { timeout: 60_000 }, async () => {
  for (let id = 1; id <= 3; id++) await cluster.add(id);
  await Promise.all(cluster.members.map((m) => cluster.start(m)));
  const leader = await cluster.agreedLeader(10_000);
  const followers = cluster.members.filter((m) => m !== leader) as [Member, Member];

  const onLeader = await RawClient.connect(leader.clientPort);
  const onFollower = await RawClient.connect(followers[0].clientPort);
  try {
    // Argument errors, in Redis's order and words.
    assert.match(String(errorText(await onLeader.call('WAIT', '1'))), /wrong number of arguments/);
    assert.equal(errorText(await onLeader.call('WAIT', '1', '-1')), 'ERR timeout is negative');
    assert.equal(
      errorText(await onLeader.call('WAIT', '1', 'x')),
      'ERR timeout is not an integer or out of range',
    );
    assert.equal(
      errorText(await onLeader.call('WAIT', 'x', '0')),
      'ERR value is not an integer or out of range',
    );

    // Every follower gets the write; WAIT 0 (no timeout) returns once both hold it.
    assert.equal(await onLeader.call('SET', 'a', '1'), 'OK');
    assert.equal(await onLeader.call('WAIT', '2', '0'), 2);
    // Inside MULTI it is queued and answers at once, for the writes before the transaction.
    assert.equal(await onLeader.call('MULTI'), 'OK');
    assert.equal(await onLeader.call('SET', 'b', '1'), 'QUEUED');
    assert.equal(await onLeader.call('WAIT', '5', '0'), 'QUEUED');
    assert.deepEqual(await onLeader.call('EXEC'), ['OK', 2]);
    // Through a follower: the relay's upstream is the client on the leader.
    assert.equal(await onFollower.call('SET', 'b', '2'), 'OK');
    assert.equal(await onFollower.call('WAIT', '2', '5000'), 2);
    // Asking for more replicas than exist: the timeout answers with the count.
    let started = Date.now();
    assert.equal(await onLeader.call('WAIT', '5', '300'), 2);
    assert.ok(Date.now() - started >= 290, 'WAIT returned before its timeout');

    // One follower down: a new write reaches only the other one.
    await cluster.stop(followers[1]);
    assert.equal(await onLeader.call('SET', 'c', '3'), 'OK');
    assert.equal(await onLeader.call('WAIT', '1', '0'), 1);
    started = Date.now();
    assert.equal(await onLeader.call('WAIT', '2', '400'), 1);
    assert.ok(Date.now() - started >= 390, 'WAIT returned before its timeout');
  } finally {
    onLeader.close();
    onFollower.close();
  }

  // Two nodes killed: the survivor has no leader and never gets one.
  const survivor = followers[0];
  await cluster.stop(leader);
  // The first commands may meet the dying leader (a closed connection: outcome unknown); once
  // the survivor knows there is no leader, every command waits about two election timeouts.
  await waitFor(
    async () => (await cluster.raftStatus(survivor))['leader'] === '0',
    'the survivor to lose its leader',
    10_000,
  );
  const client = await RawClient.connect(survivor.clientPort);
  try {
    const started = Date.now();
    client.send('SET', 'd', '4');
    client.send('GET', 'a');
    client.send('PING');
    const replies = await client.read(3, 10_000);
    const elapsed = Date.now() - started;
    // PING is answered by the node itself (a health check), in order after the others.
    assert.deepEqual(
      replies.map((r) => errorText(r) ?? r),
      ['TRYAGAIN no leader, retry', 'TRYAGAIN no leader, retry', 'PONG'],
    );
    assert.ok(elapsed >= 2 * ELECTION_TIMEOUT_MS - 20, `answered after ${elapsed} ms`);
    assert.ok(elapsed < 2 * ELECTION_TIMEOUT_MS + 2000, `answered after ${elapsed} ms`);
    const pinged = Date.now();
    assert.equal(await client.call('PING'), 'PONG');
    assert.ok(Date.now() - pinged < ELECTION_TIMEOUT_MS, 'PING alone does not wait');
    // A later command waits afresh, and the connection still works.
    assert.equal(errorText(await client.call('GET', 'a')), 'TRYAGAIN no leader, retry');
    assert.equal(await client.call('RAFT', 'STATUS').then((s) => typeof s), 'string');
  } finally {
    client.close();
  }
});
