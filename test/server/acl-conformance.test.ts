// ACL and authentication side by side with a real redis-server: the same command lines from one
// or more connections against both, replies compared. Shoal follows Redis 7.2 where 7.2 changed
// the wording of refusals; the installed redis-server is 7.0, so Shoal's 7.2 messages are turned
// into 7.0's before comparing (as70 below says exactly which). Command rules are kept to forms
// both versions describe alike: 7.0 rebuilt them from a bitmap (its order depends on a hash
// table), 7.2 keeps them as given; test/commands/acl-rules.test.ts checks Shoal's 7.2 text.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashPassword } from '../../src/commands/acl/user.js';
import type { Reply } from '../../src/resp/reply-reader.js';
import { plain } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import {
  type ChildServer,
  type RunningServer,
  spawnRedis,
  startShoal,
} from '../helpers/servers.js';

/**
 * [connection, command line, replies it produces (default 1)]. Pseudo-commands: "@connect" opens
 * the connection again, "@read" waits for a reply without sending, "@write-acl-file <text>"
 * replaces the ACL file's content, "@acl-file" answers with the file's content.
 */
type Step = [number, string[], number?];

interface Exchange {
  /** Settings for both servers, as name → value. */
  settings?: Record<string, string>;
  /** Content of an ACL file each server gets its own copy of (setting aclfile). */
  aclFile?: string;
  steps: Step[];
}

const PW_HASH = hashPassword('pw');

