// Blocking sorted set commands (BZPOPMIN, BZPOPMAX, BZMPOP) with several clients, compared with
// redis-server step by step: arrival order, several keys, timeouts, errors, MULTI, keys created
// by other commands, RESP3 reply shapes; then the embedded API.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { open, ReplyError } from '../../src/embedded/index.js';
import { plain, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';

/**
 * [client, command line (empty: only read), replies to read]. Reading 0 replies means the
 * command must block: the step waits until the server counts `blocked` blocked clients.
 */
type Step = [number, string[], number];

interface Exchange {
  /** All three clients speak RESP3 (HELLO 3, its reply left out of the transcript). */
  resp3?: boolean;
  steps: Step[];
}

const exchanges: Record<string, Exchange> = {
  'served in arrival order': {
    steps: [
      [0, ['BZPOPMIN', 'q', '0'], 0],
      [1, ['BZPOPMIN', 'q', '0'], 0],
      [2, ['ZADD', 'q', '3', 'c', '1', 'a', '2', 'b'], 1],
      [0, [], 1],
      [1, [], 1],
      [2, ['ZRANGE', 'q', '0', '-1', 'WITHSCORES'], 1],
    ],
  },
  'min and max from the same set': {
    steps: [
      [0, ['BZPOPMAX', 'q', '0'], 0],
      [1, ['BZPOPMIN', 'q', '0'], 0],
      [2, ['ZADD', 'q', '1', 'low', '5', 'mid', '9', 'high'], 1],
      [0, [], 1],
      [1, [], 1],
      [2, ['ZRANGE', 'q', '0', '-1', 'WITHSCORES'], 1],
    ],
  },
  'more clients than members': {
    steps: [
      [0, ['BZPOPMIN', 'few', '0'], 0],
      [1, ['BZMPOP', '0', '1', 'few', 'MIN', 'COUNT', '5'], 0],
      [2, ['ZADD', 'few', '1', 'only'], 1],
      [0, [], 1],
      [2, ['EXISTS', 'few'], 1],
      [2, ['ZADD', 'few', '2', 'x', '3', 'y'], 1],
      [1, [], 1],
      [2, ['EXISTS', 'few'], 1],
    ],
  },
  'several keys, first non-empty wins': {
    steps: [
      [2, ['ZADD', 'second', '1', 'x'], 1],
      [2, ['ZADD', 'third', '1', 'z'], 1],
      [0, ['BZPOPMAX', 'first', 'second', 'third', '0'], 1],
      [0, ['BZPOPMAX', 'first', 'second', '0'], 0],
      [2, ['ZADD', 'second', '2', 'y'], 1],
      [0, [], 1],
      [0, ['BZPOPMIN', 'a', 'b', 'c', '0'], 0],
      [2, ['ZADD', 'c', '7', 'seven'], 1],
      [0, [], 1],
    ],
  },
  'clients blocked on different keys': {
    steps: [
      [0, ['BZPOPMIN', 'k1', '0'], 0],
      [1, ['BZPOPMIN', 'k2', 'k1', '0'], 0],
      [2, ['ZADD', 'k1', '1', 'a', '2', 'b'], 1],
      [0, [], 1],
      [1, [], 1],
      [2, ['EXISTS', 'k1'], 1],
    ],
  },
  'bzmpop with count': {
    steps: [
      [0, ['BZMPOP', '0', '2', 'a', 'b', 'MAX', 'COUNT', '2'], 0],
      [2, ['ZADD', 'b', '1', 'x', '2', 'y', '3', 'z'], 1],
      [0, [], 1],
      [0, ['BZMPOP', '0', '2', 'a', 'b', 'MIN', 'COUNT', '10'], 1],
      [0, ['BZMPOP', '0', '1', 'b', 'min'], 0],
      [2, ['ZADD', 'b', '-1', 'neg', '4', 'w'], 1],
      [0, [], 1],
    ],
  },
  'timeouts and errors': {
    steps: [
      [0, ['BZPOPMIN', 'none', '0.05'], 1],
      [0, ['BZPOPMAX', 'none', 'other', '0.05'], 1],
      [0, ['BZMPOP', '0.05', '2', 'none', 'other', 'MIN'], 1],
      [0, ['BZPOPMIN', 'none', '-1'], 1],
      [0, ['BZPOPMIN', 'none', 'abc'], 1],
      // 'inf' is left out: Shoal answers 7.2's "timeout is out of range", 7.0 overflows it into
      // "timeout is negative" (checked in the embedded test below).
      [0, ['BZMPOP', '-1', '1', 'none', 'MIN'], 1],
      [0, ['BZMPOP', 'abc', '1', 'none', 'MIN'], 1],
      [0, ['BZMPOP', '0', '0', 'none', 'MIN'], 1],
      [0, ['BZMPOP', '0', '-1', 'none', 'MIN'], 1],
      [0, ['BZMPOP', '0', '2', 'none', 'MIN'], 1],
      [0, ['BZMPOP', '0', '1', 'none', 'UP'], 1],
      [0, ['BZMPOP', '0', '1', 'none', 'MIN', 'COUNT', '0'], 1],
      [0, ['BZMPOP', '0', '1', 'none', 'MIN', 'COUNT', '-3'], 1],
      [0, ['BZMPOP', '0', '1', 'none', 'MIN', 'COUNT', '1', 'COUNT', '2'], 1],
      [0, ['BZMPOP', '0', '1', 'none', 'MIN', 'EXTRA'], 1],
      [0, ['BZPOPMIN', 'none'], 1],
      [0, ['BZMPOP', '0', '1', 'none'], 1],
      [2, ['SET', 'str', 'v'], 1],
      [0, ['BZPOPMIN', 'str', '0'], 1],
      [0, ['BZPOPMAX', 'none', 'str', '0'], 1],
      [0, ['BZMPOP', '0', '2', 'none', 'str', 'MAX'], 1],
      [2, ['ZADD', 'z', '1', 'a'], 1],
      [0, ['BZPOPMIN', 'z', 'str', '0'], 1],
    ],
  },
  'a key of another type does not serve them': {
    steps: [
      [0, ['BZPOPMIN', 'later', '0'], 0],
      [2, ['RPUSH', 'later', 'x'], 1],
      [2, ['DEL', 'later'], 1],
      [2, ['ZADD', 'later', '1', 'a'], 1],
      [0, [], 1],
    ],
  },
  'inside MULTI they do not block': {
    steps: [
      [0, ['MULTI'], 1],
      [0, ['BZPOPMIN', 'empty', '0'], 1],
      [0, ['BZPOPMAX', 'empty', 'other', '0'], 1],
      [0, ['BZMPOP', '0', '1', 'empty', 'MIN'], 1],
      [0, ['ZADD', 'empty', '1', 'a'], 1],
      [0, ['BZPOPMAX', 'empty', '0'], 1],
      [0, ['EXEC'], 1],
    ],
  },
  'a ZADD inside MULTI wakes them after EXEC': {
    steps: [
      [0, ['BZPOPMIN', 'tx', '0'], 0],
      [1, ['BZMPOP', '0', '1', 'tx', 'MAX', 'COUNT', '2'], 0],
      [2, ['MULTI'], 1],
      [2, ['ZADD', 'tx', '1', 'one'], 1],
      [2, ['ZADD', 'tx', '2', 'two', '3', 'three'], 1],
      [2, ['EXEC'], 1],
      [0, [], 1],
      [1, [], 1],
      [2, ['EXISTS', 'tx'], 1],
    ],
  },
  'a set created and deleted inside MULTI serves no one': {
    steps: [
      [0, ['BZPOPMIN', 'gone', '0'], 0],
      [2, ['MULTI'], 1],
      [2, ['ZADD', 'gone', '1', 'a'], 1],
      [2, ['DEL', 'gone'], 1],
      [2, ['EXEC'], 1],
      [2, ['ZADD', 'gone', '2', 'b'], 1],
      [0, [], 1],
    ],
  },
  'keys created by other commands wake them': {
    steps: [
      [2, ['ZADD', 'src', '1', 'a', '2', 'b'], 1],
      [0, ['BZPOPMAX', 'union', '0'], 0],
      [2, ['ZUNIONSTORE', 'union', '1', 'src'], 1],
      [0, [], 1],
      [0, ['BZPOPMIN', 'range', '0'], 0],
      [2, ['ZRANGESTORE', 'range', 'src', '0', '0'], 1],
      [0, [], 1],
      [0, ['BZPOPMIN', 'incr', '0'], 0],
      [2, ['ZINCRBY', 'incr', '5', 'm'], 1],
      [0, [], 1],
      [0, ['BZMPOP', '0', '1', 'renamed', 'MIN'], 0],
      [2, ['RENAME', 'src', 'renamed'], 1],
      [0, [], 1],
    ],
  },
  'RESP3 replies': {
    resp3: true,
    steps: [
      [2, ['ZADD', 'r', '1.5', 'a', '2', 'b', '3', 'c', '4', 'd'], 1],
      [0, ['BZPOPMIN', 'r', '0'], 1],
      [0, ['BZPOPMAX', 'r', '0'], 1],
      [0, ['BZMPOP', '0', '1', 'r', 'MIN', 'COUNT', '2'], 1],
      [0, ['BZPOPMIN', 'r', '0.05'], 1],
      [0, ['BZMPOP', '0.05', '1', 'r', 'MIN'], 1],
      [0, ['BZPOPMAX', 'r', '0'], 0],
      [1, ['BZMPOP', '0', '1', 'r', 'MAX', 'COUNT', '3'], 0],
      [2, ['ZADD', 'r', 'inf', 'top', '-inf', 'bottom', '0', 'zero'], 1],
      [0, [], 1],
      [1, [], 1],
      [0, ['MULTI'], 1],
      [0, ['BZPOPMIN', 'r', '0'], 1],
      [0, ['BZMPOP', '0', '1', 'r', 'MIN'], 1],
      [0, ['EXEC'], 1],
    ],
  },
};

/** The server's count of blocked clients. */
async function blockedClients(client: RawClient): Promise<number> {
  const info = String(await client.call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function runExchange(port: number, exchange: Exchange): Promise<unknown[]> {
  const clients = [
    await RawClient.connect(port),
    await RawClient.connect(port),
    await RawClient.connect(port),
  ];
  const control = await RawClient.connect(port);
  try {
    if (exchange.resp3 === true) for (const client of clients) await client.call('HELLO', '3');
    await control.call('FLUSHALL');
    const transcript: unknown[] = [];
    let blocked = 0;
    for (const [index, argv, count] of exchange.steps) {
      const client = clients[index] as RawClient;
      if (argv.length > 0) client.send(...argv);
      if (count === 0) {
        // Wait until the server has the client blocked before going on.
        blocked++;
        await waitFor(async () => (await blockedClients(control)) === blocked, 'a blocked client');
        transcript.push([index, argv.join(' '), 'blocked']);
        continue;
      }
      if (argv.length === 0) blocked--;
      const replies = await client.read(count);
      transcript.push([index, argv.join(' '), replies.map(plain)]);
      // A command may serve blocked clients; count them again before the next step.
      blocked = await blockedClients(control);
    }
    return transcript;
  } finally {
    for (const client of [...clients, control]) client.close();
  }
}

describe('blocking sorted set commands match redis-server', { timeout: 60_000 }, () => {
  const pair = withRedisAndShoal();

  for (const [name, exchange] of Object.entries(exchanges)) {
    it(name, async (t) => {
      if (pair.redis === undefined) return t.skip('redis-server is not installed');
      const expected = await runExchange(pair.redis.port, exchange);
      const actual = await runExchange(pair.shoal.port, exchange);
      assert.deepEqual(actual, expected);
    });
  }
});

describe('blocking sorted set commands, embedded', () => {
  it('settle when a member arrives, time out to null, refuse bad timeouts', async () => {
    const db = await open();
    const other = db.duplicate();
    try {
      const min = db.command('BZPOPMIN', 'jobs', '0');
      const max = other.command('BZMPOP', '0', '1', 'jobs', 'MAX', 'COUNT', '5');
      const third = db.duplicate();
      try {
        await third.command('ZADD', 'jobs', '1', 'first', '2', 'second', '3', 'third');
        // The untyped command() answers as RESP2 does: scores as strings.
        assert.deepEqual(await min, ['jobs', 'first', '1']);
        assert.deepEqual(await max, [
          'jobs',
          [
            ['third', '3'],
            ['second', '2'],
          ],
        ]);
        assert.equal(await third.exists('jobs'), 0);
      } finally {
        await third.close();
      }
      assert.equal(await db.command('BZPOPMAX', 'jobs', '0.02'), null);
      assert.equal(await db.command('BZMPOP', '0.02', '1', 'jobs', 'MIN'), null);
      await assert.rejects(db.command('BZPOPMIN', 'jobs', '-1'), /timeout is negative/);
      await assert.rejects(db.command('BZPOPMIN', 'jobs', 'inf'), /timeout is out of range/);
      await assert.rejects(db.command('BZMPOP', 'nan', '1', 'jobs', 'MIN'), ReplyError);
      await other.command('SET', 'text', 'v');
      await assert.rejects(db.command('BZPOPMIN', 'text', '0'), /WRONGTYPE/);
    } finally {
      await other.close();
      await db.close();
    }
  });
});
