// Random sequences of list commands through the embedded API against a plain JavaScript model
// (a Map of arrays implementing each command the naive way): every reply and, after each
// command, every list must agree.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { open, ReplyError, type ReplyValue } from '../../src/embedded/index.js';

const KEYS = ['a', 'b', 'c'];
const key = fc.constantFrom(...KEYS);
const element = fc.constantFrom('x', 'y', 'z', '1', '', 'long-element-'.repeat(3));
const side = fc.constantFrom('LEFT', 'RIGHT');
const index = fc.integer({ min: -8, max: 8 });

const command: fc.Arbitrary<string[]> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'),
      key,
      fc.array(element, { minLength: 1, maxLength: 5 }),
    )
    .map(([name, k, elements]) => [name, k, ...elements]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key).map(([name, k]) => [name, k]),
  fc
    .tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.integer({ min: 0, max: 6 }))
    .map(([name, k, count]) => [name, k, String(count)]),
  key.map((k) => ['LLEN', k]),
  fc.tuple(key, index, index).map(([k, start, stop]) => ['LRANGE', k, String(start), String(stop)]),
  fc.tuple(key, index).map(([k, i]) => ['LINDEX', k, String(i)]),
  fc.tuple(key, index, element).map(([k, i, e]) => ['LSET', k, String(i), e]),
  fc
    .tuple(key, fc.constantFrom('BEFORE', 'AFTER'), element, element)
    .map(([k, where, pivot, e]) => ['LINSERT', k, where, pivot, e]),
  fc
    .tuple(key, fc.integer({ min: -3, max: 3 }), element)
    .map(([k, count, e]) => ['LREM', k, String(count), e]),
  fc.tuple(key, index, index).map(([k, start, stop]) => ['LTRIM', k, String(start), String(stop)]),
  fc
    .tuple(
      key,
      element,
      fc.option(fc.integer({ min: -3, max: 3 }).filter((rank) => rank !== 0)),
      fc.option(fc.integer({ min: 0, max: 3 })),
      fc.option(fc.integer({ min: 0, max: 5 })),
    )
    .map(([k, e, rank, count, maxlen]) => [
      'LPOS',
      k,
      e,
      ...(rank === null ? [] : ['RANK', String(rank)]),
      ...(count === null ? [] : ['COUNT', String(count)]),
      ...(maxlen === null ? [] : ['MAXLEN', String(maxlen)]),
    ]),
  fc.tuple(key, key, side, side).map(([source, destination, from, to]) => {
    return ['LMOVE', source, destination, from, to];
  }),
  fc.tuple(key, key).map(([source, destination]) => ['RPOPLPUSH', source, destination]),
  fc
    .tuple(
      fc.uniqueArray(key, { minLength: 1, maxLength: 3 }),
      side,
      fc.option(fc.integer({ min: 1, max: 4 })),
    )
    .map(([keys, from, count]) => [
      'LMPOP',
      String(keys.length),
      ...keys,
      from,
      ...(count === null ? [] : ['COUNT', String(count)]),
    ]),
);

/** Redis's LRANGE/LTRIM normalisation on a model array. */
function range(length: number, start: number, stop: number): [number, number] | undefined {
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return undefined;
  return [start, Math.min(stop, length - 1)];
}

/** The naive model: what Redis replies, and the lists it leaves. */
class Model {
  readonly lists = new Map<string, string[]>();

  run(argv: string[]): ReplyValue {
    const [name, k = '', ...rest] = argv;
    const list = this.lists.get(k);
    const result = this.dispatch(name as string, k, list, rest, argv);
    for (const [listKey, items] of this.lists) if (items.length === 0) this.lists.delete(listKey);
    return result;
  }

