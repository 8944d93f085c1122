// Process-level faults on a 3-node group of real processes (links through fault proxies): a
// command in the start-up window, SIGSTOP of a follower, leadership transfers under load, a
// node restarted with an empty disk, membership changes under load. A ListWriter records every
// acknowledgement; checkList() states the safety rules at the end of each test.

import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { ProxyMesh } from '../helpers/fault-proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';
import { converged, ListWriter, pause, readList } from './workload.js';

const ELECTION_TIMEOUT_MS = 300;
const FAILOVER_MS = 10 * ELECTION_TIMEOUT_MS + 5000;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const founders: Member[] = [];
let mesh: ProxyMesh;

before(async () => {
  for (let id = 1; id <= 3; id++) founders.push(await cluster.add(id));
  mesh = await ProxyMesh.create(founders);
  await Promise.all(founders.map((m) => start(m)));
  await cluster.agreedLeader(10_000);
});

after(async () => {
  await cluster.stopAll();
  await mesh.close();
});

/** Waits for a removed member to stop by itself, cleanly, saying why. */
async function exitsRemoved(member: Member): Promise<void> {
  const child = member.child;
  assert.ok(child !== undefined);
  await waitFor(() => child.exitCode !== null, `node ${member.id} to stop once removed`, 15_000);
  assert.equal(child.exitCode, 0, member.output);
  assert.match(member.output, /removed from the replica group/);
  member.child = undefined;
}

function start(member: Member, extra: string[] = []): Promise<void> {
  return cluster.start(member, mesh.peersFor(member.id), extra);
}

async function allBackUp(): Promise<Member> {
  mesh.heal();
  for (const member of founders) {
    if (member.paused === true) cluster.pause(member, false);
    if (member.child === undefined) await start(member);
  }
  const leader = await cluster.agreedLeader(FAILOVER_MS, founders);
  await converged(cluster, founders);
  return leader;
}

test('a command that arrives before the Raft log is open does not crash the node', async () => {
  const leader = await allBackUp();
  const follower = founders.find((m) => m !== leader) as Member;
  await cluster.stop(follower);
  const starting = start(follower);
  // Connect as soon as the client port opens, before the node has loaded its log.
  const client = await waitFor(
    () => RawClient.connect(follower.clientPort).catch(() => undefined),
    'the client port to open',
    10_000,
  );
  try {
    client.send('GET', 'early');
    client.send('INFO', 'replication');
    client.send('SET', 'early', 'yes');
    const [get, info, set] = await client.read(3, FAILOVER_MS);
    assert.ok(get === null || get instanceof ReplyError, String(get));
    assert.ok(typeof info === 'string' || info instanceof ReplyError, String(info));
    assert.ok(set === 'OK' || set instanceof ReplyError, String(set));
  } finally {
    client.close();
  }
  await starting;
  await converged(cluster, founders);
  assert.equal(follower.child?.exitCode, null, follower.output);
});

test(
  'SIGSTOP of a follower: writes go on; resumed, it catches up',
  { timeout: 60_000 },
  async () => {
    const leader = await allBackUp();
    const [paused, other] = founders.filter((m) => m !== leader) as [Member, Member];
    const writer = new ListWriter('stop-follower', () => [leader, other]);
    writer.start();
    try {
      await writer.progress(10);
      cluster.pause(paused, true);
      await writer.progress(30);
      cluster.pause(paused, false);
      await writer.progress(10);
    } finally {
      await writer.stop();
    }
    await converged(cluster, founders);
    writer.checkList(await readList(cluster, paused, 'stop-follower'));
    assert.equal((await cluster.raftStatus(paused))['leader'], String(leader.id));
  },
);

test('a follower cut off from the group does not leave its clients hanging', async () => {
  const leader = await allBackUp();
  const follower = founders.find((m) => m !== leader) as Member;
  const client = await RawClient.connect(follower.clientPort);
  try {
    assert.equal(await client.call('SET', 'cut-follower', 'before'), 'OK');
    // Relayed into a black hole (the link to the leader's client port too): once the follower
    // has not heard from a leader for an election timeout, the outcome is unknown and the
    // connection closes; later commands wait for a leader and get -TRYAGAIN.
    mesh.isolate(follower.id);
    client.send('SET', 'cut-follower', 'during');
    const [reply] = await client.read(1, FAILOVER_MS);
    assert.ok(reply === undefined || reply instanceof ReplyError, `answered ${String(reply)}`);
  } finally {
    client.close();
  }
  const again = await RawClient.connect(follower.clientPort);
  try {
    const reply = await again.call('GET', 'cut-follower');
    assert.ok(reply instanceof ReplyError && reply.message.startsWith('TRYAGAIN'), String(reply));
  } finally {
    again.close();
  }
  mesh.heal();
  await converged(cluster, founders);
  assert.equal(await cluster.call(follower, 'GET', 'cut-follower'), 'before');
});

