// Power loss on the simulated disk (everything not fsynced may vanish, a torn write may leave a
// prefix): every write acknowledged under appendfsync always survives, with and without a snapshot
// in progress. And snapshot equivalence: after random commands of every type the command table
// has, with background snapshots running (copy-on-write) in between, snapshot + log replay gives
// exactly the dataset from before the crash.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Shoal } from '../../src/embedded/index.js';
import { SimulatedFileSystem } from '../../src/persist/sim-fs.js';
import type { PersistenceOptions } from '../../src/persist/persistence.js';
import { datasetOf, engineOf, openSimulated, persistenceOf, seeded, SIM_DIR } from './helpers.js';

const ROUNDS = Number(process.env['SHOAL_LONG_TESTS'] ?? 0) > 0 ? 60 : 12;
const slices = { snapshotSlices: { sliceKeys: 7, sliceMs: 1 } };

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Rounds of clients writing under `always`, a power loss at a random moment, and a check that
 * every acknowledged write is there. Returns how many rounds crashed while the log was writing
 * into a preallocated segment (a segment file larger than its written data).
 */
async function acknowledgedWritesSurvive(
  seedBase: number,
  options: Partial<PersistenceOptions>,
): Promise<number> {
  let preallocatedRounds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const random = seeded(seedBase + round);
    let fs = new SimulatedFileSystem();
    const db = await openSimulated(fs, { ...slices, ...options });
    // Some data first, so a snapshot has work to do across many turns.
    await db.mset(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`pre${i}`, `${i}`])));
    const counters = new Map<string, number>();
    const sets = new Map<string, string>();
    const groups: string[][] = [];
    const transactions: string[][] = [];
    let stop = false;
    const client = async (id: number): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const pick = random();
        if (pick < 0.4) {
          const value = await db.incr(`counter${id}`);
          counters.set(`counter${id}`, value);
        } else if (pick < 0.8) {
          const key = `set${id}:${n}`;
          await db.set(key, `v${n}`);
          sets.set(key, `v${n}`);
        } else if (pick < 0.9) {
          // One MSET is one log entry: all of it or none.
          const keys = Array.from({ length: 5 }, (_, j) => `group${id}:${n}:${j}`);
          const pairs = keys.map((key) => [key, `${n}`] as [string, string]);
          await db.mset(pairs);
          groups.push(keys);
        } else {
          // So is a MULTI/EXEC transaction.
          const keys = Array.from({ length: 4 }, (_, j) => `tx${id}:${n}:${j}`);
          transactions.push(keys);
          const transaction = db.multi();
          for (const key of keys) transaction.set(key, `${n}`);
          await transaction.exec();
          groups.push(keys);
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, id) => client(id).catch(() => undefined));
    if (round % 2 === 1) void db.command('BGSAVE');
    await turns(5 + Math.floor(random() * 200));
    // Power loss: the disk as it comes back.
    const snapshotRunning = persistenceOf(db).snapshotInProgress;
    const segmentBytesMax = options.segmentBytesMax;
    if (
      segmentBytesMax !== undefined &&
      fs
        .readdirSync(SIM_DIR)
        .some(
          (name) => name.endsWith('.seg') && fs.fileSize(`${SIM_DIR}/${name}`) === segmentBytesMax,
        )
    ) {
      preallocatedRounds++;
    }
    fs = fs.crash(random);
    stop = true;
    void clients;
    const after = await openSimulated(fs);
    for (const [key, value] of counters) {
      const stored = Number(await after.get(key));
      assert.ok(stored >= value, `round ${round}: ${key} is ${stored}, acknowledged ${value}`);
    }
    for (const [key, value] of sets) {
      assert.equal(await after.get(key), value, `round ${round} (snapshot ${snapshotRunning})`);
    }
    for (const keys of groups) {
      assert.equal(await after.exists(...keys), keys.length, `round ${round}: ${keys[0]}`);
    }
    for (const keys of transactions) {
      const present = await after.exists(...keys);
      assert.ok(
        present === 0 || present === keys.length,
        `round ${round}: ${keys[0]} partly present`,
      );
    }
    assert.equal((await after.dbsize()) >= 300, true);
    await after.close();
  }
  return preallocatedRounds;
}

describe('power loss', () => {
  it('keeps every write acknowledged under always', async () => {
    await acknowledgedWritesSurvive(1000, {});
  });

  it('keeps every write acknowledged under always in preallocated segments', async () => {
    // Small segments: the log prepares spares and writes over their zeros within a few hundred
    // writes, and a power loss keeps any subset of the pages it overwrote since the last sync.
    const rounds = await acknowledgedWritesSurvive(3000, { segmentBytesMax: 16 * 1024 });
    assert.ok(rounds > 0, 'no round crashed while writing into a preallocated segment');
  });
});

