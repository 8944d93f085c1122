// RaftDiskStorage: what it recovers after a restart matches MemoryStorage fed the same writes;
// a torn tail is cut off; damage before the tail refuses to start.

import { strict as assert } from 'node:assert';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
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
import { waitFor } from '../helpers/servers.js';

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

/** Persists entries `from..to` (term 1), one persist each, as a leader's Readys would. */
async function persistRange(disk: RaftDiskStorage, from: number, to: number): Promise<void> {
  for (let index = from; index <= to; index++) {
    await disk.persist({
      hardState: { term: 1, vote: 1, commit: index - 1 },
      entries: [entry(index, 1, `value-${index}-${'x'.repeat(40)}`)],
      snapshot: null,
      mustSync: true,
    });
  }
}

/** Persists one entry after another until a segment file is preallocated (`bytes` long). */
async function persistUntilPreallocated(
  disk: RaftDiskStorage,
  dir: string,
  bytes: number,
): Promise<number> {
  let index = disk.lastIndex();
  await waitFor(async () => {
    index++;
    await persistRange(disk, index, index);
    return readdirSync(dir).some(
      (name) => name.endsWith('.log') && statSync(join(dir, name)).size === bytes,
    );
  }, 'a segment made from the spare');
  return index;
}

test('a busy log continues in a preallocated segment, and after a restart writes on over its zeros', async () => {
  await withDir(async (dir) => {
    const SEGMENT = 4096;
    const disk = await open(dir, SEGMENT);
    const last = await persistUntilPreallocated(disk, dir, SEGMENT);
    const preallocated = readdirSync(dir).filter(
      (name) => name.endsWith('.log') && statSync(join(dir, name)).size === SEGMENT,
    );
    assert.equal(preallocated.length, 1, `segments: ${readdirSync(dir).join(', ')}`);
    await disk.close();
    const reopened = await open(dir, SEGMENT);
    assert.deepEqual(reopened.notes, [], 'zeros after the data are no damage');
    assert.equal(reopened.lastIndex(), last);
    await persistRange(reopened, last + 1, last + 3);
    await reopened.close();
    const again = await open(dir, SEGMENT);
    assert.deepEqual(
      all(again).map((line) => line.split('/')[0]),
      Array.from({ length: last + 3 }, (_, i) => String(i + 1)),
    );
    assert.equal(
      statSync(join(dir, preallocated[0] as string)).size,
      SEGMENT,
      'still preallocated',
    );
    await again.close();
  });
});

test('in a preallocated segment, a write torn by a lost sector is cut off; a flipped byte refuses to start', async () => {
  await withDir(async (dir) => {
    const disk = await open(dir);
    await persistRange(disk, 1, 3);
    await disk.close();
    // The last segment (a spare may have started a second one), without zeros it may end in:
    // its last record, a hard state, ends with a commit index that is not 0.
    const segment = readdirSync(dir)
      .filter((name) => name.endsWith('.log'))
      .sort()
      .at(-1);
    const path = join(dir, segment as string);
    const data = readFileSync(path);
    let end = data.length;
    while (end > 0 && data[end - 1] === 0) end--;
    const good = data.subarray(0, end);
    writeFileSync(path, good);
    // The last write: a large entry, of which one 512-byte sector never reached the disk,
    // followed by the segment's unwritten zeros.
    const out = new ByteWriter(4096);
    const at = beginFrame(out);
    encodeEntryRecord(out, entry(4, 1, 'y'.repeat(3000)));
    endFrame(out, at);
    const torn = Buffer.concat([good, out.take(), Buffer.alloc(8192)]);
    const sector = Math.ceil((good.length + 600) / 512) * 512;
    torn.fill(0, sector, sector + 512);
    writeFileSync(path, torn);
    const recovered = await open(dir);
    assert.equal(recovered.lastIndex(), 3);
    assert.match(recovered.notes.join('\n'), /torn tail/);
    await recovered.close();
    assert.equal(readFileSync(path).length, good.length, 'cut at the torn write');
    // The same file with a byte flipped in its first entry instead: damage, not a torn write.
    const damaged = Buffer.concat([good, Buffer.alloc(8192)]);
    damaged[16 + 8 + 3] = (damaged[16 + 8 + 3] as number) ^ 0x01;
    writeFileSync(path, damaged);
    await assert.rejects(open(dir), /corrupt record/);
  });
});
