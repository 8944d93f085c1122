// RESTORE's options, errors and keyspace notifications side by side with redis-server, and
// payloads in the older encodings Redis 7.0 still loads (ziplists, zipmaps, quicklist 1, plain
// lists and text-double sorted sets), built here byte by byte. Payloads go as binary arguments.

import { describeConformance, describeNotifications, type Script } from '../helpers/conformance.js';
import { crc64 } from '../../src/commands/dump/crc64.js';

const fromHex = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1');

/** Payloads Redis 7.0.15 produced (DUMP of SET s hello, RPUSH l a 1 b, SADD 1 2 3 …). */
const STRING = fromHex('000568656c6c6f0a006372df766534200a');
const LIST = fromHex('1201020f0f00000003008161020101816202ff0a009043a34ceb8e1b1c');
const INTSET = fromHex('0b0e02000000030000000100020003000a00a5025ce26d6e4d1b');
const HASH = fromHex('100d0d0000000200816602817602ff0a0020f13d442354089d');
const ZSET = fromHex('1114140000000400816d0283312e3504816e020201ff0a00f1b03a6d585f6938');

/** A payload: the body, then RDB version `version` and the CRC-64 of both. */
function payload(body: Buffer, version = 10): string {
  const withVersion = Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]);
  return Buffer.concat([withVersion, crc64(withVersion)]).toString('latin1');
}

/** An RDB string (lengths below 64). */
const rdbString = (text: string): Buffer =>
  Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]);

/** A ziplist of short strings and 0..12 integers (ziplist.c layout). */
function ziplist(elements: (string | number)[]): Buffer {
  const entries: Buffer[] = [];
  let previous = 0;
  let tail = 10;
  let offset = 10;
  for (const element of elements) {
    const body =
      typeof element === 'number'
        ? Buffer.from([0xf1 + element])
        : Buffer.concat([Buffer.from([element.length]), Buffer.from(element, 'latin1')]);
    const entry = Buffer.concat([Buffer.from([previous]), body]);
    tail = offset;
    offset += entry.length;
    previous = entry.length;
    entries.push(entry);
  }
  const header = Buffer.alloc(10);
  header.writeUInt32LE(offset + 1, 0);
  header.writeUInt32LE(tail, 4);
  header.writeUInt16LE(elements.length, 8);
  return Buffer.concat([header, ...entries, Buffer.from([0xff])]);
}

/** A ziplist as an RDB string value of the given type. */
const ziplistValue = (type: number, elements: (string | number)[]): string => {
  const blob = ziplist(elements);
  return payload(Buffer.concat([Buffer.from([type, blob.length]), blob]));
};

const zipmap = Buffer.from([
  2,
  ...[1, 0x66, 2, 0, 0x76, 0x31], // f → v1, no free bytes
  ...[2, 0x67, 0x67, 1, 1, 0x78, 0], // gg → x, one free byte
  255,
]);

