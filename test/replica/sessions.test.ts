// A follower's client session: node-local commands (ROLE, RAFT, INFO, SUBSCRIBE ...) go through
// this node's AUTH and ACL checks and answer in the client's protocol; AUTH, HELLO, SELECT and
// CLIENT SETNAME made on a follower also hold on the leader the client is relayed to, and on a
// new leader after kill -9; CLIENT REPLY OFF/SKIP drops relayed replies. The group runs on three loopback addresses with --bind: each node's client and Raft
// ports listen on its own address only.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Push, ReplyError, VerbatimString } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
const cluster = new Cluster(ELECTION_TIMEOUT_MS);
const aclDir = mkdtempSync(join(tmpdir(), 'shoal-acl-'));
const clients: RawClient[] = [];

after(async () => {
  for (const client of clients) client.close();
  await cluster.stopAll();
  rmSync(aclDir, { recursive: true, force: true });
});

async function client(member: Member): Promise<RawClient> {
  const connection = await RawClient.connect(member.clientPort, member.host);
  clients.push(connection);
  return connection;
}

function code(reply: unknown): string | undefined {
  return reply instanceof ReplyError ? reply.code : undefined;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test(
  'a group on three loopback addresses, each node bound to its own',
  { timeout: 60_000 },
  async () => {
    const aclFile = join(aclDir, 'users.acl');
    writeFileSync(
      aclFile,
      [
        'user default on >secret ~* &* +@all',
        'user reader on >pw ~* &* +@all -role -raft -info -subscribe',
      ].join('\n') + '\n',
    );
    for (let id = 1; id <= 3; id++) await cluster.add(id, `127.0.0.${id + 1}`);
    await Promise.all(
      cluster.members.map((m) =>
        cluster.start(m, undefined, ['--bind', m.host, '--aclfile', aclFile]),
      ),
    );
    for (const member of cluster.members) {
      assert.ok(await accepts(member.host, member.raftPort), `raft port on ${member.host}`);
      assert.equal(await accepts('127.0.0.1', member.raftPort), false, 'raft port on 127.0.0.1');
      assert.equal(
        await accepts('127.0.0.1', member.clientPort),
        false,
        'client port on 127.0.0.1',
      );
    }
  },
);

test(
  'follower-local commands check AUTH and ACL; state follows the client upstream',
  { timeout: 90_000 },
  async () => {
    const leader = await agreedLeaderAuthenticated();
    const follower = cluster.members.find((m) => m !== leader) as Member;
    const session = await client(follower);

    // Not authenticated: refused here, before anything is relayed.
    for (const argv of [['ROLE'], ['RAFT', 'STATUS'], ['INFO'], ['SUBSCRIBE', 'c'], ['GET', 'k']]) {
      assert.equal(code(await session.call(...argv)), 'NOAUTH', argv.join(' '));
    }
    // A user without ROLE, RAFT, INFO, SUBSCRIBE: NOPERM for those, relayed commands work.
    assert.equal(await session.call('AUTH', 'reader', 'pw'), 'OK');
    for (const argv of [['ROLE'], ['RAFT', 'STATUS'], ['INFO'], ['SUBSCRIBE', 'c']]) {
      assert.equal(code(await session.call(...argv)), 'NOPERM', argv.join(' '));
    }
    assert.equal(await session.call('SET', 'k', 'v'), 'OK');
    assert.equal(await session.call('GET', 'k'), 'v');
    assert.equal(code(await session.call('AUTH', 'reader', 'wrong')), 'WRONGPASS');
    assert.equal(await session.call('GET', 'k'), 'v', 'a failed AUTH changes nothing');

    // The default user: ROLE answers here; SELECT holds on the leader too.
    assert.equal(await session.call('AUTH', 'secret'), 'OK');
    const role = (await session.call('ROLE')) as unknown[];
    assert.equal(role[0], 'slave');
    assert.equal(role[2], leader.clientPort);
    assert.equal(await session.call('SELECT', '3'), 'OK');
    assert.equal(await session.call('SET', 'in-db-3', 'x'), 'OK');
    const onLeader = await client(leader);
    assert.equal(await onLeader.call('AUTH', 'secret'), 'OK');
    assert.equal(await onLeader.call('SELECT', '3'), 'OK');
    assert.equal(await onLeader.call('GET', 'in-db-3'), 'x');

    // HELLO 3: local replies and relayed ones are RESP3.
    const hello = (await session.call('HELLO', '3')) as Map<unknown, unknown>;
    assert.equal(hello.get('proto'), 3);
    assert.ok((await session.call('INFO', 'replication')) instanceof VerbatimString);
    assert.equal((await session.call('ROLE')) instanceof Array, true);
    session.chunks = [];
    assert.equal(await session.call('GET', 'missing'), null);
    assert.equal(Buffer.concat(session.chunks).toString(), '_\r\n', 'RESP3 null from the leader');
    session.send('SUBSCRIBE', 'c');
    const [confirmation] = await session.read(1);
    assert.ok(confirmation instanceof Push);

    assert.equal(await session.call('CLIENT', 'SETNAME', 'relayed-client'), 'OK');
    assert.equal(await session.call('CLIENT', 'GETNAME'), 'relayed-client', 'named upstream too');

    // kill -9 the leader: the same session, relayed to the new leader, is still authenticated,
    // in database 3, in RESP3, and named.
    await cluster.stop(leader);
    const survivors = cluster.members.filter((m) => m !== leader);
    await agreedLeaderAuthenticated(survivors);
    assert.equal(await session.call('GET', 'in-db-3'), 'x');
    assert.equal(await session.call('CLIENT', 'GETNAME'), 'relayed-client');
    session.chunks = [];
    assert.equal(await session.call('GET', 'missing'), null);
    assert.equal(Buffer.concat(session.chunks).toString(), '_\r\n');
  },
);

test('CLIENT REPLY OFF and SKIP through a follower drop relayed replies', async () => {
  const leader = await agreedLeaderAuthenticated(cluster.members.filter((m) => m.child));
  const follower = cluster.members.find((m) => m !== leader && m.child) as Member;
  const session = await client(follower);
  assert.equal(await session.call('AUTH', 'secret'), 'OK');
  session.send('CLIENT', 'REPLY', 'OFF');
  session.send('SET', 'quiet', '1');
  // Connection state runs on the follower itself (then is replayed upstream): silent too.
  session.send('SELECT', '0');
  session.send('INCR', 'quiet');
  assert.equal(await session.call('CLIENT', 'REPLY', 'ON'), 'OK', 'the first reply after OFF');
  session.send('CLIENT', 'REPLY', 'SKIP');
  session.send('INCR', 'quiet'); // its reply (3) is skipped
  assert.equal(await session.call('GET', 'quiet'), '3');
  session.send('CLIENT', 'REPLY', 'SKIP');
  session.send('SELECT', '0'); // its OK is skipped, and only it
  assert.equal(await session.call('GET', 'quiet'), '3');
  assert.equal(await session.call('PING'), 'PONG', 'nothing left over');
});

/** The serving leader every live member names (RAFT STATUS needs AUTH in this group). */
async function agreedLeaderAuthenticated(among: Member[] = cluster.members): Promise<Member> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const statuses = await Promise.all(
      among.map(async (m) => {
        const c = await RawClient.connect(m.clientPort, m.host).catch(() => undefined);
        if (c === undefined) return undefined;
        try {
          await c.call('AUTH', 'secret');
          return String(await c.call('RAFT', 'STATUS'));
        } finally {
          c.close();
        }
      }),
    );
    const leaders = new Set(statuses.map((s) => /leader:(\d+)/.exec(s ?? '')?.[1]));
    const leader = among.find((m) => leaders.size === 1 && leaders.has(String(m.id)));
    if (leader !== undefined && /serving:yes/.test(statuses[among.indexOf(leader)] ?? ''))
      return leader;
    if (Date.now() > deadline) throw new Error('no agreed, serving leader');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
