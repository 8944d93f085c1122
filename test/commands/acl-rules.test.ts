// ACL rules as units: the Redis 7.2 text of command rules (kept in the order given), a property
// test that a user rebuilt from its own description has exactly the same permissions, permission
// verdicts, passwords, the log's grouping, and the protected-mode decision.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AclLog } from '../../src/commands/acl/log.js';
import type { Selector } from '../../src/commands/acl/selector.js';
import {
  hashPassword,
  mergeSelectorArguments,
  RuleError,
  splitRules,
  User,
} from '../../src/commands/acl/user.js';
import { allCommands } from '../../src/commands/all.js';
import type { Command } from '../../src/commands/spec.js';
import { CommandTable } from '../../src/commands/table.js';
import { AccessControl } from '../../src/commands/acl/access-control.js';
import { Config } from '../../src/commands/config.js';
import type { Host } from '../../src/commands/hooks.js';
import {
  isLoopbackAddress,
  PROTECTED_MODE_DENIAL,
  refusedByProtectedMode,
} from '../../src/server/protected-mode.js';

const table = new CommandTable(allCommands);
const newUser = (name = 'u', allChannels = false) => new User(name, table, () => allChannels);

function userWith(...rules: string[]): User {
  const user = newUser();
  const merged = mergeSelectorArguments(rules);
  assert.ok(Array.isArray(merged));
  for (const rule of merged) user.apply(rule);
  return user;
}

function command(name: string): Command {
  const [top, sub] = name.split('|');
  const entry = table.lookup(top as string) as Command;
  return sub === undefined ? entry : (entry.subcommandTable?.get(sub) as Command);
}

const host: Host = {
  mode: 'test',
  startedAtMs: 0,
  clients: () => [],
  closeClient: () => undefined,
  shutdown: () => undefined,
  info: () => ({}),
  clientHasOutput: () => undefined,
};

describe('command rules are described as given (Redis 7.2)', () => {
  const cases: [string[], string][] = [
    [[], '-@all'],
    [['+get', '+set'], '-@all +get +set'],
    [['+set', '+get', '+set'], '-@all +get +set'],
    [['+@read', '-@dangerous', '+GET', '+config|get'], '-@all +@read -@dangerous +get +config|get'],
    [['+select|0', '-select'], '-@all -select'],
    [['+config|get', '-config'], '-@all -config'],
    [['+@READ', '-@read'], '-@all -@read'],
    [['+@all', '-get'], '+@all -get'],
    [['+@all', '-get', '-@all', '+set'], '-@all +set'],
    [['allcommands', 'nocommands'], '-@all'],
  ];
  for (const [rules, expected] of cases) {
    it(`${rules.join(' ') || '(none)'} → ${expected}`, () => {
      assert.equal(userWith(...rules).root.describeCommands(), expected);
    });
  }

  it('describes a whole user in ACL LIST form', () => {
    const user = userWith('on', '>pw', '~cache:*', '%R~r:*', '&chan', '+@read', '(+set ~w:*)');
    assert.equal(
      user.describe(),
      `on #${hashPassword('pw')} ~cache:* %R~r:* resetchannels &chan -@all +@read (~w:* resetchannels -@all +set)`,
    );
    assert.equal(newUser().describe(), 'off resetchannels -@all');
    assert.equal(newUser('v', true).describe(), 'off &* -@all');
  });
});

const subcommandCount = table.commands.reduce(
  (total, entry) => total + (entry.subcommandTable?.size ?? 0),
  0,
);

/** Whether a selector allows every command (whatever its ALLCOMMANDS shortcut says). */
const everyCommandAllowed = (s: Selector): boolean =>
  s.allowed.size === table.commands.length + subcommandCount;

