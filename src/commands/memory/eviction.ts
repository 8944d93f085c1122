// maxmemory: the access clocks kept on every read and write, and the eviction that runs before a
// command when the dataset estimate (engine/memory.ts) is over the limit, as Redis's
// performEvictions does from processCommand. Evictions are decided here, in the command layer,
// and happen as Delete effects of the command about to run, so the log replays them exactly.
// LRU, LFU and TTL policies sample `maxmemory-samples` keys per database into a pool of the 16
// best candidates kept across calls (evict.c's EvictionPool); random policies take one sample.

import { type Database, type KeyEntry, NO_CLOCK } from '../../engine/database.js';
import type { Engine } from '../../engine/engine.js';
import { type Effect, Op } from '../../engine/effects.js';
import { databaseBytes } from '../../engine/memory.js';
import type { Config } from '../config.js';
import type { CommandContext } from '../context.js';
import { EventClass } from '../notify.js';
import {
  idleMs,
  LRU_CLOCK_MAX,
  lfuDecayed,
  lfuMinutes,
  lfuTouched,
  lruClock,
  newLfuClock,
} from './access-clock.js';

export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Redis's EVPOOL_SIZE. */
const POOL_SIZE = 16;
/** Populate-and-pick rounds before eviction gives up (every sampled key was gone). */
const PICK_ROUNDS_MAX = 16;

interface Candidate {
  /** Larger is a better victim: idle ms (LRU), 255 - frequency (LFU), or -expiry time (TTL). */
  score: number;
  db: number;
  key: string;
}

type Kind = 'lru' | 'lfu' | 'ttl' | 'random' | 'none';

export class MemoryManager {
  /** maxmemory in bytes; 0 is no limit (the dispatcher reads it before anything else). */
  maxmemory = 0;
  /** True under an LFU policy: clocks hold a frequency counter, not a time. */
  lfu = false;
  evictedKeys = 0;
  private kind: Kind = 'none';
  private allKeys = false;
  private samples = 5;
  private logFactor = 10;
  private decayMinutes = 1;
  private readonly pool: Candidate[] = [];
  private nextRandomDb = 0;
  /** Clock of keys without an entry (loaded by replay): the time this store started. */
  private readonly startMs: number;

  constructor(
    private readonly engine: Engine,
    config: Config,
    startMs: number,
  ) {
    this.startMs = startMs;
    const follow = (): void => {
      this.maxmemory = config.getNumber('maxmemory');
      const policy = config.get('maxmemory-policy');
      this.allKeys = policy.startsWith('allkeys-');
      this.kind = policy === 'noeviction' ? 'none' : (policy.split('-')[1] as Kind);
      this.lfu = this.kind === 'lfu';
      this.samples = config.getNumber('maxmemory-samples');
      this.logFactor = config.getNumber('lfu-log-factor');
      this.decayMinutes = config.getNumber('lfu-decay-time');
      this.pool.length = 0;
    };
    follow();
    config.onChange((name) => {
      if (name.startsWith('maxmemory') || name.startsWith('lfu-')) follow();
    });
  }

  /** A key was read (CommandContext.lookup): LRU clock to now, or LFU counter incremented. */
  touch(entry: KeyEntry, nowMs: number, random: () => number): void {
    if (!this.lfu) {
      entry.clock = lruClock(nowMs);
      return;
    }
    const clock = entry.clock === NO_CLOCK ? newLfuClock(this.startMs) : entry.clock;
    entry.clock = lfuTouched(clock, nowMs, this.logFactor, this.decayMinutes, random);
  }

  /**
   * After an effect was applied: a key it created or replaced gets a clock. Under LRU a write is
   * an access; under LFU an overwritten key keeps its counter (Redis's dbOverwrite).
   */
  written(effect: Effect, nowMs: number): void {
    const op = effect[0];
    let dbIndex = effect[1] as number;
    let key: string;
    if (op === Op.Set || op === Op.Append || op === Op.SetRange || op >= 20) {
      key = effect[2] as string;
    } else if (op === Op.Copy) {
      dbIndex = effect[3] as number;
      key = effect[4] as string;
    } else {
      return; // deletions, expiry, renames and moves (clocks travel with the value)
    }
    const entry = this.engine.database(dbIndex).entries.get(key);
    if (entry === undefined) return; // the collection emptied and went
    if (!this.lfu) entry.clock = lruClock(nowMs);
    else if (op === Op.Copy || entry.clock === NO_CLOCK) entry.clock = newLfuClock(nowMs);
  }

  /**
   * RESTORE's IDLETIME and FREQ for a key it just created (objectSetLRUOrLFU): FREQ sets the
   * counter under an LFU policy, IDLETIME moves the LRU clock back otherwise; the option that
   * does not match the policy is ignored, as in Redis.
   */
  restored(
    db: Database,
    key: string,
    nowMs: number,
    idleSeconds: number | undefined,
    frequency: number | undefined,
  ): void {
    const entry = db.entries.get(key);
    if (entry === undefined) return;
    if (this.lfu) {
      if (frequency !== undefined) entry.clock = (lfuMinutes(nowMs) << 8) | frequency;
      return;
    }
    if (idleSeconds === undefined) return;
    const clock = lruClock(nowMs);
    let accessed = clock - idleSeconds;
    if (accessed < 0) accessed = (clock + Math.floor(LRU_CLOCK_MAX / 2)) % LRU_CLOCK_MAX;
    entry.clock = accessed;
  }

