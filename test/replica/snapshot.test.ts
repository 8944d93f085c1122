// Log compaction with snapshots, on a group of real processes with a small snapshot threshold:
// every node compacts; a restarted node recovers from its snapshot and the log after it; a
// follower left behind the leader's compaction, a node restarted with an empty disk and a node
// added after compaction all catch up from a streamed snapshot, a large one installed in slices
// without READONLY reads on that follower seeing it half loaded; a damaged snapshot file stops
// the node from starting, naming the file.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { encodeCommand, RawClient } from '../helpers/raw-client.js';
import { shoalBin, waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';
import { caughtUp, contents } from './dataset.js';

const ELECTION_TIMEOUT_MS = 300;
const SNAPSHOT_ENTRIES = '50';
const SNAPSHOT = ['--raft-snapshot-entries', SNAPSHOT_ENTRIES];
const cluster = new Cluster(ELECTION_TIMEOUT_MS);

after(() => cluster.stopAll());

let leader: Member;
let written = 0;

async function writeMany(count: number): Promise<void> {
  const client = await RawClient.connect(leader.clientPort);
  try {
    for (let i = 0; i < count; i++) {
      written++;
      assert.equal(await client.call('SET', `key:${written}`, `value:${written}`), 'OK');
      assert.equal(await client.call('INCR', 'counter'), written);
    }
  } finally {
    client.close();
  }
}

async function assertAllEqual(): Promise<void> {
  await caughtUp(cluster, leader);
  const live = cluster.members.filter((m) => m.child !== undefined);
  const expected = await contents(leader);
  assert.equal(expected.length, written + 1);
  assert.ok(expected.includes(`counter=${written}`));
  for (const member of live)
    assert.deepEqual(await contents(member), expected, `node ${member.id}`);
}

/** `shoal check --dir DIR`. */
const checkDir = (dir: string) =>
  spawnSync(process.execPath, [shoalBin, 'check', '--dir', dir], { encoding: 'utf8' });

const snapshotFiles = (member: Member) =>
  readdirSync(join(member.dir, 'raft')).filter((name) => name.endsWith('.snap'));

test('every node snapshots and compacts its log', { timeout: 60_000 }, async () => {
  for (let id = 1; id <= 3; id++) await cluster.add(id);
  await Promise.all(cluster.members.map((m) => cluster.start(m, cluster.peers(), SNAPSHOT)));
  leader = await cluster.agreedLeader(10_000);
  await writeMany(100);
  for (const member of cluster.members) {
    await waitFor(
      async () => {
        const status = await cluster.raftStatus(member);
        // One snapshot file once the writes stopped: older ones go when a newer is recorded.
        return (
          Number(status['snapshot_index']) >= 100 &&
          Number(status['first_index']) > 1 &&
          snapshotFiles(member).length === 1
        );
      },
      `node ${member.id} to snapshot and compact`,
      15_000,
    );
    // Each snapshot starts a segment; the first is wholly compacted away, so it is deleted.
    const segments = readdirSync(join(member.dir, 'raft')).filter((n) => n.endsWith('.log'));
    assert.ok(!segments.includes('raft-00000000000000000001.log'), segments.join(' '));
  }
  const info = String(await cluster.call(leader, 'INFO', 'replication'));
  assert.match(info, /raft_snapshot_index:[1-9]\d*/);
  await assertAllEqual();
});

test(
  'a follower left behind the compaction catches up from a snapshot',
  { timeout: 60_000 },
  async () => {
    const follower = cluster.members.find((m) => m !== leader) as Member;
    await cluster.stop(follower);
    await writeMany(150);
    await waitFor(
      async () => Number((await cluster.raftStatus(leader))['first_index']) > 230,
      'the leader to compact past the stopped follower',
      15_000,
    );
    await cluster.start(follower, cluster.peers(), SNAPSHOT);
    await waitFor(
      () => /installed the leader's snapshot/.test(follower.output),
      'the follower to install a snapshot',
      20_000,
    );
    await assertAllEqual();
  },
);

test(
  'a node restarted with an empty disk catches up from a snapshot',
  { timeout: 60_000 },
  async () => {
    const wiped = cluster.members.filter((m) => m !== leader)[1] as Member;
    // Caught up before it is wiped, and no writes after: the idle leader's heartbeats alone must
    // reveal that the node lost the entries it acknowledged.
    await writeMany(60);
    await caughtUp(cluster, leader);
    await cluster.stop(wiped);
    rmSync(wiped.dir, { recursive: true, force: true });
    await cluster.start(wiped, cluster.peers(), [...SNAPSHOT, '--join']);
    await waitFor(
      () => /installed the leader's snapshot/.test(wiped.output),
      'the wiped node to install a snapshot',
      20_000,
    );
    await assertAllEqual();
  },
);

test('a node added after compaction catches up from a snapshot', { timeout: 60_000 }, async () => {
  const fourth = await cluster.add(4);
  await cluster.start(fourth, cluster.peers(), [...SNAPSHOT, '--join']);
  assert.equal(await cluster.call(leader, 'RAFT', 'ADD-NODE', '4', cluster.address(fourth)), 'OK');
  await waitFor(
    async () => (await cluster.raftStatus(leader))['voters'] === '1,2,3,4',
    'node 4 to be promoted to voter',
    20_000,
  );
  assert.match(fourth.output, /installed the leader's snapshot/);
  await writeMany(20);
  await assertAllEqual();
  // The new node learned every member's address from the snapshot: it relays writes.
  assert.equal(await cluster.call(fourth, 'SET', 'via4', 'yes'), 'OK');
  written++;
  assert.equal(await cluster.call(fourth, 'INCR', 'counter'), written);
  assert.equal(await cluster.call(leader, 'SET', `key:${written}`, `value:${written}`), 'OK');
  assert.equal(await cluster.call(leader, 'DEL', 'via4'), 1);
});

/** `count` more keys as writeMany writes them, pipelined a thousand commands at a time. */
async function writeManyPipelined(count: number): Promise<void> {
  const client = await RawClient.connect(leader.clientPort);
  try {
    for (let done = 0; done < count;) {
      const batch = Math.min(500, count - done);
      const commands: Buffer[] = [];
      for (let i = 0; i < batch; i++) {
        const n = written + i + 1;
        commands.push(
          encodeCommand(['SET', `key:${n}`, `value:${n}`]),
          encodeCommand(['INCR', 'counter']),
        );
      }
      client.write(Buffer.concat(commands));
      const replies = await client.read(2 * batch, 20_000);
      assert.equal(replies[replies.length - 1], written + batch);
      written += batch;
      done += batch;
    }
  } finally {
    client.close();
  }
}

test(
  'a large snapshot installs in slices; READONLY reads on that follower never see it half loaded',
  { timeout: 120_000 },
  async () => {
    const follower = cluster.members.find((m) => m !== leader && m.child !== undefined) as Member;
    assert.equal(await cluster.call(leader, 'SET', 'late', '1'), 'OK');
    await caughtUp(cluster, leader);
    await cluster.stop(follower);
    const before = written;
    await writeManyPipelined(60_000);
    // `late` moves to the end of the keyspace's order (deleted and set again in one
    // transaction), so it is among the last keys the snapshot loads: on a half-loaded follower
    // a read would find no `late` at all, a state the key never had.
    const tx = await RawClient.connect(leader.clientPort);
    try {
      tx.send('MULTI');
      tx.send('DEL', 'late');
      tx.send('SET', 'late', '2');
      tx.send('EXEC');
      assert.deepEqual((await tx.read(4))[3], [1, 'OK']);
    } finally {
      tx.close();
    }
    const moved = Number((await cluster.raftStatus(leader))['commit_index']);
    await writeManyPipelined(5_000);
    await waitFor(
      async () => Number((await cluster.raftStatus(leader))['snapshot_index']) >= moved,
      'the leader to snapshot past the move',
      30_000,
    );
    // A reader on the follower from its start. Just restarted, the follower may not know yet
    // that `late` = 1 committed (a READONLY read may be stale); once the reader has seen `late`
    // it must never see it missing again (the follower only moves forward, and the leader
    // answers while the snapshot loads), and every key up to `before` exists throughout.
    let reading = true;
    let reads = 0;
    let lateSeen = 0;
    const reader = (async () => {
      const client = await waitFor(
        () => RawClient.connect(follower.clientPort).catch(() => undefined),
        "the follower's client port",
        20_000,
      );
      try {
        assert.equal(await client.call('READONLY'), 'OK');
        while (reading) {
          const late = await client.call('GET', 'late');
          if (late instanceof ReplyError) continue; // no leader yet to relay to
          if (late !== null) lateSeen++;
          assert.ok(
            late === '1' || late === '2' || (late === null && lateSeen === 0),
            `late is ${String(late)} after ${reads} reads, ${lateSeen} of them seeing it`,
          );
          const n = 1 + (reads % before);
          assert.equal(await client.call('GET', `key:${n}`), `value:${n}`);
          reads++;
        }
      } finally {
        client.close();
      }
    })();
    try {
      await cluster.start(follower, cluster.peers(), SNAPSHOT);
      await waitFor(
        () => /installed the leader's snapshot/.test(follower.output),
        'the follower to install the snapshot',
        30_000,
      );
    } finally {
      reading = false;
      await reader;
    }
    assert.equal(await cluster.call(leader, 'DEL', 'late'), 1);
    const turns = /installed the leader's snapshot .* over (\d+) turns/.exec(follower.output);
    assert.ok(Number(turns?.[1]) > 1, follower.output);
    assert.ok(reads > 0 && lateSeen > 0, `${reads} reads, ${lateSeen} seeing late`);
    await assertAllEqual();
  },
);

test(
  'a restarted node recovers from its snapshot and the log after it',
  { timeout: 60_000 },
  async () => {
    const old = leader;
    await cluster.stop(old);
    leader = await cluster.agreedLeader(10_000);
    await writeMany(30);
    await cluster.start(old, cluster.peers(), SNAPSHOT);
    assert.match(old.output, /loaded the Raft snapshot at \d+/);
    await assertAllEqual();
  },
);

test(
  'a damaged snapshot file stops the node from starting; shoal check names it',
  { timeout: 60_000 },
  async () => {
    const victim = cluster.members.find((m) => m !== leader) as Member;
    await cluster.stop(victim);
    const name = snapshotFiles(victim)[0] as string;
    const path = join(victim.dir, 'raft', name);
    const bytes = readFileSync(path);
    const at = bytes.length - 40;
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(path, bytes);
    const healthy = checkDir(leader.dir);
    assert.equal(healthy.status, 0, healthy.stdout);
    assert.match(
      healthy.stdout,
      /Raft snapshot at [1-9]\d* \(\d+ keys\), log \d+\.\.\d+ .*: clean/,
    );
    const checked = checkDir(victim.dir);
    assert.equal(checked.status, 1, checked.stdout);
    assert.match(checked.stdout, new RegExp(`error: .*${name}: damaged snapshot`));
    await assert.rejects(cluster.start(victim, cluster.peers(), SNAPSHOT), (error: Error) => {
      assert.match(error.message, new RegExp(`${name}: damaged snapshot`));
      assert.match(error.message, /refusing to start/);
      return true;
    });
  },
);
