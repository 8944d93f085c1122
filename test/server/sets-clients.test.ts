// Set commands through real client libraries over TCP: ioredis, and node-redis speaking RESP2
// and RESP3 (where SMEMBERS, SINTER, SPOP with a count … are set replies).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startShoal } from '../helpers/servers.js';

function resp3Client(port: number) {
  return createClient({ url: `redis://127.0.0.1:${port}`, RESP: 3 });
}

describe('set commands through client libraries', () => {
  let server: RunningServer;
  let ioredis: Redis;
  let resp2: ReturnType<typeof createClient>;
  let resp3: ReturnType<typeof resp3Client>;

  before(async () => {
    server = await startShoal();
    ioredis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await ioredis.connect();
    resp2 = createClient({ url: `redis://127.0.0.1:${server.port}` });
    resp3 = resp3Client(server.port);
    await resp2.connect();
    await resp3.connect();
  });

  after(async () => {
    ioredis?.disconnect();
    await resp2?.close();
    await resp3?.close();
    await server?.stop();
  });

  it('ioredis: membership, algebra, random members and scan streams', async () => {
    assert.equal(await ioredis.sadd('io:a', '1', '2', '3'), 3);
    assert.equal(await ioredis.sadd('io:b', '2', '3', '4'), 3);
    assert.deepEqual(await ioredis.smembers('io:a'), ['1', '2', '3']);
    assert.equal(await ioredis.sismember('io:a', '2'), 1);
    assert.deepEqual(await ioredis.smismember('io:a', '2', '9'), [1, 0]);
    assert.deepEqual(await ioredis.sinter('io:a', 'io:b'), ['2', '3']);
    assert.deepEqual(await ioredis.sunion('io:a', 'io:b'), ['1', '2', '3', '4']);
    assert.deepEqual(await ioredis.sdiff('io:a', 'io:b'), ['1']);
    assert.equal(await ioredis.sintercard(2, 'io:a', 'io:b', 'LIMIT', 1), 1);
    assert.equal(await ioredis.sunionstore('io:u', 'io:a', 'io:b'), 4);
    assert.equal(await ioredis.smove('io:u', 'io:v', '4'), 1);
    assert.equal(await ioredis.scard('io:u'), 3);
    const popped = await ioredis.spop('io:u', 2);
    assert.equal(popped.length, 2);
    assert.equal(await ioredis.scard('io:u'), 1);
    assert.equal((await ioredis.srandmember('io:a', -5)).length, 5);
    await ioredis.sadd('io:big', ...Array.from({ length: 1000 }, (_, i) => `m${i}`));
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const stream = ioredis.sscanStream('io:big', { count: 100 });
      stream.on('data', (batch: string[]) => batch.forEach((member) => seen.add(member)));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.equal(seen.size, 1000);
  });

  it('node-redis over RESP2', async () => {
    assert.equal(await resp2.sAdd('nr2:s', ['x', 'y', 'z']), 3);
    assert.deepEqual((await resp2.sMembers('nr2:s')).sort(), ['x', 'y', 'z']);
    assert.equal(await resp2.sIsMember('nr2:s', 'x'), 1);
    assert.deepEqual(await resp2.smIsMember('nr2:s', ['x', 'q']), [1, 0]);
    assert.equal(await resp2.sInterCard(['nr2:s', 'nr2:s'], { LIMIT: 2 }), 2);
    const member = await resp2.sPop('nr2:s');
    assert.ok(member !== null && ['x', 'y', 'z'].includes(member));
    const scanned: string[] = [];
    for await (const members of resp2.sScanIterator('nr2:s')) scanned.push(...members);
    assert.equal(scanned.length, 2);
  });

  it('node-redis over RESP3: set replies', async () => {
    await resp3.sAdd('nr3:s', ['3', '1', '2']);
    assert.deepEqual([...(await resp3.sMembers('nr3:s'))], ['1', '2', '3']);
    assert.deepEqual([...(await resp3.sInter(['nr3:s', 'nr3:absent']))], []);
    const popped = await resp3.sPopCount('nr3:s', 2);
    assert.equal([...popped].length, 2);
    assert.deepEqual([...(await resp3.sPopCount('nr3:absent', 2))], []);
    assert.equal((await resp3.sRandMemberCount('nr3:s', -3)).length, 3);
  });
});