const scenarios: Record<string, Script> = {
  'restore and its errors': [
    ['DUMP', 'nokey'],
    ['SET', 'k', 'v'],
    ['RESTORE', 'k', '0', STRING],
    ['RESTORE', 'k', '0', STRING, 'REPLACE'],
    ['GET', 'k'],
    ['RESTORE', 'k', '0', STRING, 'BOGUS'],
    ['RESTORE', 'k', '-1', STRING, 'REPLACE'],
    ['RESTORE', 'k', 'abc', STRING, 'REPLACE'],
    ['RESTORE', 'fresh', '-1', STRING],
    ['RESTORE', 'k', '-1', STRING],
    ['RESTORE', 'k', '0', 'x'],
    ['RESTORE', 'fresh', '0', 'x'],
    ['RESTORE', 'fresh', '0', 'abcdefghijkl'],
    ['RESTORE', 'fresh', '0', STRING.slice(0, -1) + 'x'],
    ['RESTORE', 'fresh', '0', payload(rdbString('new'), 11)],
    ['RESTORE', 'fresh', '0', payload(rdbString('old'), 6)],
    ['GET', 'fresh'],
    ['RESTORE', 'i', '0', STRING, 'IDLETIME', '-1'],
    ['RESTORE', 'i', '0', STRING, 'IDLETIME', 'abc'],
    ['RESTORE', 'i', '0', STRING, 'IDLETIME'],
    ['RESTORE', 'i', '0', STRING, 'FREQ', '256'],
    ['RESTORE', 'i', '0', STRING, 'FREQ', '-1'],
    ['RESTORE', 'i', '0', STRING, 'IDLETIME', '5', 'FREQ', '5'],
    ['RESTORE', 'i', '0', STRING, 'FREQ', '5', 'IDLETIME', '5'],
    ['RESTORE', 'i', '0', STRING, 'FREQ', '5', 'REPLACE', 'ABSTTL'],
    ['RESTORE', 'i', '0', STRING, 'replace', 'idletime', '100'],
    ['EXISTS', 'i'],
    ['RESTORE', 'k'],
    ['DUMP'],
    ['DUMP', 'k', 'x'],
  ],
  'restore times': [
    ['RESTORE', 't', '100000', STRING],
    ['TTL', 't'],
    ['RESTORE', 't2', '4102444800000', LIST, 'ABSTTL'],
    ['PEXPIRETIME', 't2'],
    ['RESTORE', 't3', '1', STRING, 'ABSTTL'],
    ['EXISTS', 't3'],
    ['SET', 't4', 'v'],
    ['RESTORE', 't4', '1', STRING, 'ABSTTL', 'REPLACE'],
    ['EXISTS', 't4'],
    ['RESTORE', 't5', '0', HASH, 'ABSTTL'],
    ['TTL', 't5'],
    ['SET', 't6', 'v', 'PX', '100000'],
    ['RESTORE', 't6', '0', ZSET, 'REPLACE'],
    ['TTL', 't6'],
    ['DBSIZE'],
  ],
  'restore values': [
    ['RESTORE', 'l', '0', LIST],
    ['LRANGE', 'l', '0', '-1'],
    ['RESTORE', 's', '0', INTSET],
    ['SMEMBERS', 's'],
    ['OBJECT', 'ENCODING', 's'],
    ['RESTORE', 'h', '0', HASH],
    ['HGETALL', 'h'],
    ['OBJECT', 'ENCODING', 'h'],
    ['RESTORE', 'z', '0', ZSET],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['OBJECT', 'ENCODING', 'z'],
  ],
  'LFU frequency': [
    ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
    ['RESTORE', 'f', '0', STRING, 'FREQ', '100'],
    ['OBJECT', 'FREQ', 'f'],
    ['RESTORE', 'g', '0', STRING, 'IDLETIME', '100'],
    ['OBJECT', 'FREQ', 'g'],
    ['RESTORE', 'h', '0', LIST, 'FREQ', '0'],
    ['OBJECT', 'FREQ', 'h'],
    ['OBJECT', 'IDLETIME', 'h'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
  ],
  'older encodings': [
    [
      'RESTORE',
      'list1',
      '0',
      payload(
        Buffer.concat([
          Buffer.from([1, 3]),
          rdbString('a'),
          rdbString('bb'),
          Buffer.from([0xc0, 0xfe]),
        ]),
      ),
    ],
    ['LRANGE', 'list1', '0', '-1'],
    ['RESTORE', 'ziplist', '0', ziplistValue(10, ['x', 3, 'yy', 12, 0])],
    ['LRANGE', 'ziplist', '0', '-1'],
    [
      'RESTORE',
      'quick1',
      '0',
      payload(
        Buffer.concat([
          Buffer.from([14, 2]),
          (() => {
            const z = ziplist(['p', 1]);
            return Buffer.concat([Buffer.from([z.length]), z]);
          })(),
          (() => {
            const z = ziplist(['q']);
            return Buffer.concat([Buffer.from([z.length]), z]);
          })(),
        ]),
      ),
    ],
    ['LRANGE', 'quick1', '0', '-1'],
    ['RESTORE', 'zipmap', '0', payload(Buffer.concat([Buffer.from([9, zipmap.length]), zipmap]))],
    { unordered: ['HGETALL', 'zipmap'] },
    ['OBJECT', 'ENCODING', 'zipmap'],
    ['RESTORE', 'hashzl', '0', ziplistValue(13, ['f', 'v', 'n', 7])],
    ['HGETALL', 'hashzl'],
    ['RESTORE', 'zsetzl', '0', ziplistValue(12, ['o', '-inf', 'm', '1.5', 'n', 2])],
    ['ZRANGE', 'zsetzl', '0', '-1', 'WITHSCORES'],
    ['OBJECT', 'ENCODING', 'zsetzl'],
    [
      'RESTORE',
      'zset1',
      '0',
      payload(
        Buffer.concat([
          Buffer.from([3, 2]),
          rdbString('a'),
          Buffer.from([3]),
          Buffer.from('2.5'),
          rdbString('b'),
          Buffer.from([254]),
        ]),
      ),
    ],
    ['ZRANGE', 'zset1', '0', '-1', 'WITHSCORES'],
    [
      'RESTORE',
      'zset2',
      '0',
      payload(
        Buffer.concat([
          Buffer.from([5, 1]),
          rdbString('m'),
          Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]),
        ]),
      ),
    ],
    ['ZRANGE', 'zset2', '0', '-1', 'WITHSCORES'],
    [
      'RESTORE',
      'hash',
      '0',
      payload(Buffer.concat([Buffer.from([4, 1]), rdbString('f'), rdbString('v')])),
    ],
    ['HGETALL', 'hash'],
    ['OBJECT', 'ENCODING', 'hash'],
    [
      'RESTORE',
      'set',
      '0',
      payload(Buffer.concat([Buffer.from([2, 2]), rdbString('1'), rdbString('22')])),
    ],
    { unordered: ['SMEMBERS', 'set'] },
    ['OBJECT', 'ENCODING', 'set'],
    ['RESTORE', 'lzf', '0', payload(Buffer.from('00c3090a04610000e00100', 'hex'))],
    ['GET', 'lzf'],
  ],
  // Not compared: a plain hash (type 4) naming a field twice, which Redis 7.0 loads into a
  // listpack holding the field twice, and Shoal refuses as bad data.
  'bad data': [
    ['RESTORE', 'b', '0', payload(Buffer.from([1, 0]))],
    [
      'RESTORE',
      'b',
      '0',
      payload(Buffer.concat([Buffer.from([2, 2]), rdbString('a'), rdbString('a')])),
    ],
    [
      'RESTORE',
      'b',
      '0',
      payload(Buffer.concat([Buffer.from([3, 1]), rdbString('a'), Buffer.from([253])])),
    ],
    ['RESTORE', 'b', '0', payload(Buffer.from([19, 0]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([15, 0]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([6, 0]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([30, 0]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([0, 10, 0x61]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([0xc3]))],
    ['RESTORE', 'b', '0', payload(Buffer.from([1, 5, 1, 0x61]))],
    ['EXISTS', 'b'],
  ],
};

describeConformance('DUMP and RESTORE, against redis-server', scenarios);

describeNotifications('RESTORE notifications, against redis-server', {
  restore: [
    ['RESTORE', 'k', '0', STRING],
    ['RESTORE', 'k', '0', LIST, 'REPLACE'],
    ['SET', 'e', 'v'],
    ['RESTORE', 'e', '1', STRING, 'ABSTTL', 'REPLACE'],
    ['RESTORE', 'n', '1', STRING, 'ABSTTL'],
    ['RESTORE', 't', '100000', HASH],
    ['RESTORE', 't', '0', HASH],
  ],
});
