// Pub/sub across a 3-process replica group: subscribers on every node (channel, pattern and
// shard subscriptions) get every PUBLISH made on any node exactly once, in each publisher's
// order, after the writes published before it; keyspace notifications likewise (they travel in
// the log with the change); subscriptions on a follower are local to it, so they survive kill -9
// of the leader; ioredis and node-redis subscribe through a follower.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Push, type Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const PER_PUBLISHER = 15;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const clients: { close(): void }[] = [];

after(async () => {
  for (const client of clients) client.close();
  await cluster.stopAll();
});

async function connect(member: Member): Promise<RawClient> {
  const client = await RawClient.connect(member.clientPort, member.host);
  clients.push(client);
  return client;
}

/** A message as a subscriber sees it: kind, channel (pattern messages: pattern>channel), text. */
function describe(reply: Reply): string {
  const items = (reply instanceof Push ? reply.items : reply) as string[];
  if (items[0] === 'pmessage') return `pmessage ${items[1]}>${items[2]} ${items[3]}`;
  return `${items[0]} ${items[1]} ${items[2]}`;
}

test('PUBLISH on any node reaches the subscribers of every node', { timeout: 90_000 }, async () => {
  for (let id = 1; id <= 3; id++) await cluster.add(id);
  await Promise.all(cluster.members.map((m) => cluster.start(m)));
  const leader = await cluster.agreedLeader(10_000);

  // One subscriber per node, with a channel, a pattern and a shard channel subscription.
  const subscribers = await Promise.all(cluster.members.map((m) => connect(m)));
  for (const subscriber of subscribers) {
    subscriber.send('SUBSCRIBE', 'news');
    subscriber.send('PSUBSCRIBE', 'n*');
    subscriber.send('SSUBSCRIBE', 'shard');
    assert.deepEqual(await subscriber.read(3), [
      ['subscribe', 'news', 1],
      ['psubscribe', 'n*', 2],
      ['ssubscribe', 'shard', 1],
    ]);
  }
  // PUBSUB answers for the node asked (as Redis Cluster): one subscriber of each kind here.
  for (const member of cluster.members) {
    assert.deepEqual(await cluster.call(member, 'PUBSUB', 'NUMSUB', 'news'), ['news', 1]);
    assert.equal(await cluster.call(member, 'PUBSUB', 'NUMPAT'), 1);
    assert.deepEqual(await cluster.call(member, 'PUBSUB', 'SHARDCHANNELS'), ['shard']);
  }

  // Every node publishes, pipelined: a write, then messages on both kinds of channel.
  const publishers = await Promise.all(cluster.members.map((m) => connect(m)));
  for (const [at, publisher] of publishers.entries()) {
    const id = cluster.members[at]?.id as number;
    publisher.send('SET', `written-by-${id}`, 'yes');
    for (let i = 0; i < PER_PUBLISHER; i++) {
      publisher.send('PUBLISH', 'news', `${id}:${i}`);
      publisher.send('SPUBLISH', 'shard', `${id}:${i}`);
    }
  }
  for (const publisher of publishers) {
    const replies = await publisher.read(1 + 2 * PER_PUBLISHER, 20_000);
    assert.equal(replies[0], 'OK');
    // The receivers on the node the PUBLISH was sent to: one channel plus one pattern match.
    for (let i = 0; i < PER_PUBLISHER; i++) {
      assert.equal(replies[1 + 2 * i], 2, 'PUBLISH counts this node’s receivers');
      assert.equal(replies[2 + 2 * i], 1, 'SPUBLISH counts this node’s receivers');
    }
  }

  // Each subscriber gets every message once: per publisher, in its order.
  const expectedCount = 3 * cluster.members.length * PER_PUBLISHER;
  for (const subscriber of subscribers) {
    const got = (await subscriber.read(expectedCount, 20_000)).map(describe);
    assert.equal(got.length, expectedCount);
    for (const member of cluster.members) {
      for (const kind of ['message news', 'pmessage n*>news', 'smessage shard']) {
        const mine = got.filter((line) => line.startsWith(`${kind} ${member.id}:`));
        assert.deepEqual(
          mine,
          Array.from({ length: PER_PUBLISHER }, (_, i) => `${kind} ${member.id}:${i}`),
          `${kind} from node ${member.id}, once each and in order`,
        );
      }
    }
    // Nothing more: a PING answered in the subscribed context comes next.
    subscriber.send('PING');
    assert.deepEqual(await subscriber.read(1), [['pong', '']]);
  }

  // A message comes after the writes logged before it: on receipt, the write is readable on
  // the subscriber's own node (a follower's local read, READONLY).
  const follower = cluster.members.find((m) => m !== leader) as Member;
  const reader = await connect(follower);
  assert.equal(await reader.call('READONLY'), 'OK');
  const watcher = await connect(follower);
  watcher.send('SUBSCRIBE', 'after-write');
  await watcher.read(1);
  const writer = await connect(leader);
  for (let i = 0; i < 10; i++) {
    writer.send('SET', 'ordered', String(i));
    writer.send('PUBLISH', 'after-write', String(i));
  }
  await writer.read(20);
  for (let i = 0; i < 10; i++) {
    const [message] = await watcher.read(1);
    assert.deepEqual(message, ['message', 'after-write', String(i)]);
    const seen = Number(await reader.call('GET', 'ordered'));
    assert.ok(seen >= i, `write ${i} applied before its message (read ${seen})`);
  }
});

