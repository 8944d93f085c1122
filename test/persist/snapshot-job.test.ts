// SnapshotJob against a keyspace that changes between its slices: deletions that shrink the Maps
// (rehash), insertions that grow them, overwrites, entries that move between keys and databases
// (RENAME, MOVE; COPY makes a new one), collections and expiring keys. The snapshot
// must hold exactly the dataset of the moment it started, however the key and value iterators'
// table moved meanwhile. And the slice budget: shorter when clients kept the event loop busy.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpireNone, Op } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { loadSnapshotBytes } from '../../src/persist/snapshot-bytes.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { SnapshotJob, sliceBudgetMs, writeSnapshot } from '../../src/persist/snapshot.js';
import { datasetOf, interceptingHandles, seeded } from './helpers.js';

function populated(keys: number): Engine {
  const engine = new Engine(16);
  for (let i = 0; i < keys; i++) {
    const db = i % 3 === 0 ? 1 : 0;
    if (i % 10 === 0) engine.applyEffect([Op.Set, db, `k${i}`, i, ExpireNone]);
    else engine.applyEffect([Op.Set, db, `k${i}`, `v${i}`, i % 7 === 0 ? 9e12 + i : ExpireNone]);
  }
  for (let i = 0; i < 50; i++) engine.applyEffect([Op.Delete, 0, `k${i * 3 + 1}`]);
  return engine;
}

describe('snapshot job', () => {
  it('writes the dataset of its start while keys churn between slices', () => {
    for (let round = 0; round < 6; round++) {
      const random = seeded(300 + round);
      const engine = populated(3000);
      const before = datasetOf(engine);
      const job = new SnapshotJob(engine, 1, 0);
      job.start();
      const parts: Buffer[] = [];
      let fresh = 0;
      let slices = 0;
      while (!job.step(1 + Math.floor(random() * 20))) {
        parts.push(job.takeBytes());
        // Keys made since the start are skipped, not written: the walk outruns the churn.
        assert.ok(++slices < 10_000, 'the walk ends');
        // Churn: delete many (the Maps shrink and rehash), add many (they grow), overwrite some.
        for (let i = 0; i < 60; i++) {
          const db = random() < 0.5 ? 0 : 1;
          const victim = `k${Math.floor(random() * 3000)}`;
          if (random() < 0.6) engine.applyEffect([Op.Delete, db, victim]);
          else engine.applyEffect([Op.Set, db, victim, `changed${i}`, ExpireNone]);
          engine.applyEffect([Op.Set, db, `new${fresh++}`, 'x', ExpireNone]);
          // An entry moves to another key or database (the snapshot marks entries, not keys).
          const source = `k${Math.floor(random() * 3000)}`;
          const target = `k${Math.floor(random() * 3000)}`;
          if (!engine.databases[db]!.has(source) || source === target) continue;
          const other = 1 - db;
          const move = random();
          if (move < 0.4) engine.applyEffect([Op.Rename, db, source, target]);
          else if (move < 0.7) engine.applyEffect([Op.Copy, db, source, other, target]);
          else if (!engine.databases[other]!.has(source))
            engine.applyEffect([Op.Move, db, source, other]);
        }
      }
      job.stop();
      parts.push(job.finish());
      assert.ok(slices > 50, `${slices} slices`);
      const loaded = new Engine(16);
      loadSnapshotBytes(Buffer.concat(parts), 0, loaded);
      assert.equal(datasetOf(loaded), before, `round ${round}`);
      assert.notEqual(datasetOf(engine), before);
    }
  });

  it('writes each slice from memory that keys changed meanwhile do not touch', async () => {
    // The disk reads a slice's bytes late (as the thread pool does), after the keyspace changed
    // enough for the copy-on-write to close records of its own (64 KiB each).
    const engine = populated(20_000);
    for (let i = 0; i < 20_000; i++)
      engine.applyEffect([Op.Set, 0, `k${i}`, `${i}`.padEnd(100, 'y'), ExpireNone]);
    const before = datasetOf(engine);
    const disk = new SimulatedFileSystem();
    await disk.mkdir('/d');
    let overwrites = 0;
    const lateReader = interceptingHandles(disk, (handle) => ({
      write: async (buffers, position): Promise<void> => {
        await new Promise((resolve) => setImmediate(resolve));
        for (let i = 0; i < 1500; i++) {
          const key = `k${(overwrites++ * 7919) % 20_000}`;
          engine.applyEffect([Op.Set, 0, key, 'x'.repeat(40), ExpireNone]);
        }
        return handle.write(buffers, position);
      },
    }));
    const job = new SnapshotJob(engine, 1, 0);
    const path = await writeSnapshot(job, lateReader, '/d', { sliceKeys: 500, sliceMs: 1000 });
    assert.ok(job.recordsWritten > 20 && job.keysCopiedOnWrite > 1000, `${job.keysCopiedOnWrite}`);
    const loaded = new Engine(16);
    loadSnapshotBytes(disk.readFile(path), 0, loaded);
    assert.equal(datasetOf(loaded), before);
  });

  it('gives a slice less time after the loop was busy, never under a quarter', () => {
    assert.equal(sliceBudgetMs(1, 0), 1);
    assert.equal(sliceBudgetMs(1, 0.4), 0.6);
    assert.equal(sliceBudgetMs(1, 0.9), 0.25);
    assert.equal(sliceBudgetMs(1, 50), 0.25);
  });
});
