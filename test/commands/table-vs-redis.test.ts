// The command table against Redis's own: every command Shoal declares must have Redis's arity,
// key positions and main flags (COMMAND INFO of a real redis-server), and every entry must have
// a handler (or subcommands that all have one).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allCommands } from '../../src/commands/all.js';
import { CommandTable } from '../../src/commands/table.js';
import type { Command } from '../../src/commands/spec.js';
import type { Reply } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ChildServer, spawnRedis } from '../helpers/servers.js';

/** Commands Shoal adds or shapes differently on purpose. */
const SHOAL_ONLY = new Set(['debug', 'raft']);
/** Arities that changed after the installed Redis (7.0): Shoal follows 7.2. */
const newerArity = new Map([
  ['zrank', -3], // 7.2: ZRANK key member [WITHSCORE]
  ['zrevrank', -3],
]);
const COMPARED_FLAGS = [
  'write',
  'readonly',
  'denyoom',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'fast',
  'no_auth',
];

function everyCommand(table: CommandTable): Command[] {
  const out: Command[] = [];
  const visit = (commands: Iterable<Command>): void => {
    for (const entry of commands) {
      out.push(entry);
      if (entry.subcommandTable !== undefined) visit(entry.subcommandTable.values());
    }
  };
  visit(table.commands);
  return out;
}

describe('command table', () => {
  const table = new CommandTable(allCommands);

  it('has a handler for every entry, and every declared entry is in the table', () => {
    for (const entry of everyCommand(table)) {
      assert.ok(
        entry.handler !== undefined || (entry.subcommandTable?.size ?? 0) > 0,
        `${entry.fullName} has a handler`,
      );
    }
    for (const definition of allCommands)
      assert.equal(table.lookup(definition.name)?.name, definition.name);
    assert.equal(table.size, allCommands.length, 'no duplicate names');
  });

  describe('matches redis-server', { timeout: 30_000 }, () => {
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

    it('in arity, key positions and flags', async (t) => {
      if (redis === undefined) return t.skip('redis-server is not installed');
      const missing: string[] = [];
      const differences: string[] = [];
      for (const entry of everyCommand(table)) {
        if (SHOAL_ONLY.has(entry.fullName.split('|')[0] as string)) continue;
        const [info] = (await client.call('COMMAND', 'INFO', entry.fullName)) as Reply[][];
        if (info === null || info === undefined) {
          missing.push(entry.fullName);
          continue;
        }
        const [, arity, flags, firstKey, lastKey, keyStep] = info as [
          string,
          number,
          string[],
          number,
          number,
          number,
        ];
        if (entry.arity !== arity && newerArity.get(entry.fullName) !== entry.arity)
          differences.push(`${entry.fullName}: arity ${entry.arity}, redis ${arity}`);
        const keys = [entry.firstKey, entry.lastKey, entry.keyStep].join(',');
        const redisKeys = [firstKey, lastKey, keyStep].join(',');
        if (keys !== redisKeys)
          differences.push(`${entry.fullName}: keys ${keys}, redis ${redisKeys}`);
        for (const flag of COMPARED_FLAGS) {
          if (entry.flags.includes(flag as never) !== flags.includes(flag)) {
            differences.push(
              `${entry.fullName}: flag ${flag} ${flags.includes(flag) ? 'missing' : 'extra'}`,
            );
          }
        }
      }
      // Commands newer than the installed Redis (7.0) are allowed to be missing from it.
      const newerThanInstalledRedis = new Set(['client|setinfo', 'client|no-touch']);
      assert.deepEqual(differences, []);
      assert.deepEqual(
        missing.filter((name) => !newerThanInstalledRedis.has(name)),
        [],
      );
    });
  });
});
