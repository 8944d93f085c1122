// A node with an empty disk and no --join asks the other founders for their term before it
// founds a group (replica/bootstrap-probe.ts): a peer past term 1 means the group exists (join);
// a majority at term 0 or 1 means none does (found); too few answers means wait. Over real
// loopback TCP, with transports answering probes and ports where nothing listens.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { decideBootstrap, probeTerm } from '../../src/replica/bootstrap-probe.js';
import { Transport, type PeerAddress } from '../../src/replica/transport.js';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const transports: Transport[] = [];
const cluster = new Cluster(500);
after(async () => {
  for (const transport of transports) await transport.close();
  await cluster.stopAll();
});

/** A node's raft port answering probes with `term`. */
async function answering(nodeId: number, term: number): Promise<PeerAddress> {
  const port = await freePort();
  const transport = new Transport({
    nodeId,
    listenHosts: ['127.0.0.1'],
    listenPort: port,
    peers: new Map(),
    onMessage: () => undefined,
    term: () => term,
    log: () => undefined,
  });
  transports.push(transport);
  await transport.listen();
  return { host: '127.0.0.1', port };
}

/** A port where nothing listens (a founder that is down). */
async function down(): Promise<PeerAddress> {
  return { host: '127.0.0.1', port: await freePort() };
}

async function decide(
  founders: Map<number, PeerAddress>,
  attemptsMax = 1_000,
): Promise<{ decision: string | undefined; attempts: number }> {
  let attempts = 0;
  const decision = await decideBootstrap({
    selfId: 1,
    founders,
    stopped: () => ++attempts > attemptsMax,
    log: () => undefined,
    intervalMs: 10,
    timeoutMs: 500,
  });
  return { decision, attempts };
}

test('a probe gets the peer term; a port without a node gives none', async () => {
  assert.equal(await probeTerm(await answering(2, 7), 1, 2_000), 7);
  assert.equal(await probeTerm(await down(), 1, 2_000), undefined);
});

test('a majority of fresh founders (term 0 or 1) found the group', async () => {
  const founders = new Map([
    [1, await down()], // itself: never probed
    [2, await answering(2, 0)],
    [3, await down()],
  ]);
  assert.deepEqual(await decide(founders), { decision: 'found', attempts: 1 });
  founders.set(3, await answering(3, 1));
  assert.equal((await decide(founders)).decision, 'found');
});

test('a founder past term 1 means the group exists: join it', async () => {
  const founders = new Map([
    [1, await down()],
    [2, await answering(2, 0)],
    [3, await answering(3, 4)],
  ]);
  assert.equal((await decide(founders)).decision, 'join');
});

test('without a majority answering, it waits (and never founds alone)', async () => {
  const founders = new Map([
    [1, await down()],
    [2, await down()],
    [3, await down()],
    [4, await answering(4, 0)],
    [5, await down()],
  ]);
  const { decision, attempts } = await decide(founders, 3);
  assert.equal(decision, undefined);
  assert.equal(attempts, 4);
});

test('founders started one after another form one group; the last one joins it', async () => {
  const [first, second, third] = [await cluster.add(1), await cluster.add(2), await cluster.add(3)];
  const firstUp = cluster.start(first);
  firstUp.catch(() => undefined); // (awaited below; this only keeps an early failure handled)
  await waitFor(() => /waiting for 1 more of the founders/.test(first.output), 'node 1 to wait');
  // Alone, it has not founded a group: it takes no writes.
  const early = await RawClient.connect(first.clientPort);
  try {
    const reply = await early.call('SET', 'k', 'v');
    assert.ok(reply instanceof ReplyError, String(reply));
    assert.match(reply.message, /^(LOADING|TRYAGAIN)/);
  } finally {
    early.close();
  }
  await Promise.all([firstUp, cluster.start(second)]);
  assert.match(first.output, /new replica group, voters 1,2,3/);
  const leader = await cluster.agreedLeader(10_000, [first, second]);
  assert.equal(await cluster.call(leader, 'SET', 'before-third', 'yes'), 'OK');

  await cluster.start(third);
  assert.match(third.output, /the group exists[\s\S]*joining a group/);
  assert.doesNotMatch(third.output, /new replica group/);
  const commit = (await cluster.raftStatus(leader))['commit_index'];
  await waitFor(
    async () => {
      const status = await cluster.raftStatus(third);
      return status['voters'] === '1,2,3' && status['applied_index'] === commit;
    },
    'node 3 to catch up with the leader',
    10_000,
  );
  const local = await RawClient.connect(third.clientPort);
  try {
    assert.equal(await local.call('READONLY'), 'OK');
    assert.equal(await local.call('GET', 'before-third'), 'yes', 'on node 3 itself');
  } finally {
    local.close();
  }
  // Caught up, the late founder votes: with the leader gone, it and the other elect one.
  await cluster.stop(leader);
  const others = [first, second, third].filter((m) => m !== leader) as Member[];
  const next = await cluster.agreedLeader(10_000, others);
  assert.equal(await cluster.call(next, 'GET', 'before-third'), 'yes');
  assert.equal(await cluster.call(next, 'SET', 'after', 'yes'), 'OK');
});

test('a node joining a group never answers as a fresh founder', async () => {
  const joiner = await cluster.add(7);
  // Its peers are down: it has heard of no election (term 0), but it knows the group exists.
  await cluster.start(joiner, `7=${cluster.address(joiner)},8=127.0.0.1:1@1`, ['--join']);
  const term = await probeTerm({ host: '127.0.0.1', port: joiner.raftPort }, 9, 2_000);
  assert.equal(term, 2);
  await cluster.stop(joiner);
});
