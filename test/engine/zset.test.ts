// The sorted set value and its effects: op codes pinned, replaying the log of a random command
// sequence into an empty engine gives the same dataset, so does applying every key's dump, and
// appliers refuse effects that do not fit the state.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvariantError } from '../../src/engine/assert.js';
import { Engine } from '../../src/engine/engine.js';
import { ExpireNone, type LogEntry, Op } from '../../src/engine/effects.js';
import { SortedSetValue, ZsetOp } from '../../src/engine/types/zset.js';
import { harness, snapshot } from './zset-harness.js';

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCORES = ['-inf', '+inf', '0', '-0', '1', '-1', '0.5', '2.5', '1e300', '3', '7', '0.1'];

/** A random write (or read) on a handful of keys, biased toward sorted set commands. */
function randomCommand(random: () => number): string[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const int = (limit: number): number => Math.floor(random() * limit);
  const key = pick(['a', 'b', 'c', 'big']);
  const other = pick(['a', 'b', 'c', 'big', 'dst']);
  const member = (): string =>
    random() < 0.02 ? 'long-'.repeat(14) + String(int(5)) : `m${int(key === 'big' ? 400 : 20)}`;
  switch (int(20)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      const count = key === 'big' ? 1 + int(60) : 1 + int(4);
      const pairs: string[] = [];
      for (let i = 0; i < count; i++) pairs.push(pick(SCORES), member());
      return ['ZADD', key, ...pick([[], ['NX'], ['XX'], ['GT'], ['LT'], ['CH']]), ...pairs];
    }
    case 4:
      return ['ZINCRBY', key, pick(['1', '-1', '0.5', '+inf', '-inf']), member()];
    case 5:
      return ['ZREM', key, member(), member()];
    case 6:
      return ['ZREMRANGEBYRANK', key, String(int(10) - 5), String(int(10) - 5)];
    case 7:
      return ['ZREMRANGEBYSCORE', key, pick(['-inf', '(0', '1']), pick(['+inf', '(3', '2.5'])];
    case 8:
      return ['ZREMRANGEBYLEX', key, pick(['-', '[m1', '(m3']), pick(['+', '[m2', '(m5'])];
    case 9:
      return [pick(['ZPOPMIN', 'ZPOPMAX']), key, String(int(5))];
    case 10:
      return ['ZMPOP', '2', key, other, pick(['MIN', 'MAX']), 'COUNT', String(1 + int(3))];
    case 11:
      return ['ZRANGESTORE', other, key, String(int(5)), String(int(30) - 3)];
    case 12:
      return [pick(['ZUNIONSTORE', 'ZINTERSTORE']), other, '2', key, 'b', 'WEIGHTS', '2', '-1'];
    case 13:
      return ['ZDIFFSTORE', other, '2', key, 'c'];
    case 14:
      return [pick(['DEL', 'UNLINK']), key];
    case 15:
      return ['RENAME', key, other];
    case 16:
      return ['COPY', key, other, 'REPLACE'];
    case 17:
      return ['PEXPIRE', key, String(1 + int(100_000))];
    case 18:
      return ['ZADD', key, 'INCR', pick(SCORES), member()];
    default:
      return ['ZRANGE', key, '0', '-1', 'WITHSCORES'];
  }
}

