// A node with an empty disk and no --join asks the other founders for their term and group id
// before it founds a group (replica/bootstrap-probe.ts): peers naming different group ids mean
// --peers is wrong (refuse to start); a peer past term 1 or naming a group id means the group
// exists (join, and accept only that group's nodes); a majority at term 0 or 1 means none does
// (found); too few answers means wait. The rules alone (judgeProbeAnswers), then over real
// loopback TCP, with transports answering probes and ports where nothing listens, and with real
// nodes.

import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  decideBootstrap,
  judgeProbeAnswers,
  probePeer,
} from '../../src/replica/bootstrap-probe.js';
import { Transport, type PeerAddress } from '../../src/replica/transport.js';
import type { ProbeReply } from '../../src/replica/wire.js';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const transports: Transport[] = [];
const cluster = new Cluster(500);
/** Single-node groups, each with its own id, and founders pointed at them. */
const groupA = new Cluster(300);
const groupB = new Cluster(300);
const strays = new Cluster(300);
after(async () => {
  for (const transport of transports) await transport.close();
  await Promise.all([cluster, groupA, groupB, strays].map((c) => c.stopAll()));
});

const ID_A = '00000000000000aa';
const ID_B = '00000000000000bb';

test('judgeProbeAnswers: the rules, in order', () => {
  const founders = new Map<number, PeerAddress>(
    [1, 2, 3, 4, 5].map((id) => [id, { host: '10.0.0.' + id, port: 7000 + id }]),
  );
  const judge = (
    answers: [number, ProbeReply | undefined][],
  ): ReturnType<typeof judgeProbeAnswers> => judgeProbeAnswers(founders, new Map(answers));
  const fresh = (term: number): ProbeReply => ({ term, groupId: undefined });
  const named = (term: number, groupId: string): ProbeReply => ({ term, groupId });

  // Two groups named: --peers is wrong, whatever else answered. The reason names each node.
  const refused = judge([
    [2, named(5, ID_A)],
    [3, fresh(0)],
    [4, named(9, ID_B)],
    [5, undefined],
  ]);
  assert.equal(refused.kind, 'refuse');
  assert.equal(
    (refused as { reason: string }).reason,
    `the founders in --peers belong to different replica groups: node 2 (10.0.0.2:7002) is in group ${ID_A}, node 4 (10.0.0.4:7004) is in group ${ID_B}; refusing to start (check --peers)`,
  );
  // One group named (by two nodes, or by one while another, older or not yet told, names none):
  // join it, and only it.
  for (const answers of [
    [
      [2, named(5, ID_A)],
      [3, named(5, ID_A)],
    ],
    [
      [2, fresh(4)],
      [3, named(5, ID_A)],
      [4, undefined],
    ],
  ] as [number, ProbeReply | undefined][][]) {
    const judgement = judge(answers);
    assert.equal(judgement.kind, 'join');
    assert.equal((judgement as { groupId: string }).groupId, ID_A);
  }
  assert.match(
    (judge([[3, named(5, ID_A)]]) as { reason: string }).reason,
    /node 3 is at term 5 of group 00000000000000aa: the group exists/,
  );
  // A peer past term 1 without an id (an older node, or a group whose id is not chosen yet).
  assert.deepEqual(judge([[2, fresh(3)]]), {
    kind: 'join',
    groupId: undefined,
    reason: 'node 2 is at term 3: the group exists',
  });
  // Fresh answers: a majority of 5, itself included, founds; fewer waits.
  assert.deepEqual(
    judge([
      [2, fresh(0)],
      [3, fresh(1)],
      [4, undefined],
      [5, undefined],
    ]),
    { kind: 'found' },
  );
  assert.deepEqual(
    judge([
      [2, fresh(1)],
      [3, undefined],
      [4, undefined],
      [5, undefined],
    ]),
    { kind: 'wait', missing: 1 },
  );
});

