// `shoal group`: start a local Raft replica group of `shoal serve` processes, and talk to a
// group's members (RAFT STATUS / ADD-NODE / REMOVE-NODE / TRANSFER-LEADER) over RESP.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ReplyEncoder, ReplyError, ReplyParser, type Reply } from '../resp/index.js';
import { UsageError } from './config-file.js';

const shoalBin = fileURLToPath(new URL('../../../bin/shoal', import.meta.url));

export function groupHelp(): string {
  return [
    'Usage: shoal group <command> [options]',
    '',
    'Runs a local Raft replica group, or asks a member of a group about it or to change it.',
    '',
    'Commands:',
    '  start [--nodes 3] [--base-port 7001] [--dir ./group] [--bind 127.0.0.1]',
    '        [--election-timeout-ms MS]',
    '      Starts N nodes as child processes of `shoal serve`: node i listens for clients on',
    '      base-port+i-1 and for Raft on base-port+10000+i-1, keeps its data in DIR/node<i> and',
    '      its log in DIR/node<i>.log. Prints each address and the --peers string, waits for a',
    '      leader and names it, then runs until Ctrl-C or SIGTERM, which stops every node.',
    '  status [--host H] [--port P]',
    '      RAFT STATUS of the node at H:P (default 127.0.0.1:7001).',
    '  add ID HOST:PORT@RAFTPORT [--host H] [--port P]',
    '      RAFT ADD-NODE: adds a member (start it with `shoal serve --join`); run by the leader',
    '      (a follower relays it).',
    '  remove ID [--host H] [--port P]',
    '      RAFT REMOVE-NODE: removes a member (it keeps running: stop it yourself).',
    '  transfer ID [--host H] [--port P]',
    '      RAFT TRANSFER-LEADER: asks the leader to hand leadership to member ID.',
    '',
    'status, add, remove and transfer print the reply and exit with 1 on an error reply.',
  ].join('\n');
}

type Write = (text: string) => void;

export async function group(
  args: string[],
  out: Write = (text) => process.stdout.write(text),
  err: Write = (text) => process.stderr.write(text),
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out(`${groupHelp()}\n`);
    return sub === undefined ? 1 : 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(`${groupHelp()}\n`);
    return 0;
  }
  switch (sub) {
    case 'start':
      return start(rest, out, err);
    case 'status':
    case 'add':
    case 'remove':
    case 'transfer':
      return ask(sub, rest, out, err);
    default:
      throw new UsageError(`unknown group command '${sub}' (start, status, add, remove, transfer)`);
  }
}

// ---- status, add, remove, transfer ----

const WANT_POSITIONALS = { status: 0, add: 2, remove: 1, transfer: 1 } as const;

async function ask(
  sub: keyof typeof WANT_POSITIONALS,
  args: string[],
  out: Write,
  err: Write,
): Promise<number> {
  const { values, positionals } = parse(args, {
    host: { type: 'string' },
    port: { type: 'string' },
  });
  const want = WANT_POSITIONALS[sub];
  if (positionals.length !== want) {
    const usage = { status: '', add: ' ID HOST:PORT@RAFTPORT', remove: ' ID', transfer: ' ID' };
    throw new UsageError(`usage: shoal group ${sub}${usage[sub]} [--host H] [--port P]`);
  }
  const host = values.host ?? '127.0.0.1';
  const port = portArg(values.port ?? '7001', '--port');
  const id = positionals[0];
  if (id !== undefined && !/^[1-9]\d*$/.test(id)) throw new UsageError(`bad node id '${id}'`);
  const argv =
    sub === 'status'
      ? ['RAFT', 'STATUS']
      : sub === 'add'
        ? ['RAFT', 'ADD-NODE', id as string, positionals[1] as string]
        : sub === 'remove'
          ? ['RAFT', 'REMOVE-NODE', id as string]
          : ['RAFT', 'TRANSFER-LEADER', id as string];
  let reply: Reply;
  try {
    reply = await call(host, port, argv, 10_000);
  } catch (error) {
    err(`shoal group ${sub}: ${host}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  if (reply instanceof ReplyError) {
    err(`(error) ${reply.message}\n`);
    return 1;
  }
  out(`${formatReply(reply)}\n`);
  return 0;
}

function formatReply(reply: Reply): string {
  if (typeof reply === 'string') return reply.replace(/\r\n/g, '\n').replace(/\n$/, '');
  if (reply === null) return '(nil)';
  if (Array.isArray(reply)) return reply.map(formatReply).join('\n');
  return String(reply);
}

/** One command on a fresh connection; resolves with its reply (a ReplyError included). */
export function call(
  host: string,
  port: number,
  argv: string[],
  timeoutMs: number,
): Promise<Reply> {
  const encoder = new ReplyEncoder(256);
  encoder.array(argv.length);
  for (const arg of argv) encoder.bulk(arg);
  const request = Buffer.from(encoder.take());
  return new Promise((resolvePromise, reject) => {
    const parser = new ReplyParser();
    const socket = connect({ host, port });
    let settled = false;
    const finish = (error: Error | undefined, reply?: Reply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolvePromise(reply as Reply);
    };
    const timer = setTimeout(() => finish(new Error(`no reply in ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
        const reply = parser.next();
        if (reply !== undefined) finish(undefined, reply);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed before a reply')));
  });
}

// ---- start ----

interface GroupNode {
  id: number;
  clientPort: number;
  raftPort: number;
  child: ChildProcess;
  log: WriteStream;
  logPath: string;
  tail: string;
  exited: Promise<void>;
  running: boolean;
}

