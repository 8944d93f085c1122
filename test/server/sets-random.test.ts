// SPOP's and SRANDMEMBER's random replies next to redis-server's: same shape (set or array
// replies, lengths), and only members the set holds. Integer and string sets, small and large
// (random index), every count case: one, distinct, most of the set (SPOP's rebuild), repeated.

import { describeRandomShapes, type RandomScenario } from '../helpers/random-shapes.js';

const random = (): string[][] => [
  ['SRANDMEMBER', 's'],
  ['SRANDMEMBER', 's', '1'],
  ['SRANDMEMBER', 's', '3'],
  ['SRANDMEMBER', 's', '-1'],
  ['SRANDMEMBER', 's', '-12'],
  ['SPOP', 's'],
  ['SPOP', 's', '1'],
  ['SPOP', 's', '3'],
];

function scenario(members: string[], resp3: boolean, extra: string[][] = []): RandomScenario {
  return {
    setup: [...(resp3 ? [['HELLO', '3']] : []), ['SADD', 's', ...members]],
    reference: ['SMEMBERS', 's'],
    random: [...random(), ...extra],
  };
}

const ints = ['5', '1', '9', '3', '7'];
const words = ['apple', 'pear', 'fig', 'plum', 'kiwi'];
const many = Array.from({ length: 400 }, (_, i) => `member${i}`);
const mostOfMany = [
  ['SPOP', 's', '390'],
  ['SRANDMEMBER', 's', '390'],
  ['SRANDMEMBER', 's', '100'],
];

describeRandomShapes('SPOP and SRANDMEMBER reply shapes match redis-server', {
  'integer set, RESP2': scenario(ints, false),
  'string set, RESP2': scenario(words, false),
  'large set, RESP2': scenario(many, false, mostOfMany),
  'integer set, RESP3': scenario(ints, true),
  'large set, RESP3': scenario(many, true, mostOfMany),
});
