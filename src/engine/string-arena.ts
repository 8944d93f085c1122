// Off-heap bytes for a database's short string values. A value kept as a V8 string is a new
// young-generation object at every write, and since the keyspace holds it, it survives the next
// young-generation collection, which must copy it (twice: within the young generation, then out)
// and fix the old-space entry that points to it. Under a SET load on a large keyspace those copies
// made the collections' pauses (4–5 ms, several a second) the server's p99. Here a short value is
// a slot in slabs of bytes, named by a small integer (a V8 Smi, so storing it allocates nothing):
// an overwrite copies bytes into a slot and leaves nothing for the collector.
//
// A handle packs the value's length (its low 7 bits) and its slot within the size class the
// length picks (the bits above), so a value's length and class are known without reading its
// bytes. Values are latin1 strings (one byte per character, as everywhere in the engine). Slots
// freed by overwrites and deletions are reused; the slabs are never returned (a flush drops the
// whole arena with its database's Maps).

import { assert } from './assert.js';

/** No slot: the value is kept as a V8 value. */
export const NO_SLOT = -1;

/** Longest value kept here; longer ones are few per byte and stay V8 strings. */
export const ARENA_MAX_LENGTH = 127;
const LENGTH_BITS = 7;
const LENGTH_MASK = (1 << LENGTH_BITS) - 1;
/** Slots per class: handles stay below 2^30, a small integer on every V8 build. */
const MAX_SLOTS = 1 << (30 - LENGTH_BITS);
const SLOTS_PER_SLAB_BITS = 10;
const SLOTS_PER_SLAB = 1 << SLOTS_PER_SLAB_BITS;

/** Slot sizes in bytes; a value goes to the smallest that holds it. */
const CLASS_BYTES = [8, 16, 24, 32, 48, 64, 96, 128] as const;
const CLASS_OF_LENGTH = new Uint8Array(ARENA_MAX_LENGTH + 1);
for (let length = 1, cls = 0; length <= ARENA_MAX_LENGTH; length++) {
  while ((CLASS_BYTES[cls] as number) < length) cls++;
  CLASS_OF_LENGTH[length] = cls;
}

/** Bytes a value of `length` takes in an arena, or 0 when it is not kept in one. */
export function arenaBytesFor(length: number): number {
  if (length === 0 || length > ARENA_MAX_LENGTH) return 0;
  return CLASS_BYTES[CLASS_OF_LENGTH[length] as number] as number;
}

/** The length of the value named by `handle`. */
export function arenaLength(handle: number): number {
  return handle & LENGTH_MASK;
}

/** Bytes the value named by `handle` takes. */
export function arenaBytesOf(handle: number): number {
  return arenaBytesFor(handle & LENGTH_MASK);
}

class SizeClass {
  readonly slabs: Buffer[] = [];
  /** Slots handed out so far; slots below it are in use or in `free`. */
  used = 0;
  readonly free: number[] = [];

  constructor(readonly slotBytes: number) {}

  slabOf(slot: number): Buffer {
    return this.slabs[slot >>> SLOTS_PER_SLAB_BITS] as Buffer;
  }

  offsetOf(slot: number): number {
    return (slot & (SLOTS_PER_SLAB - 1)) * this.slotBytes;
  }

  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === MAX_SLOTS) return NO_SLOT;
    const slot = this.used++;
    if ((slot & (SLOTS_PER_SLAB - 1)) === 0) {
      this.slabs.push(Buffer.allocUnsafeSlow(this.slotBytes * SLOTS_PER_SLAB));
    }
    return slot;
  }
}

export class StringArena {
  private readonly classes = CLASS_BYTES.map((bytes) => new SizeClass(bytes));

  /**
   * Stores `text` and returns its handle, or NO_SLOT when it is not kept here (empty, too long,
   * or its class full). `reuse`, a handle the caller gives up, is written over when the new
   * value fits its class, and freed otherwise.
   */
  store(text: string, reuse: number = NO_SLOT): number {
    const length = text.length;
    const fits = length > 0 && length <= ARENA_MAX_LENGTH;
    const cls = CLASS_OF_LENGTH[fits ? length : 0] as number;
    let slot = NO_SLOT;
    if (reuse !== NO_SLOT) {
      if (fits && CLASS_OF_LENGTH[reuse & LENGTH_MASK] === cls) slot = reuse >>> LENGTH_BITS;
      else this.free(reuse);
    }
    if (!fits) return NO_SLOT;
    const sizeClass = this.classes[cls] as SizeClass;
    if (slot === NO_SLOT) slot = sizeClass.take();
    if (slot === NO_SLOT) return NO_SLOT;
    const written = sizeClass.slabOf(slot).latin1Write(text, sizeClass.offsetOf(slot), length);
    assert(written === length, 'an arena slot holds the whole value');
    return (slot << LENGTH_BITS) | length;
  }

  read(handle: number): string {
    const sizeClass = this.classOf(handle);
    const slot = handle >>> LENGTH_BITS;
    const at = sizeClass.offsetOf(slot);
    return sizeClass.slabOf(slot).latin1Slice(at, at + (handle & LENGTH_MASK));
  }

  /** Copies the value's bytes to `target` at `at` (a snapshot encodes them without a string). */
  copyTo(handle: number, target: Buffer, at: number): void {
    const sizeClass = this.classOf(handle);
    const slot = handle >>> LENGTH_BITS;
    const slab = sizeClass.slabOf(slot);
    const from = sizeClass.offsetOf(slot);
    // A loop beats Buffer#copy's argument checks and native call for at most 127 bytes (~2×).
    for (let i = 0, length = handle & LENGTH_MASK; i < length; i++) {
      target[at + i] = slab[from + i] as number;
    }
  }

  free(handle: number): void {
    assert((handle & LENGTH_MASK) > 0 && handle >= 0, 'a freed arena handle names a slot');
    this.classOf(handle).free.push(handle >>> LENGTH_BITS);
  }

  private classOf(handle: number): SizeClass {
    return this.classes[CLASS_OF_LENGTH[handle & LENGTH_MASK] as number] as SizeClass;
  }

  /** Slots in use across classes (tests). */
  get slotsInUse(): number {
    let total = 0;
    for (const sizeClass of this.classes) total += sizeClass.used - sizeClass.free.length;
    return total;
  }

  /** Bytes of slabs allocated (in use or free). */
  get slabBytes(): number {
    let total = 0;
    for (const sizeClass of this.classes) {
      total += sizeClass.slabs.length * sizeClass.slotBytes * SLOTS_PER_SLAB;
    }
    return total;
  }
}
