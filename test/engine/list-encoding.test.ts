// OBJECT ENCODING of lists as Redis 7.2 reports it: listpack until one listpack would pass
// list-max-listpack-size (bytes when negative, entries when positive), quicklist after, and back
// to listpack only at half the limit. Thresholds below are worked out from Redis's rules
// (t_list.c listTypeTryConversionRaw, quicklist.c quicklistNodeExceedsLimit).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ListOp, ListValue } from '../../src/engine/types/list.js';

function listAt(engine: Engine, key: string): ListValue {
  const value = engine.database(0).get(key);
  assert.ok(value instanceof ListValue);
  return value;
}

function rpush(engine: Engine, key: string, ...elements: string[]): void {
  engine.applyEffect([ListOp.PushRight, 0, key, ...elements]);
}

function rpop(engine: Engine, key: string, count = 1): void {
  engine.applyEffect([ListOp.PopRight, 0, key, count]);
}

describe('list encoding', () => {
  it('by bytes (-2 = 8 KB): quicklist past 8192 bytes, listpack again at 4096', () => {
    const engine = new Engine();
    const element = 'x'.repeat(100); // 2-byte header + 100 + 1-byte back-length = 103 bytes
    // Each push checks 7 + 103 * n + 100 > 8192: the 80th element converts.
    for (let n = 1; n <= 79; n++) rpush(engine, 'l', element);
    assert.equal(listAt(engine, 'l').encoding(), 'listpack');
    assert.equal(listAt(engine, 'l').listpackBytes, 7 + 103 * 79);
    rpush(engine, 'l', element);
    assert.equal(listAt(engine, 'l').encoding(), 'quicklist');
    // Back only when 7 + 103 * n <= 4096, i.e. at 39 elements.
    rpop(engine, 'l', 80 - 40);
    assert.equal(listAt(engine, 'l').size, 40);
    assert.equal(listAt(engine, 'l').encoding(), 'quicklist');
    rpop(engine, 'l');
    assert.equal(listAt(engine, 'l').encoding(), 'listpack');
  });

  it('converts at once for one large push or one large element', () => {
    const engine = new Engine();
    rpush(engine, 'fits', 'y'.repeat(8185)); // 7 + 8185 = 8192: not past the limit
    assert.equal(listAt(engine, 'fits').encoding(), 'listpack');
    rpush(engine, 'over', 'y'.repeat(8186));
    assert.equal(listAt(engine, 'over').encoding(), 'quicklist');
    rpush(engine, 'huge', 'y'.repeat(9000));
    assert.equal(listAt(engine, 'huge').encoding(), 'quicklist');
    rpush(engine, 'many', ...Array.from({ length: 1000 }, (_, i) => `element-${i}`));
    assert.equal(listAt(engine, 'many').encoding(), 'quicklist');
  });

  it('by entries (positive fill): quicklist past the count, listpack again at half', () => {
    const engine = new Engine();
    engine.encodingLimits.listMaxListpackSize = 4;
    rpush(engine, 'l', 'a', 'b', 'c', 'd');
    assert.equal(listAt(engine, 'l').encoding(), 'listpack');
    rpush(engine, 'l', 'e');
    assert.equal(listAt(engine, 'l').encoding(), 'quicklist');
    rpop(engine, 'l', 2);
    assert.equal(listAt(engine, 'l').encoding(), 'quicklist'); // 3 > 4 / 2
    rpop(engine, 'l');
    assert.equal(listAt(engine, 'l').encoding(), 'listpack');
    // A listpack never grows past 8 KB even under an entry limit.
    rpush(engine, 'wide', 'z'.repeat(5000));
    assert.equal(listAt(engine, 'wide').encoding(), 'listpack');
    rpush(engine, 'wide', 'z'.repeat(5000));
    assert.equal(listAt(engine, 'wide').encoding(), 'quicklist');
  });

  it('follows the other size classes (-1 = 4 KB, -5 and below = 64 KB)', () => {
    const engine = new Engine();
    engine.encodingLimits.listMaxListpackSize = -1;
    rpush(engine, 'a', 'q'.repeat(4090));
    assert.equal(listAt(engine, 'a').encoding(), 'quicklist'); // 7 + 4090 > 4096
    rpush(engine, 'b', 'q'.repeat(4089));
    assert.equal(listAt(engine, 'b').encoding(), 'listpack');
    engine.encodingLimits.listMaxListpackSize = -9;
    rpush(engine, 'c', 'q'.repeat(60_000));
    assert.equal(listAt(engine, 'c').encoding(), 'listpack');
    rpush(engine, 'c', 'q'.repeat(6000));
    assert.equal(listAt(engine, 'c').encoding(), 'quicklist');
  });

  it('shrinks back after LSET, LREM, LTRIM and a move onto the same list', () => {
    const engine = new Engine();
    const big = 'b'.repeat(5000);
    for (const key of ['set', 'rem', 'trim', 'rotate']) rpush(engine, key, big, big, 'small');
    for (const key of ['set', 'rem', 'trim', 'rotate']) {
      assert.equal(listAt(engine, key).encoding(), 'quicklist', key);
    }
    engine.applyEffect([ListOp.SetAt, 0, 'set', 0, 's']);
    assert.equal(listAt(engine, 'set').encoding(), 'quicklist'); // 5000 still there
    engine.applyEffect([ListOp.SetAt, 0, 'set', 1, 's']);
    assert.equal(listAt(engine, 'set').encoding(), 'listpack');
    engine.applyEffect([ListOp.Remove, 0, 'rem', 0, big]);
    assert.equal(listAt(engine, 'rem').encoding(), 'listpack');
    engine.applyEffect([ListOp.Trim, 0, 'trim', 1, 0]);
    assert.equal(listAt(engine, 'trim').encoding(), 'quicklist'); // 5000 + 7 + small > 4096
    engine.applyEffect([ListOp.Trim, 0, 'trim', 1, 0]);
    assert.equal(listAt(engine, 'trim').encoding(), 'listpack');
    engine.applyEffect([ListOp.Rotate, 0, 'rotate', 1, 0]);
    assert.equal(listAt(engine, 'rotate').encoding(), 'quicklist');
    assert.deepEqual(listAt(engine, 'rotate').toArray(), [big, 'small', big]);
  });

  it('a copy keeps the encoding of its source', () => {
    const engine = new Engine();
    rpush(engine, 'l', 'x'.repeat(9000));
    rpop(engine, 'l');
    rpush(engine, 'l', 'a');
    assert.equal(listAt(engine, 'l').encoding(), 'listpack'); // a new list
    rpush(engine, 'q', 'x'.repeat(9000), 'a');
    rpop(engine, 'q');
    assert.equal(listAt(engine, 'q').encoding(), 'quicklist');
    engine.applyEffect([6, 0, 'q', 0, 'copy']);
    assert.equal(listAt(engine, 'copy').encoding(), 'quicklist');
  });
});
