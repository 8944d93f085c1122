// A 3-node replica group of real processes on loopback: election, writes through any node read
// back from every node, kill -9 of the leader loses no acknowledged write, a restarted node
// catches up. Every wait has a deadline; every process is stopped.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const members = cluster.members;
const call = (member: Member, ...argv: string[]) => cluster.call(member, ...argv);

after(() => cluster.stopAll());

test(
  'a 3-node group: election, writes anywhere, kill -9 the leader, restart and catch up',
  { timeout: 60_000 },
  async () => {
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    await Promise.all(members.map((member) => cluster.start(member)));
    const first = await cluster.agreedLeader(10_000);

    // Writes through every node (followers forward), read back from every node.
    for (const member of members)
      assert.equal(await call(member, 'SET', `k${member.id}`, `v${member.id}`), 'OK');
    for (const member of members) {
      assert.deepEqual(await call(member, 'MGET', 'k1', 'k2', 'k3'), ['v1', 'v2', 'v3']);
    }
    const role = (await call(first, 'ROLE')) as unknown[];
    assert.equal(role[0], 'master');
    const follower = members.find((m) => m !== first) as Member;
    assert.equal(((await call(follower, 'ROLE')) as unknown[])[0], 'slave');
    assert.match(String(await call(follower, 'INFO', 'replication')), /role:slave/);

    // A writer records every acknowledged INCR; the leader is killed under it.
    const acknowledged: number[] = [];
    let writing = true;
    const writer = (async () => {
      let next = 1;
      while (writing) {
        const target = members.find((m) => m !== first && m.child !== undefined) as Member;
        let client: RawClient | undefined;
        try {
          client = await RawClient.connect(target.clientPort);
          while (writing) {
            const reply = await client.call('RPUSH', 'acked', String(next));
            // A closed connection reads as undefined: the outcome is unknown, not acknowledged.
            if (reply instanceof ReplyError || typeof reply !== 'number') throw new Error('no ack');
            acknowledged.push(next);
            next++;
          }
        } catch {
          next++; // outcome unknown: never counted as acknowledged
          await new Promise((resolve) => setTimeout(resolve, 20));
        } finally {
          client?.close();
        }
      }
    })();
    await waitFor(() => acknowledged.length >= 20, 'some acknowledged writes', 10_000);
    const killedAt = Date.now();
    await cluster.stop(first, 'SIGKILL');
    const second = await cluster.agreedLeader(10 * ELECTION_TIMEOUT_MS + 5000);
    assert.notEqual(second.id, first.id);
    const countAtFailover = acknowledged.length;
    await waitFor(
      () => acknowledged.length >= countAtFailover + 20,
      'writes after the failover',
      10_000,
    );
    const failoverMs = Date.now() - killedAt;
    writing = false;
    await writer;
    assert.ok(failoverMs < 10_000, `writes resumed ${failoverMs} ms after the kill`);

    const stored = ((await call(second, 'LRANGE', 'acked', '0', '-1')) as string[]).map(Number);
    const present = new Set(stored);
    for (const value of acknowledged)
      assert.ok(present.has(value), `acknowledged write ${value} was lost`);
    assert.equal(new Set(stored).size, stored.length, 'no write applied twice');

    // The killed node restarts from its disk and catches up.
    await cluster.start(first);
    const length = await call(second, 'LLEN', 'acked');
    await waitFor(
      async () => {
        const status = await cluster.raftStatus(first).catch(() => undefined);
        const leaderStatus = await cluster.raftStatus(second);
        return status !== undefined && status['applied_index'] === leaderStatus['commit_index'];
      },
      'the restarted node to catch up',
      10_000,
    );
    await call(first, 'READONLY');
    const client = await RawClient.connect(first.clientPort);
    try {
      assert.equal(await client.call('READONLY'), 'OK');
      assert.equal(await client.call('LLEN', 'acked'), length);
      assert.equal(await client.call('GET', 'k2'), 'v2');
    } finally {
      client.close();
    }
  },
);
