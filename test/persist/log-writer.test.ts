// The log writer's group commit on the simulated disk: which fsync a waiter waits for, and when
// it is told.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpireNone, type LogEntry, Op } from '../../src/engine/effects.js';
import { LogWriter } from '../../src/persist/log.js';
import { recover } from '../../src/persist/recovery.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import { waitFor } from '../helpers/servers.js';

async function openLog(
  fs: SimulatedFileSystem,
  segmentBytesMax = 1024 * 1024,
  lines: string[] = [],
): Promise<LogWriter> {
  await fs.mkdir('/data');
  const log = new LogWriter(
    {
      fs,
      dir: '/data',
      fsync: 'always',
      segmentBytesMax,
      retryDelayMs: 10,
      log: (_level, line) => lines.push(line),
    },
    0,
    [],
  );
  await log.open();
  return log;
}

const setEntry = (key: string, value = 'v'): LogEntry => ({
  timeMs: 0,
  effects: [[Op.Set, 0, key, value, ExpireNone]],
});

/** Appends entries of ~200 bytes one durable write at a time until `done` says so. */
async function writeUntil(log: LogWriter, done: () => boolean, what: string): Promise<number> {
  let written = 0;
  await waitFor(async () => {
    const sequence = log.append(setEntry(`k${written++}`, 'x'.repeat(200)));
    await new Promise<void>((resolve) => log.whenDurable(sequence, resolve));
    return done();
  }, what);
  return written;
}

const segmentsOf = (fs: SimulatedFileSystem): string[] =>
  fs.readdirSync('/data').filter((name) => name.endsWith('.seg'));

/** A slow disk: each fdatasync waits for a `release()`; `end()` makes the disk fast again. */
function gateSyncs(fs: SimulatedFileSystem): { release: () => void; end: () => void } {
  let open = (): void => undefined;
  const arm = (): void => {
    fs.syncGate = new Promise((resolve) => (open = resolve));
  };
  arm();
  return {
    release: () => {
      const opening = open;
      arm(); // the next sync waits again
      opening();
    },
    end: () => {
      fs.syncGate = undefined;
      open();
    },
  };
}

/** Runs `body` on a log whose disk is slow (gated); afterwards, pass or fail, the disk is made
 * usable again and the log closed, so a failing test does not leave the writer retrying. */
async function withGatedLog(
  body: (
    fs: SimulatedFileSystem,
    log: LogWriter,
    gate: ReturnType<typeof gateSyncs>,
  ) => Promise<void>,
): Promise<void> {
  const fs = new SimulatedFileSystem();
  const log = await openLog(fs);
  const gate = gateSyncs(fs);
  try {
    await body(fs, log, gate);
  } finally {
    fs.capacityBytes = Number.POSITIVE_INFINITY;
    gate.end();
    await log.close();
  }
}

describe('log writer', () => {
  it('tells the waiters of one fsync while the next one is already running', () =>
    withGatedLog(async (_fs, log, gate) => {
      const syncs = log.syncCount;

      const first = log.append(setEntry('a'));
      const told: { sequence: number; syncsStarted: number }[] = [];
      log.whenDurable(first, () => told.push({ sequence: first, syncsStarted: log.syncCount }));
      await waitFor(() => log.syncCount === syncs + 1, 'the first fsync to start');

      const second = log.append(setEntry('b'));
      log.whenDurable(second, () => told.push({ sequence: second, syncsStarted: log.syncCount }));
      gate.release();
      await waitFor(() => told.length === 1, 'the first waiter');
      // The second batch's fsync started before the first one's waiter was told: the replies go
      // out while the disk works on the next batch.
      assert.deepEqual(told, [{ sequence: first, syncsStarted: syncs + 2 }]);
      assert.equal(log.lastDurable, first, 'the second entry is not durable yet');

      gate.release();
      await waitFor(() => told.length === 2, 'the second waiter');
      assert.equal(told[1]?.sequence, second);
      assert.equal(log.lastDurable, second);
    }));

  it('tells the waiters of a finished fsync while the next batch does not fit on the disk', () =>
    withGatedLog(async (fs, log, gate) => {
      const syncs = log.syncCount;
      const first = log.append(setEntry('a'));
      let firstTold = false;
      log.whenDurable(first, () => (firstTold = true));
      await waitFor(() => log.syncCount === syncs + 1, 'the first fsync to start');
      log.append(setEntry('b'));
      fs.capacityBytes = fs.usedBytes(); // the second batch does not fit, until there is room
      gate.release();
      await waitFor(() => firstTold, 'the first waiter, while the disk is full');
      assert.equal(log.lastDurable, first);
      assert.ok(log.failure !== undefined, 'the disk refuses the second batch');
      fs.capacityBytes = Number.POSITIVE_INFINITY;
      gate.end();
      await waitFor(() => log.failure === undefined && log.lastDurable === first + 1, 'the retry');
    }));

  it('moves into a preallocated segment once busy, and cuts its zeros off when closed', async () => {
    const SEGMENT = 8192;
    const fs = new SimulatedFileSystem();
    const log = await openLog(fs, SEGMENT);
    let written = await writeUntil(
      log,
      () => segmentsOf(fs).some((name) => fs.fileSize(`/data/${name}`) === SEGMENT),
      'a segment made from the spare',
    );
    const current = segmentsOf(fs).at(-1) as string;
    assert.equal(fs.fileSize(`/data/${current}`), SEGMENT, 'the newest segment is preallocated');
    const beforeClose = log.lastDurable;
    written += 3;
    for (let i = 0; i < 3; i++) log.append(setEntry(`late${i}`));
    await log.close();
    assert.equal(log.lastDurable, beforeClose + 3);
    assert.ok(fs.fileSize(`/data/${current}`) < SEGMENT, 'zeros cut off at close');
    const recovered = await recover(undefined, {
      fs,
      dir: '/data',
      repair: false,
      log: () => undefined,
      sliceMs: 100,
      checkOnly: true,
    });
    assert.deepEqual(recovered.problems, []);
    assert.equal(recovered.lastSequence, written);
  });

  it('gives up its spare segment when the disk is full', async () => {
    const fs = new SimulatedFileSystem();
    const lines: string[] = [];
    const log = await openLog(fs, 16 * 1024, lines);
    try {
      await writeUntil(log, () => fs.readdirSync('/data').includes('log.spare'), 'a spare');
      fs.capacityBytes = fs.usedBytes();
      // Larger than what is left of any segment once a spare is prepared (3/4 of one), smaller
      // than the spare: it fits only in the spare's space.
      const sequence = log.append(setEntry('big', 'y'.repeat(13_000)));
      await waitFor(() => log.lastDurable >= sequence, 'the write, in the space of the spare');
      assert.ok(!fs.readdirSync('/data').includes('log.spare'), 'the spare is gone');
      assert.ok(
        lines.some((line) => line.includes('No space left on device')),
        lines.join('\n'),
      );
    } finally {
      fs.capacityBytes = Number.POSITIVE_INFINITY;
      await log.close();
    }
  });
});
