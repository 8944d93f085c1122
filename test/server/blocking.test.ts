// Blocking list commands with several clients, compared with redis-server step by step, plus
// timeouts, arrival order, MULTI, disconnects, CLIENT UNBLOCK, pipelines and the embedded API.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { open, ReplyError } from '../../src/embedded/index.js';
import { describeExchanges, plain, type Step, withRedisAndShoal } from '../helpers/conformance.js';
import { encodeCommand, RawClient } from '../helpers/raw-client.js';
import { type RunningServer, startShoal, waitFor } from '../helpers/servers.js';

const exchanges: Record<string, Step[]> = {
  'served in arrival order': [
    [0, ['BLPOP', 'q', '0'], 0],
    [1, ['BLPOP', 'q', '0'], 0],
    [2, ['RPUSH', 'q', 'a', 'b', 'c'], 1],
    [0, [], 1],
    [1, [], 1],
    [2, ['LRANGE', 'q', '0', '-1'], 1],
  ],
  'several keys, first non-empty wins': [
    [2, ['RPUSH', 'second', 'x'], 1],
    [0, ['BRPOP', 'first', 'second', '0'], 1],
    [0, ['BRPOP', 'first', 'second', '0'], 0],
    [2, ['LPUSH', 'second', 'y'], 1],
    [0, [], 1],
  ],
  'blmove and brpoplpush': [
    [0, ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0'], 0],
    [1, ['BRPOPLPUSH', 'dst', 'final', '0'], 0],
    [2, ['RPUSH', 'src', 'hop'], 1],
    [0, [], 1],
    [1, [], 1],
    [2, ['LRANGE', 'final', '0', '-1'], 1],
    [2, ['EXISTS', 'src', 'dst'], 1],
  ],
  'blmpop with count': [
    [0, ['BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2'], 0],
    [2, ['RPUSH', 'b', '1', '2', '3'], 1],
    [0, [], 1],
    [0, ['BLMPOP', '0', '1', 'b', 'LEFT'], 1],
    [0, ['BLMPOP', '0', '0', 'b', 'LEFT'], 1],
    [0, ['BLMPOP', '0', '1', 'b', 'UP'], 1],
  ],
  'timeouts and errors': [
    [0, ['BLPOP', 'none', '0.05'], 1],
    [0, ['BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0.05'], 1],
    [0, ['BLPOP', 'none', '-1'], 1],
    [0, ['BLPOP', 'none', 'abc'], 1],
    [2, ['SET', 'str', 'v'], 1],
    [0, ['BLPOP', 'str', '0'], 1],
  ],
  'a key of another type does not serve them': [
    [0, ['BLPOP', 'later', '0'], 0],
    [2, ['SET', 'later', 'text'], 1],
    [2, ['DEL', 'later'], 1],
    [2, ['SADD', 'later', 'member'], 1],
    [2, ['DEL', 'later'], 1],
    [2, ['RPUSH', 'later', 'x'], 1],
    [0, [], 1],
    [1, ['BLMPOP', '0', '2', 'first', 'second', 'LEFT'], 0],
    [2, ['ZADD', 'first', '1', 'm'], 1],
    [2, ['RPUSH', 'second', 'y'], 1],
    [1, [], 1],
  ],
  'inside MULTI they do not block': [
    [0, ['MULTI'], 1],
    [0, ['BLPOP', 'empty', '0'], 1],
    [0, ['BLMOVE', 'empty', 'x', 'LEFT', 'LEFT', '0'], 1],
    [0, ['EXEC'], 1],
  ],
  'a push inside MULTI wakes them after EXEC': [
    [0, ['BLPOP', 'tx', '0'], 0],
    [2, ['MULTI'], 1],
    [2, ['RPUSH', 'tx', 'one'], 1],
    [2, ['RPUSH', 'tx', 'two'], 1],
    [2, ['EXEC'], 1],
    [0, [], 1],
    [2, ['LRANGE', 'tx', '0', '-1'], 1],
  ],
  'WAIT without replicas: 0, at once for 0 replicas, else after the timeout': [
    [0, ['WAIT', '0', '0'], 1],
    [0, ['WAIT', '1', '20'], 1],
    [0, ['WAIT', '1'], 1],
    [0, ['WAIT', '1', '-1'], 1],
    [0, ['WAIT', '1', 'x'], 1],
    [0, ['WAIT', 'x', '0'], 1],
    [0, ['MULTI'], 1],
    [0, ['SET', 'k', 'v'], 1],
    [0, ['WAIT', '1', '0'], 1],
    [0, ['EXEC'], 1],
  ],
};

describeExchanges('blocking commands match redis-server', exchanges);

describe('CLIENT UNBLOCK matches redis-server', () => {
  const pair = withRedisAndShoal();

  it('answers a blocked client with an error or its timeout reply', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const transcripts: unknown[] = [];
    for (const port of [pair.redis.port, pair.shoal.port]) {
      const [blocked, admin] = [await RawClient.connect(port), await RawClient.connect(port)];
      const id = String(await blocked.call('CLIENT', 'ID'));
      blocked.send('BLPOP', 'never', '0');
      await waitFor(
        async () => /blocked_clients:1/.test(String(await admin.call('INFO', 'clients'))),
        'a blocked client',
      );
      const transcript = [plain(await admin.call('CLIENT', 'UNBLOCK', id, 'ERROR'))];
      transcript.push((await blocked.read(1)).map(plain));
      blocked.send('BLMOVE', 'never', 'x', 'LEFT', 'LEFT', '0');
      await waitFor(
        async () => /blocked_clients:1/.test(String(await admin.call('INFO', 'clients'))),
        'a blocked client',
      );
      transcript.push(plain(await admin.call('CLIENT', 'UNBLOCK', id)));
      transcript.push((await blocked.read(1)).map(plain));
      transcript.push(plain(await admin.call('CLIENT', 'UNBLOCK', id)));
      // WAIT for a replica that does not exist blocks until unblocked: then its count, 0.
      blocked.send('WAIT', '1', '0');
      await waitFor(
        async () => /blocked_clients:1/.test(String(await admin.call('INFO', 'clients'))),
        'a blocked client',
      );
      transcript.push(plain(await admin.call('CLIENT', 'UNBLOCK', id)));
      transcript.push((await blocked.read(1)).map(plain));
      transcripts.push(transcript);
      blocked.close();
      admin.close();
    }
    assert.deepEqual(transcripts[1], transcripts[0]);
  });
});

