// A replica group's settings and users as effects: standalone nothing is logged; with a sink
// that logs settings, CONFIG SET of a group setting and ACL SETUSER / DELUSER / LOAD become
// effects that give another node the same configuration and users, from the log or from a
// snapshot; a reload puts the node's own values back first; a refused write changes nothing.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import type { EffectSink } from '../../src/commands/hooks.js';
import { Op, type LogEntry } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { ValueReply } from '../../src/embedded/value-reply.js';
import { SnapshotJob } from '../../src/persist/snapshot.js';
import { loadSnapshotBytes } from '../../src/persist/snapshot-bytes.js';
import { testHost } from '../helpers/host.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-group-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Node {
  engine: Engine;
  executor: Executor;
  entries: LogEntry[];
  run(...argv: string[]): unknown;
  refusal: string | undefined;
}

/** One node: an executor whose sink logs settings (or not), with its own configuration. */
function node(logsSettings: boolean, own: [string, string][] = []): Node {
  const entries: LogEntry[] = [];
  const config = new Config();
  config.setMany(own, true);
  const engine = new Engine(16);
  const result = { engine, entries, refusal: undefined } as Node;
  const sink: EffectSink = {
    writeRefusal: () => result.refusal,
    append: (entry) => entries.push(entry),
    logsPublish: logsSettings,
    logsSettings,
  };
  result.executor = new Executor({ engine, config, host: testHost(), sink });
  const client = new ClientState(1, 0, true);
  result.run = (...argv: string[]): unknown => {
    const reply = new ValueReply((text) => text);
    result.executor.execute(client, argv, reply, 1000);
    const [value] = reply.takeAll();
    return value instanceof Error ? value.message : value;
  };
  return result;
}

/** What a client would compare between nodes: users, and the group settings used here. */
function described(n: Node): unknown {
  return {
    users: n.run('ACL', 'LIST'),
    config: n.run('CONFIG', 'GET', 'maxmemory', 'requirepass', 'notify-keyspace-events'),
  };
}

function snapshotOf(engine: Engine): Buffer {
  const job = new SnapshotJob(engine, 1, 0);
  job.start();
  const parts = [job.takeBytes()];
  while (!job.step(100)) parts.push(job.takeBytes());
  job.stop();
  parts.push(job.finish());
  return Buffer.concat(parts);
}

