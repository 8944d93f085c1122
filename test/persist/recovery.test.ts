// Recovery from damaged logs on the simulated disk: a torn tail cut at every byte offset of the
// last write, one corrupt byte anywhere in a write in the middle, --repair, and check.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordKind } from '../../src/persist/codec.js';
import { FILE_HEADER_BYTES } from '../../src/persist/framing.js';
import { recover, RecoveryError } from '../../src/persist/recovery.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { openSimulated, persistenceOf, SIM_DIR } from './helpers.js';
import { waitFor } from '../helpers/servers.js';

const SEGMENT = `${SIM_DIR}/log-00000000000000000001.seg`;

/** Frame offsets of a segment, with the kind of record each holds. */
function frames(data: Buffer): { offset: number; end: number; kind: number }[] {
  const out = [];
  for (let at = FILE_HEADER_BYTES; at + 8 <= data.length;) {
    const length = data.readUInt32LE(at);
    out.push({ offset: at, end: at + 8 + length, kind: data[at + 8] as number });
    at += 8 + length;
  }
  return out;
}

/** A log of `writes` separate writes (one SET each, awaited), closed cleanly. */
async function writeLog(writes: number): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem();
  const db = await openSimulated(fs);
  for (let i = 0; i < writes; i++) await db.set(`k${i}`, `value-${i}`);
  await db.close();
  return fs;
}

/** Batch frames, i.e. where each write starts. */
function batches(data: Buffer) {
  return frames(data).filter((frame) => frame.kind === RecordKind.Batch);
}

