// CLIENT TRACKING (server-assisted client-side caching) side by side with redis-server 7.0:
// every option and error, default mode, BCAST, OPTIN/OPTOUT, NOLOOP, REDIRECT to RESP2
// subscribers and RESP3 clients, a broken redirect, flushes, expiry, the order of a client's own
// invalidations after its reply, CLIENT LIST flags; then node-redis's client-side cache.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BasicClientSideCache, createClient } from 'redis';
import { describeExchanges, type Step, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import { type RunningServer, startShoal, waitFor } from '../helpers/servers.js';

const hello3: Step = [0, ['HELLO', '3'], 1, 'ignore'];

const exchanges: Record<string, Step[]> = {
  'options, errors, TRACKINGINFO, GETREDIR, CACHING (RESP2)': [
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'GETREDIR'], 1],
    [0, ['CLIENT', 'CACHING', 'yes'], 1],
    [0, ['CLIENT', 'CACHING', 'maybe'], 1],
    [0, ['CLIENT', 'TRACKING', 'maybe'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'foo'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'PREFIX'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', 'abc'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '0'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:1}', 'REDIRECT', '{id:1}'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'PREFIX', 'a'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTOUT'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'bc', 'PREFIX', 'c', 'PREFIX', 'b'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'x', 'PREFIX', 'a'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'xy'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', ''], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'b', 'NOLOOP'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'TRACKING', 'on'], 1],
    [0, ['CLIENT', 'TRACKING', 'off'], 1],
    [0, ['CLIENT', 'TRACKING', 'off'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'OPTIN'], 1],
    [0, ['CLIENT', 'GETREDIR'], 1],
    [0, ['CLIENT', 'CACHING', 'no'], 1],
    [0, ['CLIENT', 'CACHING', 'maybe'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'OPTOUT'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST'], 1],
    [0, ['CLIENT', 'CACHING', 'yes'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'NOLOOP'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'OPTOUT', 'REDIRECT', '{id:1}', 'noloop'], 1],
    [0, ['CLIENT', 'CACHING', 'no'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1, 'ids'],
    [0, ['CLIENT', 'GETREDIR'], 1, 'ids'],
    [0, ['RESET'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'GETREDIR'], 1],
  ],
  'default mode: reads remembered, one invalidation per change (RESP3)': [
    hello3,
    [0, ['CLIENT', 'TRACKING', 'on'], 1],
    [1, ['SET', 'k', 'v'], 1],
    [1, ['LPUSH', 'l', 'a'], 1],
    [0, ['GET', 'k'], 1],
    // A command that fails (WRONGTYPE) still remembers its keys, as Redis's call().
    [0, ['GET', 'l'], 1],
    [0, ['MGET', 'x', 'y'], 1],
    [0, ['STRLEN', 'k'], 1],
    // Keys are names in every database, as Redis's table.
    [1, ['SELECT', '1'], 1],
    [1, ['SET', 'k', '2'], 1],
    [0, [], 1],
    [1, ['LPUSH', 'l', 'b'], 1],
    [0, [], 1],
    [1, ['MSET', 'x', '1', 'y', '1'], 1],
    [0, [], 2],
    // Forgotten after one invalidation.
    [1, ['SET', 'k', '3'], 1],
    [0, ['GET', 'k'], 1],
    // SWAPDB invalidates nothing in 7.0; FLUSHDB sends a null.
    [1, ['SWAPDB', '0', '1'], 1],
    [1, ['FLUSHDB'], 1],
    [0, [], 1],
    [1, ['FLUSHALL'], 1],
    [0, [], 1],
    // The client's own write: the invalidation follows the reply; in MULTI, after EXEC's.
    [0, ['GET', 'k'], 1],
    [0, ['SET', 'k', '4'], 2],
    [0, ['MULTI'], 1],
    [0, ['GET', 'k'], 1],
    [0, ['GET', 'other'], 1],
    [0, ['SET', 'k', '5'], 1],
    [0, ['DEL', 'other'], 1],
    [0, ['EXEC'], 2],
    [0, ['FLUSHDB'], 2],
    [0, ['HGETALL', 'h'], 1],
    [1, ['HSET', 'h', 'f', 'v'], 1],
    [0, [], 1],
    [0, ['SET', 'e', '1', 'PX', '50'], 1],
    [0, ['GET', 'e'], 1],
    // Expiry invalidates (waits for the background expiry).
    [0, [], 1],
    [0, ['CLIENT', 'TRACKING', 'off'], 1],
    [0, ['GET', 'k'], 1],
    [1, ['SET', 'k', '6'], 1],
    [0, ['PING'], 1],
  ],
  'NOLOOP in default mode': [
    hello3,
    [0, ['CLIENT', 'TRACKING', 'on', 'NOLOOP'], 1],
    [0, ['GET', 'k'], 1],
    [0, ['SET', 'k', '1'], 1],
    [0, ['GET', 'k'], 1],
    [1, ['SET', 'k', '2'], 1],
    [0, [], 1],
    [0, ['FLUSHALL'], 2],
  ],
  'BCAST: prefixes, batching, NOLOOP': [
    hello3,
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'b', 'PREFIX', 'a'], 1],
    [2, ['HELLO', '3'], 1, 'ignore'],
    [2, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP'], 1],
    [1, ['MSET', 'b2', '1', 'a1', '1', 'b1', '2', 'c', '3'], 1],
    [0, [], 2],
    [2, [], 1],
    [2, ['MSET', 'a9', '1', 'a0', '2', 'z', '1'], 1],
    [0, [], 1],
    [1, ['SET', 'nothing', '1'], 1],
    [2, [], 1],
    [1, ['DEL', 'nothing', 'b1'], 1],
    [2, [], 1],
    [0, [], 1],
    [1, ['PEXPIRE', 'c', '1'], 1],
    [2, [], 1],
    [2, [], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'c'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [1, ['SET', 'cat', '1'], 1],
    [0, [], 1],
    [1, ['FLUSHALL'], 1],
    [0, [], 1],
    [2, [], 1],
    [0, ['CLIENT', 'TRACKING', 'off'], 1],
    [1, ['SET', 'a', '1'], 1],
    [2, [], 1],
    [0, ['PING'], 1],
  ],
  'OPTIN and OPTOUT with CLIENT CACHING': [
    hello3,
    [0, ['CLIENT', 'TRACKING', 'on', 'OPTIN'], 1],
    [0, ['GET', 'a'], 1],
    [1, ['SET', 'a', '1'], 1],
    [0, ['CLIENT', 'CACHING', 'yes'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['CLIENT', 'GETREDIR'], 1],
    [0, ['GET', 'b'], 1],
    [0, ['GET', 'c'], 1],
    [1, ['MSET', 'a', '2', 'b', '2', 'c', '2'], 1],
    [0, [], 1],
    [0, ['CLIENT', 'CACHING', 'yes'], 1],
    [0, ['MULTI'], 1],
    [0, ['GET', 'a'], 1],
    [0, ['GET', 'b'], 1],
    [0, ['EXEC'], 1],
    [0, ['GET', 'c'], 1],
    [1, ['MSET', 'a', '3', 'b', '3', 'c', '3'], 1],
    [0, [], 2],
    [0, ['CLIENT', 'CACHING', 'yes'], 1],
    [0, ['PING'], 1],
    [0, ['GET', 'c'], 1],
    [1, ['SET', 'c', '4'], 1],
    [0, ['CLIENT', 'TRACKING', 'off'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'OPTOUT'], 1],
    [0, ['CLIENT', 'CACHING', 'yes'], 1],
    [0, ['CLIENT', 'CACHING', 'no'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1],
    [0, ['GET', 'a'], 1],
    [0, ['GET', 'b'], 1],
    [1, ['MSET', 'a', '4', 'b', '4'], 1],
    [0, [], 1],
    [0, ['PING'], 1],
  ],
  'REDIRECT: RESP2 subscriber, unsubscribed RESP2, RESP3 target, broken redirect': [
    [1, ['SUBSCRIBE', '__redis__:invalidate'], 1],
    [3, ['SUBSCRIBE', 'other'], 1],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:1}'], 1],
    [0, ['GET', 'a'], 1],
    [0, ['CLIENT', 'GETREDIR'], 1, 'ids'],
    [0, ['SET', 'a', '1'], 1],
    [1, [], 1],
    [0, ['GET', 'a'], 1],
    [0, ['FLUSHALL'], 1],
    [1, [], 1],
    // A RESP2 target that is not subscribed gets nothing.
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:2}'], 1],
    [0, ['GET', 'a'], 1],
    [0, ['SET', 'a', '1'], 1],
    [2, ['PING'], 1],
    // Subscribed to any channel is enough.
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:3}'], 1],
    [0, ['GET', 'a'], 1],
    [0, ['SET', 'a', '2'], 1],
    [3, [], 1],
    // A RESP3 tracker redirecting to a RESP2 subscriber: its flush null is RESP3's.
    [0, ['HELLO', '3'], 1, 'ignore'],
    [0, ['FLUSHDB'], 1],
    [3, [], 1],
    [4, ['HELLO', '3'], 1, 'ignore'],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:4}', 'NOLOOP'], 1],
    [0, ['GET', 'a'], 1],
    [2, ['SET', 'a', '3'], 1],
    [4, [], 1],
    // The target went away: tracking-redir-broken, flag R.
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:3}'], 1],
    [0, ['GET', 'a'], 1],
    [3, ['QUIT'], 1],
    [0, ['SET', 'a', '4'], 2, 'ids'],
    [0, ['CLIENT', 'TRACKINGINFO'], 1, 'ids'],
    [0, ['GET', 'a'], 1],
    [2, ['SET', 'a', '5'], 1],
    [0, [], 1, 'ids'],
    [0, ['FLUSHDB'], 2, 'ids'],
    [0, ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '{id:1}'], 1],
    [0, ['CLIENT', 'TRACKINGINFO'], 1, 'ids'],
    [0, ['GET', 'a'], 1],
    [0, ['SET', 'a', '1'], 1],
    [1, [], 1],
    [0, ['FLUSHALL'], 1],
    [1, [], 1],
  ],
};

