import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ProtocolError,
  RequestParser,
  defaultRequestLimits,
  splitInlineArguments,
  type RequestLimits,
} from '../../src/resp/parser.js';

interface Outcome {
  commands: string[][];
  error: string | null;
}

/** Feeds the chunks in order, draining commands after each, until the end or a ProtocolError. */
function parseChunks(chunks: Buffer[], limits?: Partial<RequestLimits>): Outcome {
  const parser = new RequestParser(limits);
  const commands: string[][] = [];
  try {
    for (const chunk of chunks) {
      parser.feed(chunk);
      for (let argv = parser.next(); argv !== null; argv = parser.next()) commands.push(argv);
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { commands, error: error.message };
  }
  return { commands, error: null };
}

function splitEvery(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, offset + size));
  }
  return chunks;
}

/** Whole, byte by byte, and (for short inputs) cut in two at every point: all must agree. */
function checkEverySplit(input: Buffer, expected: Outcome, limits?: Partial<RequestLimits>): void {
  assert.deepEqual(parseChunks([input], limits), expected, 'fed whole');
  assert.deepEqual(parseChunks(splitEvery(input, 1), limits), expected, 'fed byte by byte');
  if (input.length <= 4096) {
    for (let cut = 1; cut < input.length; cut++) {
      const chunks = [input.subarray(0, cut), input.subarray(cut)];
      assert.deepEqual(parseChunks(chunks, limits), expected, `cut at ${cut}`);
    }
  } else {
    for (const size of [7, 1000, 16 * 1024]) {
      assert.deepEqual(
        parseChunks(splitEvery(input, size), limits),
        expected,
        `${size}-byte chunks`,
      );
    }
  }
}

function multibulk(...argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
}

const allBytes = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join('');
const long = (n: number, c = 'a') => c.repeat(n);

interface Case {
  name: string;
  input: string; // latin1
  commands: string[][];
  error?: string;
  limits?: Partial<RequestLimits>;
}