describe('sorted set effects', () => {
  it('keeps its op codes (they are on disk and on the wire)', () => {
    assert.deepEqual(ZsetOp, { Add: 80, Remove: 81, RemoveRanks: 82, Unpack: 83 });
  });

  for (const seed of [11, 12, 13]) {
    it(`replays the log and the dumps into the same dataset (seed ${seed})`, () => {
      const random = mulberry32(seed);
      const h = harness(mulberry32(seed + 1));
      const replayed = new Engine();
      let applied = 0;
      let sawSkiplist = false;
      for (let i = 1; i <= 3000; i++) {
        h.nowMs += 7;
        h.run(...randomCommand(random));
        if (i % 250 !== 0) continue;
        // Checkpoint: the log so far, replayed, and every key's dump, give the same dataset.
        const expected = snapshot(h.engine);
        sawSkiplist ||= JSON.stringify(expected).includes('skiplist');
        for (; applied < h.log.length; applied++) replayed.apply(h.log[applied] as LogEntry);
        assert.deepEqual(snapshot(replayed), expected, `log replay at command ${i}`);
        const restored = new Engine();
        for (const db of h.engine.databases) {
          for (const key of db.entries.keys()) {
            for (const effect of h.engine.dumpKey(db.index, key)) restored.applyEffect(effect);
          }
        }
        assert.deepEqual(snapshot(restored), expected, `dump and restore at command ${i}`);
      }
      assert.ok(sawSkiplist, 'some set outgrew the compact encoding');
    });
  }

  it('writes each command as one compact effect', () => {
    const h = harness();
    const pairs = Array.from({ length: 500 }, (_, i) => [String(i), `m${i}`]).flat();
    h.run('ZADD', 'z', ...pairs);
    h.run('ZREMRANGEBYSCORE', 'z', '10', '400');
    h.run('ZPOPMAX', 'z', '5');
    h.run('ZREM', 'z', 'm1', 'm2', 'm1', 'absent');
    h.run('ZADD', 'z', 'XX', '1', 'absent');
    h.run('ZRANGE', 'z', '0', '-1');
    assert.deepEqual(
      h.log.map((entry) => entry.effects.map((effect) => [effect[0], effect.length])),
      [
        [[ZsetOp.Add, 1003]],
        [[ZsetOp.RemoveRanks, 5]],
        [[ZsetOp.RemoveRanks, 5]],
        [[ZsetOp.Remove, 5]],
      ],
    );
  });

  it('dumps big sets in bounded chunks that rebuild them exactly', () => {
    const h = harness();
    const pairs = Array.from({ length: 70_000 }, (_, i) => [String(i % 97), `m${i}`]).flat();
    h.runArgv(['ZADD', 'z', ...pairs]);
    h.run('ZADD', 'z', '-0', 'negative-zero');
    const effects = h.engine.dumpKey(0, 'z');
    assert.ok(effects.every((effect) => effect.length <= 3 + 2 * 65_536));
    assert.equal(effects.length, 4, 'first pair, unpack marker, two chunks');
    assert.deepEqual(effects[1], [ZsetOp.Unpack, 0, 'z']);
    const restored = new Engine();
    for (const effect of effects) restored.applyEffect(effect);
    assert.deepEqual(snapshot(restored), snapshot(h.engine));
    const value = restored.database(0).get('z') as SortedSetValue;
    assert.ok(Object.is(value.score('negative-zero'), -0), 'a skiplist keeps -0');
  });

  it('stores -0 as 0 while compact, as listpack does', () => {
    const h = harness();
    assert.equal(h.run('ZADD', 'z', '-0', 'a'), 1);
    assert.equal(h.run('ZSCORE', 'z', 'a'), '0');
    assert.equal(h.run('ZADD', 'z', 'INCR', '-0', 'b'), '-0');
    assert.equal(h.run('ZSCORE', 'z', 'b'), '0');
  });

  it('refuses effects that do not fit the state', () => {
    const engine = new Engine();
    engine.applyEffect([ZsetOp.Add, 0, 'z', 1, 'a', 2, 'b']);
    assert.throws(() => engine.applyEffect([ZsetOp.Remove, 0, 'z', 'absent']), InvariantError);
    assert.throws(() => engine.applyEffect([ZsetOp.RemoveRanks, 0, 'z', 1, 5]), InvariantError);
    assert.throws(() => engine.applyEffect([ZsetOp.RemoveRanks, 0, 'nokey', 0, 0]), InvariantError);
    assert.throws(() => engine.applyEffect([ZsetOp.Add, 0, 'z', Number.NaN, 'a']), InvariantError);
    assert.throws(() => engine.applyEffect([ZsetOp.Add, 0, 'z', 1]), InvariantError);
    engine.applyEffect([Op.Set, 0, 's', 'v', ExpireNone]);
    assert.throws(() => engine.applyEffect([ZsetOp.Add, 0, 's', 1, 'a']), InvariantError);
  });

  it('deletes a set emptied by an effect', () => {
    const engine = new Engine();
    engine.applyEffect([ZsetOp.Add, 0, 'z', 1, 'a', 2, 'b']);
    engine.applyEffect([ZsetOp.RemoveRanks, 0, 'z', 0, 1]);
    assert.equal(engine.database(0).has('z'), false);
  });

  it('clones into an independent set with the same encoding', () => {
    const engine = new Engine();
    engine.applyEffect([ZsetOp.Add, 0, 'z', 1, 'a', 2, 'b']);
    engine.applyEffect([ZsetOp.Unpack, 0, 'z']);
    const original = engine.database(0).get('z') as SortedSetValue;
    const copy = original.clone();
    copy.set(5, 'c');
    copy.remove('a');
    assert.deepEqual(original.index.toArrays(), { scores: [1, 2], members: ['a', 'b'] });
    assert.deepEqual(copy.index.toArrays(), { scores: [2, 5], members: ['b', 'c'] });
    assert.equal(copy.encoding(), 'skiplist');
    copy.index.check();
  });
});
