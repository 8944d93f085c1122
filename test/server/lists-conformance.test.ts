// List commands side by side with a real redis-server: every command, option and error path,
// replies compared as data (plain) and, where nil and nil-array differ only on the wire, as raw
// bytes in RESP2 and RESP3; WATCH and keyspace notifications with two clients. Skipped only
// where redis-server is absent.
//
// Left out of the comparison on purpose: OBJECT ENCODING of lists. Redis 7.0 (the installed
// server) reports "quicklist" for every list; Shoal follows Redis 7.2 ("listpack" for small
// lists), which test/engine/list-encoding.test.ts checks instead.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import {
  type ChildServer,
  type RunningServer,
  spawnRedis,
  startShoal,
} from '../helpers/servers.js';
import { plain } from '../helpers/conformance.js';

type Script = string[][];

const FAR_FUTURE = '4102444800'; // 2100-01-01, an absolute expiry both servers report as given

/** Each scenario starts from empty databases. */
export const listScenarios: Record<string, Script> = {
  'push and length': [
    ['LPUSH', 'l', 'a'],
    ['LPUSH', 'l', 'b', 'c', 'd'],
    ['RPUSH', 'l', 'x', 'y'],
    ['LRANGE', 'l', '0', '-1'],
    ['LLEN', 'l'],
    ['LLEN', 'missing'],
    ['LPUSHX', 'missing', 'a', 'b'],
    ['RPUSHX', 'missing', 'a'],
    ['EXISTS', 'missing'],
    ['LPUSHX', 'l', 'p1', 'p2'],
    ['RPUSHX', 'l', 'q1', 'q2'],
    ['LRANGE', 'l', '0', '-1'],
    ['LPUSH', 'l'],
    ['RPUSH'],
    ['LPUSHX', 'l'],
    ['RPUSHX', 'l'],
    ['LLEN'],
    ['LLEN', 'a', 'b'],
    ['SET', 's', 'v'],
    ['LPUSH', 's', 'a'],
    ['RPUSH', 's', 'a'],
    ['LPUSHX', 's', 'a'],
    ['RPUSHX', 's', 'a'],
    ['LLEN', 's'],
    ['RPUSH', 'bin', '\x00\xff\r\n', '', ' ', '12', '-0', '007'],
    ['LRANGE', 'bin', '0', '-1'],
    ['TYPE', 'l'],
  ],
  'pop with and without count': [
    ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f'],
    ['LPOP', 'l'],
    ['RPOP', 'l'],
    ['LPOP', 'l', '2'],
    ['RPOP', 'l', '1'],
    ['LRANGE', 'l', '0', '-1'],
    ['LPOP', 'l', '0'],
    ['RPOP', 'l', '0'],
    ['LPOP', 'l', '-1'],
    ['RPOP', 'l', '-5'],
    ['LPOP', 'l', 'abc'],
    ['LPOP', 'l', '1.5'],
    ['LPOP', 'l', '9223372036854775808'],
    ['LPOP', 'l', '1', '2'],
    ['RPOP', 'l', '1', '2'],
    ['LPOP'],
    ['RPOP', 'l', '100'],
    ['EXISTS', 'l'],
    ['LPOP', 'l'],
    ['RPOP', 'l'],
    ['LPOP', 'l', '1'],
    ['RPOP', 'l', '5'],
    ['LPOP', 'l', '0'],
    ['LPOP', 'l', '-1'],
    ['RPUSH', 'one', 'x'],
    ['LPOP', 'one', '9223372036854775807'],
    ['EXISTS', 'one'],
    ['SET', 's', 'v'],
    ['LPOP', 's'],
    ['RPOP', 's', '1'],
    ['LPOP', 's', '0'],
    ['LPOP', 's', '-1'],
    ['RPUSH', 'big', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
    ['RPOP', 'big', '4'],
    ['LPOP', 'big', '4'],
    ['LRANGE', 'big', '0', '-1'],
  ],
  'lrange and lindex': [
    ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
    ['LRANGE', 'l', '0', '0'],
    ['LRANGE', 'l', '1', '3'],
    ['LRANGE', 'l', '-3', '-1'],
    ['LRANGE', 'l', '-100', '100'],
    ['LRANGE', 'l', '3', '1'],
    ['LRANGE', 'l', '5', '10'],
    ['LRANGE', 'l', '-1', '-3'],
    ['LRANGE', 'l', '0', '-6'],
    ['LRANGE', 'l', '-9223372036854775808', '9223372036854775807'],
    ['LRANGE', 'l', 'x', '1'],
    ['LRANGE', 'l', '0', '1.0'],
    ['LRANGE', 'l', '0', '99999999999999999999'],
    ['LRANGE', 'missing', '0', '-1'],
    ['LRANGE', 'missing', 'x', '-1'],
    ['LRANGE', 'l', '0'],
    ['LINDEX', 'l', '0'],
    ['LINDEX', 'l', '4'],
    ['LINDEX', 'l', '5'],
    ['LINDEX', 'l', '-1'],
    ['LINDEX', 'l', '-5'],
    ['LINDEX', 'l', '-6'],
    ['LINDEX', 'l', 'x'],
    ['LINDEX', 'l', '9223372036854775807'],
    ['LINDEX', 'l', '-9223372036854775808'],
    ['LINDEX', 'missing', '0'],
    ['LINDEX', 'missing', 'x'],
    ['LINDEX', 'l'],
    ['SET', 's', 'v'],
    ['LRANGE', 's', '0', '-1'],
    ['LRANGE', 's', 'x', '-1'],
    ['LINDEX', 's', '0'],
    ['LINDEX', 's', 'x'],
  ],
  lset: [
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['LSET', 'l', '0', 'A'],
    ['LSET', 'l', '-1', 'C'],
    ['LSET', 'l', '1', ''],
    ['LRANGE', 'l', '0', '-1'],
    ['LSET', 'l', '3', 'x'],
    ['LSET', 'l', '-4', 'x'],
    ['LSET', 'l', 'x', 'x'],
    ['LSET', 'l', '9223372036854775807', 'x'],
    ['LSET', 'missing', '0', 'x'],
    ['LSET', 'missing', 'x', 'x'],
    ['LSET', 'l', '0'],
    ['SET', 's', 'v'],
    ['LSET', 's', '0', 'x'],
    ['LSET', 's', 'x', 'x'],
    ['LRANGE', 'l', '0', '-1'],
  ],
  linsert: [
    ['RPUSH', 'l', 'a', 'b', 'c', 'b'],
    ['LINSERT', 'l', 'BEFORE', 'b', 'x'],
    ['LINSERT', 'l', 'after', 'b', 'y'],
    ['LINSERT', 'l', 'Before', 'a', 'first'],
    ['LINSERT', 'l', 'AFTER', 'c', 'last'],
    ['LINSERT', 'l', 'AFTER', 'b', 'z'],
    ['LRANGE', 'l', '0', '-1'],
    ['LINSERT', 'l', 'BEFORE', 'nope', 'x'],
    ['LINSERT', 'l', 'MIDDLE', 'b', 'x'],
    ['LINSERT', 'missing', 'BEFORE', 'b', 'x'],
    ['LINSERT', 'missing', 'MIDDLE', 'b', 'x'],
    ['EXISTS', 'missing'],
    ['LINSERT', 'l', 'BEFORE', 'b'],
    ['SET', 's', 'v'],
    ['LINSERT', 's', 'BEFORE', 'v', 'x'],
    ['LINSERT', 's', 'MIDDLE', 'v', 'x'],
    ['LLEN', 'l'],
  ],
  lrem: [
    ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a'],
    ['LREM', 'l', '1', 'a'],
    ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '-2', 'a'],
    ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '0', 'b'],
    ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '5', 'nope'],
    ['LREM', 'l', '0', 'a'],
    ['LREM', 'l', '-9223372036854775808', 'c'],
    ['EXISTS', 'l'],
    ['LREM', 'l', 'x', 'a'],
    ['LREM', 'missing', '0', 'a'],
    ['LREM', 'missing', 'x', 'a'],
    ['LREM', 'l', '1'],
    ['SET', 's', 'v'],
    ['LREM', 's', '0', 'v'],
    ['LREM', 's', 'x', 'v'],
    ['RPUSH', 'all', 'x', 'x', 'x'],
    ['LREM', 'all', '0', 'x'],
    ['EXISTS', 'all'],
  ],
  ltrim: [
    ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f'],
    ['LTRIM', 'l', '1', '-2'],
    ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '0', '100'],
    ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '-2', '-1'],
    ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '-100', '0'],
    ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '5', '10'],
    ['EXISTS', 'l'],
    ['RPUSH', 'm', 'a', 'b', 'c'],
    ['LTRIM', 'm', '2', '1'],
    ['EXISTS', 'm'],
    ['RPUSH', 'n', 'a', 'b', 'c'],
    ['LTRIM', 'n', '0', '-4'],
    ['EXISTS', 'n'],
    ['LTRIM', 'missing', '0', '1'],
    ['LTRIM', 'missing', 'x', '1'],
    ['LTRIM', 'n', 'x', '1'],
    ['LTRIM', 'n', '0'],
    ['SET', 's', 'v'],
    ['LTRIM', 's', '0', '1'],
    ['LTRIM', 's', 'x', '1'],
  ],
  lpos: [
    ['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'c', 'a'],
    ['LPOS', 'l', 'a'],
    ['LPOS', 'l', 'c'],
    ['LPOS', 'l', 'z'],
    ['LPOS', 'l', 'a', 'RANK', '2'],
    ['LPOS', 'l', 'a', 'RANK', '3'],
    ['LPOS', 'l', 'a', 'RANK', '4'],
    ['LPOS', 'l', 'a', 'RANK', '-1'],
    ['LPOS', 'l', 'a', 'RANK', '-2'],
    ['LPOS', 'l', 'b', 'rank', '-1'],
    ['LPOS', 'l', 'a', 'COUNT', '0'],
    ['LPOS', 'l', 'a', 'COUNT', '2'],
    ['LPOS', 'l', 'a', 'COUNT', '10'],
    ['LPOS', 'l', 'z', 'COUNT', '0'],
    ['LPOS', 'l', 'a', 'COUNT', '0', 'RANK', '2'],
    ['LPOS', 'l', 'a', 'COUNT', '0', 'RANK', '-1'],
    ['LPOS', 'l', 'a', 'COUNT', '2', 'RANK', '-2'],
    ['LPOS', 'l', 'a', 'MAXLEN', '1'],
    ['LPOS', 'l', 'c', 'MAXLEN', '2'],
    ['LPOS', 'l', 'c', 'MAXLEN', '3'],
    ['LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '4'],
    ['LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '0'],
    ['LPOS', 'l', 'a', 'RANK', '-1', 'MAXLEN', '1'],
    ['LPOS', 'l', 'c', 'RANK', '-1', 'MAXLEN', '1'],
    ['LPOS', 'l', 'a', 'RANK', '2', 'RANK', '1'],
    ['LPOS', 'l', 'a', 'RANK', '0'],
    ['LPOS', 'l', 'a', 'RANK', 'x'],
    // Not compared: RANK -9223372036854775808. Redis 7.0 accepts it (negating LONG_MIN
    // overflows); 7.2 rejects it ("value is out of range, value must between ..."), as Shoal does.
    ['LPOS', 'l', 'a', 'RANK', '-9223372036854775807'],
    ['LPOS', 'l', 'a', 'RANK', '9223372036854775807'],
    ['LPOS', 'l', 'a', 'COUNT', '-1'],
    ['LPOS', 'l', 'a', 'COUNT', 'x'],
    ['LPOS', 'l', 'a', 'MAXLEN', '-1'],
    ['LPOS', 'l', 'a', 'MAXLEN', 'x'],
    ['LPOS', 'l', 'a', 'RANK'],
    ['LPOS', 'l', 'a', 'COUNT'],
    ['LPOS', 'l', 'a', 'BOGUS', '1'],
    ['LPOS', 'l', 'a', 'RANK', '0', 'BOGUS'],
    ['LPOS', 'l'],
    ['LPOS', 'missing', 'a'],
    ['LPOS', 'missing', 'a', 'COUNT', '1'],
    ['LPOS', 'missing', 'a', 'RANK', '0'],
    ['SET', 's', 'v'],
    ['LPOS', 's', 'v'],
    ['LPOS', 's', 'v', 'COUNT', '1'],
    ['LPOS', 's', 'v', 'RANK', '0'],
  ],
  'lmove and rpoplpush': [
    ['RPUSH', 'src', 'a', 'b', 'c', 'd'],
    ['LMOVE', 'src', 'dst', 'LEFT', 'LEFT'],
    ['LMOVE', 'src', 'dst', 'RIGHT', 'LEFT'],
    ['LMOVE', 'src', 'dst', 'left', 'right'],
    ['LRANGE', 'src', '0', '-1'],
    ['LRANGE', 'dst', '0', '-1'],
    ['LMOVE', 'src', 'dst', 'RIGHT', 'RIGHT'],
    ['EXISTS', 'src'],
    ['LRANGE', 'dst', '0', '-1'],
    ['LMOVE', 'src', 'dst', 'LEFT', 'LEFT'],
    ['LMOVE', 'dst', 'dst', 'LEFT', 'RIGHT'],
    ['LMOVE', 'dst', 'dst', 'RIGHT', 'LEFT'],
    ['LMOVE', 'dst', 'dst', 'LEFT', 'LEFT'],
    ['LRANGE', 'dst', '0', '-1'],
    ['LMOVE', 'dst', 'dst', 'UP', 'LEFT'],
    ['LMOVE', 'dst', 'dst', 'LEFT', 'DOWN'],
    ['LMOVE', 'missing', 'dst', 'UP', 'LEFT'],
    ['LMOVE', 'dst', 'dst', 'LEFT'],
    ['SET', 's', 'v'],
    ['LMOVE', 's', 'dst', 'LEFT', 'LEFT'],
    ['LMOVE', 'dst', 's', 'LEFT', 'LEFT'],
    ['LMOVE', 'missing', 's', 'LEFT', 'LEFT'],
    ['LRANGE', 'dst', '0', '-1'],
    ['RPOPLPUSH', 'dst', 'other'],
    ['RPOPLPUSH', 'dst', 'dst'],
    ['RPOPLPUSH', 'missing', 'other'],
    ['RPOPLPUSH', 'missing', 's'],
    ['RPOPLPUSH', 's', 'other'],
    ['RPOPLPUSH', 'dst', 's'],
    ['RPOPLPUSH', 'dst'],
    ['LRANGE', 'dst', '0', '-1'],
    ['LRANGE', 'other', '0', '-1'],
    ['RPUSH', 'single', 'only'],
    ['LMOVE', 'single', 'single', 'LEFT', 'RIGHT'],
    ['LRANGE', 'single', '0', '-1'],
    ['RPOPLPUSH', 'single', 'elsewhere'],
    ['EXISTS', 'single'],
  ],
  lmpop: [
    ['RPUSH', 'b', 'b1', 'b2', 'b3'],
    ['RPUSH', 'c', 'c1', 'c2'],
    ['LMPOP', '2', 'a', 'b', 'LEFT'],
    ['LMPOP', '2', 'a', 'b', 'RIGHT', 'COUNT', '1'],
    ['LMPOP', '3', 'a', 'b', 'c', 'left', 'count', '10'],
    ['EXISTS', 'b'],
    ['LMPOP', '3', 'a', 'b', 'c', 'RIGHT', 'COUNT', '5'],
    ['LMPOP', '1', 'a', 'LEFT'],
    ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '2'],
    ['RPUSH', 'd', 'd1'],
    ['LMPOP', '0', 'd', 'LEFT'],
    ['LMPOP', '-1', 'd', 'LEFT'],
    ['LMPOP', 'x', 'd', 'LEFT'],
    ['LMPOP', '2', 'd', 'LEFT'],
    ['LMPOP', '5', 'd', 'LEFT'],
    ['LMPOP', '9223372036854775807', 'd', 'LEFT'],
    ['LMPOP', '1', 'd', 'UP'],
    ['LMPOP', '1', 'd', 'LEFT', 'COUNT'],
    ['LMPOP', '1', 'd', 'LEFT', 'COUNT', '0'],
    ['LMPOP', '1', 'd', 'LEFT', 'COUNT', '-1'],
    ['LMPOP', '1', 'd', 'LEFT', 'COUNT', 'x'],
    ['LMPOP', '1', 'd', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
    ['LMPOP', '1', 'd', 'LEFT', 'BOGUS'],
    ['LMPOP', '1', 'd'],
    ['SET', 's', 'v'],
    ['LMPOP', '2', 's', 'd', 'LEFT'],
    ['LMPOP', '2', 'd', 's', 'LEFT'],
    ['LMPOP', '2', 'missing', 's', 'LEFT'],
    ['LMPOP', '1', 'd', 'RIGHT'],
    ['LMPOP', '2', 'missing', 's', 'LEFT', 'COUNT', '0'],
  ],
  'expiry is kept and removed with the list': [
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['EXPIREAT', 'l', FAR_FUTURE],
    ['RPUSH', 'l', 'd'],
    ['LPOP', 'l'],
    ['LSET', 'l', '0', 'x'],
    ['LINSERT', 'l', 'BEFORE', 'x', 'w'],
    ['LREM', 'l', '0', 'w'],
    ['LTRIM', 'l', '0', '-1'],
    ['LMOVE', 'l', 'l', 'LEFT', 'RIGHT'],
    ['EXPIRETIME', 'l'],
    ['RPUSH', 'one', 'x'],
    ['EXPIREAT', 'one', FAR_FUTURE],
    ['LMOVE', 'one', 'one', 'LEFT', 'RIGHT'],
    ['RPOPLPUSH', 'one', 'one'],
    ['EXPIRETIME', 'one'],
    ['LMOVE', 'one', 'other', 'LEFT', 'RIGHT'],
    ['EXPIRETIME', 'one'],
    ['EXPIRETIME', 'other'],
    ['LPOP', 'l', '10'],
    ['EXPIRETIME', 'l'],
    ['RPUSH', 'l', 'new'],
    ['EXPIRETIME', 'l'],
  ],
  'lists with other key commands': [
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['TYPE', 'l'],
    ['GET', 'l'],
    ['APPEND', 'l', 'x'],
    ['INCR', 'l'],
    ['COPY', 'l', 'l2'],
    ['RPUSH', 'l2', 'd'],
    ['LRANGE', 'l', '0', '-1'],
    ['LRANGE', 'l2', '0', '-1'],
    ['RENAME', 'l2', 'l3'],
    ['LRANGE', 'l3', '0', '-1'],
    ['MOVE', 'l3', '1'],
    ['SELECT', '1'],
    ['LRANGE', 'l3', '0', '-1'],
    ['SELECT', '0'],
    ['SET', 'l', 'string now'],
    ['LLEN', 'l'],
    ['DEL', 'l'],
    ['LLEN', 'l'],
  ],
  transactions: [
    ['MULTI'],
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['LPOP', 'l'],
    ['LPOP', 'l', 'x'],
    ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'],
    ['LRANGE', 'l', '0', '-1'],
    ['EXEC'],
    ['MULTI'],
    ['LPUSH', 'l'],
    ['RPUSH', 'l', 'never'],
    ['EXEC'],
    ['LRANGE', 'l', '0', '-1'],
  ],
};

/** Two clients: [client index, command line]. Client 1 watches, client 0 changes lists. */
type Step = [number, string[]];

const watchExchanges: Record<string, Step[]> = {
  'a change to a watched list aborts EXEC': [
    [0, ['RPUSH', 'l', 'a', 'b']],
    [1, ['WATCH', 'l']],
    [0, ['LSET', 'l', '0', 'x']],
    [1, ['MULTI']],
    [1, ['LLEN', 'l']],
    [1, ['EXEC']],
    [1, ['WATCH', 'l']],
    [0, ['LTRIM', 'l', '0', '-1']], // trims nothing, yet Redis signals the key
    [1, ['MULTI']],
    [1, ['EXEC']],
    [1, ['WATCH', 'dst']],
    [0, ['LMOVE', 'l', 'dst', 'LEFT', 'LEFT']],
    [1, ['MULTI']],
    [1, ['EXEC']],
  ],
  'a command that changes nothing leaves EXEC alone': [
    [0, ['RPUSH', 'l', 'a', 'b']],
    [1, ['WATCH', 'l', 'missing']],
    [0, ['LREM', 'l', '0', 'nope']],
    [0, ['LINSERT', 'l', 'BEFORE', 'nope', 'x']],
    [0, ['LPUSHX', 'missing', 'x']],
    [0, ['LPOP', 'l', '0']],
    [0, ['LSET', 'l', '5', 'x']],
    [0, ['LMPOP', '1', 'missing', 'LEFT']],
    [1, ['MULTI']],
    [1, ['LRANGE', 'l', '0', '-1']],
    [1, ['EXEC']],
  ],
};

/** Commands whose keyspace notifications (notify-keyspace-events KEA) must match Redis's. */
const notifiedScript: Script = [
  ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
  ['LPUSH', 'l', 'z'],
  ['LPUSHX', 'l', 'y'],
  ['RPUSHX', 'l', 'e'],
  ['LPUSHX', 'missing', 'x'],
  ['LPOP', 'l'],
  ['RPOP', 'l', '2'],
  ['LPOP', 'l', '0'],
  ['LSET', 'l', '0', 'A'],
  ['LINSERT', 'l', 'AFTER', 'A', 'B'],
  ['LINSERT', 'l', 'AFTER', 'nope', 'B'],
  ['LREM', 'l', '0', 'B'],
  ['LREM', 'l', '0', 'nope'],
  ['LTRIM', 'l', '0', '-1'],
  ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'],
  ['LMOVE', 'm', 'm', 'LEFT', 'RIGHT'],
  ['RPOPLPUSH', 'm', 'n'],
  ['LMPOP', '2', 'missing', 'l', 'RIGHT', 'COUNT', '10'],
  ['RPUSH', 't', '1', '2'],
  ['LTRIM', 't', '5', '10'],
  ['RPUSH', 'r', 'x'],
  ['LREM', 'r', '0', 'x'],
];

/** Commands whose RESP2/RESP3 bytes must match exactly (nil bulk vs nil array vs empty array). */
const wireScript: Script = [
  ['RPUSH', 'l', 'a', 'b'],
  ['LPOP', 'missing'],
  ['LPOP', 'missing', '1'],
  ['LPOP', 'missing', '0'],
  ['RPOP', 'missing', '3'],
  ['LPOP', 'l', '0'],
  ['LINDEX', 'l', '10'],
  ['LINDEX', 'missing', '0'],
  ['LPOS', 'l', 'z'],
  ['LPOS', 'l', 'z', 'COUNT', '0'],
  ['LPOS', 'missing', 'z', 'COUNT', '0'],
  ['LRANGE', 'missing', '0', '-1'],
  ['LRANGE', 'l', '5', '6'],
  ['LMOVE', 'missing', 'l', 'LEFT', 'LEFT'],
  ['RPOPLPUSH', 'missing', 'l'],
  ['LMPOP', '1', 'missing', 'LEFT'],
  ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '5'],
];

describe('list replies match redis-server', { timeout: 60_000 }, () => {
  let redis: ChildServer | undefined;
  let shoal: RunningServer;
  let redisClient: RawClient;
  let shoalClient: RawClient;

  before(async () => {
    redis = await spawnRedis();
    shoal = await startShoal();
    if (redis !== undefined) redisClient = await RawClient.connect(redis.port);
    shoalClient = await RawClient.connect(shoal.port);
  });

  after(async () => {
    redisClient?.close();
    shoalClient?.close();
    await redis?.stop();
    await shoal?.stop();
  });

  async function reset(): Promise<void> {
    for (const client of [redisClient, shoalClient]) {
      await client.call('FLUSHALL');
      await client.call('SELECT', '0');
    }
  }

  for (const [name, script] of Object.entries(listScenarios)) {
    it(name, async (t) => {
      if (redis === undefined) return t.skip('redis-server is not installed');
      await reset();
      for (const argv of script) {
        const expected = plain(await redisClient.call(...argv));
        const actual = plain(await shoalClient.call(...argv));
        assert.deepEqual(actual, expected, `reply to ${argv.join(' ')}`);
      }
    });
  }

  /** The exact bytes of the reply to one command. */
  async function rawReply(client: RawClient, argv: string[]): Promise<string> {
    client.chunks = [];
    await client.call(...argv);
    return Buffer.concat(client.chunks).toString('latin1');
  }

  for (const [name, steps] of Object.entries(watchExchanges)) {
    it(name, async (t) => {
      if (redis === undefined) return t.skip('redis-server is not installed');
      await reset();
      const transcripts: unknown[][] = [];
      for (const port of [redis.port, shoal.port]) {
        const clients = [await RawClient.connect(port), await RawClient.connect(port)];
        const transcript: unknown[] = [];
        for (const [index, argv] of steps) {
          transcript.push([
            index,
            argv.join(' '),
            plain(await (clients[index] as RawClient).call(...argv)),
          ]);
        }
        for (const client of clients) client.close();
        transcripts.push(transcript);
      }
      assert.deepEqual(transcripts[1], transcripts[0]);
    });
  }

  it('publishes the same keyspace notifications', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    await reset();
    const transcripts: unknown[][] = [];
    for (const port of [redis.port, shoal.port]) {
      const [writer, listener] = [await RawClient.connect(port), await RawClient.connect(port)];
      try {
        await writer.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        await listener.call('PSUBSCRIBE', '__key*__:*');
        await listener.call('SUBSCRIBE', 'end');
        for (const argv of notifiedScript) await writer.call(...argv);
        await writer.call('PUBLISH', 'end', 'x');
        const messages: unknown[] = [];
        for (;;) {
          const [message] = await listener.read(1);
          const data = plain(message as never) as unknown[];
          if (data[0] === 'message') break;
          messages.push(data);
        }
        transcripts.push(messages);
      } finally {
        await writer.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        writer.close();
        listener.close();
      }
    }
    assert.ok((transcripts[0] as unknown[]).length > 40);
    assert.deepEqual(transcripts[1], transcripts[0]);
  });

  for (const protocol of ['2', '3']) {
    it(`replies byte for byte in RESP${protocol}`, async (t) => {
      if (redis === undefined) return t.skip('redis-server is not installed');
      await reset();
      for (const client of [redisClient, shoalClient]) await client.call('HELLO', protocol);
      try {
        for (const argv of wireScript) {
          const expected = await rawReply(redisClient, argv);
          const actual = await rawReply(shoalClient, argv);
          assert.equal(actual, expected, `bytes of the reply to ${argv.join(' ')}`);
        }
      } finally {
        for (const client of [redisClient, shoalClient]) await client.call('HELLO', '2');
      }
    });
  }
});
