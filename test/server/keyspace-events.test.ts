// Keyspace notifications of the collection families (lists, hashes, sets, sorted sets and their
// blocking commands), compared with redis-server: a subscriber on '__key*__:*' with
// notify-keyspace-events KEA sees every event each command publishes, in order, and the
// transcripts of both servers (command, reply, events) must be identical.
//
// After every command the writer publishes on a 'sync' channel that the subscriber also listens
// to, so the events of one command are exactly the messages before that marker.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reply } from '../../src/resp/reply-reader.js';
import { plain, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';

/**
 * A command line run by the writer; `{ random }` a command whose reply is random (only its
 * length is compared); `{ transaction }` command lines run inside MULTI/EXEC (their events come
 * with EXEC); `{ block }` a command sent by a third client, which must block; `{ served }` reads
 * that client's reply once a later command has served it.
 */
type Step =
  | string[]
  | { random: string[] }
  | { transaction: string[][] }
  | { block: string[] }
  | { served: true };

const scripts: Record<string, Step[]> = {
  lists: [
    ['LPUSH', 'l', 'a', 'b'],
    ['RPUSH', 'l', 'c'],
    ['LPUSHX', 'l', 'z'],
    ['RPUSHX', 'l', 'y'],
    ['LPUSHX', 'nolist', 'z'],
    ['LINSERT', 'l', 'BEFORE', 'c', 'x'],
    ['LINSERT', 'l', 'AFTER', 'missing', 'x'],
    ['LSET', 'l', '0', 'first'],
    ['LREM', 'l', '0', 'x'],
    ['LREM', 'l', '0', 'absent'],
    ['LTRIM', 'l', '0', '2'],
    ['LTRIM', 'l', '0', '-1'],
    ['LPOP', 'l'],
    ['RPOP', 'l', '1'],
    ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'],
    ['RPUSH', 'l3', '1', '2', '3'],
    ['RPOPLPUSH', 'l3', 'l3'],
    ['LMOVE', 'l3', 'l3', 'LEFT', 'LEFT'],
    ['LMPOP', '2', 'none', 'l3', 'RIGHT', 'COUNT', '5'],
    ['RPUSH', 'l4', 'a', 'b', 'c'],
    ['LTRIM', 'l4', '5', '10'],
    ['RPUSH', 'l4', 'a', 'a'],
    ['LREM', 'l4', '0', 'a'],
    ['RPUSH', 'l4', 'p', 'q'],
    ['LPOP', 'l4', '5'],
    ['LPOP', 'l4'],
    { block: ['BLPOP', 'bl', '0'] },
    ['RPUSH', 'bl', 'one', 'two'],
    { served: true },
    ['BRPOP', 'bl', '0'],
    { block: ['BLMOVE', 'bl', 'bdst', 'LEFT', 'LEFT', '0'] },
    ['LPUSH', 'bl', 'moved'],
    { served: true },
    { block: ['BLMPOP', '0', '1', 'bm', 'LEFT', 'COUNT', '2'] },
    ['RPUSH', 'bm', 'x'],
    { served: true },
    ['DEL', 'bdst', 'l2'],
  ],
  hashes: [
    ['HSET', 'h', 'a', '1', 'b', '2'],
    ['HSET', 'h', 'a', '1'],
    ['HMSET', 'h', 'c', '3'],
    ['HSETNX', 'h', 'a', 'x'],
    ['HSETNX', 'h', 'd', '4'],
    ['HINCRBY', 'h', 'a', '5'],
    ['HINCRBY', 'h', 'new', '-1'],
    ['HINCRBY', 'h', 'b', 'x'],
    ['HINCRBYFLOAT', 'h', 'a', '1.5'],
    ['HINCRBYFLOAT', 'h2', 'f', '2'],
    ['HDEL', 'h', 'nosuch'],
    ['HDEL', 'h', 'a', 'b', 'nosuch'],
    ['HDEL', 'nohash', 'a'],
    ['HGETALL', 'h'],
    ['HDEL', 'h', 'c', 'd', 'new'],
    ['HDEL', 'h2', 'f'],
    ['EXISTS', 'h', 'h2'],
    ['HSET', 'h', 'only', 'v'],
    ['DEL', 'h'],
  ],
  sets: [
    ['SADD', 's', 'a', 'b', 'c'],
    ['SADD', 's', 'a'],
    ['SADD', 's', 'a', 'd'],
    ['SREM', 's', 'nosuch'],
    ['SREM', 's', 'a', 'nosuch'],
    ['SREM', 'noset', 'a'],
    ['SADD', 'one', 'x'],
    ['SPOP', 'one'],
    ['SPOP', 'one'],
    ['SADD', 'p', '1', '2', '3', '4'],
    { random: ['SPOP', 'p', '2'] },
    ['SPOP', 'p', '0'],
    { random: ['SPOP', 'p'] },
    { random: ['SPOP', 'p', '5'] },
    ['SPOP', 'p', '1'],
    ['SADD', 'src', 'm', 'n'],
    ['SADD', 'dst', 'n'],
    ['SMOVE', 'src', 'dst', 'm'],
    ['SMOVE', 'src', 'dst', 'absent'],
    ['SMOVE', 'src', 'src', 'n'],
    ['SMOVE', 'src', 'dst', 'n'],
    ['SMOVE', 'dst', 'fresh', 'm'],
    ['SMEMBERS', 'dst'],
    ['SADD', 'x', '1', '2', '3'],
    ['SADD', 'y', '2', '3', '4'],
    ['SINTERSTORE', 'out', 'x', 'y'],
    ['SUNIONSTORE', 'out', 'x', 'y'],
    ['SDIFFSTORE', 'out', 'x', 'y'],
    ['SINTERSTORE', 'out', 'x', 'nosuch'],
    ['SINTERSTORE', 'out', 'x', 'nosuch'],
    ['SUNIONSTORE', 'out', 'nosuch', 'nosuch2'],
    ['SDIFFSTORE', 'out', 'x', 'x'],
    ['SDIFFSTORE', 'x', 'x', 'y'],
    ['SUNIONSTORE', 'x', 'x', 'y'],
    ['SINTERCARD', '2', 'x', 'y'],
    {
      transaction: [
        ['SADD', 't', 'a'],
        ['SREM', 't', 'a'],
        ['SADD', 't', 'b'],
      ],
    },
    ['SET', 'str', 'v'],
    ['SINTERSTORE', 'str', 'x', 'y'],
    ['SINTERSTORE', 'str2', 'x', 'str'],
  ],
  'sorted sets': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'z', '1', 'a'],
    ['ZADD', 'z', '5', 'a'],
    ['ZADD', 'z', 'NX', '9', 'a'],
    ['ZADD', 'z', 'XX', '9', 'new'],
    ['ZADD', 'nozset', 'XX', '1', 'a'],
    ['ZADD', 'z', 'CH', '4', 'b', '7', 'd'],
    ['ZADD', 'z', 'INCR', '1', 'a'],
    ['ZADD', 'z', 'INCR', '0', 'a'],
    ['ZADD', 'z', 'NX', 'INCR', '1', 'a'],
    ['ZINCRBY', 'z', '2', 'c'],
    ['ZINCRBY', 'z2', '2', 'c'],
    ['ZREM', 'z', 'nosuch'],
    ['ZREM', 'z', 'a', 'nosuch'],
    ['ZREM', 'z2', 'c'],
    ['ZADD', 'r', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f'],
    ['ZREMRANGEBYSCORE', 'r', '10', '20'],
    ['ZREMRANGEBYSCORE', 'r', '1', '2'],
    ['ZREMRANGEBYRANK', 'r', '10', '20'],
    ['ZREMRANGEBYRANK', 'r', '0', '0'],
    ['ZADD', 'lex', '0', 'a', '0', 'b', '0', 'c'],
    ['ZREMRANGEBYLEX', 'lex', '[x', '[z'],
    ['ZREMRANGEBYLEX', 'lex', '[a', '[b'],
    ['ZREMRANGEBYLEX', 'lex', '-', '+'],
    ['ZREMRANGEBYRANK', 'r', '0', '-1'],
    ['ZADD', 'r', '1', 'a', '2', 'b'],
    ['ZREMRANGEBYSCORE', 'r', '-inf', '+inf'],
    ['ZADD', 'p', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
    ['ZPOPMIN', 'p'],
    ['ZPOPMAX', 'p', '2'],
    ['ZPOPMIN', 'p', '0'],
    ['ZPOPMIN', 'nozset'],
    ['ZPOPMAX', 'p', '5'],
    ['ZADD', 'p', '1', 'a', '2', 'b', '3', 'c'],
    ['ZMPOP', '2', 'nozset', 'p', 'MIN', 'COUNT', '2'],
    ['ZMPOP', '1', 'p', 'MAX'],
    ['ZMPOP', '1', 'p', 'MAX'],
    ['ZADD', 'u', '1', 'a', '2', 'b'],
    ['ZADD', 'v', '2', 'b', '3', 'c'],
    ['ZUNIONSTORE', 'out', '2', 'u', 'v'],
    ['ZINTERSTORE', 'out', '2', 'u', 'v'],
    ['ZDIFFSTORE', 'out', '2', 'u', 'v'],
    ['ZINTERSTORE', 'out', '2', 'u', 'nozset'],
    ['ZINTERSTORE', 'out', '2', 'u', 'nozset'],
    ['ZDIFFSTORE', 'out', '2', 'u', 'u'],
    ['ZUNIONSTORE', 'out', '2', 'nozset', 'nozset2'],
    ['ZUNIONSTORE', 'u', '2', 'u', 'v'],
    ['ZRANGESTORE', 'range', 'u', '0', '1'],
    ['ZRANGESTORE', 'range', 'u', '10', '20'],
    ['ZRANGESTORE', 'range', 'u', '10', '20'],
    ['ZRANGESTORE', 'range', 'nozset', '0', '-1'],
    ['ZRANGESTORE', 'range', 'u', '(1', '+inf', 'BYSCORE', 'LIMIT', '0', '1'],
    ['ZUNION', '2', 'u', 'v'],
    ['SET', 'str', 'v'],
    ['ZUNIONSTORE', 'str', '1', 'u'],
    ['ZRANGESTORE', 'str', 'u', '0', '-1'],
  ],
  'blocking sorted sets': [
    ['ZADD', 'bz', '1', 'a', '2', 'b'],
    ['BZPOPMIN', 'bz', '0'],
    ['BZPOPMAX', 'bz', '0'],
    { block: ['BZPOPMIN', 'bz', '0'] },
    ['ZADD', 'bz', '3', 'c', '4', 'd'],
    { served: true },
    { block: ['BZPOPMAX', 'none', 'bz2', '0'] },
    ['ZADD', 'bz2', '5', 'e'],
    { served: true },
    ['BZMPOP', '0', '2', 'none', 'bz', 'MAX', 'COUNT', '3'],
    { block: ['BZMPOP', '0', '1', 'bz3', 'MIN', 'COUNT', '2'] },
    ['ZADD', 'bz3', '1', 'x', '2', 'y', '3', 'z'],
    { served: true },
    {
      transaction: [
        ['ZADD', 'bz3', '9', 'w'],
        ['ZPOPMIN', 'bz3', '5'],
        ['BZPOPMIN', 'bz3', '0'],
        ['BZMPOP', '0', '1', 'bz3', 'MIN'],
      ],
    },
  ],
};

/** Replies as plain data; a random reply becomes its length. */
function transcriptReply(step: Step, reply: Reply): unknown {
  if ('random' in step) return Array.isArray(reply) || reply instanceof Set ? 'many' : 'one';
  return plain(reply);
}

/** Runs a script against one server and returns its transcript. */
async function runScript(port: number, steps: Step[]): Promise<unknown[]> {
  const subscriber = await RawClient.connect(port);
  const writer = await RawClient.connect(port);
  const blocker = await RawClient.connect(port);
  try {
    await writer.call('FLUSHALL');
    await writer.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    subscriber.send('PSUBSCRIBE', '__key*__:*');
    subscriber.send('SUBSCRIBE', 'sync');
    await subscriber.read(2);
    const transcript: unknown[] = [];
    let marker = 0;
    for (const step of steps) {
      if ('block' in step) {
        blocker.send(...step.block);
        await waitFor(
          async () => /blocked_clients:1/.test(String(await writer.call('INFO', 'clients'))),
          'the client to block',
        );
        transcript.push(['blocks', step.block.join(' ')]);
        continue;
      }
      let line: string;
      let reply: unknown;
      if ('served' in step) {
        line = 'served';
        reply = plain(((await blocker.read(1)) as [Reply])[0]);
      } else if ('transaction' in step) {
        line = ['MULTI', ...step.transaction.map((argv) => argv.join(' ')), 'EXEC'].join('; ');
        writer.send('MULTI');
        for (const argv of step.transaction) writer.send(...argv);
        writer.send('EXEC');
        reply = (await writer.read(step.transaction.length + 2)).map(plain);
      } else {
        const argv = Array.isArray(step) ? step : step.random;
        line = argv.join(' ');
        reply = transcriptReply(step, await writer.call(...argv));
      }
      await writer.call('PUBLISH', 'sync', String(++marker));
      const events: unknown[] = [];
      for (;;) {
        const [message] = (await subscriber.read(1)) as [Reply];
        const parts = plain(message) as string[];
        if (parts[0] === 'message' && parts[1] === 'sync') break;
        events.push(parts.slice(2).join(' '));
      }
      transcript.push([line, reply, events]);
    }
    await writer.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    return transcript;
  } finally {
    for (const client of [subscriber, writer, blocker]) client.close();
  }
}

describe('keyspace notifications of collections match redis-server', { timeout: 60_000 }, () => {
  const pair = withRedisAndShoal();

  for (const [name, steps] of Object.entries(scripts)) {
    it(name, async (t) => {
      if (pair.redis === undefined) return t.skip('redis-server is not installed');
      const expected = await runScript(pair.redis.port, steps);
      const actual = await runScript(pair.shoal.port, steps);
      assert.deepEqual(actual, expected);
    });
  }
});
