// Side by side with a real redis-server (skipped when none is on PATH): the same request bytes must
// give the same protocol error text, and inline lines must split into the same arguments.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ProtocolError, RequestParser } from '../../src/resp/parser.js';
import { ReplyParser, type Reply } from '../../src/resp/reply-reader.js';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

/** Sends bytes on a fresh connection; resolves with everything received before close or idle. */
function exchange(port: number, bytes: Buffer, idleMs = 300): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(received));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      arm();
    });
    socket.on('data', (data) => {
      received.push(data);
      arm();
    });
    socket.on('close', finish);
    socket.on('error', reject);
  });
}

function ourError(bytes: Buffer): string | null {
  const parser = new RequestParser();
  parser.feed(bytes);
  try {
    while (parser.next() !== null);
  } catch (error) {
    if (error instanceof ProtocolError) return error.message;
    throw error;
  }
  return null;
}

function replies(bytes: Buffer): Reply[] {
  const parser = new ReplyParser();
  parser.feed(bytes);
  const out: Reply[] = [];
  for (let reply = parser.next(); reply !== undefined; reply = parser.next()) out.push(reply);
  return out;
}

describe('side by side with redis-server', { skip: !haveRedis && 'no redis-server' }, () => {
  let redis: ChildProcess | undefined;
  let port = 0;

  before(async () => {
    port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const reply = await exchange(port, Buffer.from('PING\r\n'), 50);
        if (reply.latin1Slice() === '+PONG\r\n') return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not start');
  });

  after(() => {
    redis?.kill();
  });

  const errorInputs: [string, string][] = [
    ['bad count', '*abc\r\n'],
    ['leading zero count', '*01\r\n'],
    ['count -0', '*-0\r\n'],
    ['negative bulk length', '*1\r\n$-1\r\n'],
    ['bad bulk length', '*1\r\n$abc\r\n'],
    ['bulk over 512 MiB', '*1\r\n$536870913\r\n'],
    ["expected '$'", '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n'],
    ["expected '$' got CR", '*1\r\n\r\n'],
    ['skipped byte after CR', '*1\r$4\r\nPING\r\n'],
    ['too big mbulk count string', '*' + '1'.repeat(70_000)],
    ['too big bulk count string', '*1\r\n$' + '1'.repeat(70_000)],
    ['too big inline', 'x'.repeat(70_000)],
    ['unbalanced double quote', 'SET k "abc\r\n'],
    ['closing quote then letter', "SET k 'abc'd\r\n"],
  ];
  for (const [name, input] of errorInputs) {
    it(`error: ${name}`, async () => {
      const bytes = Buffer.from(input, 'latin1');
      const reply = (await exchange(port, bytes)).latin1Slice();
      const ours = ourError(bytes);
      assert.notEqual(ours, null);
      assert.equal(reply, `-ERR ${ours}\r\n`);
    });
  }

  const inlineArguments = [
    'a b   c',
    '"a b" \'c d\'',
    '"\\n\\r\\t\\b\\a\\\\\\"\\z\\x41\\x4g"',
    "'it\\'s' 'a\\nb' '' \"\"",
    'a"b c" x\'y z\'',
    '"a"\t"b"',
    'a\x0bb \xe9\xff',
  ];
  for (const line of inlineArguments) {
    it(`inline split: ${JSON.stringify(line)}`, async () => {
      const key = `argv:${Math.random()}`;
      const request = `RPUSH ${key} ${line}\r\n*4\r\n$6\r\nLRANGE\r\n$${key.length}\r\n${key}\r\n$1\r\n0\r\n$2\r\n-1\r\n`;
      const bytes = Buffer.from(request, 'latin1');
      const [, list] = replies(await exchange(port, bytes));
      const parser = new RequestParser();
      parser.feed(bytes);
      const argv = parser.next();
      assert.deepEqual(argv?.slice(2), list);
    });
  }

  it('skips *0, *-1 and empty lines', async () => {
    const bytes = Buffer.from('*0\r\n*-1\r\n\r\n   \r\nPING\r\n', 'latin1');
    assert.equal((await exchange(port, bytes)).latin1Slice(), '+PONG\r\n');
    const parser = new RequestParser();
    parser.feed(bytes);
    assert.deepEqual(parser.next(), ['PING']);
    assert.equal(parser.next(), null);
  });
});
