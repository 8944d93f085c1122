// A leader that loses leadership while its engine holds entries that never committed rebuilds
// the engine from its snapshot and the committed log. It does so in slices across event-loop
// turns (a large dataset would otherwise stall the node), and ends with exactly the committed
// dataset: every committed key is there, and of the writes it held, those the group committed.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const SNAPSHOT = ['--raft-snapshot-entries', '20'];
const KEYS = 40_000;
const PER_MSET = 500;

after(() => cluster.stopAll());

test(
  'a deposed leader rebuilds its engine in slices, to the committed dataset',
  { timeout: 90_000 },
  async () => {
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    const peers = cluster.peers();
    await Promise.all(cluster.members.map((m) => cluster.start(m, peers, SNAPSHOT)));
    const leader = await cluster.agreedLeader(10_000);
    const followers = cluster.members.filter((m) => m !== leader);

    // One MSET at a time, each its own entry (pipelined, the leader may batch them into fewer
    // than the 20 entries a snapshot waits for).
    const writer = await RawClient.connect(leader.clientPort);
    for (let start = 0; start < KEYS; start += PER_MSET) {
      const argv = ['MSET'];
      for (let i = start; i < start + PER_MSET; i++) argv.push(`key:${i}`, `value:${i}`);
      writer.send(...argv);
      assert.deepEqual(await writer.read(1, 10_000), ['OK']);
    }
    writer.close();
    await waitFor(
      async () => Number((await cluster.raftStatus(leader))['snapshot_index']) > 0,
      'a snapshot on the leader',
      20_000,
    );

    // Cut off from both followers, the leader takes writes it can never commit, then steps down
    // (check-quorum) holding them in its engine.
    for (const follower of followers) cluster.pause(follower, true);
    const doomed = await RawClient.connect(leader.clientPort);
    for (let i = 0; i < 20; i++) doomed.send('SET', `dropped:${i}`, 'x');
    await waitFor(
      () => /rebuilt the dataset as of \d+ in \d+ ms over \d+ turns/.test(leader.output),
      'the deposed leader to rebuild its engine',
      20_000,
    );
    doomed.close();
    const turns = /rebuilt the dataset as of \d+ in \d+ ms over (\d+) turns/.exec(leader.output);
    assert.ok(Number(turns?.[1]) > 1, `rebuilt in one turn: ${leader.output}`);
    assert.match(leader.output, /dropping entries \d+\.\.\d+/);

    for (const follower of followers) cluster.pause(follower, false);
    const current = await cluster.agreedLeader(10_000);
    assert.equal(await cluster.call(current, 'SET', 'after', '1'), 'OK');
    await waitFor(
      async () => (await cluster.localCall(leader, 'GET', 'after')) === '1',
      'the old leader to catch up',
      20_000,
    );
    // The writes it held have an unknown outcome (a leader elected later may still commit
    // them); whatever the group decided, the old leader now holds exactly that.
    const dropped = Array.from({ length: 20 }, (_, i) => `dropped:${i}`);
    const decided = await cluster.call(current, 'EXISTS', ...dropped);
    assert.equal(await cluster.localCall(leader, 'EXISTS', ...dropped), decided);
    assert.equal(await cluster.localCall(leader, 'DBSIZE'), KEYS + 1 + (decided as number));
    assert.deepEqual(await cluster.localCall(leader, 'MGET', 'key:0', `key:${KEYS - 1}`), [
      'value:0',
      `value:${KEYS - 1}`,
    ]);
  },
);
