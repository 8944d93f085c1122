// Passwords and ACL users through real clients: ioredis and node-redis with username/password
// options, redis-cli with --user/--pass and -a, and the embedded API (always the default user).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { open } from '../../src/embedded/index.js';
import { hasCommand, type RunningServer, spawnShoal, startShoal } from '../helpers/servers.js';

const USERS: string[][] = [
  ['reader', 'on', '>readpw', '~*', '&*', '-@all', '+@read', '+@connection', '+acl|whoami'],
  ['cache', 'on', '>cachepw', '~cache:*', 'resetchannels', '&cache.*', '+@all', '-@dangerous'],
];

describe('passwords and users through client libraries', () => {
  let shoal: RunningServer;
  let admin: Redis;
  before(async () => {
    shoal = await startShoal({ requirepass: 'adminpw' });
    admin = new Redis({ port: shoal.port, password: 'adminpw', lazyConnect: true });
    await admin.connect();
    for (const [name, ...rules] of USERS)
      await admin.call('ACL', 'SETUSER', name as string, ...rules);
    await admin.set('plain', 'v');
  });
  after(async () => {
    admin.disconnect();
    await shoal.stop();
  });

  it('ioredis: requirepass, users, NOPERM and WRONGPASS', async () => {
    // ioredis 6 opens with HELLO 3: without a password the server refuses it, as Redis does.
    const anonymous = new Redis({ port: shoal.port, lazyConnect: true, retryStrategy: () => null });
    const refused = new Promise<Error>((resolve) => anonymous.once('error', resolve));
    await assert.rejects(anonymous.connect());
    assert.match((await refused).message, /^NOAUTH HELLO must be called with the client/);
    anonymous.disconnect();

    const reader = new Redis({
      port: shoal.port,
      username: 'reader',
      password: 'readpw',
      lazyConnect: true,
    });
    await reader.connect();
    assert.equal(await reader.get('plain'), 'v');
    assert.equal(await reader.call('ACL', 'WHOAMI'), 'reader');
    await assert.rejects(
      reader.set('plain', 'x'),
      /NOPERM User reader has no permissions to run the 'set' command/,
    );
    reader.disconnect();

    const cache = new Redis({
      port: shoal.port,
      username: 'cache',
      password: 'cachepw',
      lazyConnect: true,
    });
    await cache.connect();
    assert.equal(await cache.set('cache:1', 'x'), 'OK');
    await assert.rejects(cache.get('plain'), /NOPERM No permissions to access a key/);
    await assert.rejects(cache.publish('news', 'x'), /NOPERM No permissions to access a channel/);
    assert.equal(await cache.publish('cache.eu', 'x'), 0);
    await assert.rejects(
      cache.flushall(),
      /NOPERM User cache has no permissions to run the 'flushall'/,
    );
    cache.disconnect();

    const wrong = new Redis({
      port: shoal.port,
      username: 'reader',
      password: 'nope',
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const wrongPass = new Promise<Error>((resolve) => wrong.once('error', resolve));
    await assert.rejects(wrong.connect());
    assert.match((await wrongPass).message, /^WRONGPASS invalid username-password pair/);
    wrong.disconnect();
    const log = (await admin.call('ACL', 'LOG', '1')) as unknown[][];
    assert.deepEqual(log[0]?.slice(0, 10), [
      'count',
      1,
      'reason',
      'auth',
      'context',
      'toplevel',
      'object',
      'hello', // ioredis authenticates with HELLO 3 AUTH
      'username',
      'reader',
    ]);
  });

  it('node-redis: username and password, RESP3 HELLO AUTH', async () => {
    const url = `redis://127.0.0.1:${shoal.port}`;
    const reader = createClient({ url, username: 'reader', password: 'readpw' });
    await reader.connect();
    assert.equal(await reader.get('plain'), 'v');
    await assert.rejects(reader.set('plain', 'x'), /NOPERM/);
    await reader.quit();

    const resp3 = createClient({ url, username: 'cache', password: 'cachepw', RESP: 3 });
    await resp3.connect();
    assert.equal(await resp3.set('cache:2', 'y'), 'OK');
    assert.equal(await resp3.sendCommand(['ACL', 'WHOAMI']), 'cache');
    await resp3.quit();

    const wrong = createClient({
      url,
      username: 'cache',
      password: 'bad',
      socket: { reconnectStrategy: false },
    });
    wrong.on('error', () => undefined);
    await assert.rejects(wrong.connect(), /WRONGPASS/);
  });

  it('redis-cli: -a and --user/--pass', async (t) => {
    if (!hasCommand('redis-cli')) return t.skip('redis-cli is not installed');
    // Asynchronously: the server runs in this process.
    const cli = async (...args: string[]) =>
      (
        await promisify(execFile)('redis-cli', [
          '-p',
          String(shoal.port),
          '--no-auth-warning',
          ...args,
        ])
      ).stdout.trim();
    assert.equal(await cli('-a', 'adminpw', 'GET', 'plain'), 'v');
    assert.equal(await cli('--user', 'reader', '--pass', 'readpw', 'ACL', 'WHOAMI'), 'reader');
    assert.match(await cli('--user', 'reader', '--pass', 'readpw', 'DEL', 'plain'), /NOPERM/);
    assert.match(await cli('GET', 'plain'), /NOAUTH/);
  });

  it('DELUSER closes the connections of that user', async () => {
    await admin.call('ACL', 'SETUSER', 'temp', 'on', '>t', '+@all', '~*');
    const temp = new Redis({
      port: shoal.port,
      username: 'temp',
      password: 't',
      lazyConnect: true,
      retryStrategy: () => null,
    });
    await temp.connect();
    const closed = new Promise<void>((resolve) => temp.once('end', () => resolve()));
    assert.equal(await admin.call('ACL', 'DELUSER', 'temp'), 1);
    await closed;
  });
});

describe('the embedded API runs as the default user', () => {
  it('needs no password, and follows the default user rules', async () => {
    const db = await open({ config: { requirepass: 'secret' } });
    try {
      assert.equal(await db.set('k', 'v'), 'OK');
      assert.equal(await db.command('ACL', 'WHOAMI'), 'default');
      await db.command('ACL', 'SETUSER', 'default', '-set');
      await assert.rejects(
        db.set('k', 'w'),
        /NOPERM User default has no permissions to run the 'set' command/,
      );
      assert.equal(await db.get('k'), 'v');
      await db.command('ACL', 'SETUSER', 'default', '+set');
      assert.equal(await db.set('k', 'w'), 'OK');
    } finally {
      await db.close();
    }
  });
});

describe('shoal serve with an ACL file', () => {
  it('refuses to start when the file cannot be loaded, as Redis does', async () => {
    await assert.rejects(
      spawnShoal(['--aclfile', '/nonexistent/users.acl']),
      /Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '\/nonexistent\/users.acl': No such file or directory/,
    );
  });
});
