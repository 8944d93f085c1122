// How collection effects are applied and dumped, by op code and by type. Each type's module adds
// its entries here (list.ts, hash.ts, set.ts, zset.ts); engine.ts looks them up.

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { EncodingLimits } from '../encoding-limits.js';
import type { CollectionEffect, Effect } from '../effects.js';
import { OpRange } from '../effects.js';
import type { CollectionValue } from '../values.js';

/**
 * Applies one effect to `db`; the key's change has already been announced. `limits` are the
 * engine's encoding thresholds (for the types whose encoding the applier decides).
 */
export type Applier = (db: Database, effect: CollectionEffect, limits: EncodingLimits) => void;
/** The effects that rebuild `value` at `key` from nothing (no expiry: the engine adds it). */
export type Dumper = (db: number, key: string, value: CollectionValue) => Effect[];

export const collectionAppliers = new Map<number, Applier>();
export const collectionDumpers = new Map<string, Dumper>();

export function registerType(
  type: keyof typeof OpRange,
  appliers: Record<number, Applier>,
  dumper: Dumper,
): void {
  const [low, high] = OpRange[type];
  for (const [code, applier] of Object.entries(appliers)) {
    const op = Number(code);
    assert(op >= low && op <= high, `${type} op ${op} inside its range ${low}-${high}`);
    assert(!collectionAppliers.has(op), `op ${op} registered once`);
    collectionAppliers.set(op, applier);
  }
  collectionDumpers.set(type, dumper);
}