/** A node's raft port answering probes with `term` (and `groupId`, if given). */
async function answering(nodeId: number, term: number, groupId?: string): Promise<PeerAddress> {
  const port = await freePort();
  const transport = new Transport({
    nodeId,
    listenHosts: ['127.0.0.1'],
    listenPort: port,
    peers: new Map(),
    onMessage: () => undefined,
    term: () => term,
    groupId: () => groupId,
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
): Promise<{ decision: string | undefined; attempts: number; groupId?: string | undefined }> {
  let attempts = 0;
  const decided = await decideBootstrap({
    selfId: 1,
    founders,
    stopped: () => ++attempts > attemptsMax,
    log: () => undefined,
    intervalMs: 10,
    timeoutMs: 500,
  });
  if (decided?.kind === 'join') return { decision: 'join', attempts, groupId: decided.groupId };
  return { decision: decided?.kind, attempts };
}

test('a probe gets the peer term and group id; a port without a node gives none', async () => {
  assert.deepEqual(await probePeer(await answering(2, 7), 1, 2_000), {
    term: 7,
    groupId: undefined,
  });
  assert.deepEqual(await probePeer(await answering(2, 7, ID_A), 1, 2_000), {
    term: 7,
    groupId: ID_A,
  });
  assert.equal(await probePeer(await down(), 1, 2_000), undefined);
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
  founders.set(2, await answering(2, 4, ID_A));
  assert.deepEqual(await decide(founders), { decision: 'join', attempts: 1, groupId: ID_A });
});

test('founders naming different groups: it refuses, at once', async () => {
  const founders = new Map([
    [1, await down()],
    [2, await answering(2, 4, ID_A)],
    [3, await answering(3, 6, ID_B)],
  ]);
  await assert.rejects(decide(founders), {
    name: 'BootstrapRefusal',
    message:
      /node 2 \(127\.0\.0\.1:\d+\) is in group 00000000000000aa, node 3 \(127\.0\.0\.1:\d+\) is in group 00000000000000bb; refusing to start/,
  });
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
  const answer = await probePeer({ host: '127.0.0.1', port: joiner.raftPort }, 9, 2_000);
  assert.deepEqual(answer, { term: 2, groupId: undefined });
  await cluster.stop(joiner);
});

/** A running single-node group, and its id once chosen. */
async function soloGroup(group: Cluster): Promise<{ member: Member; groupId: string }> {
  const member = await group.add(1);
  await group.start(member, `1=${group.address(member)}`);
  const groupId = await waitFor(
    async () => {
      const id = (await group.raftStatus(member))['group_id'];
      return id !== undefined && /^[0-9a-f]{16}$/.test(id) ? id : undefined;
    },
    'the group id',
    10_000,
  );
  return { member, groupId };
}

test(
  "a founder whose --peers names nodes of two running groups refuses to start; one pointed at one group's node accepts only that group",
  { timeout: 60_000 },
  async () => {
    const [a, b] = await Promise.all([soloGroup(groupA), soloGroup(groupB)]);
    assert.notEqual(a.groupId, b.groupId);

    // Its --peers names A's node and B's node as founders 2 and 3: a copy-paste slip.
    const confused = await strays.add(1);
    const mixed = `1=${strays.address(confused)},2=${groupA.address(a.member)},3=${groupB.address(b.member)}`;
    await assert.rejects(strays.start(confused, mixed), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(
          `different replica groups: node 2 \\(127\\.0\\.0\\.1:${a.member.raftPort}\\) is in group ${a.groupId}, node 3 \\(127\\.0\\.0\\.1:${b.member.raftPort}\\) is in group ${b.groupId}; refusing to start \\(check --peers\\)`,
        ),
      );
      return true;
    });
    assert.equal(confused.child?.exitCode, 2, 'exits as for a configuration error');
    // It wrote no configuration: fixed and started again, it is still a first start.
    assert.deepEqual(
      readdirSync(join(confused.dir, 'raft')).filter((name) => name.endsWith('.log')),
      [],
    );

    // One pointed at A's node (its other founder down): it joins A, so it must accept only A.
    const stray = await strays.add(2);
    const downPort = await freePort();
    await strays.start(
      stray,
      `2=${strays.address(stray)},1=${groupA.address(a.member)},3=127.0.0.1:${downPort}@${downPort}`,
    );
    assert.match(
      stray.output,
      new RegExp(`is at term \\d+ of group ${a.groupId}: the group exists`),
    );
    // Its probe answer names A too: a founder that asks it is not taken for a fresh one.
    assert.deepEqual(await probePeer({ host: '127.0.0.1', port: stray.raftPort }, 9, 2_000), {
      term: 2,
      groupId: a.groupId,
    });
    // B's node, restarted with --peers naming it (another slip), is refused at its hello.
    await groupB.stop(b.member);
    await groupB.start(b.member, `1=${groupB.address(b.member)},2=${strays.address(stray)}`);
    await waitFor(
      () =>
        new RegExp(
          `refusing raft connections from node 1 of group ${b.groupId}: this node is in group ${a.groupId}`,
        ).test(stray.output),
      "the stray founder to refuse B's node",
      10_000,
    );
    assert.equal((await strays.raftStatus(stray))['group_id'], '', 'it has not learned an id');
  },
);