/** Everything a user permits, as comparable data. */
function permissions(user: User): unknown {
  const selector = (s: Selector) => ({
    allKeys: s.allKeys,
    allChannels: s.allChannels,
    // allCommands is a shortcut Redis keeps (ALLCOMMANDS): "+@all -client|kill +client" clears
    // it though every command is allowed again. Compared through what it means instead.
    everyCommandAllowed: everyCommandAllowed(s),
    startsFromAll: s.startsFromAll,
    allowed: [...s.allowed].map((entry) => entry.fullName).sort(),
    // First-argument rules are a set: their order does not change what is permitted.
    firstArgs: [...s.firstArgs].map(([entry, args]) => [entry.fullName, [...args].sort()]).sort(),
    keys: s.describeKeys(),
    channels: s.describeChannels(),
  });
  return {
    flags: user.flags(),
    passwords: user.passwords,
    selectors: user.selectors.map(selector),
    // `unrestricted` is the checks' fast path, made from the shortcut: the same rules rebuilt may
    // set it where the original had not ("+@all +client" describes the user above). Compared
    // through what it means; that it is never set for a restricted user is checked apart.
    unrestrictedInFact: isUnrestrictedInFact(user),
  };
}

function isUnrestrictedInFact(user: User): boolean {
  const root = user.root;
  return (
    user.selectors.length === 1 && everyCommandAllowed(root) && root.allKeys && root.allChannels
  );
}

const ruleArbitrary = fc.oneof(
  fc.constantFrom(
    'on',
    'off',
    'nopass',
    'resetpass',
    '>secret',
    '>other',
    '<secret',
    'allkeys',
    'resetkeys',
    '~k*',
    '%R~r*',
    '%W~w*',
    '%RW~rw*',
    'allchannels',
    'resetchannels',
    '&news',
    '&n*',
    'allcommands',
    'nocommands',
    '+@all',
    '-@all',
    '+@read',
    '-@write',
    '+@dangerous',
    '-@keyspace',
    '+@connection',
    '+get',
    '-get',
    '+set',
    '-config',
    '+config|get',
    '-config|set',
    '+client',
    '-client|kill',
    '+select|0',
    '+select|1',
    '+acl|whoami',
    'clearselectors',
    '(+get ~s*)',
    '(+@write %W~x* &c)',
    'reset',
    'sanitize-payload',
    'skip-sanitize-payload',
  ),
);

describe('a user rebuilt from its description has the same permissions', () => {
  it('for random rule sequences', () => {
    fc.assert(
      fc.property(fc.array(ruleArbitrary, { maxLength: 25 }), (rules) => {
        const user = newUser();
        for (const rule of rules) {
          try {
            user.apply(rule);
          } catch (error) {
            if (!(error instanceof RuleError)) throw error;
          }
        }
        const text = user.describe();
        const rebuilt = newUser();
        const merged = mergeSelectorArguments(text.split(' '));
        assert.ok(Array.isArray(merged));
        for (const rule of merged) rebuilt.apply(rule);
        assert.deepEqual(permissions(rebuilt), permissions(user), text);
        for (const one of [user, rebuilt])
          if (one.unrestricted) assert.ok(isUnrestrictedInFact(one), `fast path for ${text}`);
        assert.equal(rebuilt.describe(), text);
      }),
      { numRuns: 500 },
    );
  });

  it('a failed rule leaves a staged copy only (ACL SETUSER is all or nothing)', () => {
    const control = new AccessControl(table, new Config(), host, () => '');
    const client = { id: 1 } as never;
    assert.equal(control.setUser('x', ['on', '+get'], client), undefined);
    assert.match(control.setUser('x', ['off', '+nocmd'], client) ?? '', /Unknown command/);
    assert.equal(control.users.get('x')?.describe(), 'on resetchannels -@all +get');
  });
});

