// printf("%.17g") as glibc writes it, which Redis 7.0 uses for a listpack sorted set's scores in
// DUMP payloads: exact ties (an 18th significant digit of 5, nothing after it) round to even,
// where JavaScript's toExponential rounds up. Expected texts come from glibc (Python's '%.17g').

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatG17, scoreText } from '../../src/commands/dump/rdb-encode.js';

const GLIBC: [number, string][] = [
  [69048704219276.81, '69048704219276.812'],
  [-69048704219276.81, '-69048704219276.812'],
  [0.1, '0.10000000000000001'],
  [1 / 3, '0.33333333333333331'],
  [1e300, '1.0000000000000001e+300'],
  [5e-324, '4.9406564584124654e-324'],
  [9.999999999999999e22, '9.9999999999999992e+22'],
  [3.0517578125e-5, '3.0517578125e-05'],
  [7.450580596923828e-9, '7.4505805969238281e-09'],
  // Ties (doubles i / 2^k whose decimal expansion has 18 significant digits ending in 5).
  [823349558182145.4, '823349558182145.38'],
  [1730181638593982.8, '1730181638593982.8'],
  [13759605496991.312, '13759605496991.312'],
  [49635203347425.31, '49635203347425.312'],
  [2025843148301975.2, '2025843148301975.2'],
  [3267632347647.0312, '3267632347647.0312'],
  [952027119566456.9, '952027119566456.88'],
  [743890931249513.6, '743890931249513.62'],
  [1666432181844015.2, '1666432181844015.2'],
  [570667510002.8594, '570667510002.85938'],
  [34833944761085.938, '34833944761085.938'],
  [315487596688252.6, '315487596688252.62'],
];

test('%.17g as glibc writes it, exact ties to even', () => {
  for (const [value, text] of GLIBC) assert.equal(formatG17(value), text, String(value));
});

test("a listpack sorted set's score as Redis 7.0 stores it (double2ll, else %.17g)", () => {
  // Integral within ±LLONG_MAX/2: an integer (found by the random DUMP test: -1e17).
  assert.equal(scoreText(-1e17), '-100000000000000000');
  assert.equal(scoreText(4611686018427387904), '4611686018427387904');
  assert.equal(scoreText(-4611686018427387904), '-4611686018427387904');
  assert.equal(scoreText(9223372036854775807), '9.2233720368547758e+18');
  assert.equal(scoreText(-0), '0');
  assert.equal(scoreText(2.5), '2.5');
  assert.equal(scoreText(-Infinity), '-inf');
});