describeExchanges('CLIENT TRACKING matches redis-server', exchanges);

/** The flags= and redir= fields of CLIENT INFO, with the redirect named as the target. */
async function infoFields(client: RawClient, targetId: string): Promise<string> {
  const info = String(await client.call('CLIENT', 'INFO'));
  const flags = /flags=(\S*)/.exec(info)?.[1];
  const redir = /redir=(\S*)/.exec(info)?.[1];
  return `flags=${flags} redir=${redir === targetId ? 'target' : redir}`;
}

describe('CLIENT LIST / INFO tracking flags match redis-server', () => {
  const pair = withRedisAndShoal();
  it('t, B, R and redir=', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const seen: string[][] = [];
    for (const port of [pair.redis.port, pair.shoal.port]) {
      const [client, target] = [await RawClient.connect(port), await RawClient.connect(port)];
      try {
        const id = String(await target.call('CLIENT', 'ID'));
        const fields: string[] = [await infoFields(client, id)];
        await client.call('CLIENT', 'TRACKING', 'on');
        fields.push(await infoFields(client, id));
        await client.call('CLIENT', 'TRACKING', 'off');
        await client.call('CLIENT', 'TRACKING', 'on', 'BCAST');
        fields.push(await infoFields(client, id));
        await client.call('CLIENT', 'TRACKING', 'off');
        await client.call('HELLO', '3');
        await client.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id);
        await client.call('GET', 'flag-key');
        fields.push(await infoFields(client, id));
        target.close();
        await waitFor(async () => {
          const list = String(await client.call('CLIENT', 'LIST', 'ID', id));
          return list === '';
        }, 'the target to be gone');
        await client.call('SET', 'flag-key', '1');
        await client.read(1); // tracking-redir-broken
        fields.push(await infoFields(client, id));
        const list = String(await client.call('CLIENT', 'LIST', 'ID', '0'));
        fields.push(list);
        seen.push(fields);
      } finally {
        client.close();
        target.close();
      }
    }
    assert.deepEqual(seen[1], seen[0]);
  });
});

describe('CLIENT TRACKING through client libraries', () => {
  let shoal: RunningServer;
  before(async () => {
    shoal = await startShoal();
  });
  after(async () => {
    await shoal.stop();
  });

  it("node-redis's client-side cache drops a key another client changes", async () => {
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    const cached = createClient({
      socket: { port: shoal.port, host: '127.0.0.1' },
      RESP: 3,
      clientSideCache: cache,
    });
    const writer = createClient({ socket: { port: shoal.port, host: '127.0.0.1' } });
    await Promise.all([cached.connect(), writer.connect()]);
    try {
      await writer.set('csc', 'one');
      assert.equal(await cached.get('csc'), 'one');
      assert.equal(await cached.get('csc'), 'one');
      assert.equal(cache.stats().hitCount, 1, 'the second GET is served from the cache');
      await writer.set('csc', 'two');
      await waitFor(async () => (await cached.get('csc')) === 'two', 'the cached key invalidated');
      await writer.flushAll();
      await waitFor(async () => (await cached.get('csc')) === null, 'the flush invalidated all');
    } finally {
      await Promise.all([cached.quit(), writer.quit()]);
    }
  });
});
