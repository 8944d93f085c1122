// Test helper: a replica group member's whole dataset (read on the node itself, READONLY), and a
// wait until every running member has applied the leader's commit index.

import { strict as assert } from 'node:assert';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import type { Cluster, Member } from './cluster.js';

/** Every key and value of a member's dataset (strings), sorted. */
export async function contents(member: Member): Promise<string[]> {
  const client = await RawClient.connect(member.clientPort);
  try {
    assert.equal(await client.call('READONLY'), 'OK');
    const keys = ((await client.call('KEYS', '*')) as string[]).sort();
    if (keys.length === 0) return [];
    // MGET in parts: a command of 65,000 arguments would overflow the call stack here.
    const values: string[] = [];
    for (let at = 0; at < keys.length; at += 10_000)
      values.push(...((await client.call('MGET', ...keys.slice(at, at + 10_000))) as string[]));
    return keys.map((key, i) => `${key}=${values[i]}`);
  } finally {
    client.close();
  }
}

/** Waits until every running member has applied the leader's commit index. */
export async function caughtUp(group: Cluster, leaderMember: Member): Promise<void> {
  await waitFor(
    async () => {
      const commit = (await group.raftStatus(leaderMember))['commit_index'];
      const live = group.members.filter((m) => m.child !== undefined);
      const statuses = await Promise.all(live.map((m) => group.raftStatus(m)));
      return statuses.every((s) => s['applied_index'] === commit);
    },
    'every node to apply the commit index',
    20_000,
  );
}
