// Named regression tests for Jepsen's Redis-Raft findings that need five nodes (split brain under
// mixed faults, restarts of every node, kill -9 of a minority twice over), on real processes
// whose links go through fault proxies. The 3-node ones, and the list of findings that do not
// apply to Shoal, are in redis-raft-regressions.test.ts.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { ReplyError, type Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { type Member } from './cluster.js';
import { MeshedGroup } from './meshed-group.js';
import { converged, ListWriter, readList } from './workload.js';

const group = new MeshedGroup(300);
const { cluster, failoverMs: FAILOVER_MS } = group;
const members = group.members;
const start = (member: Member): Promise<void> => group.start(member);
const allBackUp = (): Promise<Member> => group.allBackUp();
const readThrough = (member: Member, ...argv: string[]): Promise<Reply> =>
  group.readThrough(member, ...argv);

before(() => group.startAll(5));
after(() => group.stopAll());

/** Every node holds the same list (read locally with READONLY, after convergence). */
async function sameEverywhere(key: string): Promise<string[]> {
  const lists: Reply[] = [];
  for (const member of members) {
    const client = await RawClient.connect(member.clientPort);
    try {
      assert.equal(await client.call('READONLY'), 'OK');
      lists.push(await client.call('LRANGE', key, '0', '-1'));
    } finally {
      client.close();
    }
  }
  for (const list of lists.slice(1)) assert.deepEqual(list, lists[0], 'nodes hold different data');
  return lists[0] as string[];
}

function others(...excluded: Member[]): Member[] {
  return members.filter((m) => !excluded.includes(m));
}

test(
  'redis-raft #28/#44: split brain under a partition plus kill and restart of every node',
  { timeout: 90_000 },
  async () => {
    await allBackUp();
    const writer = new ListWriter('r28', () => members);
    writer.start();
    try {
      await writer.progress(20);
      const leader = await cluster.agreedLeader(FAILOVER_MS);
      const [buddy, ...rest] = others(leader) as [Member, ...Member[]];
      // The old leader keeps one follower: a minority that must not accept anything.
      group.mesh.partition([[leader.id, buddy.id], rest.map((m) => m.id)]);
      await cluster.agreedLeader(FAILOVER_MS, rest);
      await writer.progress(20);
      await Promise.all(members.map((m) => cluster.stop(m)));
      await Promise.all(members.map((m) => start(m)));
      await cluster.agreedLeader(FAILOVER_MS, rest);
      await writer.progress(20);
      group.mesh.heal();
      await writer.progress(10);
    } finally {
      await writer.stop();
    }
    await allBackUp();
    writer.checkList(await sameEverywhere('r28'));
  },
);

test(
  'redis-raft #18: no transient empty or short reads while every node restarts',
  { timeout: 90_000 },
  async () => {
    const leader = await allBackUp();
    for (let i = 0; i < 40; i++)
      assert.equal(typeof (await cluster.call(leader, 'RPUSH', 'r18', `v${i}`)), 'number');
    const expected = await readList(cluster, leader, 'r18');
    assert.equal(expected.length, 40);
    await Promise.all(members.map((m) => cluster.stop(m)));
    await Promise.all(members.map((m) => start(m)));
    // The first answers after the restart, through every node: all the data or a retry, never a
    // prefix or an empty list (Redis-Raft answered reads before its log was replayed).
    const reads = await Promise.all(members.map((m) => readThrough(m, 'LRANGE', 'r18', '0', '-1')));
    for (const reply of reads) assert.deepEqual(reply, expected);
  },
);

test(
  'redis-raft #52: kill -9 of two followers, then of the leader and a follower: writes go on, nothing lost or doubled',
  { timeout: 90_000 },
  async () => {
    await allBackUp();
    const writer = new ListWriter('r52', () => members);
    writer.start();
    try {
      await writer.progress(20);
      let leader = await cluster.agreedLeader(FAILOVER_MS);
      const [f1, f2] = others(leader) as [Member, Member];
      await Promise.all([cluster.stop(f1), cluster.stop(f2)]);
      // Three of five still form a majority: writes go on.
      await writer.progress(20);
      await Promise.all([start(f1), start(f2)]);
      await converged(cluster, members);
      leader = await cluster.agreedLeader(FAILOVER_MS);
      const follower = others(leader)[0] as Member;
      await Promise.all([cluster.stop(leader), cluster.stop(follower)]);
      await cluster.agreedLeader(FAILOVER_MS, others(leader, follower));
      await writer.progress(20);
      await Promise.all([start(leader), start(follower)]);
      await writer.progress(10);
    } finally {
      await writer.stop();
    }
    await allBackUp();
    writer.checkList(await sameEverywhere('r52'));
  },
);

test(
  'redis-raft #53: a node killed with a divergent uncommitted tail restarts and rejoins',
  { timeout: 90_000 },
  async () => {
    const old = await allBackUp();
    assert.equal(await cluster.call(old, 'RPUSH', 'r53', 'base'), 1);
    await converged(cluster, members);
    // Cut off, the leader appends writes it can never commit.
    group.mesh.isolate(old.id);
    const client = await RawClient.connect(old.clientPort);
    for (let i = 0; i < 20; i++) client.send('RPUSH', 'r53', `lost${i}`);
    const majority = others(old);
    const next = await cluster.agreedLeader(FAILOVER_MS, majority);
    for (let i = 0; i < 30; i++)
      assert.equal(typeof (await cluster.call(next, 'RPUSH', 'r53', `kept${i}`)), 'number');
    const replies = await client.read(20, FAILOVER_MS);
    client.close();
    for (const reply of replies)
      assert.ok(
        reply === undefined || reply instanceof ReplyError,
        `acknowledged: ${String(reply)}`,
      );
    // Killed with that tail on disk, then restarted: it must drop the tail for the leader's log.
    await cluster.stop(old);
    group.mesh.heal();
    await start(old);
    await converged(cluster, members);
    const list = await sameEverywhere('r53');
    assert.deepEqual(list, ['base', ...Array.from({ length: 30 }, (_, i) => `kept${i}`)]);
  },
);
