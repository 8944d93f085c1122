// Named regression tests for the failure modes Jepsen found in Redis-Raft (analysis of
// Redis-Raft 1b3fbf6, 2020; numbers are RedisLabs/redisraft issue numbers), on a 3-node group of
// real processes whose links go through fault proxies. The 5-node ones (split brain, restarts)
// are in redis-raft-regressions-5.test.ts.
//
// Failure modes that do not apply here, and why:
// - #42 crash in callRaftPeriodic around snapshots, #43 panic on start-up from a snapshot/log
//   index mismatch, #54 crash in RaftLogWriteEntry during a snapshot: Shoal has no snapshots
//   yet; they belong with the snapshot work (its own tests).
// - #49 libuv uv_poll_stop assertion, #50 segfault: crashes in C connection handling and memory
//   safety. Shoal runs on Node's net module in JavaScript; what remains of the class (a process
//   dying under connection churn) is checked by "every node still running" at the end of each
//   fault test here, and by #53 in the 5-node file.
// #25 is the MULTI/EXEC issue its fix (PR #27) names; that PR also fixed proxied clients left
// blocked forever, tested below with #26. Faults that are not Redis-Raft findings (SIGSTOP of a
// follower, transfers under load, an empty disk, a cut-off follower) are in faults.test.ts.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { ReplyError, type Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { type Member } from './cluster.js';
import { MeshedGroup } from './meshed-group.js';
import { converged, ListWriter, pause, readList } from './workload.js';

const group = new MeshedGroup(300);
const { cluster, failoverMs: FAILOVER_MS } = group;
const members = group.members;
const start = (member: Member): Promise<void> => group.start(member);
const allBackUp = (): Promise<Member> => group.allBackUp();
const readThrough = (member: Member, ...argv: string[]): Promise<Reply> =>
  group.readThrough(member, ...argv);

before(() => group.startAll(3));
after(() => group.stopAll());

function followersOf(leader: Member): Member[] {
  return members.filter((m) => m !== leader);
}

function assertAllRunning(): void {
  for (const member of members)
    assert.ok(
      member.child !== undefined && member.child.exitCode === null,
      `node ${member.id} exited: ${member.output.slice(-2000)}`,
    );
}

