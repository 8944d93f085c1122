import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ReplyEncoder, formatDouble, sharedReplies } from '../../src/resp/encoder.js';
import {
  Push,
  ReplyError,
  ReplyParser,
  VerbatimString,
  parseReplies,
  type Reply,
} from '../../src/resp/reply-reader.js';

function encode(protocol: 2 | 3, write: (encoder: ReplyEncoder) => void): string {
  const encoder = new ReplyEncoder(64);
  encoder.protocol = protocol;
  write(encoder);
  return encoder.take().latin1Slice();
}

// [name, writer, RESP2 bytes, RESP3 bytes]
const golden: [string, (e: ReplyEncoder) => void, string, string][] = [
  ['ok', (e) => e.ok(), '+OK\r\n', '+OK\r\n'],
  ['simple', (e) => e.simple('PONG'), '+PONG\r\n', '+PONG\r\n'],
  ['simple with CRLF', (e) => e.simple('a\r\nb'), '+a  b\r\n', '+a  b\r\n'],
  [
    'error',
    (e) => e.error('ERR unknown command'),
    '-ERR unknown command\r\n',
    '-ERR unknown command\r\n',
  ],
  [
    'error with newline',
    (e) => e.error('ERR bad\nthing\r'),
    '-ERR bad thing \r\n',
    '-ERR bad thing \r\n',
  ],
  ['int 0', (e) => e.int(0), ':0\r\n', ':0\r\n'],
  ['int 1', (e) => e.int(1), ':1\r\n', ':1\r\n'],
  ['int 7', (e) => e.int(7), ':7\r\n', ':7\r\n'],
  ['int 1234567890', (e) => e.int(1234567890), ':1234567890\r\n', ':1234567890\r\n'],
  ['int -42', (e) => e.int(-42), ':-42\r\n', ':-42\r\n'],
  [
    'int 2^53+1 bigint',
    (e) => e.int(9007199254740993n),
    ':9007199254740993\r\n',
    ':9007199254740993\r\n',
  ],
  [
    'int64 min',
    (e) => e.int(-(2n ** 63n)),
    ':-9223372036854775808\r\n',
    ':-9223372036854775808\r\n',
  ],
  ['bulk', (e) => e.bulk('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
  ['empty bulk', (e) => e.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
  [
    'binary bulk',
    (e) => e.bulk('\x00\xff\r\n'),
    '$4\r\n\x00\xff\r\n\r\n',
    '$4\r\n\x00\xff\r\n\r\n',
  ],
  [
    'long bulk',
    (e) => e.bulk('x'.repeat(30)),
    `$30\r\n${'x'.repeat(30)}\r\n`,
    `$30\r\n${'x'.repeat(30)}\r\n`,
  ],
  [
    'Buffer bulk',
    (e) => e.bulk(Buffer.from([1, 2, 3])),
    '$3\r\n\x01\x02\x03\r\n',
    '$3\r\n\x01\x02\x03\r\n',
  ],
  ['nil', (e) => e.nil(), '$-1\r\n', '_\r\n'],
  ['nilArray', (e) => e.nilArray(), '*-1\r\n', '_\r\n'],
  ['array', (e) => e.array(2), '*2\r\n', '*2\r\n'],
  ['empty array', (e) => e.array(0), '*0\r\n', '*0\r\n'],
  ['big array header', (e) => e.array(1000000), '*1000000\r\n', '*1000000\r\n'],
  ['map', (e) => e.map(2), '*4\r\n', '%2\r\n'],
  ['set', (e) => e.set(3), '*3\r\n', '~3\r\n'],
  ['push', (e) => e.push(3), '*3\r\n', '>3\r\n'],
  ['double 1.5', (e) => e.double(1.5), '$3\r\n1.5\r\n', ',1.5\r\n'],
  ['double integer', (e) => e.double(10), '$2\r\n10\r\n', ',10\r\n'],
  ['double inf', (e) => e.double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
  ['double -inf', (e) => e.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['double nan', (e) => e.double(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
  ['bool true', (e) => e.bool(true), ':1\r\n', '#t\r\n'],
  ['bool false', (e) => e.bool(false), ':0\r\n', '#f\r\n'],
  ['verbatim', (e) => e.verbatim('hi there'), '$8\r\nhi there\r\n', '=12\r\ntxt:hi there\r\n'],
  ['verbatim mkd', (e) => e.verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
  [
    'big number',
    (e) => e.bigNumber('123456789012345678901234567890'),
    '$30\r\n123456789012345678901234567890\r\n',
    '(123456789012345678901234567890\r\n',
  ],
  ['raw', (e) => e.raw(sharedReplies.queued), '+QUEUED\r\n', '+QUEUED\r\n'],
];

describe('ReplyEncoder: golden bytes', () => {
  for (const [name, write, resp2, resp3] of golden) {
    it(name, () => {
      assert.equal(encode(2, write), resp2, 'RESP2');
      assert.equal(encode(3, write), resp3, 'RESP3');
    });
  }
});

describe('formatDouble (Redis 7.2 d2string / fpconv_dtoa)', () => {
  const table: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-3, '-3'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [-0.25, '-0.25'],
    [1 / 3, '0.3333333333333333'],
    [3.14159, '3.14159'],
    [0.000001, '0.000001'],
    [0.0000015, '1.5e-6'],
    [1e-7, '1e-7'],
    [1.2345678e-5, '1.2345678e-5'],
    [1234.5678901, '1234.5678901'],
    [12345678.9, '12345678.9'],
    [2 ** 53, '9007199254740992'],
    [2 ** 62, '4611686018427387904'],
    [2 ** 63, '9223372036854776000'],
    [5e18, '5e+18'],
    [1e20, '1e+20'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [-2.5e-300, '-2.5e-300'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [value, text] of table) {
    it(`${value} -> ${text}`, () => assert.equal(formatDouble(value), text));
  }

  it('reads back as the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        assert.ok(Object.is(Number(formatDouble(value)), value), formatDouble(value));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('ReplyEncoder: buffer handling', () => {
  it('keeps taken bytes intact while later writes grow and reuse the buffer', () => {
    const encoder = new ReplyEncoder(64);
    encoder.bulk('first');
    const first = encoder.take();
    const firstCopy = Buffer.from(first);
    for (let round = 0; round < 50; round++) {
      encoder.bulk('y'.repeat(round * 7));
      encoder.int(round);
      if (round % 3 === 0) encoder.take();
    }
    encoder.take();
    encoder.bulk('z'.repeat(10_000));
    const big = encoder.take();
    encoder.ok();
    assert.deepEqual(first, firstCopy);
    assert.equal(big.latin1Slice(0, 8), '$10000\r\n');
    assert.equal(encoder.take().latin1Slice(), '+OK\r\n');
    assert.equal(encoder.length, 0);
    assert.equal(encoder.take().length, 0);
  });

  it('mark and rewind discard a partial reply', () => {
    const encoder = new ReplyEncoder(64);
    encoder.ok();
    const mark = encoder.mark();
    encoder.array(2);
    encoder.bulk('x'.repeat(500)); // forces growth after the mark
    encoder.rewind(mark);
    encoder.error('ERR nope');
    assert.equal(encoder.take().latin1Slice(), '+OK\r\n-ERR nope\r\n');
    assert.throws(() => encoder.rewind(1), RangeError);
  });

  it('reports length', () => {
    const encoder = new ReplyEncoder();
    encoder.bulk('abc');
    assert.equal(encoder.length, 9);
  });
});

// ---- Round trip: encoder -> reply reader ----

type Node =
  | { kind: 'simple'; value: string }
  | { kind: 'error'; value: string }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'bulk'; value: string }
  | { kind: 'nil' }
  | { kind: 'nilArray' }
  | { kind: 'double'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'verbatim'; value: string }
  | { kind: 'bigNumber'; value: bigint }
  | { kind: 'array'; items: Node[] }
  | { kind: 'map'; entries: [string, Node][] }
  | { kind: 'set'; items: string[] }
  | { kind: 'push'; items: Node[] };

const latin1 = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes).latin1Slice(0, bytes.length));
const lineText = latin1(20).map((text) => text.replace(/[\r\n]/g, '_'));

const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    lineText.map((value): Node => ({ kind: 'simple', value })),
    lineText.map((value): Node => ({ kind: 'error', value: 'ERR ' + value })),
    fc
      .oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
      .map((value): Node => ({ kind: 'int', value })),
    fc.oneof(latin1(30), latin1(3000)).map((value): Node => ({ kind: 'bulk', value })),
    fc.constant<Node>({ kind: 'nil' }),
    fc.constant<Node>({ kind: 'nilArray' }),
    fc.double().map((value): Node => ({ kind: 'double', value })),
    fc.boolean().map((value): Node => ({ kind: 'bool', value })),
    latin1(40).map((value): Node => ({ kind: 'verbatim', value })),
    fc.bigInt().map((value): Node => ({ kind: 'bigNumber', value })),
    fc.array(tie('node'), { maxLength: 5 }).map((items): Node => ({ kind: 'array', items })),
    fc
      .uniqueArray(fc.tuple(latin1(8), tie('node')), { maxLength: 4, selector: ([key]) => key })
      .map((entries): Node => ({ kind: 'map', entries })),
    fc.uniqueArray(latin1(8), { maxLength: 5 }).map((items): Node => ({ kind: 'set', items })),
    fc.array(tie('node'), { maxLength: 3 }).map((items): Node => ({ kind: 'push', items })),
  ),
}));

function write(encoder: ReplyEncoder, tree: Node): void {
  switch (tree.kind) {
    case 'simple':
      return encoder.simple(tree.value);
    case 'error':
      return encoder.error(tree.value);
    case 'int':
      return encoder.int(tree.value);
    case 'bulk':
      return encoder.bulk(tree.value);
    case 'nil':
      return encoder.nil();
    case 'nilArray':
      return encoder.nilArray();
    case 'double':
      return encoder.double(tree.value);
    case 'bool':
      return encoder.bool(tree.value);
    case 'verbatim':
      return encoder.verbatim(tree.value);
    case 'bigNumber':
      return encoder.bigNumber(tree.value.toString());
    case 'array':
      encoder.array(tree.items.length);
      for (const item of tree.items) write(encoder, item);
      return;
    case 'map':
      encoder.map(tree.entries.length);
      for (const [key, value] of tree.entries) {
        encoder.bulk(key);
        write(encoder, value);
      }
      return;
    case 'set':
      encoder.set(tree.items.length);
      for (const item of tree.items) encoder.bulk(item);
      return;
    case 'push':
      encoder.push(tree.items.length);
      for (const item of tree.items) write(encoder, item);
      return;
  }
}

function expected(tree: Node, protocol: 2 | 3): Reply {
  const resp3 = protocol === 3;
  switch (tree.kind) {
    case 'simple':
    case 'bulk':
      return tree.value;
    case 'error':
      return new ReplyError(tree.value);
    case 'int':
      return Number.isSafeInteger(Number(tree.value)) ? Number(tree.value) : BigInt(tree.value);
    case 'nil':
      return null;
    case 'nilArray':
      return null;
    case 'double':
      // The text reads back as the same double (inf, -inf and nan included).
      return resp3 ? tree.value : formatDouble(tree.value);
    case 'bool':
      return resp3 ? tree.value : tree.value ? 1 : 0;
    case 'verbatim':
      return resp3 ? new VerbatimString('txt', tree.value) : tree.value;
    case 'bigNumber':
      return resp3 ? tree.value : tree.value.toString();
    case 'array':
      return tree.items.map((item) => expected(item, protocol));
    case 'map':
      return resp3
        ? new Map(tree.entries.map(([key, value]) => [key, expected(value, protocol)]))
        : tree.entries.flatMap(([key, value]) => [key, expected(value, protocol)]);
    case 'set':
      return resp3 ? new Set(tree.items) : tree.items;
    case 'push': {
      const items = tree.items.map((item) => expected(item, protocol));
      return resp3 ? new Push(items) : items;
    }
  }
}

describe('ReplyEncoder -> ReplyParser round trip', () => {
  for (const protocol of [2, 3] as const) {
    it(`RESP${protocol}, whole and split`, () => {
      fc.assert(
        fc.property(
          fc.array(node, { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 1, max: 50 }),
          (trees, chunkBytes) => {
            const encoder = new ReplyEncoder(64);
            encoder.protocol = protocol;
            for (const tree of trees) write(encoder, tree);
            const bytes = encoder.take();
            const want = trees.map((tree) => expected(tree, protocol));
            assert.deepEqual(parseReplies(bytes), want);
            const parser = new ReplyParser();
            const got: Reply[] = [];
            for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
              parser.feed(bytes.subarray(offset, offset + chunkBytes));
              for (let reply = parser.next(); reply !== undefined; reply = parser.next()) {
                got.push(reply);
              }
            }
            assert.deepEqual(got, want);
            assert.equal(parser.pendingBytes, 0);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('ReplyParser details', () => {
  it('decodes attributes away, blob errors, big integers', () => {
    const bytes = Buffer.from(
      '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:1\r\n' +
        '!9\r\nERR x y z\r\n:99999999999999999999\r\n*-1\r\n',
      'latin1',
    );
    assert.deepEqual(parseReplies(bytes), [
      [1],
      new ReplyError('ERR x y z'),
      99999999999999999999n,
      null,
    ]);
  });

  it('gives the error code', () => {
    assert.equal(new ReplyError('WRONGTYPE Operation against a key').code, 'WRONGTYPE');
  });

  it('throws on an incomplete reply in parseReplies', () => {
    assert.throws(() => parseReplies(Buffer.from('*2\r\n:1\r\n')), /incomplete/);
  });
});
