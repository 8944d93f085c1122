// RaftDiskStorage with snapshots: a recorded snapshot compacts the log and deletes covered
// segments, and a restart recovers the same snapshot, log and hard state; a received snapshot
// replaces the log, and later segments (which start with a copy of its record) keep the entries
// written after it; a damaged or missing snapshot file, or a log that does not continue the
// snapshot, refuses to start naming the file. Golden bytes for the record and the file prefix.

import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExpireNone, Op } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { ByteWriter } from '../../src/persist/codec.js';
import { nodeFileSystem } from '../../src/persist/fs.js';
import { snapshotName } from '../../src/persist/names.js';
import {
  bufferSource,
  type ByteSource,
  loadSnapshotBytes,
  type SnapshotBytesCheck,
  SnapshotReader,
} from '../../src/persist/snapshot-bytes.js';
import { SnapshotJob } from '../../src/persist/snapshot.js';
import type { Entry } from '../../src/raft/messages.js';
import {
  RaftDiskStorage,
  RaftStorageError,
  decodeRaftRecord,
  encodeSnapshotMetaRecord,
} from '../../src/replica/disk-storage.js';
import { encodeSnapshotPrefix, parseSnapshotFile } from '../../src/replica/snapshot-file.js';
import { waitFor } from '../helpers/servers.js';
import { datasetOf } from '../persist/helpers.js';

const CONF = { voters: [1, 2, 3], learners: [] };

function entry(index: number, term: number): Entry {
  return { index, term, type: 0, data: new Uint8Array(Buffer.from(`e${index}t${term}`)) };
}

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

function texts(storage: RaftDiskStorage): string[] {
  return storage
    .entries(storage.firstIndex(), storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER)
    .map((e) => `${e.index}/${e.term}`);
}

/** A Raft snapshot file's bytes: an engine holding `keys` string keys, at `index`/`term`. */
function snapshotBytes(
  index: number,
  term: number,
  keys: number,
  removed: number[] = [],
  groupId?: string,
): { data: Buffer; engine: Engine } {
  const engine = new Engine(16);
  for (let i = 0; i < keys; i++) engine.applyEffect([Op.Set, 0, `k${i}`, `v${i}`, ExpireNone]);
  const job = new SnapshotJob(engine, index, 0);
  job.start();
  const meta = { index, term, confState: CONF, peers: '1=h:1@2', removed };
  const parts = [encodeSnapshotPrefix(groupId === undefined ? meta : { ...meta, groupId })];
  while (!job.step(1000)) parts.push(job.takeBytes());
  job.stop();
  parts.push(job.finish());
  return { data: Buffer.concat(parts), engine };
}

