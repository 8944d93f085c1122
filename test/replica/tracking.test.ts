// CLIENT TRACKING in a replica group of three real processes: the node a client is connected
// to tracks it. A follower remembers the keys of reads it relays to the leader and invalidates
// them when it applies the leader's entries; BCAST works on a follower too; a READONLY read on
// the follower registers as on a standalone server; REDIRECT names a client of the same node.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { Push, type Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { Cluster, type Member } from './cluster.js';

const cluster = new Cluster(300);
const clients: RawClient[] = [];

after(async () => {
  for (const client of clients) client.close();
  await cluster.stopAll();
});

async function client(member: Member, protocol: '2' | '3' = '3'): Promise<RawClient> {
  const connection = await RawClient.connect(member.clientPort, member.host);
  clients.push(connection);
  if (protocol === '3') await connection.call('HELLO', '3');
  return connection;
}

/** The next reply of `connection`, which must be an invalidation push; returns its keys. */
async function invalidation(connection: RawClient): Promise<unknown> {
  const [reply] = await connection.read(1, 10_000);
  assert.ok(reply instanceof Push, `a push, got ${JSON.stringify(reply)}`);
  assert.equal(reply.items[0], 'invalidate');
  return reply.items[1];
}

function plainKeys(keys: unknown): unknown {
  return Array.isArray(keys) ? keys.map((key: Reply) => String(key)) : keys;
}

test(
  'tracking on a follower: relayed reads, BCAST, READONLY, REDIRECT',
  { timeout: 90_000 },
  async () => {
    for (let id = 1; id <= 3; id++) await cluster.add(id);
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
    const leader = await cluster.agreedLeader(20_000);
    const [follower, other] = cluster.members.filter((m) => m !== leader) as [Member, Member];

    // Default mode on a follower: GET is relayed to the leader, the follower remembers the key.
    const tracker = await client(follower);
    assert.equal(await tracker.call('CLIENT', 'TRACKING', 'on'), 'OK');
    const info = (await tracker.call('CLIENT', 'TRACKINGINFO')) as Map<unknown, unknown>;
    assert.deepEqual([...(info.get('flags') as Set<unknown>)], ['on']);
    const writer = await client(other, '2');
    assert.equal(await writer.call('SET', 'k', 'v1'), 'OK');
    assert.equal(await tracker.call('GET', 'k'), 'v1');
    assert.equal(await writer.call('SET', 'k', 'v2'), 'OK');
    assert.deepEqual(plainKeys(await invalidation(tracker)), ['k']);
    // Forgotten after one invalidation: a second change sends nothing; reading again re-arms it.
    assert.equal(await writer.call('SET', 'k', 'v3'), 'OK');
    assert.equal(await tracker.call('GET', 'k'), 'v3', 'no push before this reply');
    assert.equal(await writer.call('DEL', 'k'), 1);
    assert.deepEqual(plainKeys(await invalidation(tracker)), ['k']);

    // A write through the leader's own clients, and a flush (null).
    const onLeader = await client(leader, '2');
    assert.deepEqual(await tracker.call('MGET', 'a', 'b'), [null, null]);
    assert.equal(await onLeader.call('SET', 'b', '1'), 'OK');
    assert.deepEqual(plainKeys(await invalidation(tracker)), ['b']);
    assert.equal(await onLeader.call('FLUSHALL'), 'OK');
    assert.equal(await invalidation(tracker), null);

    // The tracker's own relayed write: the invalidation comes after the write's reply.
    assert.equal(await tracker.call('GET', 'own'), null);
    assert.equal(await tracker.call('SET', 'own', '1'), 'OK');
    assert.deepEqual(plainKeys(await invalidation(tracker)), ['own']);

    // READONLY: the follower answers from its own engine and remembers the key the same way.
    const local = await client(follower);
    assert.equal(await local.call('READONLY'), 'OK');
    assert.equal(await local.call('CLIENT', 'TRACKING', 'on'), 'OK');
    assert.equal(await local.call('GET', 'r'), null);
    assert.equal(await writer.call('SET', 'r', '1'), 'OK');
    assert.deepEqual(plainKeys(await invalidation(local)), ['r']);

    // BCAST with a prefix on a follower: changes applied there are broadcast.
    const broadcast = await client(follower);
    assert.equal(
      await broadcast.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'user:'),
      'OK',
    );
    assert.equal(await writer.call('MSET', 'user:2', 'x', 'user:1', 'y', 'other', 'z'), 'OK');
    assert.deepEqual(plainKeys(await invalidation(broadcast)), ['user:1', 'user:2']);

    // REDIRECT to a RESP2 subscriber on the same follower (CLIENT ID answers here).
    const subscriber = await client(follower, '2');
    const subscriberId = String(await subscriber.call('CLIENT', 'ID'));
    await subscriber.call('SUBSCRIBE', '__redis__:invalidate');
    const redirecting = await client(follower, '2');
    assert.equal(
      await redirecting.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', subscriberId),
      'OK',
    );
    assert.equal(await redirecting.call('CLIENT', 'GETREDIR'), Number(subscriberId));
    assert.equal(await redirecting.call('GET', 'm'), null);
    assert.equal(await onLeader.call('SET', 'm', '1'), 'OK');
    const [message] = await subscriber.read(1, 10_000);
    assert.deepEqual(message, ['message', '__redis__:invalidate', ['m']]);

    // OPTIN: only the read after CLIENT CACHING YES is remembered (relayed reads too).
    const optin = await client(follower);
    assert.equal(await optin.call('CLIENT', 'TRACKING', 'on', 'OPTIN'), 'OK');
    assert.equal(await optin.call('GET', 'skipped'), null);
    assert.equal(await optin.call('CLIENT', 'CACHING', 'yes'), 'OK');
    assert.equal(await optin.call('GET', 'kept'), null);
    assert.equal(await writer.call('MSET', 'skipped', '1', 'kept', '1'), 'OK');
    assert.deepEqual(plainKeys(await invalidation(optin)), ['kept']);
    assert.equal(
      await optin.call('PING'),
      'PONG',
      'no invalidation for the key read without CACHING',
    );
  },
);