const cases: Case[] = [
  // Multibulk
  { name: 'one command', input: multibulk('SET', 'k', 'v'), commands: [['SET', 'k', 'v']] },
  {
    name: 'pipeline',
    input: multibulk('SET', 'a', '1') + multibulk('GET', 'a') + multibulk('PING'),
    commands: [['SET', 'a', '1'], ['GET', 'a'], ['PING']],
  },
  {
    name: 'CRLF inside bulk data',
    input: multibulk('SET', 'k\r\n', '\r\n$3\r\n*1\r\n'),
    commands: [['SET', 'k\r\n', '\r\n$3\r\n*1\r\n']],
  },
  { name: 'every byte value', input: multibulk('SET', allBytes), commands: [['SET', allBytes]] },
  { name: 'empty bulk', input: multibulk('SET', 'k', ''), commands: [['SET', 'k', '']] },
  { name: '*0 is skipped', input: '*0\r\n' + multibulk('PING'), commands: [['PING']] },
  { name: '*-1 is skipped', input: '*-1\r\n' + multibulk('PING'), commands: [['PING']] },
  { name: '*-10 is skipped', input: '*-10\r\n*1\r\n$4\r\nPING\r\n', commands: [['PING']] },
  {
    name: 'bulk trailer bytes are skipped unchecked, as Redis does',
    input: '*1\r\n$4\r\nPINGxy*1\r\n$4\r\nECHO\r\n',
    commands: [['PING'], ['ECHO']],
  },
  {
    name: 'large bulk',
    input: multibulk('SET', 'k', long(100_000, 'x')),
    commands: [['SET', 'k', long(100_000, 'x')]],
  },
  {
    name: 'many arguments',
    input: multibulk('MSET', ...Array.from({ length: 300 }, (_, i) => `k${i}`)),
    commands: [['MSET', ...Array.from({ length: 300 }, (_, i) => `k${i}`)]],
  },
  // Inline
  { name: 'inline with CRLF', input: 'PING\r\n', commands: [['PING']] },
  { name: 'inline with LF only', input: 'PING\n', commands: [['PING']] },
  { name: 'inline spaces and tabs', input: '  set \t a   b  \r\n', commands: [['set', 'a', 'b']] },
  { name: 'empty inline line', input: '\r\n\n' + 'PING\r\n', commands: [['PING']] },
  { name: 'blank inline line', input: '   \t \r\nPING\r\n', commands: [['PING']] },
  {
    name: 'inline then multibulk then inline',
    input: 'PING\r\n' + multibulk('GET', 'x') + 'ECHO hi\n',
    commands: [['PING'], ['GET', 'x'], ['ECHO', 'hi']],
  },
  {
    name: 'double quotes with escapes',
    input: 'SET "a b" "\\n\\r\\t\\b\\a\\\\\\"\\z"\r\n',
    commands: [['SET', 'a b', '\n\r\t\b\x07\\"z']],
  },
  {
    name: 'hex escapes',
    input: 'SET k "\\x41\\x4a\\xff\\x00!"\r\n',
    commands: [['SET', 'k', 'AJ\xff\x00!']],
  },
  {
    name: 'bad hex escape is a plain x',
    input: 'SET k "\\x4g\\xZ1"\r\n',
    commands: [['SET', 'k', 'x4gxZ1']],
  },
  {
    name: "single quotes: only \\' is an escape",
    input: "SET 'it\\'s' 'a\\nb' ''\r\n",
    commands: [['SET', "it's", 'a\\nb', '']],
  },
  { name: 'empty double quotes', input: 'SET k ""\r\n', commands: [['SET', 'k', '']] },
  {
    name: 'quote opening mid-argument',
    input: 'SET a"b c" x\'y z\'\r\n',
    commands: [['SET', 'ab c', 'xy z']],
  },
  { name: 'closing quote then tab', input: 'SET "a"\t"b"\r\n', commands: [['SET', 'a', 'b']] },
  { name: 'CR inside an inline line splits', input: 'a\rb\n', commands: [['a', 'b']] },
  { name: 'vertical tab inside a word', input: 'a\x0bb\r\n', commands: [['a\x0bb']] },
  { name: 'NUL ends the inline line', input: 'PING\x00junk\r\n', commands: [['PING']] },
  {
    name: 'latin1 bytes inline',
    input: 'SET k \xe9\xff\r\n',
    commands: [['SET', 'k', '\xe9\xff']],
  },
  // Errors
  {
    name: 'bad multibulk count',
    input: '*abc\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'multibulk count with leading zero',
    input: '*01\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'multibulk count -0',
    input: '*-0\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'multibulk count with plus sign',
    input: '*+1\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'empty multibulk count',
    input: '*\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'multibulk count over the limit',
    input: '*1048577\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'multibulk count beyond 64 bits',
    input: '*-99999999999999999999\r\n',
    commands: [],
    error: 'Protocol error: invalid multibulk length',
  },
  {
    name: 'most negative 64-bit count is an empty command',
    input: '*-9223372036854775808\r\n' + multibulk('PING'),
    commands: [['PING']],
  },
  {
    name: 'negative bulk length',
    input: '*1\r\n$-1\r\n',
    commands: [],
    error: 'Protocol error: invalid bulk length',
  },
  {
    name: 'bulk length not a number',
    input: '*1\r\n$abc\r\n',
    commands: [],
    error: 'Protocol error: invalid bulk length',
  },
  {
    name: 'bulk length with leading zero',
    input: '*1\r\n$04\r\nPING\r\n',
    commands: [],
    error: 'Protocol error: invalid bulk length',
  },
  {
    name: 'bulk length over 512 MiB',
    input: '*1\r\n$536870913\r\n',
    commands: [],
    error: 'Protocol error: invalid bulk length',
  },
  {
    name: "expected '$'",
    input: multibulk('PING') + '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n',
    commands: [['PING']],
    error: "Protocol error: expected '$', got 'f'",
  },
  {
    name: "expected '$' on an empty line shows a space",
    input: '*1\r\n\r\n',
    commands: [],
    error: "Protocol error: expected '$', got ' '",
  },
  {
    name: 'byte after CR is skipped unchecked, as Redis does',
    input: '*1\r$4\r\nPING\r\n',
    commands: [],
    error: "Protocol error: expected '$', got '4'",
  },
  {
    name: 'too big mbulk count string',
    input: '*' + long(70_000, '1'),
    commands: [],
    error: 'Protocol error: too big mbulk count string',
  },
  {
    name: 'too big bulk count string',
    input: '*1\r\n$' + long(70_000, '1'),
    commands: [],
    error: 'Protocol error: too big bulk count string',
  },
  {
    name: 'too big inline request',
    input: 'PING\r\n' + long(70_000, 'x'),
    commands: [['PING']],
    error: 'Protocol error: too big inline request',
  },
  {
    name: 'too big inline request even when its newline is there',
    input: long(70_000, 'x') + '\r\n',
    commands: [],
    error: 'Protocol error: too big inline request',
  },
  {
    name: 'inline line of exactly 64 KiB is accepted',
    input: 'ECHO ' + long(65536 - 5, 'y') + '\n',
    commands: [['ECHO', long(65536 - 5, 'y')]],
  },
  {
    name: 'unterminated double quote',
    input: 'PING\r\nSET k "abc\r\n',
    commands: [['PING']],
    error: 'Protocol error: unbalanced quotes in request',
  },
  {
    name: 'unterminated single quote',
    input: "SET k 'abc\r\n",
    commands: [],
    error: 'Protocol error: unbalanced quotes in request',
  },
  {
    name: 'closing double quote followed by a letter',
    input: 'SET k "abc"d\r\n',
    commands: [],
    error: 'Protocol error: unbalanced quotes in request',
  },
  {
    name: 'closing single quote followed by a letter',
    input: "SET k 'abc'd\r\n",
    commands: [],
    error: 'Protocol error: unbalanced quotes in request',
  },
  {
    name: 'backslash at the end of a quoted argument',
    input: 'SET k "abc\\\r\n',
    commands: [],
    error: 'Protocol error: unbalanced quotes in request',
  },
  // Limits
  {
    name: 'maxMultibulkCount',
    input: multibulk('A', 'B') + multibulk('A', 'B', 'C'),
    commands: [['A', 'B']],
    error: 'Protocol error: invalid multibulk length',
    limits: { maxMultibulkCount: 2 },
  },
  {
    name: 'maxBulkBytes',
    input: multibulk('abc') + multibulk('abcd'),
    commands: [['abc']],
    error: 'Protocol error: invalid bulk length',
    limits: { maxBulkBytes: 3 },
  },
  {
    name: 'maxQueryBufferBytes',
    input: multibulk('SET', 'k', '1234') + multibulk('SET', 'k', '12345'),
    commands: [['SET', 'k', '1234']],
    error: 'Protocol error: client query buffer limit exceeded',
    limits: { maxQueryBufferBytes: 8 },
  },
];

