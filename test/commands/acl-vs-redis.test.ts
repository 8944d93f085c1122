// ACL metadata of the command table against a real redis-server: every command's categories
// (COMMAND INFO), ACL CAT <category> for the commands Shoal has, and the access each key needs
// (from Redis's key specs: ACCESS → read, INSERT/DELETE/UPDATE → write), which ACL key
// patterns (%R~, %W~) are checked against.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACL_CATEGORIES } from '../../src/commands/acl/categories.js';
import { KeyAccess, keyAccess } from '../../src/commands/acl/key-access.js';
import { allCommands } from '../../src/commands/all.js';
import type { Command } from '../../src/commands/spec.js';
import { CommandTable } from '../../src/commands/table.js';
import type { Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, spawnRedis } from '../helpers/servers.js';

/** Commands Shoal adds or shapes differently on purpose (as in table-vs-redis). */
const SHOAL_ONLY = new Set(['debug', 'raft']);
/** Newer than the installed Redis 7.0. */
const NEWER_THAN_INSTALLED = new Set(['client|setinfo', 'client|no-touch']);

function everyCommand(table: CommandTable): Command[] {
  const out: Command[] = [];
  for (const entry of table.commands) {
    out.push(entry);
    out.push(...(entry.subcommandTable?.values() ?? []));
  }
  return out;
}

function compared(entry: Command): boolean {
  return (
    !SHOAL_ONLY.has(entry.fullName.split('|')[0] as string) &&
    !NEWER_THAN_INSTALLED.has(entry.fullName)
  );
}

/** A key spec's access as KeyAccess bits, from its flags. */
function specAccess(flags: string[]): number {
  const lowered = flags.map((flag) => flag.toLowerCase());
  let access = 0;
  if (lowered.includes('access')) access |= KeyAccess.read;
  if (lowered.some((flag) => ['insert', 'delete', 'update'].includes(flag)))
    access |= KeyAccess.write;
  return access;
}

function toRecord(reply: Reply): Record<string, Reply> {
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), v]));
  const pairs = reply as Reply[];
  const out: Record<string, Reply> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[String(pairs[i])] = pairs[i + 1] as Reply;
  return out;
}

describe('ACL metadata matches redis-server', { timeout: 60_000 }, () => {
  const table = new CommandTable(allCommands);
  let redis: ChildServer | undefined;
  let client: RawClient;
  before(async () => {
    redis = await spawnRedis();
    if (redis !== undefined) client = await RawClient.connect(redis.port);
  });
  after(async () => {
    client?.close();
    await redis?.stop();
  });

  it('in the categories of every command, in Redis order', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    const differences: string[] = [];
    for (const entry of everyCommand(table).filter(compared)) {
      const [info] = (await client.call('COMMAND', 'INFO', entry.fullName)) as Reply[][];
      if (info === undefined || info === null) continue;
      const categories = (info[6] as string[]).map((name) => name.slice(1));
      if (categories.join(' ') !== entry.categories.join(' ')) {
        differences.push(
          `${entry.fullName}: ${entry.categories.join(' ')} / redis ${categories.join(' ')}`,
        );
      }
    }
    assert.deepEqual(differences, []);
  });

  it('in ACL CAT and ACL CAT <category> for the commands Shoal has', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    assert.deepEqual(await client.call('ACL', 'CAT'), [...ACL_CATEGORIES]);
    const names = new Set(
      everyCommand(table)
        .filter(compared)
        .map((entry) => entry.fullName),
    );
    for (const category of ACL_CATEGORIES) {
      const redisNames = ((await client.call('ACL', 'CAT', category)) as string[])
        .filter((name) => names.has(name))
        .sort();
      const shoalNames = everyCommand(table)
        .filter((entry) => compared(entry) && entry.categories.includes(category))
        .map((entry) => entry.fullName)
        .sort();
      assert.deepEqual(shoalNames, redisNames, `ACL CAT ${category}`);
    }
  });

  it('in the access each key needs (key specs)', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    const differences: string[] = [];
    for (const entry of everyCommand(table).filter(compared)) {
      const [info] = (await client.call('COMMAND', 'INFO', entry.fullName)) as Reply[][];
      if (info === undefined || info === null) continue;
      const specs = (info[8] as Reply[]).map(toRecord);
      // SORT's BY/GET spec stands for keys its patterns make while it runs: no key of the
      // command line (sortGetKeys never returns one), so no access is checked for it.
      const patternKeys = (spec: Record<string, Reply>): boolean =>
        entry.name.startsWith('sort') && String(spec['notes'] ?? '').includes('BY/GET');
      const keySpecs = specs.filter(
        (spec) =>
          !(spec['flags'] as string[]).some((flag) => flag.toLowerCase() === 'not_key') &&
          !patternKeys(spec),
      );
      const access = keyAccess(entry, [entry.fullName]);
      if (keySpecs.length === 0) {
        if (access !== undefined && specs.length > 0)
          differences.push(`${entry.fullName}: not keys`);
        continue;
      }
      // SET's access depends on its GET option (Redis: variable flags); checked below.
      if (entry.fullName === 'set') continue;
      const expected = keySpecs.map((spec) => specAccess(spec['flags'] as string[]));
      const actual = expected.map((_, i) => access?.[Math.min(i, (access?.length ?? 1) - 1)]);
      if (expected.join(',') !== actual.join(',')) {
        differences.push(`${entry.fullName}: ${actual.join(',')} / redis ${expected.join(',')}`);
      }
    }
    assert.deepEqual(differences, []);
    const set = table.lookup('set') as Command;
    assert.deepEqual(keyAccess(set, ['set', 'k', 'v']), [KeyAccess.write]);
    assert.deepEqual(keyAccess(set, ['set', 'k', 'v', 'GET']), [KeyAccess.readWrite]);
  });

  it('in COMMAND GETKEYS, including numkeys forms', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    const shoal = await import('../helpers/servers.js').then((m) => m.startShoal());
    const shoalClient = await RawClient.connect(shoal.port);
    try {
      const lines = [
        ['lmpop', '2', 'a', 'b', 'LEFT'],
        ['lmpop', 'x', 'a', 'LEFT'],
        ['lmpop', '5', 'a', 'LEFT'],
        ['blmpop', '0', '2', 'a', 'b', 'LEFT'],
        ['get', 'k'],
        ['mset', 'a', '1', 'b', '2'],
        ['ping'],
        ['get'],
        ['nocommand', 'x'],
      ];
      for (const line of lines) {
        assert.deepEqual(
          await shoalClient.call('COMMAND', 'GETKEYS', ...line),
          await client.call('COMMAND', 'GETKEYS', ...line),
          line.join(' '),
        );
      }
    } finally {
      shoalClient.close();
      await shoal.stop();
    }
  });
});