describe('blocking commands in Shoal', () => {
  let shoal: RunningServer;
  before(async () => {
    shoal = await startShoal();
  });
  after(async () => {
    await shoal.stop();
  });

  it('forgets a blocked client that disconnects', async () => {
    const gone = await RawClient.connect(shoal.port);
    gone.send('BLPOP', 'leftover', '0');
    const other = await RawClient.connect(shoal.port);
    await waitFor(
      async () => /blocked_clients:1/.test(String(await other.call('INFO', 'clients'))),
      'a blocked client',
    );
    gone.close();
    await waitFor(
      async () => /blocked_clients:0/.test(String(await other.call('INFO', 'clients'))),
      'no blocked client',
    );
    assert.equal(await other.call('RPUSH', 'leftover', 'kept'), 1);
    assert.deepEqual(await other.call('LRANGE', 'leftover', '0', '-1'), ['kept']);
    other.close();
  });

  it('runs commands pipelined after a blocking one once it is served', async () => {
    const client = await RawClient.connect(shoal.port);
    client.write(
      Buffer.concat([
        encodeCommand(['BLPOP', 'pipe', '0']),
        encodeCommand(['SET', 'after', '1']),
        encodeCommand(['GET', 'after']),
      ]),
    );
    const pusher = await RawClient.connect(shoal.port);
    await waitFor(
      async () => /blocked_clients:1/.test(String(await pusher.call('INFO', 'clients'))),
      'a blocked client',
    );
    assert.equal(await pusher.call('GET', 'after'), null, 'the SET after BLPOP waits');
    await pusher.call('RPUSH', 'pipe', 'x');
    assert.deepEqual(await client.read(3), [['pipe', 'x'], 'OK', '1']);
    client.close();
    pusher.close();
  });

  it('ioredis: many blocked consumers each get one element', async () => {
    const consumers = Array.from({ length: 10 }, () => new Redis({ port: shoal.port }));
    const producer = new Redis({ port: shoal.port });
    try {
      const results = consumers.map((consumer) => consumer.blpop('jobs', 5));
      await waitFor(
        async () => /blocked_clients:10/.test(await producer.info('clients')),
        'ten blocked consumers',
      );
      for (let i = 0; i < 10; i++) await producer.rpush('jobs', `job${i}`);
      // Each consumer gets exactly one job (the order in which they block is a race between
      // connections; arrival order itself is checked against Redis above).
      const got = (await Promise.all(results)).map((result) => result?.[1]).sort();
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `job${i}`).sort());
    } finally {
      for (const client of [...consumers, producer]) client.disconnect();
    }
  });

  it('embedded: blocking methods return promises that settle when data arrives', async () => {
    const db = await open();
    const other = db.duplicate();
    try {
      const waiting = db.command('BLPOP', 'inbox', '0');
      await other.command('RPUSH', 'inbox', 'hello');
      assert.deepEqual(await waiting, ['inbox', 'hello']);
      assert.equal(await db.command('BLPOP', 'inbox', '0.02'), null);
      await assert.rejects(db.command('BLPOP', 'inbox', '-1'), ReplyError);
    } finally {
      await other.close();
      await db.close();
    }
  });
});

describe('embedded blocking methods', () => {
  it('settle when data arrives, or with null at the timeout', async () => {
    const db = await open();
    const other = db.duplicate();
    try {
      const list = db.blpop(['a', 'b'], 0);
      const moved = other.blmove('src', 'dst', 'LEFT', 'RIGHT', 0);
      await db.rpush('b', 'x');
      assert.deepEqual(await list, ['b', 'x']);
      await db.rpush('src', 'y');
      assert.equal(await moved, 'y');
      assert.deepEqual(await db.lrange('dst', 0, -1), ['y']);
      assert.equal(await db.brpop(['none'], 0.02), null);
      const popped = db.bzpopmin(['z'], 0);
      await other.zadd('z', [
        [2, 'two'],
        [1, 'one'],
      ]);
      assert.deepEqual(await popped, { key: 'z', member: 'one', score: 1 });
      const many = db.bzmpop(0, ['z2'], 'MAX', 2);
      await other.zadd('z2', [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      assert.deepEqual(await many, {
        key: 'z2',
        members: [
          { member: 'c', score: 3 },
          { member: 'b', score: 2 },
        ],
      });
      assert.deepEqual(await db.blmpop(0.02, ['nothing'], 'LEFT'), null);
    } finally {
      await other.close();
      await db.close();
    }
  });
});
