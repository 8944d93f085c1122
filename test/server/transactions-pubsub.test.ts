// MULTI/EXEC/WATCH and Pub/Sub with several clients at once, compared with redis-server where
// the exchange is deterministic, and through ioredis and node-redis.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startShoal, waitFor } from '../helpers/servers.js';
import { describeExchanges, type Step } from '../helpers/conformance.js';

const exchanges: Record<string, Step[]> = {
  'multi/exec basics and errors': [
    [0, ['EXEC'], 1],
    [0, ['DISCARD'], 1],
    [0, ['MULTI'], 1],
    [0, ['MULTI'], 1],
    [0, ['SET', 'a', '1'], 1],
    [0, ['INCR', 'a'], 1],
    [0, ['APPEND', 'a', 'x'], 1],
    [0, ['INCR', 'a'], 1],
    [0, ['GET', 'a'], 1],
    [0, ['EXEC'], 1],
    [0, ['MULTI'], 1],
    [0, ['SET', 'b', '1'], 1],
    [0, ['GET'], 1],
    [0, ['EXEC'], 1],
    [0, ['EXISTS', 'b'], 1],
    [0, ['MULTI'], 1],
    [0, ['WATCH', 'a'], 1],
    [0, ['DISCARD'], 1],
    [0, ['MULTI'], 1],
    [0, ['EXEC'], 1],
  ],
  watch: [
    [0, ['SET', 'w', '1'], 1],
    [0, ['WATCH', 'w'], 1],
    [1, ['SET', 'w', '2'], 1],
    [0, ['MULTI'], 1],
    [0, ['SET', 'w', '3'], 1],
    [0, ['EXEC'], 1],
    [0, ['GET', 'w'], 1],
    [0, ['WATCH', 'w'], 1],
    [0, ['MULTI'], 1],
    [0, ['SET', 'w', '4'], 1],
    [0, ['EXEC'], 1],
    [0, ['WATCH', 'w', 'nokey'], 1],
    [1, ['FLUSHDB'], 1],
    [0, ['MULTI'], 1],
    [0, ['EXEC'], 1],
    [0, ['WATCH', 'nokey'], 1],
    [1, ['FLUSHALL'], 1],
    [0, ['MULTI'], 1],
    [0, ['PING'], 1],
    [0, ['EXEC'], 1],
    [0, ['SET', 'x', '1'], 1],
    [0, ['WATCH', 'x'], 1],
    [0, ['UNWATCH'], 1],
    [1, ['SET', 'x', '2'], 1],
    [0, ['MULTI'], 1],
    [0, ['GET', 'x'], 1],
    [0, ['EXEC'], 1],
  ],
  'pub/sub in RESP2': [
    [0, ['SUBSCRIBE', 'news', 'sport'], 2],
    [0, ['PSUBSCRIBE', 'n*'], 1],
    [0, ['PING'], 1],
    [0, ['PING', 'hi'], 1],
    [0, ['GET', 'k'], 1],
    [1, ['PUBLISH', 'news', 'hello'], 1],
    [0, [], 2],
    [1, ['PUBSUB', 'NUMSUB', 'news', 'none'], 1],
    [1, ['PUBSUB', 'NUMPAT'], 1],
    [1, ['PUBSUB', 'CHANNELS', 'n*'], 1],
    [0, ['UNSUBSCRIBE', 'news'], 1],
    [1, ['PUBLISH', 'sport', 'goal'], 1],
    [0, [], 1],
    [0, ['PUNSUBSCRIBE'], 1],
    [0, ['UNSUBSCRIBE'], 1],
    [0, ['UNSUBSCRIBE'], 1],
    [0, ['GET', 'k'], 1],
    [1, ['PUBLISH', 'nobody', 'x'], 1],
  ],
  'keyspace notifications': [
    [1, ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'], 1],
    [1, ['CONFIG', 'GET', 'notify-keyspace-events'], 1],
    [0, ['PSUBSCRIBE', '__key*__:*'], 1],
    [1, ['SET', 'k', 'v'], 1],
    [0, [], 2],
    [1, ['EXPIRE', 'k', '100'], 1],
    [0, [], 2],
    [1, ['INCR', 'n'], 1],
    [0, [], 2],
    [1, ['RENAME', 'k', 'k2'], 1],
    [0, [], 4],
    [1, ['DEL', 'k2', 'n'], 1],
    [0, [], 4],
    [1, ['CONFIG', 'SET', 'notify-keyspace-events', 'x'], 1],
    [1, ['CONFIG', 'SET', 'notify-keyspace-events', 'Kg$'], 1],
    [1, ['CONFIG', 'GET', 'notify-keyspace-events'], 1],
    [1, ['CONFIG', 'SET', 'notify-keyspace-events', ''], 1],
  ],
};

describeExchanges('transactions and pub/sub match redis-server', exchanges);

describe('transactions and pub/sub through client libraries', () => {
  let shoal: RunningServer;
  before(async () => {
    shoal = await startShoal();
  });
  after(async () => {
    await shoal.stop();
  });

  it('ioredis: optimistic locking retries until EXEC succeeds', async () => {
    const clients = Array.from({ length: 5 }, () => new Redis({ port: shoal.port }));
    try {
      await clients[0]?.set('counter', '0');
      await Promise.all(
        clients.map(async (client) => {
          for (let done = 0; done < 20;) {
            await client.watch('counter');
            const value = Number(await client.get('counter'));
            const result = await client
              .multi()
              .set('counter', String(value + 1))
              .exec();
            if (result !== null) done++;
          }
        }),
      );
      assert.equal(await clients[0]?.get('counter'), '100');
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('ioredis: a runtime error inside EXEC does not roll back the others', async () => {
    const client = new Redis({ port: shoal.port });
    try {
      await client.set('s', 'text');
      const result = await client.multi().incr('s').set('t', '1').exec();
      assert.ok(result?.[0]?.[0] instanceof Error);
      assert.deepEqual(result?.[1], [null, 'OK']);
      assert.equal(await client.get('t'), '1');
    } finally {
      client.disconnect();
    }
  });

  it('node-redis: subscribers in RESP2 and RESP3 receive messages', async () => {
    const publisher = createClient({ socket: { port: shoal.port, host: '127.0.0.1' } });
    const subscriber2 = publisher.duplicate();
    const subscriber3 = createClient({ socket: { port: shoal.port, host: '127.0.0.1' }, RESP: 3 });
    await Promise.all([publisher.connect(), subscriber2.connect(), subscriber3.connect()]);
    try {
      const got2: string[] = [];
      const got3: string[] = [];
      await subscriber2.subscribe('room', (message) => got2.push(message));
      await subscriber3.pSubscribe('ro*', (message, channel) => got3.push(`${channel}:${message}`));
      // A RESP3 connection can subscribe and still run commands.
      assert.equal(await subscriber3.set('k', 'v'), 'OK');
      assert.equal(await publisher.publish('room', 'hi'), 2);
      await waitFor(() => got2.length === 1 && got3.length === 1, 'messages delivered');
      assert.deepEqual(got2, ['hi']);
      assert.deepEqual(got3, ['room:hi']);
    } finally {
      await Promise.all([publisher.quit(), subscriber2.quit(), subscriber3.quit()]);
    }
  });

  it('ioredis: keyspace notifications for expired keys', async () => {
    const admin = new Redis({ port: shoal.port });
    const subscriber = new Redis({ port: shoal.port });
    try {
      await admin.config('SET', 'notify-keyspace-events', 'Ex');
      const expired: string[] = [];
      subscriber.on('message', (_channel: string, key: string) => expired.push(key));
      await subscriber.subscribe('__keyevent@0__:expired');
      const expiredKeys = async (): Promise<number> =>
        Number(/expired_keys:(\d+)/.exec(await admin.info('stats'))?.[1]);
      const before = await expiredKeys();
      await admin.set('soon', 'v', 'PX', 20);
      await waitFor(() => expired.includes('soon'), 'an expired event');
      await admin.set('later', 'v', 'PX', 20);
      await waitFor(() => expired.includes('later'), 'a second expired event');
      // Once each (a lone key with an expiry was once sampled twice per pass).
      assert.deepEqual(expired, ['soon', 'later']);
      assert.equal((await expiredKeys()) - before, 2);
    } finally {
      await admin.config('SET', 'notify-keyspace-events', '');
      admin.disconnect();
      subscriber.disconnect();
    }
  });
});
