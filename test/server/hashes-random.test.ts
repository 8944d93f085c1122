// HRANDFIELD's random replies next to redis-server's: same shape (types, lengths, RESP3 nesting
// of WITHVALUES), and only fields and values the hash holds. Small (listpack) and large
// (hashtable, random index) hashes, every count case: one, distinct, all, repeated.

import { describeRandomShapes } from '../helpers/random-shapes.js';

const large = Array.from({ length: 300 }, (_, i) => [`field${i}`, `value${i}`]).flat();
const lines = (resp: string): string[][] => [
  ['HELLO', resp],
  ['HRANDFIELD', 'h'],
  ['HRANDFIELD', 'h', '1'],
  ['HRANDFIELD', 'h', '2'],
  ['HRANDFIELD', 'h', '-1'],
  ['HRANDFIELD', 'h', '-9'],
  ['HRANDFIELD', 'h', '2', 'WITHVALUES'],
  ['HRANDFIELD', 'h', '-9', 'WITHVALUES'],
  ['HRANDFIELD', 'h', '1', 'WITHVALUES'],
];

describeRandomShapes('HRANDFIELD reply shapes match redis-server', {
  'small hash, RESP2': {
    setup: [['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4']],
    reference: ['HGETALL', 'h'],
    random: lines('2').slice(1),
  },
  'large hash, RESP2': {
    setup: [['HSET', 'h', ...large]],
    reference: ['HGETALL', 'h'],
    random: [
      ...lines('2').slice(1),
      ['HRANDFIELD', 'h', '100'],
      ['HRANDFIELD', 'h', '250', 'WITHVALUES'],
    ],
  },
  'small hash, RESP3': {
    setup: [
      ['HELLO', '3'],
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4'],
    ],
    reference: ['HGETALL', 'h'],
    random: lines('3').slice(1),
  },
  'large hash, RESP3': {
    setup: [
      ['HELLO', '3'],
      ['HSET', 'h', ...large],
    ],
    reference: ['HGETALL', 'h'],
    random: [...lines('3').slice(1), ['HRANDFIELD', 'h', '250', 'WITHVALUES']],
  },
});