export const exchanges: Record<string, Exchange> = {
  'users: create, describe, list, delete': {
    steps: [
      [0, ['ACL', 'SETUSER', 'alice']],
      [0, ['ACL', 'LIST']],
      [0, ['ACL', 'USERS']],
      [0, ['ACL', 'GETUSER', 'alice']],
      [0, ['ACL', 'GETUSER', 'nobody']],
      [0, ['ACL', 'SETUSER', 'bob', 'on', '>pw', '~cache:*', '%R~r:*', '%W~w:*', '&chan', '+@all']],
      [0, ['ACL', 'GETUSER', 'bob']],
      [0, ['ACL', 'SETUSER', 'bob', '>pw2', '#' + PW_HASH, '<pw2']],
      [0, ['ACL', 'GETUSER', 'bob']],
      [0, ['ACL', 'SETUSER', 'bob', `!${PW_HASH}`]],
      [0, ['ACL', 'SETUSER', 'bob', `!${PW_HASH}`]],
      [0, ['ACL', 'SETUSER', 'bob', 'nopass']],
      [0, ['ACL', 'GETUSER', 'bob']],
      [0, ['ACL', 'SETUSER', 'bob', 'resetpass', 'off', 'resetkeys', 'resetchannels']],
      [0, ['ACL', 'GETUSER', 'bob']],
      [0, ['ACL', 'SETUSER', 'carol', 'on', 'nopass', 'allkeys', 'allcommands', '(+get ~x*)']],
      [0, ['ACL', 'SETUSER', 'dave', 'on', '(', '+get', '~k)', '(~j* &c +set)']],
      [0, ['ACL', 'GETUSER', 'carol']],
      [0, ['ACL', 'GETUSER', 'dave']],
      [0, ['ACL', 'SETUSER', 'dave', 'clearselectors']],
      [0, ['ACL', 'SETUSER', 'erin', '~a', '~a', '%R~a', '%W~b', '%RW~c', '%R', '&x', '&x']],
      [0, ['ACL', 'SETUSER', 'frank', 'reset']],
      [
        0,
        [
          'ACL',
          'SETUSER',
          'gina',
          'on',
          'allkeys',
          'allchannels',
          'nocommands',
          'sanitize-payload',
        ],
      ],
      [0, ['ACL', 'SETUSER', 'gina', 'skip-sanitize-payload', '-@all', '+get']],
      [0, ['ACL', 'SETUSER', 'hank', '+@read', '+@all', '-get']],
      [0, ['ACL', 'SETUSER', 'ivan', '+config|get']],
      [0, ['ACL', 'GETUSER', 'hank']],
      [0, ['ACL', 'LIST']],
      [0, ['ACL', 'USERS']],
      [0, ['ACL', 'DELUSER', 'default']],
      [0, ['ACL', 'DELUSER', 'alice', 'nobody', 'bob']],
      [0, ['ACL', 'DELUSER', 'alice', 'default']],
      [0, ['ACL', 'USERS']],
      [0, ['ACL', 'WHOAMI']],
    ],
  },
  'rule errors': {
    steps: [
      [0, ['ACL', 'SETUSER', 'x', '+nocmd']],
      [0, ['ACL', 'SETUSER', 'x', '-nocmd']],
      [0, ['ACL', 'SETUSER', 'x', '+@nocat']],
      [0, ['ACL', 'SETUSER', 'x', '-@transactions']],
      [0, ['ACL', 'SETUSER', 'x', 'blah']],
      [0, ['ACL', 'SETUSER', 'x', '#abc']],
      [0, ['ACL', 'SETUSER', 'x', `#${PW_HASH.toUpperCase()}`]],
      [0, ['ACL', 'SETUSER', 'x', '!abc']],
      [0, ['ACL', 'SETUSER', 'x', '<nope']],
      [0, ['ACL', 'SETUSER', 'x', 'allkeys', '~foo']],
      [0, ['ACL', 'SETUSER', 'x', '~*', '%R~foo']],
      [0, ['ACL', 'SETUSER', 'x', '&*', '&foo']],
      [0, ['ACL', 'SETUSER', 'x', 'allchannels', '&foo']],
      [0, ['ACL', 'SETUSER', 'x', '%X~a']],
      [0, ['ACL', 'SETUSER', 'x', '%~a']],
      [0, ['ACL', 'SETUSER', 'x', '%RR~a']],
      [0, ['ACL', 'SETUSER', 'x', '~a b']],
      [0, ['ACL', 'SETUSER', 'x', '+config|get|x']],
      [0, ['ACL', 'SETUSER', 'x', '+config|nosub']],
      [0, ['ACL', 'SETUSER', 'x', '+get|']],
      [0, ['ACL', 'SETUSER', 'x', '-select|0']],
      [0, ['ACL', 'SETUSER', 'x', '(+get']],
      [0, ['ACL', 'SETUSER', 'x', '(+get', '~a']],
      [0, ['ACL', 'SETUSER', 'x', '(+nocmd)']],
      [0, ['ACL', 'SETUSER', 'x', 'on', '>pw', '+nocmd']],
      [0, ['ACL', 'SETUSER', 'a b']],
      [0, ['ACL', 'USERS']],
      [0, ['ACL', 'SETUSER']],
      [0, ['ACL', 'GETUSER']],
      [0, ['ACL', 'GETUSER', 'a', 'b']],
      [0, ['ACL', 'DELUSER']],
      [0, ['ACL', 'WHOAMI', 'x']],
      [0, ['ACL', 'FOO']],
      [0, ['ACL']],
      [0, ['ACL', 'CAT', 'foo']],
      [0, ['ACL', 'CAT', 'Dangerous', 'x']],
      [0, ['ACL', 'LOG', 'x']],
      [0, ['ACL', 'LOG', '1', '2']],
      [0, ['ACL', 'LOG', '-1']],
      [0, ['ACL', 'LOG', 'RESET']],
      [0, ['ACL', 'GENPASS', '0']],
      [0, ['ACL', 'GENPASS', '5000']],
      [0, ['ACL', 'GENPASS', 'x']],
      [0, ['ACL', 'GENPASS', '1', '2']],
      [0, ['ACL', 'LOAD']],
      [0, ['ACL', 'SAVE']],
      [0, ['ACL', 'LOAD', 'x']],
      [0, ['ACL', 'HELP']],
      [0, ['ACL', 'CAT']],
    ],
  },
  'dry run': {
    steps: [
      [0, ['ACL', 'SETUSER', 'bob', 'on', '>pw', '~cache:*', '%R~r:*', '%W~w:*', '&chan', '+@all']],
      [0, ['ACL', 'SETUSER', 'reader', 'on', 'nopass', 'allkeys', '+get']],
      [0, ['ACL', 'DRYRUN', 'nob', 'get', 'x']],
      [0, ['ACL', 'DRYRUN', 'bob', 'nocmd']],
      [0, ['ACL', 'DRYRUN', 'bob', 'get']],
      [0, ['ACL', 'DRYRUN', 'bob', 'config', 'nosub']],
      [0, ['ACL', 'DRYRUN', 'bob', 'get', 'cache:1']],
      [0, ['ACL', 'DRYRUN', 'bob', 'get', 'zz']],
      [0, ['ACL', 'DRYRUN', 'bob', 'get', 'r:1']],
      [0, ['ACL', 'DRYRUN', 'bob', 'set', 'r:1', 'v']],
      [0, ['ACL', 'DRYRUN', 'bob', 'set', 'w:1', 'v']],
      [0, ['ACL', 'DRYRUN', 'bob', 'set', 'w:1', 'v', 'GET']],
      [0, ['ACL', 'DRYRUN', 'bob', 'incr', 'w:1']],
      [0, ['ACL', 'DRYRUN', 'bob', 'lpush', 'w:1', 'a']],
      [0, ['ACL', 'DRYRUN', 'bob', 'strlen', 'w:1']],
      [0, ['ACL', 'DRYRUN', 'bob', 'exists', 'r:1', 'w:1', 'zz']],
      [0, ['ACL', 'DRYRUN', 'bob', 'copy', 'r:1', 'w:2']],
      [0, ['ACL', 'DRYRUN', 'bob', 'copy', 'w:1', 'r:2']],
      [0, ['ACL', 'DRYRUN', 'bob', 'mget', 'cache:1', 'r:1', 'zz']],
      [0, ['ACL', 'DRYRUN', 'bob', 'lmpop', '2', 'cache:a', 'cache:b', 'LEFT']],
      [0, ['ACL', 'DRYRUN', 'bob', 'lmpop', '2', 'cache:a', 'r:b', 'LEFT']],
      [0, ['ACL', 'DRYRUN', 'bob', 'blmpop', '0', '1', 'w:x', 'LEFT']],
      [0, ['ACL', 'DRYRUN', 'bob', 'publish', 'chan', 'x']],
      [0, ['ACL', 'DRYRUN', 'bob', 'publish', 'other', 'x']],
      [0, ['ACL', 'DRYRUN', 'bob', 'subscribe', 'chan', 'other']],
      [0, ['ACL', 'DRYRUN', 'bob', 'psubscribe', 'ch*']],
      [0, ['ACL', 'DRYRUN', 'bob', 'unsubscribe', 'other']],
      [0, ['ACL', 'DRYRUN', 'bob', 'keys', '*']],
      [0, ['ACL', 'DRYRUN', 'reader', 'get', 'x']],
      [0, ['ACL', 'DRYRUN', 'reader', 'set', 'x', 'y']],
      [0, ['ACL', 'DRYRUN', 'reader', 'auth', 'x']],
      [0, ['ACL', 'DRYRUN', 'default', 'flushall']],
    ],
  },
  'permissions at run time, and the ACL log': {
    steps: [
      [
        0,
        ['ACL', 'SETUSER', 'bob', 'on', '>pw', '~cache:*', '%R~r:*', '&chan', '+@all', '-flushall'],
      ],
      [0, ['SET', 'r:1', 'v']],
      [1, ['AUTH', 'bob', 'pw']],
      [1, ['ACL', 'WHOAMI']],
      [1, ['GET', 'r:1']],
      [1, ['SET', 'r:1', 'x']],
      [1, ['SET', 'cache:1', 'x']],
      [1, ['GET', 'zz']],
      [1, ['FLUSHALL']],
      [1, ['PUBLISH', 'chan', 'x']],
      [1, ['PUBLISH', 'other', 'x']],
      [1, ['MULTI']],
      [1, ['GET', 'cache:1']],
      [1, ['GET', 'zz']],
      [1, ['EXEC']],
      [1, ['MULTI']],
      [1, ['GET', 'cache:1']],
      [1, ['INCR', 'cache:n']],
      [0, ['ACL', 'SETUSER', 'bob', '-get', 'resetkeys', '~cache:1']],
      [1, ['EXEC']],
      [1, ['GET', 'zz']],
      [1, ['GET', 'zz']],
      [0, ['ACL', 'LOG']],
      [0, ['ACL', 'LOG', '2']],
      [0, ['ACL', 'LOG', 'RESET']],
      [0, ['ACL', 'LOG']],
      [1, ['SUBSCRIBE', 'other']],
      [1, ['PSUBSCRIBE', 'ch*']],
      [1, ['SUBSCRIBE', 'chan'], 1],
      [0, ['ACL', 'LOG']],
    ],
  },
  'subscribers lose their channel': {
    steps: [
      [0, ['ACL', 'SETUSER', 'sub', 'on', 'nopass', '~*', '&news', '&sport', '+@all']],
      [1, ['AUTH', 'sub', 'x']],
      [1, ['SUBSCRIBE', 'news']],
      [0, ['ACL', 'SETUSER', 'sub', '&extra']],
      [0, ['PUBLISH', 'news', 'one']],
      [1, ['@read']],
      [0, ['ACL', 'SETUSER', 'sub', 'resetchannels', '&sport']],
      [0, ['PUBLISH', 'news', 'two']],
      [0, ['CLIENT', 'LIST', 'TYPE', 'pubsub']],
      [2, ['AUTH', 'sub', 'x']],
      [0, ['ACL', 'DELUSER', 'sub']],
      [0, ['ACL', 'USERS']],
    ],
  },
  'requirepass is the default user': {
    settings: { requirepass: 'secret' },
    steps: [
      [0, ['GET', 'x']],
      [0, ['ACL', 'WHOAMI']],
      [0, ['AUTH', 'wrong']],
      [0, ['AUTH', 'default', 'wrong']],
      [0, ['AUTH', 'nouser', 'x']],
      [0, ['HELLO', '3', 'AUTH', 'default', 'wrong']],
      [0, ['HELLO', '3']],
      [0, ['AUTH', 'a', 'b', 'c']],
      [0, ['AUTH', 'secret']],
      [0, ['GET', 'x']],
      [0, ['ACL', 'LIST']],
      [0, ['CONFIG', 'GET', 'requirepass']],
      [0, ['ACL', 'SETUSER', 'default', '>other']],
      [1, ['@connect']],
      [1, ['AUTH', 'other']],
      [1, ['AUTH', 'secret']],
      [1, ['RESET']],
      [1, ['GET', 'x']],
      [0, ['CONFIG', 'SET', 'requirepass', 'new']],
      [0, ['ACL', 'GETUSER', 'default']],
      [1, ['AUTH', 'other']],
      [1, ['AUTH', 'default', 'new']],
      [0, ['CONFIG', 'SET', 'requirepass', '']],
      [2, ['@connect']],
      [2, ['GET', 'x']],
      [2, ['AUTH', 'x']],
      [2, ['AUTH', 'default', 'anything']],
      [0, ['ACL', 'SETUSER', 'default', 'off']],
      [3, ['@connect']],
      [3, ['GET', 'x']],
      [3, ['AUTH', 'default', 'x']],
      [2, ['GET', 'x']],
      [0, ['ACL', 'SETUSER', 'default', 'on']],
      [0, ['MULTI']],
      [0, ['AUTH', 'default', 'wrong']],
      [0, ['EXEC']],
      [0, ['ACL', 'LOG']],
    ],
  },
  'the ACL file: load at start, SAVE, LOAD': {
    aclFile: 'user alice on >pw ~* &* +@all\nuser bob off +get\n',
    steps: [
      [0, ['ACL', 'LIST']],
      [1, ['AUTH', 'alice', 'pw']],
      [0, ['ACL', 'SETUSER', 'carol', 'on', '>pw', '+@all', '~k*']],
      [0, ['ACL', 'SAVE']],
      [0, ['@acl-file']],
      [
        0,
        ['@write-acl-file', 'bogus line\nuser x on +nocmd\nuser y blah\nuser y on\nuser a\\x b\n'],
      ],
      [0, ['ACL', 'LOAD']],
      [0, ['ACL', 'USERS']],
      [1, ['ACL', 'WHOAMI']],
      [0, ['@write-acl-file', 'user default on nopass ~* &* +@all\nuser zed on nopass +ping\n\n']],
      [0, ['ACL', 'LOAD']],
      [0, ['ACL', 'LIST']],
      [1, ['ACL', 'WHOAMI']],
      [0, ['@write-acl-file', 'user alice on >pw (+get ~a*) (+set ~b*)\n']],
      [0, ['ACL', 'LOAD']],
      [0, ['ACL', 'LIST']],
      [0, ['ACL', 'SETUSER', 'alice', 'clearselectors', '+get']],
      [0, ['ACL', 'SAVE']],
      [0, ['@acl-file']],
    ],
  },
  'first arguments and subcommands': {
    steps: [
      [0, ['ACL', 'SETUSER', 'u', 'on', 'nopass', 'allkeys', '-@all', '+select|0', '+config|get']],
      [1, ['AUTH', 'u', 'x']],
      [1, ['SELECT', '0']],
      [1, ['SELECT', '1']],
      [1, ['CONFIG', 'GET', 'maxmemory']],
      [1, ['CONFIG', 'SET', 'maxmemory', '0']],
      [1, ['AUTH', 'u', 'x']],
      [1, ['PING']],
      [0, ['ACL', 'SETUSER', 'u', '+@all', '-config']],
      [1, ['CONFIG', 'GET', 'maxmemory']],
      [1, ['CLIENT', 'GETNAME']],
      [0, ['ACL', 'SETUSER', 'u', '+@all', '-client|kill']],
      [1, ['CLIENT', 'KILL', 'ID', '999']],
    ],
  },
};