describe('RequestParser: table of cases, fed whole, byte by byte and cut at every point', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const expected: Outcome = { commands: testCase.commands, error: testCase.error ?? null };
      checkEverySplit(Buffer.from(testCase.input, 'latin1'), expected, testCase.limits);
    });
  }
});

describe('RequestParser: state and limits', () => {
  it('has Redis defaults', () => {
    assert.deepEqual(defaultRequestLimits, {
      maxBulkBytes: 512 * 1024 * 1024,
      maxMultibulkCount: 1024 * 1024,
      maxQueryBufferBytes: 1024 * 1024 * 1024,
      unauthenticated: false,
    });
  });

  it('reads only small requests before authentication', () => {
    const tooMany = new RequestParser({ unauthenticated: true });
    tooMany.feed(Buffer.from('*11\r\n'));
    assert.throws(
      () => tooMany.next(),
      /^ProtocolError: Protocol error: unauthenticated multibulk length$/,
    );
    const tooBig = new RequestParser({ unauthenticated: true });
    tooBig.feed(Buffer.from('*1\r\n$16385\r\n'));
    assert.throws(
      () => tooBig.next(),
      /^ProtocolError: Protocol error: unauthenticated bulk length$/,
    );
    const fine = new RequestParser({ unauthenticated: true });
    fine.feed(Buffer.from('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n'));
    assert.deepEqual(fine.next(), ['AUTH', 'pw']);
  });

  it('is dead after a protocol error', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from('*x\r\n'));
    assert.throws(() => parser.next(), ProtocolError);
    parser.feed(Buffer.from(multibulk('PING')));
    assert.throws(() => parser.next(), /invalid multibulk length/);
  });

  it('applies setLimits at run time', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from(multibulk('abcd')));
    assert.deepEqual(parser.next(), ['abcd']);
    parser.setLimits({ maxBulkBytes: 3 });
    parser.feed(Buffer.from(multibulk('abcd')));
    assert.throws(() => parser.next(), /invalid bulk length/);
  });

  it('reports bufferedBytes for an incomplete command', () => {
    const parser = new RequestParser();
    assert.equal(parser.bufferedBytes, 0);
    parser.feed(Buffer.from('*2\r\n$5\r\nhel'));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, 3);
    parser.feed(Buffer.from('lo\r\n$5\r\nwo'));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, 7);
    parser.feed(Buffer.from('rld\r\n*1\r'));
    assert.deepEqual(parser.next(), ['hello', 'world']);
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, 3);
    parser.feed(Buffer.from('\n$4\r\nPING\r\n'));
    assert.deepEqual(parser.next(), ['PING']);
    assert.equal(parser.bufferedBytes, 0);
  });

  it('accepts several feeds before next()', () => {
    const parser = new RequestParser();
    const bytes = Buffer.from(multibulk('SET', 'key', 'value') + 'PING\r\n');
    for (const chunk of splitEvery(bytes, 5)) parser.feed(chunk);
    assert.equal(parser.bufferedBytes, bytes.length);
    assert.deepEqual(parser.next(), ['SET', 'key', 'value']);
    assert.deepEqual(parser.next(), ['PING']);
    assert.equal(parser.next(), null);
  });

  it('does not depend on the fed chunk staying untouched after its command was returned', () => {
    const parser = new RequestParser();
    const chunk = Buffer.from(multibulk('GET', 'abc'));
    parser.feed(chunk);
    const argv = parser.next();
    chunk.fill(0);
    assert.deepEqual(argv, ['GET', 'abc']);
  });
});

