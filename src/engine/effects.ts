// Effects: the deterministic, self-contained changes that the command layer derives from a write
// command and that the engine applies. Every change to the dataset is one of these. They are what
// the write-ahead log stores and what Raft replicates, so the op codes below are append-only: never
// renumber or reuse one (a golden test in test/engine pins them).

export const Op = {
  Set: 1,
  Delete: 2,
  ExpireAt: 3,
  Persist: 4,
  Rename: 5,
  Copy: 6,
  Move: 7,
  SwapDb: 8,
  FlushDb: 9,
  FlushAll: 10,
  Append: 11,
  SetRange: 12,
  /** A pub/sub message in a replica group's log: no change to the data (see Engine.applyEffect). */
  Publish: 13,
  /**
   * A replica group's settings (ConfigSet: a setting every node shares; AclSetUser: a user
   * described as ACL LIST does, replacing it whole; AclDelUser): no change to the data. The
   * engine keeps the latest of each for snapshots and tells its SettingsObserver.
   */
  ConfigSet: 14,
  AclSetUser: 15,
  AclDelUser: 16,
} as const;

/**
 * Op code ranges reserved for the collection types; each type's module (engine/types/*.ts)
 * names its codes inside its range and registers how to apply them.
 */
export const OpRange = {
  list: [20, 39],
  hash: [40, 59],
  set: [60, 79],
  zset: [80, 99],
  stream: [100, 119],
} as const;

export type OpCode = (typeof Op)[keyof typeof Op];

/** Expiry argument of Op.Set: no expiry (clears any), or keep the key's current expiry. */
export const ExpireNone = -1;
export const ExpireKeep = -2;

/** Every effect starts with its op code; the rest are strings (latin1, binary-safe) and numbers. */
export type Effect = CoreEffect | CollectionEffect;

/** Effects on strings, expiry and whole keys or databases (op codes below 20). */
export type CoreEffect =
  | [op: typeof Op.Set, db: number, key: string, value: string | number, expireAtMs: number]
  | [op: typeof Op.Delete, db: number, key: string]
  | [op: typeof Op.ExpireAt, db: number, key: string, expireAtMs: number]
  | [op: typeof Op.Persist, db: number, key: string]
  | [op: typeof Op.Rename, db: number, source: string, destination: string]
  | [
      op: typeof Op.Copy,
      sourceDb: number,
      source: string,
      destinationDb: number,
      destination: string,
    ]
  | [op: typeof Op.Move, db: number, key: string, destinationDb: number]
  | [op: typeof Op.SwapDb, db: number, otherDb: number]
  | [op: typeof Op.FlushDb, db: number]
  | [op: typeof Op.FlushAll]
  | [op: typeof Op.Append, db: number, key: string, suffix: string]
  | [op: typeof Op.SetRange, db: number, key: string, offset: number, value: string]
  | [op: typeof Op.Publish, shard: 0 | 1, channel: string, message: string]
  | SettingEffect;

/** A replica group's configuration, replicated in its log and kept in its snapshots. */
export type SettingEffect =
  | [op: typeof Op.ConfigSet, name: string, value: string]
  | [op: typeof Op.AclSetUser, name: string, description: string]
  | [op: typeof Op.AclDelUser, name: string];

export function isSettingEffect(effect: Effect): effect is SettingEffect {
  return effect[0] >= Op.ConfigSet && effect[0] <= Op.AclDelUser;
}

/** Core op codes are below this; collection op codes (OpRange) start here. */
export const FIRST_COLLECTION_OP = 20;

/**
 * An effect on one collection key: [op, db, key, ...arguments]. The engine marks the key as
 * changing, then hands the effect to the op's registered applier.
 */
export type CollectionEffect = [op: number, db: number, key: string, ...args: (string | number)[]];

/**
 * One log entry: the effects of one command (or one MULTI/EXEC transaction), applied atomically,
 * and the wall-clock time at which the command ran. Applying never reads a clock: anything that
 * depends on time was resolved into absolute values before the entry was made.
 */
export interface LogEntry {
  timeMs: number;
  effects: Effect[];
}