function parsed(data: Buffer) {
  const result = parseSnapshotFile(data);
  assert.ok(typeof result !== 'string', String(result));
  return result;
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-raft-snap-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const open = (dir: string) =>
  RaftDiskStorage.open({ fs: nodeFileSystem, dir, segmentBytesMax: 200 });

/** A storage with entries 1..60 (term 1, commit 60) and a recorded snapshot at 50, compacted to 40. */
async function compacted(dir: string): Promise<RaftDiskStorage> {
  const storage = await open(dir);
  for (let i = 1; i <= 60; i += 5) {
    await storage.persist({
      hardState: { term: 1, vote: 1, commit: i + 4 },
      entries: entries(i, i + 4, 1),
      snapshot: null,
      mustSync: true,
    });
  }
  const { data } = snapshotBytes(50, 1, 10);
  writeFileSync(join(dir, snapshotName(50)), data);
  await storage.recordSnapshot(parsed(data), 40);
  return storage;
}

test('a recorded snapshot compacts the log, deletes covered segments, and recovers', async () => {
  await withDir(async (dir) => {
    const segmentsBefore = readdirSync(dir).filter((n) => n.endsWith('.log')).length;
    let storage = await compacted(dir);
    assert.equal(storage.snapshotIndex, 50);
    assert.equal(storage.firstIndex(), 41);
    assert.equal(storage.snapshot().metadata.index, 50);
    // The bytes come from the file when asked for, and are not kept in memory meanwhile.
    assert.deepEqual(Buffer.from(storage.snapshot().data), snapshotBytes(50, 1, 10).data);
    const path = join(dir, snapshotName(50));
    const saved = readFileSync(path);
    // A transfer reads its chunks from the file; once the file is gone, `read` says so.
    const source = storage.snapshotSource();
    assert.equal(source.length, saved.length);
    assert.deepEqual(Buffer.from(source.read(10, 30) as Uint8Array), saved.subarray(10, 30));
    rmSync(path);
    assert.equal(source.read(10, 30), undefined);
    assert.throws(() => storage.snapshot(), /cannot read the snapshot/);
    writeFileSync(path, saved);
    assert.equal(storage.term(40), 1);
    const segments = readdirSync(dir).filter((n) => n.endsWith('.log'));
    assert.ok(segments.length < 12 && segments.length > segmentsBefore, segments.join(' '));
    for (const first of storage.segmentFirstIndexes) assert.ok(first >= 1);
    assert.ok((storage.segmentFirstIndexes[0] as number) <= 41);
    assert.ok((storage.segmentFirstIndexes[1] as number) > 41, 'covered segments are gone');
    const before = texts(storage);
    await storage.close();

    storage = await open(dir);
    assert.deepEqual(texts(storage), before);
    assert.equal(storage.snapshotIndex, 50);
    assert.equal(storage.hardState().commit, 60);
    const file = storage.snapshotFile;
    assert.ok(file !== undefined);
    const engine = new Engine(16);
    // From the file, a window at a time.
    const reader = new SnapshotReader(file.source, file.parsed.engineStart, engine);
    assert.ok(reader.step(() => false));
    assert.equal((reader.result as SnapshotBytesCheck).keyCount, 10);
    assert.equal(datasetOf(engine), datasetOf(snapshotBytes(50, 1, 10).engine));
    assert.equal(file.parsed.meta.peers, '1=h:1@2');
    // Entries after a restart go on from the log.
    await storage.persist({
      hardState: { term: 2, vote: 1, commit: 61 },
      entries: entries(61, 70, 2),
      snapshot: null,
      mustSync: true,
    });
    await storage.close();
    storage = await open(dir);
    assert.equal(storage.lastIndex(), 70);
    assert.equal(storage.firstIndex(), 41);
    await storage.close();
  });
});

test('a received snapshot replaces the log; entries after it survive segment roll-over', async () => {
  await withDir(async (dir) => {
    let storage = await open(dir);
    await storage.persist({
      hardState: { term: 1, vote: 1, commit: 5 },
      entries: entries(1, 30, 1), // 6..30 are not committed: the leader's snapshot replaces them
      snapshot: null,
      mustSync: true,
    });
    const { data } = snapshotBytes(20, 2, 5);
    await storage.persist({
      hardState: { term: 2, vote: 0, commit: 20 },
      entries: [],
      snapshot: { metadata: { index: 20, term: 2, confState: CONF }, data },
      mustSync: true,
    });
    assert.equal(storage.firstIndex(), 21);
    assert.equal(storage.lastIndex(), 20);
    for (let i = 21; i <= 60; i += 4) {
      await storage.persist({
        hardState: { term: 2, vote: 0, commit: i + 3 },
        entries: entries(i, i + 3, 2),
        snapshot: null,
        mustSync: true,
      });
    }
    const expected = texts(storage);
    assert.equal(expected[0], '21/2');
    await storage.close();
    storage = await open(dir);
    assert.deepEqual(texts(storage), expected);
    assert.equal(storage.snapshotIndex, 20);
    assert.equal(storage.snapshot().metadata.term, 2);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.snap')),
      [snapshotName(20)],
    );
    await storage.close();
  });
});

test('a received snapshot goes to its own file chunk by chunk, and is kept from there', async () => {
  await withDir(async (dir) => {
    let storage = await open(dir);
    const { data, engine: source } = snapshotBytes(20, 2, 500);
    const metadata = { index: 20, term: 2, confState: CONF };
    // A transfer that restarts: its first file goes, the second one is kept.
    const abandoned = storage.receiveSnapshot(metadata);
    abandoned.write(0, data.subarray(0, 100));
    abandoned.discard();
    const receiver = storage.receiveSnapshot(metadata);
    for (let at = 0; at < data.length; at += 1000)
      receiver.write(at, data.subarray(at, Math.min(at + 1000, data.length)));
    const bytes = receiver.finish();
    assert.equal(bytes.length, 0, 'the storage keeps the bytes, not the Ready');
    await storage.persist({
      hardState: { term: 2, vote: 0, commit: 20 },
      entries: [],
      snapshot: { metadata, data: bytes },
      mustSync: true,
    });
    assert.deepEqual(readFileSync(join(dir, snapshotName(20))), data);
    // (The abandoned transfer's file is removed in the background.)
    await waitFor(
      () =>
        readdirSync(dir)
          .filter((n) => n.includes('.snap'))
          .join() === snapshotName(20),
      'only the kept snapshot file',
    );
    await storage.close();
    storage = await open(dir);
    assert.equal(storage.snapshotIndex, 20);
    const file = storage.snapshotFile;
    assert.ok(file !== undefined);
    const engine = new Engine(16);
    new SnapshotReader(file.source, file.parsed.engineStart, engine).step(() => false);
    assert.equal(datasetOf(engine), datasetOf(source));
    await storage.close();
  });
});