test(
  'leadership transfer under load: no acknowledged write lost, none applied twice',
  { timeout: 60_000 },
  async () => {
    await allBackUp();
    const writer = new ListWriter('transfer', () => founders);
    writer.start();
    try {
      await writer.progress(10);
      for (let round = 0; round < 4; round++) {
        const leader = await cluster.agreedLeader(FAILOVER_MS, founders);
        const target = founders[(founders.indexOf(leader) + 1) % founders.length] as Member;
        await waitFor(
          async () =>
            (await cluster.call(leader, 'RAFT', 'TRANSFER-LEADER', String(target.id))) === 'OK',
          'the transfer to start',
          FAILOVER_MS,
        );
        await waitFor(
          async () => (await cluster.raftStatus(target))['serving'] === 'yes',
          `node ${target.id} to lead`,
          FAILOVER_MS,
        );
        await writer.progress(10);
      }
    } finally {
      await writer.stop();
    }
    const leader = await allBackUp();
    writer.checkList(await readList(cluster, leader, 'transfer'));
  },
);

// With --join, or without it (the node's bootstrap probe finds the group and joins it).
for (const flags of [['--join'], []])
  test(
    `a voter restarted with an empty disk (same id${flags.length > 0 ? ', --join' : ', no --join'}) never costs committed data`,
    { timeout: 60_000 },
    async () => {
      const leader = await allBackUp();
      const [lagging, wiped] = founders.filter((m) => m !== leader) as [Member, Member];
      // The lagging follower misses the write: it commits on the leader and `wiped` alone.
      mesh.setLink(leader.id, lagging.id, 'blackhole');
      mesh.setLink(lagging.id, leader.id, 'blackhole');
      assert.equal(await cluster.call(leader, 'SET', 'empty-disk', 'committed'), 'OK');
      // `wiped` loses its disk and comes back empty; the leader is cut off, then dies. The only
      // copies of the write are now on the dead leader: a leader elected by `lagging` and `wiped`
      // would not have it, so no leader may be elected until the old one is back.
      await cluster.stop(wiped);
      rmSync(wiped.dir, { recursive: true, force: true });
      mesh.isolate(leader.id);
      await cluster.stop(leader);
      await start(wiped, flags);
      const deadline = Date.now() + 8 * ELECTION_TIMEOUT_MS;
      while (Date.now() < deadline) {
        for (const member of [lagging, wiped]) {
          const reply = await cluster.call(member, 'GET', 'empty-disk').catch(() => undefined);
          assert.ok(
            reply === undefined ||
              reply === 'committed' ||
              (reply instanceof ReplyError && reply.message.startsWith('TRYAGAIN')),
            `node ${member.id} answered ${String(reply)}: a committed write was lost`,
          );
        }
        await pause(50);
      }
      const back = await allBackUp();
      for (const member of founders)
        assert.equal(
          await cluster.call(member, 'GET', 'empty-disk'),
          'committed',
          `via ${member.id}`,
        );
      assert.equal(await cluster.call(back, 'SET', 'after-empty-disk', 'yes'), 'OK');
    },
  );

test(
  'membership change under load: a node added and promoted, a follower then the leader removed (redis-raft #48)',
  { timeout: 60_000 },
  async () => {
    const leader = await allBackUp();
    const fourth = await cluster.add(4);
    // Node 4 talks to the founders directly (the proxies are between founders only).
    await cluster.start(fourth, cluster.peers(), ['--join']);
    const writer = new ListWriter('membership', () => founders);
    writer.start();
    try {
      await writer.progress(10);
      assert.equal(
        await cluster.call(leader, 'RAFT', 'ADD-NODE', '4', cluster.address(fourth)),
        'OK',
      );
      await waitFor(
        async () => (await cluster.raftStatus(leader))['voters'] === '1,2,3,4',
        'node 4 to be promoted',
        15_000,
      );
      await writer.progress(10);
      const removed = founders.find((m) => m !== leader) as Member;
      const current = await cluster.agreedLeader(FAILOVER_MS, cluster.members);
      assert.equal(await cluster.call(current, 'RAFT', 'REMOVE-NODE', String(removed.id)), 'OK');
      const remaining = cluster.members.filter((m) => m !== removed);
      await waitFor(
        async () => {
          const statuses = await Promise.all(remaining.map((m) => cluster.raftStatus(m)));
          const voters = remaining.map((m) => String(m.id)).join(',');
          return statuses.every((s) => s['voters'] === voters);
        },
        'every remaining node to see the removal',
        15_000,
      );
      // A removed node shuts itself down (as a removed etcd member does).
      await exitsRemoved(removed);
      await writer.progress(10);
      // Then the leader removes itself: it answers +OK once the change commits, steps down as
      // it applies it, and the two voters left go on.
      const leaving = await cluster.agreedLeader(FAILOVER_MS, remaining);
      const reply = await cluster.call(leaving, 'RAFT', 'REMOVE-NODE', String(leaving.id));
      assert.equal(reply, 'OK');
      const staying = remaining.filter((m) => m !== leaving);
      await waitFor(
        async () => {
          const statuses = await Promise.all(staying.map((m) => cluster.raftStatus(m)));
          const voters = staying.map((m) => String(m.id)).join(',');
          return statuses.every((s) => s['voters'] === voters && s['leader'] !== '0');
        },
        'the two remaining voters to go on without the old leader',
        15_000,
      );
      await exitsRemoved(leaving);
      await writer.progress(10);
    } finally {
      await writer.stop();
    }
    const remaining = cluster.members.filter((m) => m.child !== undefined);
    await converged(cluster, remaining);
    const newLeader = await cluster.agreedLeader(FAILOVER_MS, remaining);
    writer.checkList(await readList(cluster, newLeader, 'membership'));
    for (const member of remaining) assert.equal(member.child?.exitCode, null, member.output);
  },
);