describe('permission verdicts', () => {
  const control = new AccessControl(table, new Config(), host, () => '');
  const verdict = (user: User, line: string[]) =>
    control.verdict(user, command(line[0] as string), line);

  it('checks commands, first arguments and subcommands', () => {
    const user = userWith('+get', '+select|0', '+config|get', 'allkeys');
    assert.equal(verdict(user, ['get', 'k']), undefined);
    assert.deepEqual(verdict(user, ['set', 'k', 'v']), { reason: 'command', object: 'set' });
    assert.equal(verdict(user, ['select', '0']), undefined);
    assert.deepEqual(verdict(user, ['select', '1']), { reason: 'command', object: 'select' });
    assert.equal(control.verdict(user, command('config|get'), ['config', 'get', 'x']), undefined);
    assert.deepEqual(control.verdict(user, command('config|set'), ['config', 'set', 'a', 'b']), {
      reason: 'command',
      object: 'config|set',
    });
    // no_auth commands are always allowed.
    assert.equal(verdict(user, ['auth', 'x']), undefined);
  });

  it('checks key patterns by access', () => {
    const user = userWith('+@all', '%R~r:*', '%W~w:*', '~rw:*');
    assert.equal(verdict(user, ['get', 'r:1']), undefined);
    assert.deepEqual(verdict(user, ['get', 'w:1']), { reason: 'key', object: 'w:1' });
    assert.equal(verdict(user, ['set', 'w:1', 'v']), undefined);
    assert.deepEqual(verdict(user, ['set', 'w:1', 'v', 'GET']), { reason: 'key', object: 'w:1' });
    assert.deepEqual(verdict(user, ['incr', 'w:1']), { reason: 'key', object: 'w:1' });
    assert.equal(verdict(user, ['incr', 'rw:1']), undefined);
    assert.equal(verdict(user, ['copy', 'r:1', 'w:2']), undefined);
    assert.deepEqual(verdict(user, ['copy', 'w:1', 'r:2']), { reason: 'key', object: 'w:1' });
    assert.equal(verdict(user, ['exists', 'r:1', 'w:1']), undefined);
    assert.deepEqual(verdict(user, ['lmpop', '2', 'rw:1', 'r:2', 'LEFT']), {
      reason: 'key',
      object: 'r:2',
    });
  });

  it('checks channels; PSUBSCRIBE patterns literally', () => {
    const user = userWith('+@all', 'allkeys', 'resetchannels', '&news.*', '&sport');
    assert.equal(verdict(user, ['publish', 'news.eu', 'x']), undefined);
    assert.deepEqual(verdict(user, ['publish', 'other', 'x']), {
      reason: 'channel',
      object: 'other',
    });
    assert.equal(verdict(user, ['psubscribe', 'news.*']), undefined);
    assert.deepEqual(verdict(user, ['psubscribe', 'news.eu']), {
      reason: 'channel',
      object: 'news.eu',
    });
    assert.equal(verdict(user, ['unsubscribe', 'other']), undefined);
    assert.equal(verdict(user, ['ssubscribe', 'sport']), undefined);
  });

  it('allows when any selector allows, else reports the worst refusal', () => {
    const user = userWith('+get', '~a*', '(+set ~b*)');
    assert.equal(verdict(user, ['get', 'a1']), undefined);
    assert.equal(verdict(user, ['set', 'b1', 'v']), undefined);
    assert.deepEqual(verdict(user, ['get', 'b1']), { reason: 'key', object: 'b1' });
    assert.deepEqual(verdict(user, ['del', 'a1']), { reason: 'command', object: 'del' });
  });

  it('marks unrestricted users so the dispatcher skips the check', () => {
    assert.equal(control.defaultUser.unrestricted, true);
    assert.equal(userWith('+@all', 'allkeys', 'allchannels').unrestricted, true);
    assert.equal(userWith('+@all', 'allkeys', 'allchannels', '-get').unrestricted, false);
    assert.equal(userWith('+@all', 'allkeys', 'allchannels', '(+get)').unrestricted, false);
  });
});