test('a received snapshot whose file does not verify is refused, and the file removed', async () => {
  await withDir(async (dir) => {
    const storage = await open(dir);
    const { data } = snapshotBytes(20, 2, 50);
    const metadata = { index: 20, term: 2, confState: CONF };
    const receiver = storage.receiveSnapshot(metadata);
    const damaged = Buffer.from(data);
    const at = data.length - 10;
    damaged[at] = (damaged[at] as number) ^ 0xff;
    receiver.write(0, damaged);
    await assert.rejects(
      storage.persist({
        hardState: { term: 2, vote: 0, commit: 20 },
        entries: [],
        snapshot: { metadata, data: receiver.finish() },
        mustSync: true,
      }),
      /received snapshot 20 is damaged/,
    );
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('.snap')),
      [],
    );
    await storage.close();
  });
});

test('damaged disk state refuses to start, naming the file', async () => {
  const refuses = async (dir: string, damage: () => void, pattern: RegExp) => {
    await (await compacted(dir)).close();
    damage();
    await assert.rejects(open(dir), (error: Error) => {
      assert.ok(error instanceof RaftStorageError, String(error));
      assert.match(error.message, pattern);
      return true;
    });
  };
  // Damage in the snapshot's metadata is found at open; in its keys, while the node loads them
  // (one read of the file; node.ts refuses to start), or by a read-only open (`shoal check`).
  await withDir((dir) =>
    refuses(
      dir,
      () => {
        const path = join(dir, snapshotName(50));
        const bytes = readFileSync(path);
        bytes[16 + 8 + 2] = (bytes[16 + 8 + 2] as number) ^ 1; // the metadata frame's payload
        writeFileSync(path, bytes);
      },
      /snapshot-0+50\.snap: damaged snapshot \(.*\); refusing to start/,
    ),
  );
  await withDir(async (dir) => {
    await (await compacted(dir)).close();
    const path = join(dir, snapshotName(50));
    const bytes = readFileSync(path);
    bytes[bytes.length - 30] = (bytes[bytes.length - 30] as number) ^ 1;
    writeFileSync(path, bytes);
    await assert.rejects(
      RaftDiskStorage.open({ fs: nodeFileSystem, dir, segmentBytesMax: 200, readOnly: true }),
      /snapshot-0+50\.snap: damaged snapshot \(.*\); refusing to start/,
    );
    const storage = await open(dir);
    const file = storage.snapshotFile;
    assert.ok(file !== undefined);
    assert.equal(file.parsed.keyCount, undefined, 'only the header was read');
    const reader = new SnapshotReader(file.source, file.parsed.engineStart, new Engine(16));
    assert.ok(reader.step(() => false));
    assert.match(String(reader.result), /checksum/);
    await storage.close();
  });
  await withDir((dir) =>
    refuses(
      dir,
      () => unlinkSync(join(dir, snapshotName(50))),
      /snapshot-0+50\.snap: the Raft log names this snapshot but it cannot be read/,
    ),
  );
  await withDir((dir) =>
    refuses(
      dir,
      () => {
        // The oldest segment left holds the entries just after the compaction point.
        const oldest = readdirSync(dir)
          .filter((n) => n.endsWith('.log'))
          .sort()[0] as string;
        unlinkSync(join(dir, oldest));
      },
      /not contiguous with the snapshot at 50|log ends at \d+, before the snapshot/,
    ),
  );
});