/**
 * Shoal's replies in Redis 7.0's words. Redis 7.2 (which Shoal follows) names the user in
 * refusals, stopped naming what was refused in the dispatcher's key/channel errors, and shows
 * <proto> in HELLO's NOAUTH hint.
 */
function as70(reply: unknown): unknown {
  if (Array.isArray(reply)) return reply.map(as70);
  if (typeof reply === 'object' && reply !== null && 'error' in reply) {
    return { error: as70((reply as { error: string }).error) };
  }
  if (typeof reply !== 'string') return reply;
  return reply
    .replace(
      /^NOPERM User \S+ has no permissions to run the '(.+)' command$/,
      "NOPERM this user has no permissions to run the '$1' command",
    )
    .replace(
      /^NOPERM No permissions to access a key$/,
      'NOPERM this user has no permissions to access one of the keys used as arguments',
    )
    .replace(
      /^NOPERM No permissions to access a channel$/,
      'NOPERM this user has no permissions to access one of the channels used as arguments',
    )
    .replace(
      /^User \S+ has no permissions to (run|access) the /,
      'This user has no permissions to $1 the ',
    )
    .replace('the HELLO <proto> AUTH <user> <pass> option', 'the HELLO AUTH <user> <pass> option');
}

/** ACL LOG entries reduced to the fields Redis 7.0 and 7.2 share and that are deterministic. */
function logEntries(reply: unknown): unknown {
  if (!Array.isArray(reply)) return reply;
  return reply.map((entry: unknown) => {
    const pairs = entry as unknown[];
    const fields: Record<string, unknown> = {};
    for (let i = 0; i + 1 < pairs.length; i += 2) fields[String(pairs[i])] = pairs[i + 1];
    const { count, reason, context, object, username } = fields;
    return { count, reason, context, object, username };
  });
}

