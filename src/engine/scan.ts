// SCAN cursors over a JavaScript Map. A Map iterator stays valid while the Map changes: entries
// deleted before being reached are skipped, entries added are reached, nothing present throughout
// is missed. So a cursor is the handle of a live iterator. Cursors are bounded in number; a cursor
// that is unknown (evicted, from before a restart, or over a collection that was replaced)
// restarts the iteration, which may repeat elements (allowed) but never misses one.

import { assert } from './assert.js';

interface LiveCursor {
  source: object;
  iterator: Iterator<unknown>;
}

export class ScanCursors {
  private readonly live = new Map<string, LiveCursor>();
  private nextId = 1;

  constructor(private readonly maxLiveCursors = 4096) {
    assert(maxLiveCursors > 0, 'cursor table needs room for one cursor');
  }

  /**
   * Visits up to `count` elements of `source` from `cursor` ("0" starts) and returns the next
   * cursor ("0" when the iteration is complete).
   */
  scan<K>(
    source: { keys(): Iterator<K> },
    cursor: string,
    count: number,
    visit: (element: K) => void,
  ): string {
    let entry = cursor === '0' ? undefined : this.live.get(cursor);
    if (entry !== undefined) this.live.delete(cursor);
    if (entry === undefined || entry.source !== source) {
      entry = { source, iterator: source.keys() };
    }
    const iterator = entry.iterator as Iterator<K>;
    for (let visited = 0; visited < count; visited++) {
      const step = iterator.next();
      if (step.done === true) return '0';
      visit(step.value);
    }
    return this.park(entry);
  }

  private park(entry: LiveCursor): string {
    if (this.live.size >= this.maxLiveCursors) {
      const oldest = this.live.keys().next();
      if (oldest.done !== true) this.live.delete(oldest.value);
    }
    const id = String(this.nextId++);
    this.live.set(id, entry);
    return id;
  }

  get size(): number {
    return this.live.size;
  }
}
