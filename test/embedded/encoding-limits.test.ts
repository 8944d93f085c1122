// Encoding thresholds belong to one store (its Engine's EncodingLimits), not to the process: two
// embedded stores with different settings, written in turns, each report the encodings their own
// settings give, at open() and after CONFIG SET.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open } from '../../src/embedded/index.js';

type Store = Awaited<ReturnType<typeof open>>;

/** Writes the same small collections (3 elements each) to a store. */
async function writeSmallCollections(store: Store, suffix: string): Promise<void> {
  await store.command('RPUSH', `list${suffix}`, 'a', 'b', 'c');
  await store.command('HSET', `hash${suffix}`, 'f1', 'v', 'f2', 'v', 'f3', 'v');
  await store.command('SADD', `ints${suffix}`, '1', '2', '3');
  await store.command('SADD', `words${suffix}`, 'a', 'b', 'c');
  await store.command('ZADD', `zset${suffix}`, '1', 'a', '2', 'b', '3', 'c');
}

async function encodings(store: Store, suffix: string): Promise<(string | null)[]> {
  return Promise.all(
    ['list', 'hash', 'ints', 'words', 'zset'].map((name) =>
      store.objectEncoding(`${name}${suffix}`),
    ),
  );
}

const SMALL = ['listpack', 'listpack', 'intset', 'listpack', 'listpack'];
const LARGE = ['quicklist', 'hashtable', 'hashtable', 'hashtable', 'skiplist'];

describe('encoding thresholds per store', () => {
  let tight: Store;
  let roomy: Store;
  before(async () => {
    tight = await open({
      config: {
        'list-max-listpack-size': 2,
        'hash-max-listpack-entries': 2,
        'set-max-intset-entries': 2,
        'set-max-listpack-entries': 2,
        'zset-max-listpack-entries': 2,
      },
    });
    roomy = await open();
  });
  after(async () => {
    await tight.close();
    await roomy.close();
  });

  it('two stores opened with different settings do not affect each other', async () => {
    // Interleaved, so a threshold left behind by the last writer would show.
    await writeSmallCollections(tight, ':1');
    await writeSmallCollections(roomy, ':1');
    await writeSmallCollections(tight, ':2');
    assert.deepEqual(await encodings(tight, ':1'), LARGE);
    assert.deepEqual(await encodings(tight, ':2'), LARGE);
    assert.deepEqual(await encodings(roomy, ':1'), SMALL);
  });

  it('CONFIG SET on one store changes only that store', async () => {
    await roomy.configSet({
      'list-max-listpack-size': 1,
      'hash-max-listpack-value': 1,
      'set-max-intset-entries': 1,
      'set-max-listpack-entries': 1,
      'set-max-listpack-value': 1,
      'zset-max-listpack-value': 1,
    });
    await tight.configSet({
      'list-max-listpack-size': -2,
      'hash-max-listpack-entries': 512,
      'set-max-intset-entries': 512,
      'set-max-listpack-entries': 128,
      'zset-max-listpack-entries': 128,
    });
    await roomy.command('RPUSH', 'list:3', 'a', 'b');
    await roomy.command('HSET', 'hash:3', 'field', 'value');
    await roomy.command('SADD', 'ints:3', '1', '2');
    await roomy.command('SADD', 'words:3', 'long');
    await roomy.command('ZADD', 'zset:3', '1', 'member');
    await writeSmallCollections(tight, ':3');
    assert.deepEqual(await encodings(roomy, ':3'), LARGE);
    assert.deepEqual(await encodings(tight, ':3'), SMALL);
    // What exists keeps the encoding it had (Redis converts only on a write that needs it).
    assert.deepEqual(await encodings(roomy, ':1'), SMALL);
  });

  it('CONFIG GET reads the settings back per store', async () => {
    assert.deepEqual(await tight.command('CONFIG', 'GET', 'zset-max-listpack-entries'), [
      'zset-max-listpack-entries',
      '128',
    ]);
    assert.deepEqual(await roomy.command('CONFIG', 'GET', 'zset-max-listpack-value'), [
      'zset-max-listpack-value',
      '1',
    ]);
  });
});
