// Uniform random picks from a keyed collection in O(1) each: a dense array of the keys plus a Map
// from key to its slot, kept up to date with swap-remove. Sets and hashes build one lazily, the
// first time a random pick is needed on a collection too large to simply walk, because it costs
// about 20 bytes per element that most collections never need (measured on Node 20: a Set costs
// ~21 bytes per member, a Map to slot plus the array ~40).
//
// Random numbers come from the caller (the command layer's ctx.random); nothing here is logged.

import { assert } from '../assert.js';

export class RandomIndex {
  private readonly slots = new Map<string, number>();
  private readonly dense: string[] = [];

  constructor(keys: Iterable<string>) {
    for (const key of keys) this.add(key);
  }

  get size(): number {
    return this.dense.length;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Adds a key not yet present. */
  add(key: string): void {
    assert(!this.slots.has(key), 'random index adds a new key');
    this.slots.set(key, this.dense.length);
    this.dense.push(key);
  }

  /** Removes a key if present: the last key moves into its slot. */
  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    const last = this.dense.pop() as string;
    if (last !== key) {
      this.dense[slot] = last;
      this.slots.set(last, slot);
    }
    this.slots.delete(key);
    return true;
  }

  /** Keys in insertion order (a Map keeps it through swap-removes); a live, mutation-safe iterator. */
  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  pick(random: () => number): string {
    assert(this.dense.length > 0, 'random pick from a non-empty index');
    return this.dense[Math.floor(random() * this.dense.length)] as string;
  }

  /** `count` distinct keys (count < size), uniformly, in random order. */
  sample(count: number, random: () => number): string[] {
    return sampleDistinctSlots(this.dense.length, count, random).map(
      (slot) => this.dense[slot] as string,
    );
  }
}

/**
 * `count` distinct slots out of `size`, uniformly and in random order, in O(count) time and
 * memory: a Fisher-Yates shuffle of a virtual array that records only the slots it swapped.
 */
export function sampleDistinctSlots(size: number, count: number, random: () => number): number[] {
  assert(count <= size, 'cannot sample more distinct slots than there are');
  const swapped = new Map<number, number>();
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out[i] = atJ;
  }
  return out;
}
