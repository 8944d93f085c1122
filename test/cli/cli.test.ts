// The shoal command as a user runs it: help, flags and config files, npm start passing flags
// through, redis-cli against a started server, and the package installed into another project.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { hasCommand, repoRoot, shoalBin, spawnShoal } from '../helpers/servers.js';

function shoal(...args: string[]) {
  return spawnSync(process.execPath, [shoalBin, ...args], { encoding: 'utf8', cwd: repoRoot });
}

describe('shoal command', { timeout: 120_000 }, () => {
  it('explains itself', () => {
    const help = shoal('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /serve/);
    const serveHelp = shoal('serve', '--help');
    assert.equal(serveHelp.status, 0);
    for (const option of [
      '--port',
      '--bind',
      '--dir',
      '--appendonly',
      '--appendfsync',
      '--requirepass',
      '--maxmemory',
      '--maxmemory-policy',
      '--databases',
      '--config',
    ]) {
      assert.ok(serveHelp.stdout.includes(option), `serve --help mentions ${option}`);
    }
  });

  it('rejects unknown options and bad values clearly', () => {
    const unknown = shoal('serve', '--no-such-option', '1');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no-such-option/);
    const bad = shoal('serve', '--maxmemory', 'lots');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /maxmemory/);
    const badEnum = shoal('serve', '--appendfsync', 'sometimes');
    assert.equal(badEnum.status, 2);
  });

  it('reads a config file, with flags overriding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-cli-'));
    const file = join(dir, 'shoal.conf');
    writeFileSync(
      file,
      '# a Redis-style file\ndatabases 4\nmaxmemory 2gb\nmaxmemory-policy allkeys-lru\nsave 900 1\nsave 300 10\n',
    );
    const server = await spawnShoal([
      '--config',
      file,
      '--maxmemory',
      '100mb',
      '--dir',
      dir,
      '--appendonly',
      'no',
    ]);
    const client = new Redis({ port: server.port, lazyConnect: true });
    try {
      await client.connect();
      assert.deepEqual(await client.config('GET', 'databases'), ['databases', '4']);
      assert.deepEqual(await client.config('GET', 'maxmemory'), [
        'maxmemory',
        String(100 * 1024 * 1024),
      ]);
      assert.deepEqual(await client.config('GET', 'maxmemory-policy'), [
        'maxmemory-policy',
        'allkeys-lru',
      ]);
      assert.deepEqual(await client.config('GET', 'save'), ['save', '900 1 300 10']);
      await assert.rejects(client.select(4), /DB index is out of range/);
    } finally {
      client.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works with redis-cli', async (t) => {
    if (!hasCommand('redis-cli')) return t.skip('redis-cli is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'shoal-cli-'));
    const server = await spawnShoal(['--dir', dir, '--appendonly', 'no']);
    try {
      const cli = (...args: string[]) =>
        execFileSync('redis-cli', ['-p', String(server.port), ...args], { encoding: 'utf8' });
      assert.equal(cli('SET', 'greeting', 'hello world').trim(), 'OK');
      assert.equal(cli('GET', 'greeting').trim(), 'hello world');
      assert.equal(cli('INCRBY', 'n', '5').trim(), '5');
      assert.equal(cli('--no-raw', 'GET', 'missing').trim(), '(nil)');
      assert.match(cli('INFO', 'server'), /redis_version:/);
      const piped = execFileSync('redis-cli', ['-p', String(server.port), '--pipe'], {
        input: Array.from({ length: 1000 }, (_, i) => `SET pipe:${i} ${i}\r\n`).join(''),
        encoding: 'utf8',
      });
      assert.match(piped, /errors: 0, replies: 1000/);
      assert.equal(cli('DBSIZE').trim(), '1002');
      assert.equal(cli('SHUTDOWN', 'NOSAVE').trim(), '');
      await new Promise<void>((resolve) =>
        server.process.exitCode !== null ? resolve() : server.process.once('exit', () => resolve()),
      );
      assert.equal(server.process.exitCode, 0);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm start passes flags through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-cli-'));
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { spawn } = await import('node:child_process');
    const child = spawn(
      npm,
      ['start', '--silent', '--', '--port', '0', '--dir', dir, '--appendonly', 'no'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const { waitFor } = await import('../helpers/servers.js');
      const match = await waitFor(
        () =>
          /Ready to accept connections tcp on .* port (\d+)/.exec(output) ??
          (child.exitCode !== null ? null : undefined),
        'npm start to listen',
        90_000,
      );
      assert.ok(match !== null, `npm start exited early:\n${output}`);
      const client = new Redis({ port: Number(match[1]), lazyConnect: true });
      await client.connect();
      assert.equal(await client.ping(), 'PONG');
      client.disconnect();
    } finally {
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
      );
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('installs into another project and imports as "shoal"', () => {
    const project = mkdtempSync(join(tmpdir(), 'shoal-dependent-'));
    try {
      const packed = execFileSync(
        'npm',
        ['pack', '--silent', '--ignore-scripts', '--pack-destination', project],
        { cwd: repoRoot, encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .pop() as string;
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'dependent', version: '1.0.0', type: 'module' }),
      );
      execFileSync(
        'npm',
        ['install', '--offline', '--no-audit', '--no-fund', '--silent', join(project, packed)],
        { cwd: project },
      );
      writeFileSync(
        join(project, 'main.js'),
        "import { open } from 'shoal';\nconst db = await open();\nawait db.set('k', 'v');\nconsole.log(await db.get('k'));\nawait db.close();\n",
      );
      const out = execFileSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8' });
      assert.equal(out.trim(), 'v');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