describe('recovery', () => {
  it('truncates a torn tail cut at every byte offset of the last write, and logs it', async () => {
    const fs = await writeLog(4);
    const whole = fs.readFile(SEGMENT);
    const last = batches(whole).at(-1);
    assert.ok(last !== undefined);
    for (let cut = last.offset; cut < whole.length; cut++) {
      fs.writeFileDurably(SEGMENT, whole.subarray(0, cut));
      const lines: string[] = [];
      const db = await openSimulated(fs, { log: (_level, line) => lines.push(line) });
      assert.deepEqual(
        await db.mget('k0', 'k1', 'k2', 'k3'),
        ['value-0', 'value-1', 'value-2', null],
        `cut ${cut}`,
      );
      if (cut > last.offset) {
        assert.ok(
          lines.some((line) => line.includes(`${cut - last.offset} bytes dropped`)),
          `cut ${cut}: ${lines.join(' | ')}`,
        );
      }
      // The log continues after the truncation, and the next start sees the new write.
      await db.set('after', String(cut));
      await db.close();
      const again = await openSimulated(fs);
      assert.equal(await again.get('after'), String(cut));
      assert.equal(await again.get('k3'), null);
      await again.close();
      // Back to a single segment holding the truncated log, for the next cut.
      for (const name of await fs.readdir(SIM_DIR))
        if (`${SIM_DIR}/${name}` !== SEGMENT) await fs.unlink(`${SIM_DIR}/${name}`);
    }
  });

  it('refuses to start on one corrupt byte in a write in the middle, naming file and offset', async () => {
    const fs = await writeLog(5);
    const whole = fs.readFile(SEGMENT);
    const middle = batches(whole)[2];
    const next = batches(whole)[3];
    assert.ok(middle !== undefined && next !== undefined);
    for (let at = middle.offset; at < next.offset; at++) {
      const damaged = Buffer.from(whole);
      damaged[at] = (damaged[at] as number) ^ 0x41;
      fs.writeFileDurably(SEGMENT, damaged);
      const frame = frames(whole).find((f) => at >= f.offset && at < f.end);
      await assert.rejects(
        openSimulated(fs),
        (error: unknown) =>
          error instanceof RecoveryError &&
          error.file === SEGMENT &&
          error.offset === frame?.offset &&
          error.message.includes(`offset ${frame.offset}`),
        `byte ${at}`,
      );
      // check reports the same, and changes nothing.
      const report = await recover(undefined, {
        fs,
        dir: SIM_DIR,
        repair: false,
        log: () => undefined,
        sliceMs: 100,
        checkOnly: true,
      });
      assert.deepEqual(
        report.problems.map((p) => [p.kind, p.file, p.offset]),
        [['corrupt', SEGMENT, frame?.offset]],
      );
      assert.deepEqual(fs.readFile(SEGMENT), damaged);
    }
  });

  it("reads a preallocated segment's zeros as the end of its data, without a warning", async () => {
    const fs = await writeLog(4);
    const whole = fs.readFile(SEGMENT);
    fs.writeFileDurably(SEGMENT, Buffer.concat([whole, Buffer.alloc(64 * 1024)]));
    const lines: string[] = [];
    const db = await openSimulated(fs, { log: (level, line) => lines.push(`${level}: ${line}`) });
    assert.deepEqual(await db.mget('k0', 'k1', 'k2', 'k3'), [
      'value-0',
      'value-1',
      'value-2',
      'value-3',
    ]);
    assert.deepEqual(
      lines.filter((line) => line.startsWith('warning')),
      [],
      lines.join('\n'),
    );
    assert.equal(fs.fileSize(SEGMENT), whole.length, 'the zeros are cut off');
    await db.close();
  });

  it('in a preallocated segment, cuts a write torn by a lost sector and refuses a flipped byte', async () => {
    const fs = await writeLog(4);
    const whole = fs.readFile(SEGMENT);
    const last = batches(whole).at(-1);
    assert.ok(last !== undefined);
    // The last write lost a sector (zeros where its bytes should be); zeros follow it.
    const torn = Buffer.concat([whole, Buffer.alloc(64 * 1024)]);
    const sectorStart = Math.floor(whole.length / 512) * 512;
    torn.fill(0, Math.max(last.end, sectorStart), whole.length);
    fs.writeFileDurably(SEGMENT, torn);
    const lines: string[] = [];
    const db = await openSimulated(fs, { log: (_level, line) => lines.push(line) });
    assert.deepEqual(await db.mget('k0', 'k1', 'k2', 'k3'), [
      'value-0',
      'value-1',
      'value-2',
      null,
    ]);
    assert.ok(
      lines.some((line) => line.includes('Truncating') && line.includes(`offset ${last.offset}`)),
      lines.join('\n'),
    );
    await db.close();
    // A byte flipped in a write in the middle, zeros after the data: damage, not a torn write.
    const fresh = await writeLog(4);
    const data = fresh.readFile(SEGMENT);
    const middle = batches(data)[1];
    assert.ok(middle !== undefined);
    const damaged = Buffer.concat([data, Buffer.alloc(64 * 1024)]);
    damaged[middle.end + 10] = (damaged[middle.end + 10] as number) ^ 0x01;
    fresh.writeFileDurably(SEGMENT, damaged);
    await assert.rejects(openSimulated(fresh), RecoveryError);
  });

  it('--repair truncates at the first bad record and keeps what came before', async () => {
    const fs = await writeLog(5);
    const whole = fs.readFile(SEGMENT);
    const middle = batches(whole)[2];
    assert.ok(middle !== undefined);
    const damaged = Buffer.from(whole);
    damaged[middle.end + 12] = (damaged[middle.end + 12] as number) ^ 0xff; // inside k2's entry
    fs.writeFileDurably(SEGMENT, damaged);
    const lines: string[] = [];
    const db = await openSimulated(fs, { repair: true, log: (_l, line) => lines.push(line) });
    assert.deepEqual(await db.mget('k0', 'k1', 'k2', 'k3', 'k4'), [
      'value-0',
      'value-1',
      null,
      null,
      null,
    ]);
    assert.ok(
      lines.some((line) => line.includes('Truncating')),
      lines.join('\n'),
    );
    await db.set('k9', 'x');
    await db.close();
    const again = await openSimulated(fs);
    assert.deepEqual(await again.mget('k1', 'k2', 'k9'), ['value-1', null, 'x']);
    await again.close();
  });

  it('falls back from a damaged snapshot only when the log still covers it', async () => {
    const damageSnapshot = async (fs: SimulatedFileSystem): Promise<void> => {
      const snapshot = (await fs.readdir(SIM_DIR)).find((name) => name.startsWith('snapshot-'));
      assert.ok(snapshot !== undefined);
      const bytes = fs.readFile(`${SIM_DIR}/${snapshot}`);
      bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 1;
      fs.writeFileDurably(`${SIM_DIR}/${snapshot}`, bytes);
    };
    // SAVE does not rotate the log: the segment it covers stays, and replay alone rebuilds all.
    const covered = new SimulatedFileSystem();
    let db = await openSimulated(covered);
    await db.set('a', '1');
    await db.command('RPUSH', 'list', 'x', 'y');
    assert.equal(await db.command('SAVE'), 'OK');
    await db.set('b', '2');
    await db.close();
    await damageSnapshot(covered);
    db = await openSimulated(covered);
    assert.deepEqual(await db.mget('a', 'b'), ['1', '2']);
    // The damaged snapshot was read (and applied) before its trailer showed the damage: none of
    // it may stay, or the log's RPUSH would add to its list.
    assert.deepEqual(await db.command('LRANGE', 'list', '0', '-1'), ['x', 'y']);
    await db.close();

    // BGSAVE rotates, then deletes the segments it covers: without the snapshot, entries are missing.
    const compacted = new SimulatedFileSystem();
    db = await openSimulated(compacted);
    await db.set('a', '1');
    const persistence = persistenceOf(db);
    assert.equal(await db.command('BGSAVE'), 'Background saving started');
    await waitFor(() => !persistence.snapshotInProgress, 'the snapshot');
    await db.set('b', '2');
    await db.set('c', '3');
    await db.close();
    await damageSnapshot(compacted);
    await assert.rejects(openSimulated(compacted), /missing/);
  });
});
