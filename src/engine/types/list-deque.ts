// A double-ended queue of strings over one plain array used as a ring buffer: O(1) push and pop at
// both ends, O(1) access by index, and inserts or removals in the middle that move only the
// shorter side. The array's capacity is a power of two that doubles when full and halves when
// three quarters empty, so memory follows the length and one element costs one array slot.

import { assert } from '../assert.js';

const MIN_CAPACITY = 4;

function capacityFor(length: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < length) capacity *= 2;
  return capacity;
}

export class StringDeque {
  /** Slots; those outside [head, head + length) (modulo capacity) are undefined. */
  private slots: (string | undefined)[];
  /** Physical index of element 0. Invariant: 0 <= head < slots.length. */
  private head = 0;
  /** Invariant: 0 <= count <= slots.length, and slots.length is a power of two. */
  private count = 0;

  constructor(initialCapacity = MIN_CAPACITY) {
    this.slots = new Array<string | undefined>(capacityFor(initialCapacity));
  }

  get length(): number {
    return this.count;
  }

  /** Element at `index` (0 = leftmost); the caller keeps 0 <= index < length. */
  at(index: number): string {
    return this.slots[(this.head + index) & (this.slots.length - 1)] as string;
  }

  setAt(index: number, value: string): string {
    const physical = (this.head + index) & (this.slots.length - 1);
    const old = this.slots[physical] as string;
    this.slots[physical] = value;
    return old;
  }

  pushRight(value: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = value;
    this.count++;
  }

  pushLeft(value: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = value;
    this.count++;
  }

  popLeft(): string {
    assert(this.count > 0, 'pop from a non-empty list');
    const value = this.slots[this.head] as string;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count--;
    this.maybeShrink();
    return value;
  }

  popRight(): string {
    assert(this.count > 0, 'pop from a non-empty list');
    const physical = (this.head + this.count - 1) & (this.slots.length - 1);
    const value = this.slots[physical] as string;
    this.slots[physical] = undefined;
    this.count--;
    this.maybeShrink();
    return value;
  }

  /** Inserts `value` so that it ends up at `index` (0..length), moving the shorter side. */
  insertAt(index: number, value: string): void {
    assert(index >= 0 && index <= this.count, 'insert index inside the list');
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    const mask = this.slots.length - 1;
    if (index < this.count - index) {
      // Move elements [0, index) one slot to the left.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) {
        this.slots[(this.head + i) & mask] = this.slots[(this.head + i + 1) & mask];
      }
    } else {
      // Move elements [index, count) one slot to the right.
      for (let i = this.count; i > index; i--) {
        this.slots[(this.head + i) & mask] = this.slots[(this.head + i - 1) & mask];
      }
    }
    this.slots[(this.head + index) & mask] = value;
    this.count++;
  }

  /** Drops `left` elements from the left end and `right` from the right end. */
  trim(left: number, right: number): void {
    assert(left >= 0 && right >= 0 && left + right <= this.count, 'trim inside the list');
    const mask = this.slots.length - 1;
    for (let i = 0; i < left; i++) this.slots[(this.head + i) & mask] = undefined;
    for (let i = this.count - right; i < this.count; i++) {
      this.slots[(this.head + i) & mask] = undefined;
    }
    this.head = (this.head + left) & mask;
    this.count -= left + right;
    this.maybeShrink();
  }

  /**
   * Removes elements equal to `value`: up to `limit` of them (0 = all), scanning from the left,
   * or from the right when `fromRight`. Calls `removed` for each. Returns how many went.
   */
  removeMatching(value: string, limit: number, fromRight: boolean): number {
    const mask = this.slots.length - 1;
    const slots = this.slots;
    let removed = 0;
    if (!fromRight) {
      let write = 0;
      for (let read = 0; read < this.count; read++) {
        const element = slots[(this.head + read) & mask] as string;
        if (element === value && (limit === 0 || removed < limit)) removed++;
        else {
          if (write !== read) slots[(this.head + write) & mask] = element;
          write++;
        }
      }
      for (let i = write; i < this.count; i++) slots[(this.head + i) & mask] = undefined;
    } else {
      let write = this.count - 1;
      for (let read = this.count - 1; read >= 0; read--) {
        const element = slots[(this.head + read) & mask] as string;
        if (element === value && (limit === 0 || removed < limit)) removed++;
        else {
          if (write !== read) slots[(this.head + write) & mask] = element;
          write--;
        }
      }
      for (let i = 0; i < removed; i++) slots[(this.head + i) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.count -= removed;
    this.maybeShrink();
    return removed;
  }

  /** The elements in order, as a new array. */
  toArray(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i);
    return out;
  }

  /** Array capacity (tests check that it follows the length). */
  get capacity(): number {
    return this.slots.length;
  }

  protected copyFrom(other: StringDeque): void {
    this.slots = new Array<string | undefined>(capacityFor(other.count));
    for (let i = 0; i < other.count; i++) this.slots[i] = other.at(i);
    this.head = 0;
    this.count = other.count;
  }

  private maybeShrink(): void {
    const capacity = this.slots.length;
    if (capacity > MIN_CAPACITY && this.count <= capacity / 4) {
      this.resize(capacityFor(this.count * 2));
    }
  }

  private resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity);
    for (let i = 0; i < this.count; i++) next[i] = this.at(i);
    this.slots = next;
    this.head = 0;
  }
}