  private dispatch(
    name: string,
    k: string,
    list: string[] | undefined,
    rest: string[],
    argv: string[],
  ): ReplyValue {
    switch (name) {
      case 'LPUSH':
      case 'RPUSH':
      case 'LPUSHX':
      case 'RPUSHX': {
        if (list === undefined && name.endsWith('X')) return 0;
        const target = list ?? [];
        for (const e of rest) {
          if (name.startsWith('L')) target.unshift(e);
          else target.push(e);
        }
        this.lists.set(k, target);
        return target.length;
      }
      case 'LPOP':
      case 'RPOP': {
        const withCount = rest.length > 0;
        if (list === undefined) return null;
        const count = withCount ? Number(rest[0]) : 1;
        if (count === 0) return [];
        const popped = name === 'LPOP' ? list.splice(0, count) : list.splice(-count).reverse();
        return withCount ? popped : (popped[0] as string);
      }
      case 'LLEN':
        return list?.length ?? 0;
      case 'LRANGE': {
        const r = list && range(list.length, Number(rest[0]), Number(rest[1]));
        return r === undefined || list === undefined ? [] : list.slice(r[0], r[1] + 1);
      }
      case 'LINDEX':
        return list?.at(Number(rest[0])) ?? null;
      case 'LSET': {
        if (list === undefined) return new ReplyError('ERR no such key');
        const i = Number(rest[0]);
        const at = i < 0 ? list.length + i : i;
        if (at < 0 || at >= list.length) return new ReplyError('ERR index out of range');
        list[at] = rest[1] as string;
        return 'OK';
      }
      case 'LINSERT': {
        if (list === undefined) return 0;
        const at = list.indexOf(rest[1] as string);
        if (at < 0) return -1;
        list.splice(rest[0] === 'AFTER' ? at + 1 : at, 0, rest[2] as string);
        return list.length;
      }
      case 'LREM':
        return this.lrem(list, Number(rest[0]), rest[1] as string);
      case 'LTRIM': {
        if (list === undefined) return 'OK';
        const r = range(list.length, Number(rest[0]), Number(rest[1]));
        this.lists.set(k, r === undefined ? [] : list.slice(r[0], r[1] + 1));
        return 'OK';
      }
      case 'LPOS':
        return this.lpos(list, rest);
      case 'LMOVE':
      case 'RPOPLPUSH': {
        const destination = argv[2] as string;
        const fromLeft = name === 'LMOVE' && argv[3] === 'LEFT';
        const toLeft = name === 'RPOPLPUSH' || argv[4] === 'LEFT';
        if (list === undefined) return null;
        const moved = (fromLeft ? list.shift() : list.pop()) as string;
        const target = this.lists.get(destination) ?? [];
        if (toLeft) target.unshift(moved);
        else target.push(moved);
        this.lists.set(destination, target);
        return moved;
      }
      case 'LMPOP': {
        const count = Number(argv[1]);
        const keys = argv.slice(2, 2 + count);
        const fromLeft = argv[2 + count] === 'LEFT';
        const popCount = argv.length > 3 + count ? Number(argv.at(-1)) : 1;
        for (const candidate of keys) {
          const items = this.lists.get(candidate);
          if (items === undefined) continue;
          const popped = fromLeft ? items.splice(0, popCount) : items.splice(-popCount).reverse();
          return [candidate, popped];
        }
        return null;
      }
      default:
        throw new Error(`no model for ${name}`);
    }
  }

  private lrem(list: string[] | undefined, count: number, e: string): number {
    if (list === undefined) return 0;
    const order = count < 0 ? [...list.keys()].reverse() : [...list.keys()];
    const drop = new Set<number>();
    for (const i of order) {
      if (list[i] === e && (count === 0 || drop.size < Math.abs(count))) drop.add(i);
    }
    const kept = list.filter((_, i) => !drop.has(i));
    list.splice(0, list.length, ...kept);
    return drop.size;
  }

  private lpos(list: string[] | undefined, rest: string[]): ReplyValue {
    let rank = 1;
    let count: number | undefined;
    let maxlen = 0;
    for (let i = 1; i < rest.length; i += 2) {
      const value = Number(rest[i + 1]);
      if (rest[i] === 'RANK') rank = value;
      else if (rest[i] === 'COUNT') count = value;
      else maxlen = value;
    }
    if (list === undefined) return count === undefined ? null : [];
    const positions = [...list.keys()];
    if (rank < 0) positions.reverse();
    const scanned = maxlen === 0 ? positions : positions.slice(0, maxlen);
    const matches = scanned.filter((i) => list[i] === rest[0]).slice(Math.abs(rank) - 1);
    if (count === undefined) return matches[0] ?? null;
    return count === 0 ? matches : matches.slice(0, count);
  }
}

describe('list commands against a model', () => {
  it('agree on every reply and every list', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (commands) => {
        const db = await open();
        try {
          const model = new Model();
          for (const argv of commands) {
            const expected = model.run(argv);
            let actual: ReplyValue;
            try {
              actual = await db.command(argv[0] as string, ...argv.slice(1));
            } catch (error) {
              actual = error as ReplyError;
            }
            if (expected instanceof ReplyError) {
              assert.ok(actual instanceof ReplyError, `${argv.join(' ')} fails`);
              assert.equal(actual.message, expected.message);
            } else {
              assert.deepEqual(actual, expected, argv.join(' '));
            }
            for (const k of KEYS) {
              assert.deepEqual(await db.lrange(k, 0, -1), model.lists.get(k) ?? [], `list ${k}`);
            }
          }
        } finally {
          await db.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