  /** OBJECT IDLETIME: seconds since the key was last accessed. */
  idleSeconds(db: Database, key: string, nowMs: number): number {
    return Math.floor(idleMs(clockOf(db, key) ?? lruClock(this.startMs), nowMs) / 1000);
  }

  /** OBJECT FREQ: the decayed LFU counter. */
  frequency(db: Database, key: string, nowMs: number): number {
    return lfuDecayed(clockOf(db, key) ?? newLfuClock(this.startMs), nowMs, this.decayMinutes);
  }

  /** The dataset estimate compared with maxmemory (INFO used_memory adds client buffers). */
  usedBytes(): number {
    let total = 0;
    for (const db of this.engine.databases) total += databaseBytes(db);
    return total;
  }

  /**
   * Evicts keys (Delete effects emitted through `ctx`) until the estimate is within maxmemory.
   * False when it cannot get there: noeviction, or nothing left that the policy may evict.
   */
  makeRoom(ctx: CommandContext): boolean {
    let used = this.usedBytes();
    if (used <= this.maxmemory) return true;
    if (this.kind === 'none') return false;
    while (used > this.maxmemory) {
      const victim = this.kind === 'random' ? this.randomVictim(ctx) : this.pooledVictim(ctx);
      if (victim === undefined) return false;
      ctx.emit([Op.Delete, victim.db, victim.key]);
      this.evictedKeys++;
      ctx.notify(EventClass.evicted, 'evicted', victim.key, victim.db);
      used = this.usedBytes();
    }
    return true;
  }

  private eligible(db: Database, key: string): boolean {
    return db.has(key) && (this.allKeys || db.expires.has(key));
  }

  private randomVictim(ctx: CommandContext): Candidate | undefined {
    const databases = this.engine.databases;
    for (let i = 0; i < databases.length; i++) {
      const db = databases[(this.nextRandomDb + i) % databases.length] as Database;
      let key: string | undefined;
      if (this.allKeys) {
        key = db.sampleKey(ctx.random);
      } else {
        const skip = Math.floor(ctx.random() * Math.min(db.expires.size, 64));
        db.sampleExpiring(skip + 1, (sampled) => (key = sampled));
      }
      if (key !== undefined) {
        this.nextRandomDb = (this.nextRandomDb + i + 1) % databases.length;
        return { score: 0, db: db.index, key };
      }
    }
    return undefined;
  }

  private pooledVictim(ctx: CommandContext): Candidate | undefined {
    for (let round = 0; round < PICK_ROUNDS_MAX; round++) {
      let sampled = 0;
      for (const db of this.engine.databases) sampled += this.populate(db, ctx);
      // Best candidates sit at the end; skip those deleted or changed since they were sampled.
      while (this.pool.length > 0) {
        const best = this.pool.pop() as Candidate;
        if (this.eligible(this.engine.database(best.db), best.key)) return best;
      }
      if (sampled === 0) return undefined;
    }
    return undefined;
  }

  /** Samples keys of one database into the pool (evictionPoolPopulate); returns how many. */
  private populate(db: Database, ctx: CommandContext): number {
    if ((this.allKeys ? db.size : db.expires.size) === 0) return 0;
    const nowMs = ctx.nowMs;
    const consider = (key: string, expireAtMs: number | undefined): void => {
      let score: number;
      if (this.kind === 'ttl') score = -(expireAtMs ?? Infinity);
      else if (this.kind === 'lfu') score = 255 - this.frequency(db, key, nowMs);
      else score = idleMs(clockOf(db, key) ?? lruClock(this.startMs), nowMs);
      this.insert({ score, db: db.index, key });
    };
    if (!this.allKeys) return db.sampleExpiring(this.samples, consider);
    let sampled = 0;
    for (let i = 0; i < this.samples; i++) {
      const key = db.sampleKey(ctx.random);
      if (key === undefined) break;
      consider(key, undefined);
      sampled++;
    }
    return sampled;
  }

  /** Keeps the pool sorted by score, ascending, at most POOL_SIZE long, without duplicates. */
  private insert(candidate: Candidate): void {
    const pool = this.pool;
    for (const entry of pool) {
      if (entry.key === candidate.key && entry.db === candidate.db) {
        entry.score = candidate.score;
        pool.sort((a, b) => a.score - b.score);
        return;
      }
    }
    if (pool.length === POOL_SIZE && candidate.score <= (pool[0] as Candidate).score) return;
    let at = pool.length;
    while (at > 0 && (pool[at - 1] as Candidate).score > candidate.score) at--;
    pool.splice(at, 0, candidate);
    if (pool.length > POOL_SIZE) pool.shift();
  }
}

/** A key's access clock; undefined when it has none yet (the caller supplies the start's). */
function clockOf(db: Database, key: string): number | undefined {
  const clock = db.entries.get(key)?.clock;
  return clock === NO_CLOCK ? undefined : clock;
}