test('redis-raft #13: a write relayed through a follower is applied exactly once', async () => {
  const leader = await allBackUp();
  const [follower] = followersOf(leader) as [Member];
  const client = await RawClient.connect(follower.clientPort);
  try {
    for (let i = 1; i <= 20; i++) client.send('RPUSH', 'r13', `x${i}`);
    const replies = await client.read(20);
    assert.deepEqual(
      replies,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  } finally {
    client.close();
  }
  await converged(cluster, members);
  // Nothing in flight: a new group's id entry (proposed on a tick once the leader is ready) may
  // still be on its way when the writes are done.
  const before = await waitFor(async () => {
    const status = await cluster.raftStatus(leader);
    const settled =
      status['group_id'] !== '' &&
      status['commit_index'] === status['last_index'] &&
      status['applied_index'] === status['commit_index'];
    return settled ? status : undefined;
  }, 'the leader with nothing in flight');
  // Redis-Raft re-applied the relayed RPUSH forever: the log kept growing with no client writing.
  // The only entry that may come without a client is a new leader's no-op, one per new term (a
  // loaded machine may see an election with this short timeout).
  await pause(3 * group.electionTimeoutMs);
  const afterPause = await cluster.raftStatus(leader);
  const grew = Number(afterPause['commit_index']) - Number(before['commit_index']);
  const newTerms = Number(afterPause['term']) - Number(before['term']);
  assert.ok(grew <= newTerms, `the log grew by itself: ${grew} entries in ${newTerms} new terms`);
  const expected = Array.from({ length: 20 }, (_, i) => `x${i + 1}`);
  for (const member of members) {
    const reader = await RawClient.connect(member.clientPort);
    try {
      assert.equal(await reader.call('READONLY'), 'OK');
      assert.deepEqual(await reader.call('LRANGE', 'r13', '0', '-1'), expected);
    } finally {
      reader.close();
    }
  }
});

test('redis-raft #14: two failovers in a row lose no data', { timeout: 60_000 }, async () => {
  let leader = await allBackUp();
  for (let i = 0; i < 30; i++) {
    const through = members[i % members.length] as Member;
    assert.equal(await cluster.call(through, 'SET', `r14:${i}`, `v${i}`), 'OK');
  }
  const keys = Array.from({ length: 30 }, (_, i) => `r14:${i}`);
  const values = keys.map((_, i) => `v${i}`);
  for (let round = 0; round < 2; round++) {
    await cluster.stop(leader);
    const survivors = followersOf(leader);
    const next = await cluster.agreedLeader(FAILOVER_MS, survivors);
    for (const member of survivors)
      assert.deepEqual(await readThrough(member, 'MGET', ...keys), values);
    // The write after the failover lands next to the old data, not in an empty keyspace.
    assert.equal(await cluster.call(next, 'SET', `r14:after${round}`, 'yes'), 'OK');
    for (let r = 0; r <= round; r++)
      assert.equal(await cluster.call(next, 'GET', `r14:after${r}`), 'yes');
    await start(leader);
    await converged(cluster, members);
    leader = next;
  }
  assertAllRunning();
});

test(
  'redis-raft #19: a new leader serves no read before it commits its no-op',
  { timeout: 60_000 },
  async () => {
    // The write is acknowledged, then the leader dies at once: a follower may hold the entry
    // without knowing it is committed. Whoever leads next must answer the read with it.
    await allBackUp();
    for (let round = 0; round < 3; round++) {
      const leader = await cluster.agreedLeader(FAILOVER_MS);
      const value = `after-${round}`;
      assert.equal(await cluster.call(leader, 'SET', 'r19', value), 'OK');
      await cluster.stop(leader);
      for (const member of followersOf(leader))
        assert.equal(await readThrough(member, 'GET', 'r19'), value, `round ${round}`);
      await start(leader);
    }
    await allBackUp();
    assertAllRunning();
  },
);

test(
  'redis-raft #19 (pauses): a paused leader, resumed, serves no stale read and acknowledges no lost write',
  { timeout: 60_000 },
  async () => {
    const old = await allBackUp();
    assert.equal(await cluster.call(old, 'SET', 'r19p', 'before'), 'OK');
    const client = await RawClient.connect(old.clientPort);
    try {
      cluster.pause(old, true);
      // Queued in the paused process's socket: it reads them only once resumed.
      client.send('GET', 'r19p');
      client.send('SET', 'r19p-lost', 'x');
      const majority = followersOf(old);
      const next = await cluster.agreedLeader(FAILOVER_MS, majority);
      assert.equal(await cluster.call(next, 'SET', 'r19p', 'after'), 'OK');
      cluster.pause(old, false);
      const replies = await client.read(2, FAILOVER_MS);
      const [read, write] = replies;
      assert.ok(
        read === undefined || read instanceof ReplyError || read === 'after',
        `the resumed old leader answered GET with ${String(read)}`,
      );
      // +OK only if the write really committed (e.g. relayed to the new leader after stepping
      // down); an error or a closed connection if not.
      const stored = await readThrough(next, 'GET', 'r19p-lost');
      if (write === 'OK') assert.equal(stored, 'x');
      else assert.ok(write === undefined || write instanceof ReplyError, String(write));
      await waitFor(
        async () => {
          const status = await cluster.raftStatus(old).catch(() => undefined);
          return status?.['role'] === 'follower' && status['leader'] === String(next.id);
        },
        'the resumed old leader to follow the new one',
        FAILOVER_MS,
      );
    } finally {
      client.close();
    }
    await allBackUp();
    assertAllRunning();
  },
);

test(
  'redis-raft #19 (partitions): a leader cut off from its group serves no stale read',
  { timeout: 60_000 },
  async () => {
    const old = await allBackUp();
    assert.equal(await cluster.call(old, 'SET', 'r19i', 'before'), 'OK');
    group.mesh.isolate(old.id);
    // The client reaches the cut-off leader directly: the read runs there at once, but its reply
    // waits for a ReadIndex round that can never be confirmed.
    const client = await RawClient.connect(old.clientPort);
    try {
      client.send('GET', 'r19i');
      const next = await cluster.agreedLeader(FAILOVER_MS, followersOf(old));
      assert.equal(await cluster.call(next, 'SET', 'r19i', 'after'), 'OK');
      const [reply] = await client.read(1, FAILOVER_MS);
      assert.ok(
        reply === undefined || reply instanceof ReplyError || reply === 'after',
        `the cut-off leader answered ${String(reply)}`,
      );
    } finally {
      client.close();
    }
    await allBackUp();
    assertAllRunning();
  },
);

test('redis-raft #21: no spurious errors in a healthy group', async () => {
  const leader = await allBackUp();
  const termBefore = (await cluster.raftStatus(leader))['term'];
  const errors: string[] = [];
  let done = 0;
  await Promise.all(
    members.map(async (member) => {
      const client = await RawClient.connect(member.clientPort);
      try {
        for (let i = 0; i < 60; i++) {
          const key = `r21:${member.id}`;
          const set = await client.call('SET', key, String(i));
          const got = await client.call('GET', key);
          if (set !== 'OK' || got !== String(i))
            errors.push(`node ${member.id}: ${String(set)} ${String(got)}`);
          else done++;
        }
      } finally {
        client.close();
      }
    }),
  );
  const termAfter = (await cluster.raftStatus(leader))['term'];
  // An election in between (a slow machine) may legitimately fail commands; without one, none.
  if (termAfter === termBefore) assert.deepEqual(errors, []);
  assert.ok(done > 0);
});

test(
  'redis-raft #23: an error reply means the write did not happen (no aborted reads)',
  { timeout: 60_000 },
  async () => {
    await allBackUp();
    const writer = new ListWriter('r23', () => members);
    let second: Member | undefined;
    const cutWriter = new ListWriter('r23', () => (second === undefined ? [] : [second]), 'cut');
    writer.start();
    try {
      await writer.progress(20);
      // A leader killed, then the next one cut off, then everything healed and restarted.
      const first = await cluster.agreedLeader(FAILOVER_MS);
      await cluster.stop(first);
      second = await cluster.agreedLeader(FAILOVER_MS, followersOf(first));
      await writer.progress(20);
      await start(first);
      group.mesh.isolate(second.id);
      // A second writer only on the cut-off node: once it has stepped down, its commands wait
      // for a leader and get -TRYAGAIN, which must mean "not applied", even after healing.
      cutWriter.start();
      await cluster.agreedLeader(FAILOVER_MS, followersOf(second));
      await writer.progress(20);
      await pause(6 * group.electionTimeoutMs);
      await cutWriter.stop();
      group.mesh.heal();
      await writer.progress(20);
    } finally {
      await writer.stop();
      await cutWriter.stop();
    }
    const leader = await allBackUp();
    const stored = await readList(cluster, leader, 'r23');
    writer.checkList(stored);
    cutWriter.checkList(stored);
    assert.ok(cutWriter.failed.length > 0, 'the cut-off node answered no -TRYAGAIN');
    assertAllRunning();
  },
);

test(
  'redis-raft #26: replies through followers never cross between clients across failovers',
  { timeout: 60_000 },
  async () => {
    let running = true;
    let checked = 0;
    const problems: string[] = [];
    const client = async (id: number): Promise<void> => {
      let n = 0;
      while (running) {
        const live = members.filter((m) => m.child !== undefined);
        const target = live[id % live.length] as Member;
        let connection: RawClient | undefined;
        try {
          connection = await RawClient.connect(target.clientPort);
          while (running && !connection.closed) {
            const batch: string[][] = [];
            for (let j = 0; j < 8; j++, n++) {
              batch.push(['ECHO', `c${id}-${n}`]);
              batch.push(['SET', `r26:c${id}:${n}`, `v${id}-${n}`]);
              batch.push(['GET', `r26:c${id}:${n}`]);
            }
            for (const argv of batch) connection.send(...argv);
            const replies = await connection.read(batch.length, 10_000);
            checked += checkReplies(batch, replies, problems);
          }
        } catch {
          // refused while a node restarts
        } finally {
          connection?.close();
        }
        await pause(10);
      }
    };
    await allBackUp();
    const clients = Array.from({ length: 6 }, (_, id) => client(id));
    try {
      for (let round = 0; round < 2; round++) {
        await pause(500);
        const leader = await cluster.agreedLeader(FAILOVER_MS);
        await cluster.stop(leader);
        await cluster.agreedLeader(FAILOVER_MS, followersOf(leader));
        await pause(300);
        await start(leader);
      }
      await pause(500);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 100, `only ${checked} replies checked`);
    await allBackUp();
    assertAllRunning();
  },
);

/** Checks each reply against its own request; returns how many were answered. */
function checkReplies(batch: string[][], replies: Reply[], problems: string[]): number {
  let setOk = false;
  replies.forEach((reply, i) => {
    const [name, key, value] = batch[i] as [string, string, string | undefined];
    if (reply instanceof ReplyError) {
      if (!reply.message.startsWith('TRYAGAIN')) problems.push(`${name} ${key}: ${reply.message}`);
      if (name === 'SET') setOk = false;
      return;
    }
    if (name === 'ECHO' && reply !== key) problems.push(`ECHO ${key} answered ${String(reply)}`);
    if (name === 'SET') {
      setOk = reply === 'OK';
      if (!setOk) problems.push(`SET ${key} answered ${String(reply)}`);
    }
    if (name === 'GET') {
      const expected = batch[i - 1]?.[2] ?? value;
      if (setOk ? reply !== expected : reply !== null)
        problems.push(`GET ${key} answered ${String(reply)}`);
    }
  });
  return replies.length;
}

test(
  'redis-raft #25: MULTI/EXEC is all or nothing across a failover, relayed or not',
  { timeout: 60_000 },
  async () => {
    let running = true;
    const acknowledged: number[] = [];
    const attempted: { i: number; multiOk: boolean; execError: boolean }[] = [];
    const writer = async (id: number): Promise<void> => {
      let i = id * 100_000;
      while (running) {
        const live = members.filter((m) => m.child !== undefined);
        const target = live[(i + id) % live.length] as Member;
        let connection: RawClient | undefined;
        try {
          connection = await RawClient.connect(target.clientPort);
          while (running && !connection.closed) {
            i++;
            connection.send('MULTI');
            connection.send('RPUSH', 'r25', `a${i}`);
            connection.send('RPUSH', 'r25', `b${i}`);
            connection.send('EXEC');
            const [multi, , , exec] = await connection.read(4, 10_000);
            const record = { i, multiOk: multi === 'OK', execError: exec instanceof ReplyError };
            attempted.push(record);
            if (
              Array.isArray(exec) &&
              exec.length === 2 &&
              exec.every((r) => typeof r === 'number')
            )
              acknowledged.push(i);
          }
        } catch {
          // refused while a node restarts
        } finally {
          connection?.close();
        }
        await pause(10);
      }
    };
    await allBackUp();
    const writers = [writer(1), writer(2), writer(3)];
    try {
      await waitFor(() => acknowledged.length >= 10, 'transactions', 15_000);
      const leader = await cluster.agreedLeader(FAILOVER_MS);
      await cluster.stop(leader);
      await cluster.agreedLeader(FAILOVER_MS, followersOf(leader));
      const count = acknowledged.length;
      await waitFor(() => acknowledged.length >= count + 10, 'transactions after failover', 15_000);
      await start(leader);
    } finally {
      running = false;
      await Promise.all(writers);
    }
    const leader = await allBackUp();
    const stored = await readList(cluster, leader, 'r25');
    const position = new Map(stored.map((value, at) => [value, at]));
    assert.equal(position.size, stored.length, 'an element applied twice');
    for (const i of acknowledged)
      assert.ok(position.has(`a${i}`) && position.has(`b${i}`), `txn ${i} lost`);
    for (const { i, multiOk, execError } of attempted) {
      const a = position.get(`a${i}`);
      const b = position.get(`b${i}`);
      if (multiOk && (a !== undefined || b !== undefined))
        assert.ok(
          a !== undefined && b === a + 1,
          `txn ${i} applied partly or interleaved (${a}, ${b})`,
        );
      if (multiOk && execError)
        assert.ok(a === undefined && b === undefined, `txn ${i} failed but applied`);
    }
    assertAllRunning();
  },
);

test(
  'redis-raft #17: a membership change asked of an isolated leader is not acknowledged and loses nothing',
  { timeout: 60_000 },
  async () => {
    const old = await allBackUp();
    const majority = followersOf(old);
    const writer = new ListWriter('r17', () => majority);
    writer.start();
    try {
      await writer.progress(10);
      group.mesh.isolate(old.id);
      const client = await RawClient.connect(old.clientPort);
      try {
        client.send('RAFT', 'REMOVE-NODE', String((majority[0] as Member).id));
        const [reply] = await client.read(1, FAILOVER_MS);
        assert.ok(reply === undefined || reply instanceof ReplyError, `answered ${String(reply)}`);
      } finally {
        client.close();
      }
      await cluster.agreedLeader(FAILOVER_MS, majority);
      await writer.progress(20);
      group.mesh.heal();
      await writer.progress(10);
    } finally {
      await writer.stop();
    }
    const leader = await allBackUp();
    writer.checkList(await readList(cluster, leader, 'r17'));
    for (const member of members)
      assert.equal((await cluster.raftStatus(member))['voters'], '1,2,3', `node ${member.id}`);
    assertAllRunning();
  },
);

test(
  'redis-raft #26 (fixed by its PR #27): a client relayed to a leader that is cut off is not left hanging',
  { timeout: 60_000 },
  async () => {
    const old = await allBackUp();
    const [follower, other] = followersOf(old) as [Member, Member];
    const client = await RawClient.connect(follower.clientPort);
    try {
      assert.equal(await client.call('SET', 'r26h', 'before'), 'OK');
      // The relayed SET goes into a black hole (no FIN, no reply, ever). Once the follower knows
      // another leader, the command's outcome is unknown: the client must see the connection
      // close (and may retry) rather than wait on a dead upstream forever.
      group.mesh.isolate(old.id);
      client.send('SET', 'r26h', 'during');
      await cluster.agreedLeader(FAILOVER_MS, [follower, other]);
      const [reply] = await client.read(1, FAILOVER_MS);
      assert.ok(reply === undefined || reply instanceof ReplyError, `answered ${String(reply)}`);
    } finally {
      client.close();
    }
    await allBackUp();
    assertAllRunning();
  },
);
