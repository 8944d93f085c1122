// A replica group shares its users and the settings that shape its dataset: ACL SETUSER /
// DELUSER and CONFIG SET of a group setting, sent to any node, go through the log, so every node
// applies them, a new leader has them, and a restarted or new node gets them from the log or a
// snapshot. Settings of one process (slowlog, ports, files) stay each node's own, also inside
// MULTI: a transaction sent to a follower runs on the leader, so there such a change is refused
// at queue time and the EXEC aborts.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

/** CONFIG GET on the node itself (CONFIG GET runs where it is sent). */
async function setting(member: Member, name: string, group = cluster): Promise<string> {
  const reply = (await group.call(member, 'CONFIG', 'GET', name)) as string[];
  return reply[1] as string;
}

/** Waits until every given member of `group` reports `value` for `name`. */
function settled(group: Cluster, members: Member[], name: string, value: string): Promise<unknown> {
  return waitFor(
    async () =>
      (await Promise.all(members.map((m) => setting(m, name, group)))).every((v) => v === value),
    `${name} = ${value} on nodes ${members.map((m) => m.id).join(',')}`,
    10_000,
  );
}

/** An error reply matching `pattern` (RawClient returns error replies as values). */
async function refused(reply: Promise<unknown>, pattern: RegExp): Promise<void> {
  const value = await reply;
  assert.ok(value instanceof ReplyError, `an error reply, got ${String(value)}`);
  assert.match(value.message, pattern);
}

/** AUTH on a fresh connection to `member` (checked by that node itself). */
async function authenticates(member: Member, user: string, password: string): Promise<boolean> {
  const client = await RawClient.connect(member.clientPort, member.host);
  try {
    const reply = await client.call('AUTH', user, password);
    if (reply instanceof ReplyError && /WRONGPASS/.test(reply.message)) return false;
    assert.equal(reply, 'OK');
    return true;
  } finally {
    client.close();
  }
}

function usersEverywhere(members: Member[], user: string, present: boolean): Promise<unknown> {
  return waitFor(
    async () =>
      (await Promise.all(members.map((m) => cluster.call(m, 'ACL', 'USERS')))).every(
        (users) => (users as string[]).includes(user) === present,
      ),
    `user ${user} ${present ? 'on' : 'gone from'} nodes ${members.map((m) => m.id).join(',')}`,
    10_000,
  );
}