describe('passwords', () => {
  it('are stored as SHA-256 hex and compared by digest', () => {
    const user = userWith('>one', `#${hashPassword('two')}`);
    assert.deepEqual(user.passwords, [hashPassword('one'), hashPassword('two')]);
    assert.equal(user.passwordMatches('one'), true);
    assert.equal(user.passwordMatches('two'), true);
    assert.equal(user.passwordMatches('three'), false);
    assert.equal(user.passwordMatches(''), false);
    assert.equal(userWith('nopass').passwordMatches('anything'), true);
    assert.equal(userWith('>x', 'nopass', 'resetpass').passwordMatches('x'), false);
    // Binary-safe: a latin1 password is hashed byte for byte.
    const bytes = Buffer.from([0xff, 0x00]);
    assert.equal(hashPassword('\xff\x00'), createHash('sha256').update(bytes).digest('hex'));
  });

  it('requirepass sets the default user, and authentication failures are logged', () => {
    const config = new Config();
    const control = new AccessControl(table, config, host, () => 'id=1');
    assert.equal(control.authRequired(), false);
    config.set('requirepass', 'secret');
    assert.equal(control.authRequired(), true);
    assert.deepEqual(control.defaultUser.passwords, [hashPassword('secret')]);
    const client = { transaction: undefined } as never;
    assert.equal(control.authenticate(client, 'default', 'nope', 'AUTH', 1000), false);
    assert.equal(control.authenticate(client, 'default', 'secret', 'AUTH', 1000), true);
    assert.deepEqual(
      control.log.entries.map((entry) => [entry.reason, entry.object, entry.username]),
      [['auth', 'AUTH', 'default']],
    );
    config.set('requirepass', '');
    assert.equal(control.defaultUser.nopass, true);
  });
});

describe('splitting selector rules', () => {
  it('honours quotes and merges selector words', () => {
    assert.deepEqual(splitRules(' +get  "~a b" \'&c\' '), ['+get', '~a b', '&c']);
    assert.deepEqual(mergeSelectorArguments(['on', '(+get', '~a)', '(+set)']), [
      'on',
      '(+get ~a)',
      '(+set)',
    ]);
    assert.deepEqual(mergeSelectorArguments(['(+get', '~a']), { unmatched: '(+get' });
  });
});

describe('the ACL log', () => {
  const entry = (object: string, atMs: number) => ({
    reason: 'command' as const,
    context: 'toplevel' as const,
    object,
    username: 'u',
    updatedAtMs: atMs,
    clientInfo: `at ${atMs}`,
  });

  it('groups repeats within a minute and keeps the newest first', () => {
    const log = new AclLog();
    log.add(entry('get', 0), 128);
    log.add(entry('set', 10), 128);
    log.add(entry('get', 20), 128);
    assert.deepEqual(
      log.entries.map((e) => [e.object, e.count, e.clientInfo, e.entryId]),
      [
        ['get', 2, 'at 20', 0],
        ['set', 1, 'at 10', 1],
      ],
    );
    log.add(entry('get', 70_021), 128);
    assert.equal(log.entries.length, 3);
    assert.equal(log.denials.command, 4);
  });

  it('keeps at most acllog-max-len entries', () => {
    const log = new AclLog();
    for (let i = 0; i < 10; i++) log.add(entry(`c${i}`, i), 3);
    assert.deepEqual(
      log.entries.map((e) => e.object),
      ['c9', 'c8', 'c7'],
    );
  });
});

describe('protected mode', () => {
  it('knows loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackAddress(address), true, address);
    }
    for (const address of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '128.0.0.1']) {
      assert.equal(isLoopbackAddress(address), false, address);
    }
    assert.equal(isLoopbackAddress(undefined), false);
  });

  it('refuses outside clients only while on and the default user has no password', () => {
    assert.equal(refusedByProtectedMode(true, true, '10.0.0.1'), true);
    assert.equal(refusedByProtectedMode(true, true, '127.0.0.1'), false);
    assert.equal(refusedByProtectedMode(true, true, '::1'), false);
    assert.equal(refusedByProtectedMode(true, false, '10.0.0.1'), false);
    assert.equal(refusedByProtectedMode(false, true, '10.0.0.1'), false);
  });

  it("sends redis-server's own DENIED text", (t) => {
    const binary = '/usr/bin/redis-server';
    if (!existsSync(binary)) return t.skip('redis-server is not installed');
    const bytes = readFileSync(binary, 'latin1');
    const start = bytes.indexOf('-DENIED Redis is running in protected mode');
    assert.ok(start >= 0);
    const text = bytes.slice(start, bytes.indexOf('\0', start));
    assert.equal(PROTECTED_MODE_DENIAL, text.endsWith('\r\n') ? text : `${text}\r\n`);
  });
});