describe('group settings', () => {
  it('keeps its op codes (they are in Raft logs and snapshots)', () => {
    assert.deepEqual([Op.ConfigSet, Op.AclSetUser, Op.AclDelUser], [14, 15, 16]);
  });

  it('standalone: CONFIG SET and ACL change this process only, nothing is logged', () => {
    const n = node(false);
    assert.equal(n.run('CONFIG', 'SET', 'maxmemory', '1mb'), 'OK');
    assert.equal(n.run('ACL', 'SETUSER', 'alice', 'on', '>pw'), 'OK');
    assert.deepEqual(n.entries, []);
    assert.deepEqual([...n.engine.settingEffects()], []);
  });

  it('replicated: the log and a snapshot give another node the same settings and users', () => {
    const leader = node(true);
    assert.equal(leader.run('CONFIG', 'SET', 'maxmemory', '1mb'), 'OK');
    assert.equal(leader.run('ACL', 'SETUSER', 'alice', 'on', '>pw', '~a:*', '(+get ~b:*)'), 'OK');
    // Overlapping changes: the default user's password, set both ways, the last one wins.
    assert.equal(leader.run('CONFIG', 'SET', 'requirepass', 'first'), 'OK');
    assert.equal(leader.run('ACL', 'SETUSER', 'default', 'resetpass', '>second'), 'OK');
    assert.equal(leader.run('ACL', 'SETUSER', 'bob', 'on', 'nopass', '+@all'), 'OK');
    assert.equal(leader.run('ACL', 'DELUSER', 'bob', 'nobody'), 1);
    assert.equal(leader.run('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'), 'OK');
    leader.run('SET', 'k', 'v');
    assert.deepEqual(leader.entries.slice(0, 2), [
      { timeMs: 1000, effects: [[Op.ConfigSet, 'maxmemory', '1048576']] },
      {
        timeMs: 1000,
        effects: [
          [
            Op.AclSetUser,
            'alice',
            `on #${sha256('pw')} ~a:* resetchannels -@all (~b:* resetchannels -@all +get)`,
          ],
        ],
      },
    ]);

    const follower = node(true);
    for (const entry of leader.entries) follower.engine.apply(entry);
    assert.deepEqual(described(follower), described(leader));
    assert.equal(follower.run('GET', 'k'), 'v');

    const joiner = node(true);
    loadSnapshotBytes(snapshotOf(leader.engine), 0, joiner.engine);
    assert.deepEqual(described(joiner), described(leader));
    assert.equal(joiner.run('GET', 'k'), 'v');
    // The default user has the last password set: 'second' by ACL SETUSER, after requirepass.
    assert.match(String((joiner.run('ACL', 'LIST') as string[])[1]), /^user default on #/);
    assert.equal(follower.run('AUTH', 'default', 'second'), 'OK');
    assert.equal(joiner.run('AUTH', 'default', 'second'), 'OK');
  });

  it('a reload puts back the node’s own settings and users, then applies the group’s again', () => {
    const aclFile = join(dir, 'own.acl');
    writeFileSync(aclFile, 'user default on nopass ~* &* +@all\nuser carol on >c +@all ~*\n');
    const own: [string, string][] = [
      ['maxmemory', '5mb'],
      ['aclfile', aclFile],
    ];
    const leader = node(true, own);
    const follower = node(true, own);
    const ownView = described(follower);
    leader.run('CONFIG', 'SET', 'maxmemory', '1mb');
    leader.run('ACL', 'DELUSER', 'carol');
    leader.run('ACL', 'SETUSER', 'alice', 'on', '>pw');
    for (const entry of leader.entries) follower.engine.apply(entry);
    assert.deepEqual(described(follower), described(leader));

    follower.engine.resetSettings();
    assert.deepEqual(described(follower), ownView);
    for (const entry of leader.entries) follower.engine.apply(entry);
    assert.deepEqual(described(follower), described(leader));
    // The leader itself (a deposed leader's rebuild) comes back to its own configuration too.
    leader.engine.resetSettings();
    assert.deepEqual(described(leader), ownView);
  });

  it('ACL LOAD on the leader becomes every node’s users', () => {
    const aclFile = join(dir, 'load.acl');
    writeFileSync(aclFile, 'user default on nopass ~* &* +@all\n');
    const leader = node(true, [['aclfile', aclFile]]);
    const follower = node(true, [['aclfile', aclFile]]);
    leader.run('ACL', 'SETUSER', 'alice', 'on', '>pw');
    writeFileSync(aclFile, 'user default on nopass ~* &* +@all\nuser dave on >d ~d:* +get\n');
    assert.equal(leader.run('ACL', 'LOAD'), 'OK');
    for (const entry of leader.entries) follower.engine.apply(entry);
    assert.deepEqual(follower.run('ACL', 'USERS'), ['dave', 'default']);
    assert.deepEqual(described(follower), described(leader));
  });

  it('refused while writes are refused, and a CONFIG SET mixing group and own settings', () => {
    const leader = node(true);
    leader.refusal = 'MISCONF disk';
    assert.equal(leader.run('CONFIG', 'SET', 'maxmemory', '1mb'), 'MISCONF disk');
    assert.equal(leader.run('ACL', 'SETUSER', 'alice', 'on'), 'MISCONF disk');
    assert.equal(
      leader.run('ACL', 'DELUSER', 'default'),
      "ERR The 'default' user cannot be removed",
    );
    // A node's own setting changes, as it is not logged.
    assert.equal(leader.run('CONFIG', 'SET', 'slowlog-max-len', '5'), 'OK');
    leader.refusal = undefined;
    assert.match(
      String(leader.run('CONFIG', 'SET', 'maxmemory', '1mb', 'slowlog-max-len', '3')),
      /^ERR CONFIG SET cannot change settings the replica group shares \(maxmemory\) and this node's own \(slowlog-max-len\) at once$/,
    );
    assert.deepEqual(leader.run('CONFIG', 'GET', 'maxmemory'), ['maxmemory', '0']);
    assert.deepEqual(leader.run('ACL', 'USERS'), ['default']);
    assert.deepEqual(leader.entries, []);
  });
});