async function start(args: string[], out: Write, err: Write): Promise<number> {
  const { values, positionals } = parse(args, {
    nodes: { type: 'string' },
    'base-port': { type: 'string' },
    dir: { type: 'string' },
    bind: { type: 'string' },
    'election-timeout-ms': { type: 'string' },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  const count = Number(values.nodes ?? '3');
  if (!Number.isSafeInteger(count) || count < 1 || count > 99) {
    throw new UsageError(`bad --nodes '${values.nodes ?? ''}' (1 to 99)`);
  }
  const base = portArg(values['base-port'] ?? '7001', '--base-port');
  const lastRaftPort = base + 10_000 + count - 1;
  if (lastRaftPort > 65_535) {
    throw new UsageError(
      `--base-port ${base} with ${count} nodes needs Raft port ${lastRaftPort}, above 65535`,
    );
  }
  const timeout = values['election-timeout-ms'];
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new UsageError(`bad --election-timeout-ms '${timeout}'`);
  }
  const dir = resolve(values.dir ?? './group');
  const bind = values.bind ?? '127.0.0.1';
  // Members reach each other at this address; a wildcard bind is reached on loopback.
  const host = bind === '0.0.0.0' || bind === '::' || bind === '*' ? '127.0.0.1' : bind;
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const peers = ids
    .map((id) => `${id}=${host}:${base + id - 1}@${base + 10_000 + id - 1}`)
    .join(',');
  mkdirSync(dir, { recursive: true });

  const nodes: GroupNode[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const node of nodes) if (node.running) node.child.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const node of nodes) if (node.running) node.child.kill('SIGKILL');
    }, 15_000);
    await Promise.all(nodes.map((node) => node.exited));
    clearTimeout(killer);
    await Promise.all(nodes.map((node) => new Promise<void>((done) => node.log.end(() => done()))));
  };
  // A last resort if this process ends some other way: no node is left behind.
  const onExit = (): void => {
    for (const node of nodes) if (node.running) node.child.kill('SIGTERM');
  };
  process.on('exit', onExit);

  let signalled: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((done) => (signalled = done));
  const onSignal = (name: NodeJS.Signals): void => signalled(name);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    for (const id of ids) {
      const nodeDir = join(dir, `node${id}`);
      const serveArgs = [
        shoalBin,
        'serve',
        '--port',
        String(base + id - 1),
        '--bind',
        bind,
        '--dir',
        nodeDir,
        '--node-id',
        String(id),
        '--peers',
        peers,
        ...(timeout !== undefined ? ['--election-timeout-ms', timeout] : []),
      ];
      mkdirSync(nodeDir, { recursive: true });
      // Its own process group: a terminal's Ctrl-C reaches only us, and we stop each node once.
      const child = spawn(process.execPath, serveArgs, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const logPath = join(dir, `node${id}.log`);
      const node: GroupNode = {
        id,
        clientPort: base + id - 1,
        raftPort: base + 10_000 + id - 1,
        child,
        log: createWriteStream(logPath, { flags: 'a' }),
        logPath,
        tail: '',
        running: true,
        exited: new Promise((done) => {
          child.once('exit', (code, sig) => {
            node.running = false;
            if (!stopping) {
              err(
                `node ${id} exited (${sig ?? `code ${String(code)}`}); its log ends:\n${node.tail}\n`,
              );
            }
            done();
          });
        }),
      };
      const keep = (chunk: Buffer): void => {
        node.log.write(chunk);
        node.tail = (node.tail + chunk.toString()).slice(-2000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      nodes.push(node);
      out(
        `node ${id}: ${host}:${node.clientPort} (raft ${node.raftPort}) pid ${String(child.pid)} dir ${nodeDir} log ${logPath}\n`,
      );
    }
    out(`peers: ${peers}\n`);

    const leader = await Promise.race([waitForLeader(nodes, host, 60_000), signal]);
    if (typeof leader === 'number') {
      const node = nodes[leader - 1];
      out(`leader: node ${leader} at ${host}:${String(node?.clientPort)}\n`);
      out('group running; Ctrl-C (or SIGTERM) stops every node\n');
      const name = await signal;
      out(`${name}: stopping ${count} nodes\n`);
    } else {
      out(`${leader}: stopping ${count} nodes\n`);
    }
    await stopAll();
    out('all nodes stopped\n');
    return 0;
  } catch (error) {
    err(`shoal group start: ${(error as Error).message}\n`);
    await stopAll();
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

/** Polls RAFT STATUS on every running node until one names a serving leader; returns its id. */
async function waitForLeader(nodes: GroupNode[], host: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (nodes.every((node) => !node.running)) throw new Error('every node exited');
    for (const node of nodes) {
      if (!node.running) continue;
      const reply = await call(host, node.clientPort, ['RAFT', 'STATUS'], 1000).catch(
        () => undefined,
      );
      if (typeof reply !== 'string') continue;
      const fields = new Map(
        reply
          .split('\r\n')
          .filter((line) => line.includes(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
      );
      // The leader itself says when it serves (its first entry of the term has committed).
      if (fields.get('role') === 'leader' && fields.get('serving') === 'yes') return node.id;
    }
    if (Date.now() > deadline) throw new Error(`no leader elected within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

// ---- arguments ----

function parse<T extends Record<string, { type: 'string' }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function portArg(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
    throw new UsageError(`bad ${flag} '${text}' (1 to 65535)`);
  }
  return port;
}
