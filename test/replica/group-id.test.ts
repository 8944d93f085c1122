// Every group has an id (chosen by its first leader, replicated, kept in the raft folder and in
// snapshots) that its nodes send when they connect. Two groups whose node ids overlap stay
// apart: here group B's --peers names group A's node 3 as its own node 3 (a copy-paste slip),
// and B's leader, at a higher term than A's, would otherwise take A's node 3 over and disturb A.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const groupA = new Cluster(ELECTION_TIMEOUT_MS);
const groupB = new Cluster(ELECTION_TIMEOUT_MS);

after(() => Promise.all([groupA.stopAll(), groupB.stopAll()]));

/** The group id every member reports, once they all have the same one. */
function agreedGroupId(cluster: Cluster, members: Member[]): Promise<string> {
  return waitFor(
    async () => {
      const ids = new Set(
        await Promise.all(members.map(async (m) => (await cluster.raftStatus(m))['group_id'])),
      );
      const [id] = [...ids];
      return ids.size === 1 && id !== undefined && /^[0-9a-f]{16}$/.test(id) ? id : undefined;
    },
    'every member to know the group id',
    10_000,
  );
}

async function term(cluster: Cluster, member: Member): Promise<number> {
  return Number((await cluster.raftStatus(member))['term']);
}

test(
  "a node of another group that claims a member's id is refused",
  { timeout: 90_000 },
  async () => {
    for (const cluster of [groupA, groupB]) {
      for (let id = 1; id <= 3; id++) await cluster.add(id);
      await Promise.all(cluster.members.map((m) => cluster.start(m)));
    }
    const leaderA = await groupA.agreedLeader(10_000);
    assert.equal(await groupA.call(leaderA, 'SET', 'owner', 'A'), 'OK');
    const idA = await agreedGroupId(groupA, groupA.members);
    let leaderB = await groupB.agreedLeader(10_000);
    const idB = await agreedGroupId(groupB, groupB.members);
    assert.notEqual(idA, idB);

    // B's term goes past A's: each leadership transfer starts a new term.
    const termA = await term(groupA, leaderA);
    while ((await term(groupB, leaderB)) <= termA + 2) {
      const next = groupB.members.find((m) => m !== leaderB) as Member;
      assert.equal(await groupB.call(leaderB, 'RAFT', 'TRANSFER-LEADER', String(next.id)), 'OK');
      leaderB = await waitFor(
        async () => {
          const leader = await groupB.agreedLeader(10_000);
          return leader === next ? leader : undefined;
        },
        `node ${next.id} of B to lead`,
        10_000,
      );
    }

    // B's nodes 1 and 2 come back with node 3 pointing at A's node 3.
    const [b1, b2, b3] = groupB.members as [Member, Member, Member];
    const a3 = groupA.members[2] as Member;
    await groupB.stop(b3);
    const slip = `1=${groupB.address(b1)},2=${groupB.address(b2)},3=${groupA.address(a3)}`;
    for (const member of [b1, b2]) {
      await groupB.stop(member);
      await groupB.start(member, slip);
    }
    leaderB = await groupB.agreedLeader(10_000, [b1, b2]);
    assert.equal(await groupB.call(leaderB, 'SET', 'owner', 'B'), 'OK');
    await waitFor(
      () =>
        new RegExp(
          `refusing raft connections from node \\d of group ${idB}: this node is in group ${idA}`,
        ).test(a3.output),
      "A's node 3 to refuse B's leader",
      10_000,
    );

    // A is undisturbed: same term and leader everywhere, its data on node 3, new writes too.
    for (const member of groupA.members) {
      const status = await groupA.raftStatus(member);
      assert.equal(Number(status['term']), termA, `node ${member.id} of A kept its term`);
      assert.equal(status['leader'], String(leaderA.id));
      assert.equal(status['group_id'], idA);
    }
    assert.equal(await groupA.localCall(a3, 'GET', 'owner'), 'A');
    assert.equal(await groupA.call(leaderA, 'SET', 'after', 'A'), 'OK');
    await waitFor(
      async () => (await groupA.localCall(a3, 'GET', 'after')) === 'A',
      "A's write to reach its node 3",
      10_000,
    );
    assert.equal(await groupB.call(leaderB, 'GET', 'owner'), 'B');
  },
);
