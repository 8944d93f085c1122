// Golden bytes: files written by format version 1 must decode the same way forever, and the
// current encoder must still produce exactly these bytes. If this test fails, you changed the
// on-disk format: add a new tag or version instead (codec.ts lists the rules).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import type { Effect } from '../../src/engine/effects.js';
import {
  ByteWriter,
  decodeRecord,
  FORMAT_VERSION,
  writeEntryPayload,
} from '../../src/persist/codec.js';
import {
  beginFrame,
  checkFileHeader,
  endFrame,
  FILE_HEADER_BYTES,
  fileHeader,
  LOG_MAGIC,
  SNAPSHOT_MAGIC,
} from '../../src/persist/framing.js';
import { SnapshotJob } from '../../src/persist/snapshot.js';

/** A log segment header and one framed entry using every argument tag. */
const LOG_V1 =
  '53484f414c4c4f47010000007daacbbd5a0000004a1fa79201ac0200b08756febc7842040104020001036b6579010376ff0002010303020401016b03000000000000f83f0b03020001016b0101785006020201017a03000000000000f0ff030000000000000080020d03ffffffffffff3f43';
const LOG_V1_EFFECTS: Effect[] = [
  [1, 0, 'key', 'v\u00ff\u0000', -1],
  [3, 2, 'k', 1.5],
  [11, 0, 'k', 'x'],
  [80, 1, 'z', -Infinity, -0, -7, 2 ** 53 - 1],
];

/** A snapshot of two keys in two databases (one with an expiry), sequence 42. */
const SNAPSHOT_V1 =
  '53484f414c534e50010000008f193cba0b0000006eec9936022a00008056febc78420223000000d55024af030201010402000101610202020101010402020101620104746578740280c0e285e36807000000cba62f46040202fbf21c6d';

describe('on-disk format version 1 (golden)', () => {
  it('is version 1', () => assert.equal(FORMAT_VERSION, 1));

  it('encodes a log entry to the same bytes', () => {
    const out = new ByteWriter(16);
    const at = beginFrame(out);
    writeEntryPayload(out, 300, { timeMs: 1700000000123, effects: LOG_V1_EFFECTS });
    endFrame(out, at);
    assert.equal(Buffer.concat([fileHeader(LOG_MAGIC), out.take()]).toString('hex'), LOG_V1);
  });

  it('decodes the golden log entry to the same values', () => {
    const bytes = Buffer.from(LOG_V1, 'hex');
    assert.equal(checkFileHeader(bytes, LOG_MAGIC), undefined);
    const length = bytes.readUInt32LE(FILE_HEADER_BYTES);
    const start = FILE_HEADER_BYTES + 8;
    const record = decodeRecord(bytes, start, start + length);
    assert.ok(record.kind === 1);
    assert.equal(record.value.sequence, 300);
    assert.equal(record.value.entry.timeMs, 1700000000123);
    assert.deepEqual(record.value.entry.effects, LOG_V1_EFFECTS);
    assert.ok(Object.is(record.value.entry.effects[3]?.[4], -0));
  });

  it('writes the same snapshot bytes, and they load into the same dataset', () => {
    const engine = new Engine(2);
    engine.apply({
      timeMs: 0,
      effects: [
        [1, 0, 'a', '1', -1],
        [1, 1, 'b', 'text', 1800000000000],
      ],
    });
    const job = new SnapshotJob(engine, 42, 1700000000000);
    job.start();
    job.step(100);
    job.stop();
    assert.equal(job.finish().toString('hex'), SNAPSHOT_V1);

    const bytes = Buffer.from(SNAPSHOT_V1, 'hex');
    assert.equal(checkFileHeader(bytes, SNAPSHOT_MAGIC), undefined);
    const records = [];
    for (let at = FILE_HEADER_BYTES; at < bytes.length;) {
      const length = bytes.readUInt32LE(at);
      records.push(decodeRecord(bytes, at + 8, at + 8 + length));
      at += 8 + length;
    }
    assert.deepEqual(records, [
      { kind: 2, value: { sequence: 42, timeMs: 1700000000000, databaseCount: 2 } },
      { kind: 3, value: [[[1, 0, 'a', 1, -1]], [[1, 1, 'b', 'text', 1800000000000]]] },
      { kind: 4, value: { keyCount: 2, recordCount: 2, fileCrc: 1830613755 } },
    ]);
  });
});