type Generator = (random: () => number, key: () => string) => string[];

/** Command generators per family, used only when the command table has the command. */
const generators: Record<string, Generator> = {
  set: (r, k) => ['SET', k(), `v${Math.floor(r() * 100)}`],
  setex: (_r, k) => ['SET', k(), 'x', 'EX', '10000'],
  incr: (_r, k) => ['INCR', k()],
  incrbyfloat: (r, k) => ['INCRBYFLOAT', k(), (r() * 10).toFixed(3)],
  append: (_r, k) => ['APPEND', k(), 'ab\u00ff'],
  setrange: (r, k) => ['SETRANGE', k(), String(Math.floor(r() * 8)), 'zz'],
  del: (_r, k) => ['DEL', k(), k()],
  expire: (_r, k) => ['EXPIRE', k(), '10000'],
  persist: (_r, k) => ['PERSIST', k()],
  rename: (_r, k) => ['RENAME', k(), k()],
  copy: (r, k) => ['COPY', k(), k(), 'DB', String(Math.floor(r() * 3)), 'REPLACE'],
  move: (r, k) => ['MOVE', k(), String(Math.floor(r() * 3))],
  mset: (_r, k) => ['MSET', k(), '1', k(), '2'],
  getdel: (_r, k) => ['GETDEL', k()],
  select: (r) => ['SELECT', String(Math.floor(r() * 3))],
  swapdb: (r) => ['SWAPDB', String(Math.floor(r() * 3)), String(Math.floor(r() * 3))],
  flushdb: () => ['FLUSHDB'],
  rpush: (_r, k) => ['RPUSH', k(), 'a', 'b', 'c'],
  lpop: (_r, k) => ['LPOP', k()],
  hset: (r, k) => ['HSET', k(), `f${Math.floor(r() * 5)}`, 'v'],
  hdel: (r, k) => ['HDEL', k(), `f${Math.floor(r() * 5)}`],
  sadd: (r, k) => ['SADD', k(), `m${Math.floor(r() * 5)}`, 'n'],
  srem: (r, k) => ['SREM', k(), `m${Math.floor(r() * 5)}`],
  zadd: (r, k) => ['ZADD', k(), String(Math.floor(r() * 50) - 25), `m${Math.floor(r() * 5)}`],
  zincrby: (r, k) => ['ZINCRBY', k(), '1.5', `m${Math.floor(r() * 5)}`],
  // Sparse rewrites, and now and then enough elements to turn dense (register SetRanges).
  pfadd: (r, k) => {
    const count = r() < 0.1 ? 2000 : 1 + Math.floor(r() * 5);
    const base = Math.floor(r() * 1e6);
    return ['PFADD', k(), ...Array.from({ length: count }, (_, i) => `e${base + i}`)];
  },
  pfcount: (_r, k) => ['PFCOUNT', k()],
  pfmerge: (_r, k) => ['PFMERGE', k(), k()],
};

async function availableGenerators(db: Shoal): Promise<Generator[]> {
  const names = (await db.command('COMMAND', 'LIST')) as string[];
  const known = new Set(names.map((name) => name.toLowerCase()));
  return Object.entries(generators)
    .filter(([name]) => known.has(name === 'setex' ? 'set' : name))
    .map(([, generate]) => generate);
}

describe('snapshot equivalence', () => {
  it('snapshot + log replay gives the dataset from before the crash', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const random = seeded(5000 + round);
      let fs = new SimulatedFileSystem();
      const db = await openSimulated(fs, slices, { config: { databases: 3 } });
      const available = await availableGenerators(db);
      const key = (): string => `k${Math.floor(random() * 40)}`;
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 600; i++) {
        const generate = available[Math.floor(random() * available.length)] as Generator;
        pending.push(db.command(...(generate(random, key) as [string])).catch(() => undefined));
        if (random() < 0.01) pending.push(db.command('BGSAVE').catch(() => undefined));
        if (random() < 0.1) await turns(1 + Math.floor(random() * 3));
      }
      await Promise.all(pending);
      const before = datasetOf(engineOf(db));
      fs = fs.crash(random);
      const after = await openSimulated(fs, {}, { config: { databases: 3 } });
      assert.equal(datasetOf(engineOf(after)), before, `round ${round}`);
      await after.close();
    }
  });
});
