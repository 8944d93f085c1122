// A leader proposes every command it executed in one event-loop turn as one Raft entry (the
// batch entry of replica/node.ts). A pipeline of commands, with a transaction and a PUBLISH in
// the middle, is answered in order, lands on every node, and takes a handful of log entries
// rather than one per command.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { encodeCommand, RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster } from './cluster.js';

const cluster = new Cluster(300);

after(() => cluster.stopAll());

test('a pipeline becomes a few batch entries, applied in order on every node', async () => {
  for (let id = 1; id <= 3; id++) await cluster.add(id);
  await Promise.all(cluster.members.map((member) => cluster.start(member)));
  const leader = await cluster.agreedLeader(10_000);
  const follower = cluster.members.find((m) => m !== leader);
  assert.ok(follower !== undefined);
  const subscriber = await RawClient.connect(follower.clientPort);
  assert.deepEqual(await subscriber.call('SUBSCRIBE', 'news'), ['subscribe', 'news', 1]);

  const lastIndex = async (): Promise<number> =>
    Number((await cluster.raftStatus(leader))['last_index']);
  const before = await lastIndex();
  const client = await RawClient.connect(leader.clientPort);
  const commands: string[][] = [];
  for (let i = 1; i <= 200; i++) commands.push(['INCR', 'counter']);
  commands.push(['MULTI'], ['INCR', 'counter'], ['RPUSH', 'list', 'x'], ['EXEC']);
  commands.push(['PUBLISH', 'news', 'hello']);
  for (let i = 1; i <= 100; i++) commands.push(['RPUSH', 'list', String(i)]);
  client.write(Buffer.concat(commands.map((argv) => encodeCommand(argv))));
  const replies = await client.read(commands.length, 20_000);
  client.close();

  for (let i = 0; i < 200; i++) assert.equal(replies[i], i + 1);
  assert.deepEqual(replies.slice(200, 204), ['OK', 'QUEUED', 'QUEUED', [201, 1]]);
  assert.equal(replies[204], 0); // the leader has no subscriber to "news"
  for (let i = 0; i < 100; i++) assert.equal(replies[205 + i], i + 2);
  const [message] = await subscriber.read(1, 10_000);
  assert.deepEqual(message, ['message', 'news', 'hello']);
  subscriber.close();

  // 305 commands; the leader reads them in a few socket reads, each one batch (plus heartbeats'
  // no entries): far fewer log entries than commands.
  const entries = (await lastIndex()) - before;
  assert.ok(entries >= 1 && entries < 60, `${entries} log entries for 305 commands`);
  for (const member of cluster.members) {
    await waitFor(
      async () => {
        const client = await RawClient.connect(member.clientPort);
        try {
          await client.call('READONLY');
          return (await client.call('GET', 'counter')) === '201';
        } finally {
          client.close();
        }
      },
      `node ${member.id} to apply the batch`,
      10_000,
    );
    assert.equal(await cluster.call(member, 'LLEN', 'list'), 101);
    assert.deepEqual(await cluster.call(member, 'LRANGE', 'list', '0', '2'), ['x', '1', '2']);
  }
});

test('writes from many clients in one batch are answered on commit, without ReadIndex rounds', async () => {
  const leader = await cluster.agreedLeader(10_000);
  const readRounds = async (): Promise<number> =>
    Number((await cluster.raftStatus(leader))['read_rounds']);
  const clients = await Promise.all(
    Array.from({ length: 8 }, () => RawClient.connect(leader.clientPort)),
  );
  try {
    const before = await readRounds();
    // Eight clients' pipelines arrive in the same turns, so most commands join a batch entry
    // another client opened: they wrote, and must not be mistaken for reads.
    for (let round = 0; round < 20; round++) {
      for (const [i, client] of clients.entries())
        client.write(encodeCommand(['SET', `w${i}`, String(round)]));
      const replies = await Promise.all(clients.map((client) => client.read(1, 10_000)));
      for (const [reply] of replies) assert.equal(reply, 'OK');
    }
    assert.equal((await readRounds()) - before, 0);
    // A read does take one (the check can fail).
    assert.equal(await clients[0]?.call('GET', 'w0'), '19');
    assert.ok((await readRounds()) > before, 'a GET starts a ReadIndex round');
  } finally {
    for (const client of clients) client.close();
  }
});