test('snapshot record and file prefix bytes are pinned', () => {
  const out = new ByteWriter(64);
  const meta = {
    index: 300,
    term: 2,
    confState: { voters: [1, 2], learners: [3] },
    compactIndex: 250,
    compactTerm: 1,
    replacesLog: false,
  };
  encodeSnapshotMetaRecord(out, meta);
  const bytes = out.take();
  assert.equal(bytes.toString('hex'), '03ac02020201020103fa010100');
  assert.deepEqual(decodeRaftRecord(bytes), { kind: 3, meta });
  const prefix = encodeSnapshotPrefix({
    index: 300,
    term: 2,
    confState: { voters: [1], learners: [] },
    peers: '1=a:1@2',
    removed: [],
  });
  assert.equal(
    prefix.subarray(0, 8).toString('latin1') + prefix.subarray(24).toString('hex'),
    'SHOALRSN' + '01ac020201010007313d613a314032',
  );
  // Removed ids follow the peers only when there are some (files without any are unchanged).
  const withRemoved = encodeSnapshotPrefix({
    index: 300,
    term: 2,
    confState: { voters: [1], learners: [] },
    peers: '1=a:1@2',
    removed: [4, 7],
  });
  assert.equal(
    withRemoved.subarray(24).toString('hex'),
    '01ac020201010007313d613a314032' + '020407',
  );
  // The group id follows the removed ids (their count written even when 0).
  const withGroup = encodeSnapshotPrefix({
    index: 300,
    term: 2,
    confState: { voters: [1], learners: [] },
    peers: '1=a:1@2',
    removed: [],
    groupId: '0123456789abcdef',
  });
  assert.equal(
    withGroup.subarray(24).toString('hex'),
    '01ac020201010007313d613a314032' + '00' + '0123456789abcdef',
  );
});

test('a snapshot file keeps the group id', () => {
  const { data } = snapshotBytes(50, 1, 10, [], 'fedcba9876543210');
  assert.equal(parsed(data).meta.groupId, 'fedcba9876543210');
  assert.deepEqual(parsed(data).meta.removed, []);
  const both = snapshotBytes(50, 1, 10, [4], 'fedcba9876543210').data;
  assert.deepEqual(parsed(both).meta.removed, [4]);
  assert.equal(parsed(both).meta.groupId, 'fedcba9876543210');
  assert.equal(parsed(snapshotBytes(50, 1, 10).data).meta.groupId, undefined);
});

test('a snapshot file keeps the ids removed from the group', () => {
  const { data } = snapshotBytes(50, 1, 10, [4, 7]);
  assert.deepEqual(parsed(data).meta.removed, [4, 7]);
  assert.deepEqual(parsed(snapshotBytes(50, 1, 10).data).meta.removed, []);
});

test('a snapshot loads a frame at a time (SnapshotReader) to the same dataset', () => {
  const { data, engine: source } = snapshotBytes(50, 1, 5_000);
  const { engineStart } = parsed(data);
  const engine = new Engine(16);
  const loader = new SnapshotReader(bufferSource(data), engineStart, engine);
  let steps = 1;
  while (!loader.step(() => true)) steps++;
  assert.equal((loader.result as SnapshotBytesCheck).keyCount, 5_000);
  // One Keys frame per slice of 1,000 keys the job wrote, plus the header and trailer frames.
  assert.ok(steps >= 5, `${steps} steps`);
  assert.equal(datasetOf(engine), datasetOf(source));
  const whole = new Engine(16);
  loadSnapshotBytes(data, engineStart, whole);
  assert.equal(datasetOf(whole), datasetOf(source));
});

test('a snapshot loads from a source read a window at a time, frames across windows included', () => {
  // Over 2 MB of keys: frames straddle the 1 MB windows.
  const { data, engine: source } = snapshotBytes(50, 1, 100_000);
  assert.ok(data.length > 2 * 1024 * 1024, `${data.length} bytes`);
  const { engineStart } = parsed(data);
  const reads: number[] = [];
  const windowed: ByteSource = {
    length: data.length,
    read: (start, end) => {
      reads.push(end - start);
      return Buffer.from(data.subarray(start, end)); // a copy, as a file read gives
    },
  };
  const engine = new Engine(16);
  const reader = new SnapshotReader(windowed, engineStart, engine);
  assert.ok(reader.step(() => false));
  assert.equal(typeof reader.result, 'object', String(reader.result));
  assert.equal(datasetOf(engine), datasetOf(source));
  assert.ok(reads.length >= 3, `${reads.length} reads`);
  assert.ok(Math.max(...reads) <= 1024 * 1024, `largest read ${Math.max(...reads)} bytes`);

  // A changed byte (the file replaced, a bad disk) is found as it is loaded: the frame's CRC.
  const damaged = Buffer.from(data);
  const at = Math.floor(damaged.length / 2);
  damaged[at] = (damaged[at] as number) ^ 0xff;
  const damagedReader = new SnapshotReader(bufferSource(damaged), engineStart, new Engine(16));
  assert.ok(damagedReader.step(() => false));
  assert.match(String(damagedReader.result), /checksum mismatch|runs past the end|empty frame/);
});