/** Replies that differ between servers for reasons outside ACLs, made comparable. */
function comparable(argv: string[], reply: unknown): unknown {
  const words = argv.map((word) => word.toUpperCase());
  if (words[0] === 'ACL' && words[1] === 'LOG' && words.length <= 3 && words[2] !== 'RESET') {
    return logEntries(reply);
  }
  // GENPASS is random: its length is what can be compared.
  if (words[0] === 'ACL' && words[1] === 'GENPASS' && typeof reply === 'string')
    return reply.length;
  // Only the number of pub/sub clients is comparable in CLIENT LIST.
  if (words[0] === 'CLIENT' && words[1] === 'LIST' && typeof reply === 'string') {
    return reply.split('\n').filter((line) => line !== '').length;
  }
  // ACL CAT lists Redis's commands; test/commands/acl-vs-redis compares the commands Shoal has.
  if (words[0] === 'ACL' && words[1] === 'CAT' && words.length === 3 && Array.isArray(reply)) {
    return 'commands';
  }
  return reply;
}

interface Target {
  port: number;
  clients: RawClient[];
  aclFile: string;
}

async function run(target: Target, steps: Step[], translate: (reply: unknown) => unknown) {
  const out: unknown[] = [];
  for (const [index, argv, count = 1] of steps) {
    if (argv[0] === '@connect') {
      target.clients[index] = await RawClient.connect(target.port);
      continue;
    }
    if (argv[0] === '@write-acl-file') {
      writeFileSync(target.aclFile, argv[1] as string);
      continue;
    }
    if (argv[0] === '@acl-file') {
      out.push([index, '@acl-file', readFileSync(target.aclFile, 'latin1')]);
      continue;
    }
    target.clients[index] ??= await RawClient.connect(target.port);
    const client = target.clients[index] as RawClient;
    if (argv[0] !== '@read') client.send(...argv);
    const replies = (await client.read(count, 2000).catch(() => [])) as Reply[];
    const shown = replies.map((reply) => translate(comparable(argv, plain(reply))));
    out.push([index, argv.join(' '), client.closed && replies.length === 0 ? 'closed' : shown]);
  }
  return out;
}

