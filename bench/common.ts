// Helpers shared by the benchmarks: free ports, tool detection, waiting with deadlines, one RESP
// command on a fresh connection, loading through redis-cli --pipe, stopping child processes, medians
// and percentiles.

import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call as callNode } from '../src/cli/group.js';
import { type Reply } from '../src/resp/reply-reader.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `parse()` (a parseArgs call) with --help and bad options answered from the script's own header
 * comment (the lines starting with // at the top of the file at `scriptUrl`): usage on stdout and
 * exit 0 for --help, the error and usage on stderr and exit 2 for an unknown or malformed option.
 */
export function parseOrUsage<T>(scriptUrl: string, parse: () => T): T {
  const usage = (): string =>
    readFileSync(fileURLToPath(scriptUrl), 'utf8')
      .split('\n')
      .filter((line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('//')))
      .map((line) => line.replace(/^\/\/ ?/, ''))
      .join('\n');
  if (process.argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  try {
    return parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage()}\n`);
    process.exit(2);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns something other than undefined/false; throws at the deadline. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** One command on a fresh connection to 127.0.0.1:port; rejects on a closed connection. */
export function call(port: number, argv: string[], timeoutMs = 5000): Promise<Reply> {
  return callNode('127.0.0.1', port, argv, timeoutMs);
}

export async function waitForPing(port: number, deadlineMs = 20_000): Promise<void> {
  await waitFor(
    () =>
      call(port, ['PING'], 1000).then(
        (reply) => reply === 'PONG' || undefined,
        () => undefined,
      ),
    `PONG from port ${port}`,
    deadlineMs,
  );
}

const children = new Set<ChildProcess>();
const directories = new Set<string>();

/** A temporary directory that killChildrenOnExit() removes if the run is interrupted. */
export function temporaryDirectory(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  directories.add(dir);
  return dir;
}

/** Records a server process so that killChildrenOnExit() can stop it. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Kills every tracked process and removes the temporary directories when this one exits, also
 * on SIGINT/SIGTERM or a crash, so an interrupted benchmark (Ctrl-C, a test's timeout) leaves no
 * server running.
 */
export function killChildrenOnExit(): void {
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
}

/** Runs a command (tracked, so an interrupted run stops it too); resolves with its stdout. */
export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    track(
      execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
        error === null ? resolve(stdout) : reject(error),
      ),
    );
  });
}

/** SIGTERM (SIGKILL after 5 s), resolved once the process has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The nearest-rank percentile (0 < p <= 100) of `values`. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

function resp(argv: string[]): string {
  return `*${argv.length}\r\n${argv.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** Sends commands 0..count-1 (`command(i)`) to 127.0.0.1:`port` through redis-cli --pipe. */
export function pipeCommands(port: number, count: number, command: (i: number) => string[]): void {
  const chunk = 100_000;
  for (let start = 0; start < count; start += chunk) {
    let input = '';
    for (let i = start; i < Math.min(count, start + chunk); i++) input += resp(command(i));
    execFileSync('redis-cli', ['-p', String(port), '--pipe'], {
      input,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  }
}
