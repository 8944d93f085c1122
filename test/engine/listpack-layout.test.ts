// The listpack layout the stream type estimates with is the one DUMP writes: for every kind of
// element (each integer width, each string header, back-lengths of 1 to 3 bytes, the thresholds
// on both sides), the estimated entry size is the encoded one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeListpack } from '../../src/commands/dump/listpack.js';
import { listpackEntryBytes } from '../../src/engine/listpack-layout.js';

const LISTPACK_OVERHEAD = 6 + 1; // header and end byte

test('estimated entry bytes equal encoded ones', () => {
  const integers = [0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607];
  const more = ['-8388609', '2147483647', '-2147483648', '2147483648', '9223372036854775807'];
  const texts = [
    ...integers.map(String),
    ...more,
    '9223372036854775808', // past int64: a string
    '007', // not canonical: a string
    '-0',
    '',
    ...[1, 63, 64, 120, 121, 127, 4095, 4096, 16370, 16383, 20000].map((n) => 'x'.repeat(n)),
  ];
  for (const text of texts) {
    const encoded = encodeListpack([text]).length - LISTPACK_OVERHEAD;
    assert.equal(listpackEntryBytes(text), encoded, `${text.slice(0, 24)} (${text.length} chars)`);
  }
});