test(
  'keyspace notifications reach the subscribers of every node',
  { timeout: 60_000 },
  async () => {
    const leader = await cluster.agreedLeader(10_000);
    const follower = cluster.members.find((m) => m !== leader) as Member;
    assert.equal(
      await cluster.call(leader, 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA'),
      'OK',
    );
    const subscribers = await Promise.all(cluster.members.map((m) => connect(m)));
    for (const subscriber of subscribers) {
      subscriber.send('PSUBSCRIBE', '__key*@0__:*');
      assert.deepEqual(await subscriber.read(1), [['psubscribe', '__key*@0__:*', 1]]);
    }
    // Changes made through a follower (relayed), on the leader, and by the leader's expiry.
    assert.equal(await cluster.call(follower, 'SET', 'ks', 'v'), 'OK');
    assert.equal(await cluster.call(leader, 'DEL', 'ks'), 1);
    assert.equal(await cluster.call(follower, 'SET', 'ks-exp', 'v', 'PX', '50'), 'OK');
    const event = (channel: string, text: string): string =>
      `pmessage __key*@0__:*>__${channel} ${text}`;
    const expected = [
      event('keyspace@0__:ks', 'set'),
      event('keyevent@0__:set', 'ks'),
      event('keyspace@0__:ks', 'del'),
      event('keyevent@0__:del', 'ks'),
      event('keyspace@0__:ks-exp', 'set'),
      event('keyevent@0__:set', 'ks-exp'),
      event('keyspace@0__:ks-exp', 'expire'),
      event('keyevent@0__:expire', 'ks-exp'),
      event('keyspace@0__:ks-exp', 'expired'),
      event('keyevent@0__:expired', 'ks-exp'),
    ];
    for (const [i, subscriber] of subscribers.entries()) {
      const got = (await subscriber.read(expected.length, 10_000)).map(describe);
      assert.deepEqual(got, expected, `subscriber on node ${cluster.members[i]?.id}`);
    }
    // Each once: the next reply is the PING's, not a duplicate.
    for (const subscriber of subscribers)
      assert.deepEqual(await subscriber.call('PING'), ['pong', '']);
    for (const subscriber of subscribers) subscriber.close();
    assert.equal(await cluster.call(leader, 'CONFIG', 'SET', 'notify-keyspace-events', ''), 'OK');
  },
);

test('a subscriber on a follower survives kill -9 of the leader', { timeout: 90_000 }, async () => {
  const leader = await cluster.agreedLeader(10_000);
  const [follower, other] = cluster.members.filter((m) => m !== leader) as [Member, Member];

  const raw = await connect(follower);
  raw.send('SUBSCRIBE', 'alerts');
  await raw.read(1);

  const ioredis = new Redis({ host: follower.host, port: follower.clientPort });
  const ioredisGot: string[] = [];
  ioredis.on('message', (_channel: string, message: string) => ioredisGot.push(message));
  await ioredis.subscribe('alerts');
  clients.push({ close: () => ioredis.disconnect() });

  const nodeRedis = createClient({
    socket: { host: follower.host, port: follower.clientPort, reconnectStrategy: false },
    RESP: 3,
  });
  const nodeRedisGot: string[] = [];
  await nodeRedis.connect();
  clients.push({ close: () => void nodeRedis.disconnect().catch(() => undefined) });
  await nodeRedis.pSubscribe('al*', (message) => nodeRedisGot.push(message));

  assert.equal(await cluster.call(leader, 'PUBLISH', 'alerts', 'before'), 0);
  await waitFor(
    () => ioredisGot.length === 1 && nodeRedisGot.length === 1,
    'the first message on both client libraries',
  );
  assert.deepEqual(await raw.read(1), [['message', 'alerts', 'before']]);

  await cluster.stop(leader);
  const survivors = cluster.members.filter((m) => m !== leader);
  const newLeader = await cluster.agreedLeader(15_000, survivors);
  // Published on the new leader, and through the other survivor (relayed to the new leader).
  await cluster.call(newLeader, 'PUBLISH', 'alerts', 'after-1');
  await cluster.call(newLeader === follower ? other : follower, 'PUBLISH', 'alerts', 'after-2');

  assert.deepEqual(await raw.read(2, 10_000), [
    ['message', 'alerts', 'after-1'],
    ['message', 'alerts', 'after-2'],
  ]);
  await waitFor(
    () => ioredisGot.length === 3 && nodeRedisGot.length === 3,
    'the messages published after the failover',
  );
  assert.deepEqual(ioredisGot, ['before', 'after-1', 'after-2']);
  assert.deepEqual(nodeRedisGot, ['before', 'after-1', 'after-2']);
  // The RESP3 client may still run commands while subscribed, relayed to the new leader.
  assert.equal(await nodeRedis.set('after-failover', '1'), 'OK');
  assert.equal(await cluster.call(newLeader, 'GET', 'after-failover'), '1');
});