describe('splitInlineArguments (sdssplitargs)', () => {
  it('splits like Redis', () => {
    assert.deepEqual(splitInlineArguments(''), []);
    assert.deepEqual(splitInlineArguments('  '), []);
    assert.deepEqual(splitInlineArguments('a "b\\"c" \'d\''), ['a', 'b"c', 'd']);
    assert.equal(splitInlineArguments('"a'), null);
    assert.equal(splitInlineArguments('"a"b'), null);
  });
});

// Latin1 strings: mostly short, sometimes empty, sometimes large.
const latin1String = fc
  .oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 70_000 }) },
  )
  .map((bytes) => Buffer.from(bytes).latin1Slice(0, bytes.length));

describe('RequestParser: property', () => {
  it('returns exactly the encoded argv arrays wherever the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(latin1String, { minLength: 1, maxLength: 8 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (commands, cutSeeds) => {
          const bytes = Buffer.from(commands.map((argv) => multibulk(...argv)).join(''), 'latin1');
          const cuts = [...new Set(cutSeeds.map((seed) => seed % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let previous = 0;
          for (const cut of [...cuts, bytes.length]) {
            chunks.push(bytes.subarray(previous, cut));
            previous = cut;
          }
          assert.deepEqual(parseChunks(chunks), { commands, error: null });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws anything but ProtocolError on random bytes, and agrees with itself split', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom('*', '$', '\r\n', '\r', '\n', '"', "'", ' ', '\\', '-', '0', '1', '3'),
            fc.string({ maxLength: 4 }),
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (pieces, size) => {
          const bytes = Buffer.from(pieces.join(''), 'latin1');
          const whole = parseChunks([bytes]);
          assert.deepEqual(parseChunks(splitEvery(bytes, size)), whole);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
