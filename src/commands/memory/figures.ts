// The memory figures INFO memory and MEMORY STATS report. `used_memory` is Shoal's estimate of the
// dataset (engine/memory.ts: keys, values, their entries, and the key and expiry tables) plus the
// clients' buffers: the figure maxmemory is compared with, exact after every command, where V8's
// heap figure would lag behind garbage collection. The process figures (V8 heap, RSS) are
// reported next to it, as the allocator and RSS fields; the short string values' slabs live
// outside V8's heap and are counted with it there.

import { databaseOverheadBytes, EXPIRE_ENTRY_BYTES } from '../../engine/memory.js';
import type { CommandContext } from '../context.js';

export interface MemoryFigures {
  used: number;
  peak: number;
  /** Key, expiry and clock tables, and the clients' buffers. */
  overhead: number;
  /** Keys and values. */
  dataset: number;
  clients: number;
  keys: number;
  /** V8's heap in use, plus the slabs of short string values (engine/string-arena.ts). */
  allocated: number;
  /** V8's heap reserved, plus those slabs. */
  active: number;
  rss: number;
  /** Table overheads of each database that holds keys: [index, main, expires]. */
  databases: [number, number, number][];
}

let peakBytes = 0;

export function memoryFigures(ctx: CommandContext, clientBytes: number): MemoryFigures {
  let dataset = 0;
  let overhead = clientBytes;
  let keys = 0;
  let arenaBytes = 0;
  const databases: [number, number, number][] = [];
  for (const db of ctx.engine.databases) {
    dataset += db.datasetBytes;
    const tables = databaseOverheadBytes(db);
    overhead += tables;
    keys += db.size;
    arenaBytes += db.arena.slabBytes;
    const expires = db.expires.size * EXPIRE_ENTRY_BYTES;
    if (db.size > 0) databases.push([db.index, tables - expires, expires]);
  }
  const used = dataset + overhead;
  peakBytes = Math.max(peakBytes, used);
  const process_ = process.memoryUsage();
  return {
    used,
    peak: peakBytes,
    overhead,
    dataset,
    clients: clientBytes,
    keys,
    allocated: process_.heapUsed + arenaBytes,
    active: process_.heapTotal + arenaBytes,
    rss: process_.rss,
    databases,
  };
}
