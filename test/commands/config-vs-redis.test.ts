// Every setting a real redis-server reports is known to Shoal, with Redis's default, except the
// defaults Shoal chooses differently on purpose (listed below with the reason).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import {
  type ChildServer,
  type RunningServer,
  spawnRedis,
  startShoal,
} from '../helpers/servers.js';

const DIFFERENT_ON_PURPOSE: Record<string, string> = {
  appendonly: 'durable by default',
  appendfsync: "'always': an acknowledged write is on disk",
  dir: 'each test server has its own folder',
  port: 'each test server has its own port',
  bind: 'Redis binds to all interfaces in protected mode; Shoal to loopback',
  save: 'Redis was started with --save ""',
  dbfilename: 'Shoal names its own files',
  appendfilename: 'Shoal names its own files',
  appenddirname: 'Shoal names its own files',
  server_cpulist: 'none',
  pidfile: 'Shoal runs in the foreground and writes no pid file',
};

function toMap(reply: unknown): Map<string, string> {
  const flat = reply as string[];
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  return map;
}

describe('settings match redis-server', { timeout: 30_000 }, () => {
  let redis: ChildServer | undefined;
  let shoal: RunningServer;
  before(async () => {
    redis = await spawnRedis();
    shoal = await startShoal();
  });
  after(async () => {
    await redis?.stop();
    await shoal?.stop();
  });

  it('knows every setting, with Redis defaults', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    const redisClient = await RawClient.connect(redis.port);
    const shoalClient = await RawClient.connect(shoal.port);
    const expected = toMap(await redisClient.call('CONFIG', 'GET', '*'));
    const actual = toMap(await shoalClient.call('CONFIG', 'GET', '*'));
    const missing = [...expected.keys()].filter((name) => !actual.has(name));
    assert.deepEqual(missing, [], 'settings Shoal does not know');
    const differences = [...expected]
      .filter(
        ([name, value]) => actual.get(name) !== value && DIFFERENT_ON_PURPOSE[name] === undefined,
      )
      .map(
        ([name, value]) =>
          `${name}: shoal ${JSON.stringify(actual.get(name))}, redis ${JSON.stringify(value)}`,
      );
    assert.deepEqual(differences, []);
    redisClient.close();
    shoalClient.close();
  });
});
