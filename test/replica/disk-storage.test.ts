// RaftDiskStorage: what it recovers after a restart matches MemoryStorage fed the same writes;
// a torn tail is cut off; damage before the tail refuses to start.

import { strict as assert } from 'node:assert';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ByteWriter } from '../../src/persist/codec.js';
import { beginFrame, endFrame } from '../../src/persist/framing.js';
import { nodeFileSystem } from '../../src/persist/fs.js';
import type { Entry, HardState } from '../../src/raft/messages.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import {
  RaftDiskStorage,
  RaftStorageError,
  encodeEntryRecord,
  encodeHardStateRecord,
} from '../../src/replica/disk-storage.js';
import { seeded } from '../persist/helpers.js';

function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, type: 0, data: new Uint8Array(Buffer.from(text)) };
}

function all(storage: {
  firstIndex(): number;
  lastIndex(): number;
  entries(lo: number, hi: number, max: number): Entry[];
}) {
  return storage
    .entries(storage.firstIndex(), storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER)
    .map((e) => `${e.index}/${e.term}/${Buffer.from(e.data).toString()}`);
}

function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-raft-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const open = (dir: string, segmentBytesMax?: number) =>
  RaftDiskStorage.open({ fs: nodeFileSystem, dir, segmentBytesMax });

test('random appends, overwrites and hard states recover exactly as MemoryStorage holds them', async () => {
  for (let seed = 1; seed <= 8; seed++) {
    await withDir(async (dir) => {
      const random = seeded(seed);
      const model = new MemoryStorage();
      let disk = await open(dir, 300);
      let term = 1;
      for (let step = 0; step < 60; step++) {
        const roll = random();
        if (roll < 0.1) {
          await disk.close();
          disk = await open(dir, 300);
          assert.deepEqual(all(disk), all(model), `seed ${seed} step ${step}`);
          continue;
        }
        if (roll < 0.3) term++;
        // Append at the end, or overwrite a suffix (a follower's conflicting entries).
        const last = model.lastIndex();
        const from =
          roll < 0.2 && last > 0 ? Math.max(1, last - Math.floor(random() * 3)) : last + 1;
        const entries: Entry[] = [];
        for (let i = 0, n = 1 + Math.floor(random() * 3); i < n; i++)
          entries.push(entry(from + i, term));
        const hardState: HardState = { term, vote: seed % 3, commit: Math.max(0, from - 1) };
        await disk.persist({ hardState, entries, snapshot: null, mustSync: true });
        model.append(entries);
        model.setHardState(hardState);
      }
      await disk.close();
      const reopened = await open(dir, 300);
      assert.deepEqual(all(reopened), all(model));
      assert.deepEqual(reopened.hardState(), model.hardStateNow());
      assert.ok(readdirSync(dir).length > 1, 'small segments rolled over');
      await reopened.close();
    });
  }
});

test('a torn last record is cut off; damage before the tail refuses to start', async () => {
  await withDir(async (dir) => {
    const disk = await open(dir);
    await disk.persist({
      hardState: { term: 1, vote: 1, commit: 1 },
      entries: [entry(1, 1), entry(2, 1)],
      snapshot: null,
      mustSync: true,
    });
    await disk.close();
    const [segment] = readdirSync(dir);
    const path = join(dir, segment as string);
    const good = readFileSync(path);
    // A write cut by a crash: a frame whose bytes stop short.
    const out = new ByteWriter(64);
    const at = beginFrame(out);
    encodeEntryRecord(out, entry(3, 1, 'lost'));
    endFrame(out, at);
    appendFileSync(path, out.take().subarray(0, 9));
    const recovered = await open(dir);
    assert.deepEqual(all(recovered), ['1/1/e1t1', '2/1/e2t1']);
    await recovered.close();
    assert.equal(readFileSync(path).length, good.length, 'the torn bytes were truncated');
    // Flip a byte inside the first record: not a torn tail, so refuse.
    const damaged = Buffer.from(good);
    damaged[16 + 8 + 2] = (damaged[16 + 8 + 2] as number) ^ 0xff;
    writeFileSync(path, damaged);
    await assert.rejects(open(dir), RaftStorageError);
  });
});

test('a commit index past the last entry refuses to start', async () => {
  await withDir(async (dir) => {
    const disk = await open(dir);
    await disk.persist({
      hardState: { term: 1, vote: 0, commit: 0 },
      entries: [entry(1, 1)],
      snapshot: null,
      mustSync: true,
    });
    await disk.close();
    const [segment] = readdirSync(dir);
    const out = new ByteWriter(64);
    const at = beginFrame(out);
    encodeHardStateRecord(out, { term: 1, vote: 0, commit: 5 });
    endFrame(out, at);
    appendFileSync(join(dir, segment as string), out.take());
    await assert.rejects(open(dir), /past the last entry/);
  });
});