test(
  'users and group settings changed through any node reach every node, a new leader, a restarted node and a new one',
  { timeout: 120_000 },
  async () => {
    const snapshots = ['--raft-snapshot-entries', '20'];
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    const founders = [...cluster.members];
    const peers = cluster.peers();
    await Promise.all(founders.map((m) => cluster.start(m, peers, snapshots)));
    const leader = await cluster.agreedLeader(10_000);
    const [first, second] = founders.filter((m) => m !== leader) as [Member, Member];

    // A user made through a follower: every node authenticates it, and it works through another.
    assert.equal(
      await cluster.call(first, 'ACL', 'SETUSER', 'alice', 'on', '>secret', '~app:*', '+@all'),
      'OK',
    );
    await usersEverywhere(founders, 'alice', true);
    for (const member of founders)
      assert.equal(await authenticates(member, 'alice', 'secret'), true);
    const alice = await RawClient.connect(second.clientPort, second.host);
    assert.equal(await alice.call('AUTH', 'alice', 'secret'), 'OK');
    assert.equal(await alice.call('SET', 'app:1', 'x'), 'OK');
    await refused(alice.call('SET', 'other', 'x'), /NOPERM/);
    assert.deepEqual(
      await cluster.call(leader, 'ACL', 'GETUSER', 'alice').then((r) => (r as string[])[0]),
      'flags',
    );

    // A group setting through a follower: every node has it. A node's own setting stays its own.
    assert.equal(await cluster.call(second, 'CONFIG', 'SET', 'maxmemory', '100mb'), 'OK');
    await settled(cluster, founders, 'maxmemory', String(100 * 1024 * 1024));
    assert.equal(await cluster.call(first, 'CONFIG', 'SET', 'slowlog-max-len', '7'), 'OK');
    assert.equal(await setting(first, 'slowlog-max-len'), '7');
    assert.equal(await setting(leader, 'slowlog-max-len'), '128');
    assert.equal(await setting(second, 'slowlog-max-len'), '128');
    await refused(
      cluster.call(first, 'CONFIG', 'SET', 'maxmemory', '1mb', 'slowlog-max-len', '3'),
      /cannot change settings the replica group shares \(maxmemory\) and this node's own \(slowlog-max-len\) at once/,
    );
    assert.equal(await setting(first, 'slowlog-max-len'), '7');
    await refused(
      cluster.call(first, 'CONFIG', 'SET', 'maxmemory-policy', 'sometimes'),
      /CONFIG SET failed \(possibly related to argument 'maxmemory-policy'\)/,
    );

    // Deleting the user through the other follower: gone everywhere, its connection closed.
    assert.equal(await cluster.call(first, 'ACL', 'DELUSER', 'alice'), 1);
    await usersEverywhere(founders, 'alice', false);
    await waitFor(() => alice.closed, "alice's connection on a follower to close", 10_000);
    for (const member of founders)
      assert.equal(await authenticates(member, 'alice', 'secret'), false);

    // Bob, then enough writes for snapshots past him; a follower restarted from its snapshot
    // (and its log) still has him and the setting.
    assert.equal(
      await cluster.call(second, 'ACL', 'SETUSER', 'bob', 'on', '>pw', '+@all', '~*'),
      'OK',
    );
    const madeAt = Number((await cluster.raftStatus(leader))['commit_index']);
    for (let i = 0; i < 50; i++)
      assert.equal(await cluster.call(leader, 'SET', `k${i}`, 'v'), 'OK');
    await waitFor(
      async () =>
        (await Promise.all(founders.map((m) => cluster.raftStatus(m)))).every(
          (status) => Number(status['snapshot_index']) > madeAt,
        ),
      'snapshots past the user and the setting on every node',
      15_000,
    );
    await cluster.stop(second);
    const groupId = (await cluster.raftStatus(leader))['group_id'];
    assert.match(groupId ?? '', /^[0-9a-f]{16}$/);
    await cluster.start(second, peers, snapshots);
    // (The group's id too: kept in the raft folder, known from the start.)
    assert.equal((await cluster.raftStatus(second))['group_id'], groupId);
    await settled(cluster, [second], 'maxmemory', String(100 * 1024 * 1024));
    assert.equal(await authenticates(second, 'bob', 'pw'), true);
    assert.equal(await setting(second, 'slowlog-max-len'), '128');

    // A new node catches up from a snapshot: it has the group's user and setting.
    const added = await cluster.add(4);
    await cluster.start(added, cluster.peers(), [...snapshots, '--join']);
    assert.equal(await cluster.call(leader, 'RAFT', 'ADD-NODE', '4', cluster.address(added)), 'OK');
    await settled(cluster, [added], 'maxmemory', String(100 * 1024 * 1024));
    await usersEverywhere([added], 'bob', true);
    assert.equal((await cluster.raftStatus(added))['group_id'], groupId, 'from the snapshot');
    assert.equal(await authenticates(added, 'bob', 'pw'), true);

    // The leader dies: the new one has everything, and a change through it reaches the rest.
    await cluster.stop(leader);
    const alive = cluster.members.filter((m) => m !== leader);
    const next = await cluster.agreedLeader(10_000, alive);
    assert.equal(await authenticates(next, 'bob', 'pw'), true);
    assert.equal(await setting(next, 'maxmemory'), String(100 * 1024 * 1024));
    assert.equal(await cluster.call(next, 'CONFIG', 'SET', 'requirepass', 'group-pass'), 'OK');
    for (const member of alive) {
      await waitFor(
        async () => authenticates(member, 'default', 'group-pass'),
        `requirepass on node ${member.id}`,
        10_000,
      );
    }
    alice.close();
  },
);

/** A 3-node group of a test's own (stopped after it), once it agrees on a leader. */
async function ownGroup(): Promise<{ group: Cluster; leader: Member }> {
  const group = new Cluster(ELECTION_TIMEOUT_MS);
  after(() => group.stopAll());
  for (let id = 1; id <= 3; id++) await group.add(id);
  await Promise.all(group.members.map((m) => group.start(m)));
  return { group, leader: await group.agreedLeader(10_000) };
}

