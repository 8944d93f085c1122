// Test helpers: start a Shoal server in this process or as a child process, start a real
// redis-server for side-by-side checks, find free ports, and wait for conditions with deadlines.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '../../src/commands/config.js';
import { Logger } from '../../src/server/logger.js';
import { ShoalServer } from '../../src/server/server.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const shoalBin = join(repoRoot, 'bin', 'shoal');

export interface RunningServer {
  port: number;
  server: ShoalServer;
  stop(): Promise<void>;
}

/** A Shoal server in this process on a free port. */
export async function startShoal(settings: Record<string, string> = {}): Promise<RunningServer> {
  const config = new Config();
  const dir = mkdtempSync(join(tmpdir(), 'shoal-test-'));
  config.setMany(Object.entries({ port: '0', dir, appendonly: 'no', ...settings }), true);
  const server = new ShoalServer({ config, logger: new Logger('warning') });
  const { port } = await server.listen();
  return {
    port,
    server,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails at the deadline. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface ChildServer {
  port: number;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Waits for a child to print a line matching `pattern`; returns the match. */
async function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  output: () => string,
  timeoutMs = 15_000,
) {
  return waitFor(
    () => pattern.exec(output()) ?? (child.exitCode !== null ? new Error('exited') : undefined),
    `output ${pattern}`,
    timeoutMs,
  ).then((match) => {
    if (match instanceof Error) throw new Error(`process exited early: ${output()}`);
    return match;
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/**
 * `bin/shoal serve` as a child process on a free port (it prints the port it bound). By default
 * `SHOAL_HEAP=keep`: the child is the server itself, not bin/shoal's launcher with the server in
 * a grandchild, so a test's SIGKILL is a real kill -9 (killing the launcher makes the server
 * shut down cleanly).
 */
export async function spawnShoal(
  args: string[] = [],
  cwd = repoRoot,
  env: NodeJS.ProcessEnv = { ...process.env, SHOAL_HEAP: 'keep' },
): Promise<ChildServer> {
  const child = spawn(process.execPath, [shoalBin, 'serve', '--port', '0', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const output = () => text;
  const match = await waitForOutput(
    child,
    /Ready to accept connections tcp on .* port (\d+)/,
    output,
  );
  return { port: Number(match[1]), process: child, output, stop: () => stopChild(child) };
}

/**
 * A real redis-server with persistence off, for side-by-side checks; undefined if not installed.
 * `extraArgs` are passed on (e.g. ['--requirepass', 'secret'], ['--aclfile', path]).
 */
export async function spawnRedis(extraArgs: string[] = []): Promise<ChildServer | undefined> {
  if (!hasCommand('redis-server')) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const output = () => text;
  await waitForOutput(child, /Ready to accept connections/, output);
  return {
    port,
    process: child,
    output,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