describe('ACL and AUTH side by side with redis-server', { timeout: 120_000 }, () => {
  const started: (ChildServer | RunningServer)[] = [];
  const clients: RawClient[] = [];
  after(async () => {
    for (const client of clients) client.close();
    for (const server of started) await server.stop();
  });

  for (const [name, exchange] of Object.entries(exchanges)) {
    it(name, async (t) => {
      const files = mkdtempSync(join(tmpdir(), 'shoal-acl-'));
      t.after(() => rmSync(files, { recursive: true, force: true }));
      const withFile = (file: string): Record<string, string> => {
        if (exchange.aclFile === undefined) return exchange.settings ?? {};
        writeFileSync(file, exchange.aclFile);
        return { ...exchange.settings, aclfile: file };
      };
      const redisFile = join(files, 'redis.acl');
      const shoalFile = join(files, 'shoal.acl');
      const redisSettings = withFile(redisFile);
      const redis = await spawnRedis(
        Object.entries(redisSettings).flatMap(([k, v]) => [`--${k}`, v]),
      );
      if (redis === undefined) return t.skip('redis-server is not installed');
      started.push(redis);
      const shoal = await startShoal(withFile(shoalFile));
      started.push(shoal);
      const redisTarget: Target = { port: redis.port, clients: [], aclFile: redisFile };
      const shoalTarget: Target = { port: shoal.port, clients: [], aclFile: shoalFile };
      const expected = await run(redisTarget, exchange.steps, (reply) => reply);
      const actual = await run(shoalTarget, exchange.steps, as70);
      clients.push(...redisTarget.clients, ...shoalTarget.clients);
      // Error texts of ACL LOAD name each server's own file.
      assert.deepEqual(
        JSON.parse(JSON.stringify(actual).replaceAll(shoalFile, 'FILE')),
        JSON.parse(JSON.stringify(expected).replaceAll(redisFile, 'FILE')),
      );
    });
  }
});