test(
  'with the group at maxmemory, only the leader evicts: commands on a follower delete nothing',
  { timeout: 60_000 },
  async () => {
    const { group, leader } = await ownGroup();
    const followers = group.members.filter((m) => m !== leader);
    assert.equal(
      await group.call(leader, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'),
      'OK',
    );
    const used = Number(
      /used_memory_dataset:(\d+)/.exec(String(await group.call(leader, 'INFO', 'memory')))?.[1],
    );
    assert.ok(used >= 0, 'INFO reports used_memory_dataset');
    const limit = String(Math.max(used, 0) + 200_000);
    const client = await RawClient.connect(leader.clientPort, leader.host);
    try {
      assert.equal(await client.call('CONFIG', 'SET', 'maxmemory', limit), 'OK');
      for (let i = 0; i < 1000; i++) client.send('SET', `big:${i}`, 'x'.repeat(1000));
      const replies = await client.read(1000, 20_000);
      assert.ok(replies.every((reply) => reply === 'OK'));
    } finally {
      client.close();
    }
    const size = Number(await group.call(leader, 'DBSIZE'));
    assert.ok(size > 0 && size < 1000, `the leader evicted (${size} keys left)`);
    const keys = async (member: Member, local: boolean): Promise<string> =>
      String(
        (
          (await (local ? group.localCall : group.call).call(
            group,
            member,
            'KEYS',
            '*',
          )) as string[]
        ).sort(),
      );
    const before = await keys(leader, false);
    // The group's limit halves: the followers apply it at commit, and the leader evicts at its
    // next command. Commands run on a follower itself (PING, READONLY reads) must not evict
    // there (they would pick other victims than the leader: the datasets would differ).
    assert.equal(
      await group.call(leader, 'CONFIG', 'SET', 'maxmemory', String(Math.floor(Number(limit) / 2))),
      'OK',
    );
    for (const follower of followers) {
      await settled(group, [follower], 'maxmemory', String(Math.floor(Number(limit) / 2)));
      for (let i = 0; i < 20; i++) {
        assert.equal(await group.call(follower, 'PING'), 'PONG');
        await group.localCall(follower, 'GET', `big:${i}`);
      }
      assert.equal(
        await keys(follower, true),
        before,
        `node ${follower.id} evicted nothing itself`,
      );
    }
    assert.equal(await group.call(leader, 'SET', 'one-more', 'x'), 'OK');
    const evicted = await keys(leader, false);
    assert.notEqual(evicted, before, 'the leader evicted');
    for (const follower of followers) {
      await waitFor(
        async () => (await keys(follower, true)) === evicted,
        `node ${follower.id} to hold the leader's keys`,
        10_000,
      );
    }
    assert.equal(await group.call(leader, 'CONFIG', 'SET', 'maxmemory', '0'), 'OK');
  },
);

test(
  "a node's own setting in a MULTI sent to a follower is refused at queue time and the EXEC aborts; group settings and the leader's own run",
  { timeout: 60_000 },
  async () => {
    const { group, leader } = await ownGroup();
    const [follower, other] = group.members.filter((m) => m !== leader) as [Member, Member];
    const slowlog = 'slowlog-log-slower-than';
    const initial = await setting(leader, slowlog, group);
    const clients: Redis[] = [];
    after(() => clients.forEach((client) => client.disconnect()));
    const connect = (member: Member): Redis => {
      const client = new Redis({ host: member.host, port: member.clientPort, lazyConnect: true });
      clients.push(client);
      return client;
    };

    // Through a follower: queued on the leader, it would change the leader's slow log. Refused
    // when queued; EXEC aborts, so the write queued before it does not happen either.
    const onFollower = connect(follower);
    await assert.rejects(
      onFollower.multi().set('tx:first', '1').config('SET', slowlog, '12345').exec(),
      (error: Error & { previousErrors?: Error[] }) => {
        assert.equal(error.message, 'EXECABORT Transaction discarded because of previous errors.');
        assert.equal(error.previousErrors?.length, 1);
        assert.match(
          String(error.previousErrors?.[0]?.message),
          /^ERR CONFIG SET slowlog-log-slower-than changes this node's own setting, but a transaction sent to a follower runs on the leader: send it outside MULTI/,
        );
        return true;
      },
    );
    for (const member of group.members)
      assert.equal(await setting(member, slowlog, group), initial, `node ${member.id} unchanged`);
    assert.equal(await group.call(leader, 'EXISTS', 'tx:first'), 0, 'nothing of the EXEC ran');
    // So are the other changes of this node's own (statistics, files, ACL log).
    const resetstat = await onFollower
      .multi()
      .config('RESETSTAT')
      .exec()
      .catch((error: Error & { previousErrors?: Error[] }) => error.previousErrors?.[0]?.message);
    assert.match(String(resetstat), /^ERR CONFIG RESETSTAT resets this node's statistics, but/);

    // The same connection goes on: a transaction of data and a group setting runs, on every node.
    assert.deepEqual(
      await onFollower.multi().set('tx:second', '2').config('SET', 'maxmemory-samples', '7').exec(),
      [
        [null, 'OK'],
        [null, 'OK'],
      ],
    );
    assert.equal(await group.call(leader, 'GET', 'tx:second'), '2');
    await settled(group, group.members, 'maxmemory-samples', '7');
    // Outside MULTI, the follower's own setting is the follower's.
    assert.equal(await onFollower.config('SET', slowlog, '23456'), 'OK');
    assert.equal(await setting(follower, slowlog, group), '23456');
    assert.equal(await setting(leader, slowlog, group), initial);

    // On the leader the transaction runs on the node the client is connected to: it changes.
    const onLeader = connect(leader);
    assert.deepEqual(
      await onLeader.multi().set('tx:third', '3').config('SET', slowlog, '34567').exec(),
      [
        [null, 'OK'],
        [null, 'OK'],
      ],
    );
    assert.equal(await setting(leader, slowlog, group), '34567');
    assert.equal(await setting(other, slowlog, group), initial);
    assert.equal(await setting(follower, slowlog, group), '23456');
  },
);
