// The list type: its value class, its effect op codes (inside OpRange.list), their appliers and
// its dumper.
//
// Op codes (written to disk and replicated: append-only, never renumber or reuse):
//   20 ListOp.PushLeft   [20, db, key, ...elements]        each element pushed at the head in turn
//   21 ListOp.PushRight  [21, db, key, ...elements]        each element pushed at the tail in turn
//   22 ListOp.PopLeft    [22, db, key, count]              drops `count` elements from the head
//   23 ListOp.PopRight   [23, db, key, count]              drops `count` elements from the tail
//   24 ListOp.SetAt      [24, db, key, index, element]     LSET (index >= 0, inside the list)
//   25 ListOp.InsertAt   [25, db, key, index, element]     element ends up at index (0..length)
//   26 ListOp.Remove     [26, db, key, count, element]     LREM semantics (count < 0: from tail)
//   27 ListOp.Trim       [27, db, key, left, right]        drops `left` from head, `right` from tail
//   28 ListOp.Rotate     [28, db, key, fromLeft, toLeft]   LMOVE of a list onto itself (flags 0/1)
// A move between two lists is a PopLeft/PopRight on the source then a PushLeft/PushRight on the
// destination, so each effect touches one key (the engine announces and deletes per key).

import { assert } from '../assert.js';
import type { Database } from '../database.js';
import type { CollectionEffect, Effect } from '../effects.js';
import type { EncodingLimits } from '../encoding-limits.js';
import type { CollectionValue } from '../values.js';
import { StringDeque } from './list-deque.js';
import {
  exceedsListpackLimit,
  fitsHalfListpackLimit,
  LISTPACK_HEADER_BYTES,
  listpackEntryBytes,
} from './list-encoding.js';
import { registerType } from './registry.js';

export const ListOp = {
  PushLeft: 20,
  PushRight: 21,
  PopLeft: 22,
  PopRight: 23,
  SetAt: 24,
  InsertAt: 25,
  Remove: 26,
  Trim: 27,
  Rotate: 28,
} as const;

/** A Redis list: a ring-buffer deque plus what OBJECT ENCODING needs (list-encoding.ts). */
export class ListValue extends StringDeque implements CollectionValue {
  readonly type = 'list';
  /** Sum of listpack entry sizes of the elements (without the listpack header). */
  private entryBytes = 0;
  /** True while Redis would keep this list as a single listpack. */
  private packed = true;

  get size(): number {
    return this.length;
  }

  encoding(): string {
    return this.packed ? 'listpack' : 'quicklist';
  }

  /** Listpack bytes Redis would use for these elements (header included). */
  get listpackBytes(): number {
    return LISTPACK_HEADER_BYTES + this.entryBytes;
  }

  clone(): ListValue {
    const copy = new ListValue();
    copy.copyFrom(this);
    copy.entryBytes = this.entryBytes;
    copy.packed = this.packed;
    return copy;
  }

  /** Pushes `elements[start..]` one by one at the head or the tail. */
  pushAll(
    elements: readonly (string | number)[],
    start: number,
    toLeft: boolean,
    fill: number,
  ): void {
    const bytesBefore = this.listpackBytes;
    const countBefore = this.length;
    let rawBytes = 0;
    for (let i = start; i < elements.length; i++) {
      const element = elements[i];
      assert(typeof element === 'string', 'list elements are strings');
      rawBytes += element.length;
      this.entryBytes += listpackEntryBytes(element);
      if (toLeft) this.pushLeft(element);
      else this.pushRight(element);
    }
    // Redis checks before pushing, with the raw lengths of the new elements (listTypeTryConversionAppend).
    this.growing(bytesBefore + rawBytes, countBefore + elements.length - start, fill);
  }

  popMany(count: number, fromLeft: boolean, fill: number): void {
    assert(count >= 1 && count <= this.length, 'pop count inside the list');
    for (let i = 0; i < count; i++) {
      this.entryBytes -= listpackEntryBytes(fromLeft ? this.popLeft() : this.popRight());
    }
    this.shrinking(fill);
  }

  replaceAt(index: number, element: string, fill: number): void {
    assert(index >= 0 && index < this.length, 'LSET index inside the list');
    this.growing(this.listpackBytes + element.length, this.length + 1, fill);
    this.entryBytes += listpackEntryBytes(element) - listpackEntryBytes(this.setAt(index, element));
    this.shrinking(fill);
  }

  insertElement(index: number, element: string, fill: number): void {
    this.growing(this.listpackBytes + element.length, this.length + 1, fill);
    this.insertAt(index, element);
    this.entryBytes += listpackEntryBytes(element);
  }

  /** LREM: returns how many were removed. */
  removeElements(count: number, element: string, fill: number): number {
    const removed = this.removeMatching(element, Math.abs(count), count < 0);
    this.entryBytes -= removed * listpackEntryBytes(element);
    if (removed > 0) this.shrinking(fill);
    return removed;
  }

  trimEnds(left: number, right: number, fill: number): void {
    for (let i = 0; i < left; i++) this.entryBytes -= listpackEntryBytes(this.at(i));
    for (let i = this.length - right; i < this.length; i++) {
      this.entryBytes -= listpackEntryBytes(this.at(i));
    }
    this.trim(left, right);
    this.shrinking(fill);
  }

  /** Moves one element from one end to an end of this same list (LMOVE k k …). */
  rotate(fromLeft: boolean, toLeft: boolean, fill: number): void {
    assert(this.length > 0, 'rotate a non-empty list');
    const element = fromLeft ? this.popLeft() : this.popRight();
    const elementBytes = listpackEntryBytes(element);
    this.entryBytes -= elementBytes;
    // Redis pops, pushes (growing check), then accounts for the pop (shrinking check).
    this.growing(this.listpackBytes + element.length, this.length + 1, fill);
    if (toLeft) this.pushLeft(element);
    else this.pushRight(element);
    this.entryBytes += elementBytes;
    this.shrinking(fill);
  }

  /** `fill` is list-max-listpack-size (the engine's EncodingLimits), as for every method here. */
  private growing(bytes: number, count: number, fill: number): void {
    if (this.packed && exceedsListpackLimit(bytes, count, fill)) this.packed = false;
  }

  private shrinking(fill: number): void {
    if (
      !this.packed &&
      this.length > 0 &&
      fitsHalfListpackLimit(this.listpackBytes, this.length, fill)
    ) {
      this.packed = true;
    }
  }
}

function existingList(db: Database, key: string): ListValue {
  const value = db.get(key);
  assert(value instanceof ListValue, 'list effect on an existing list');
  return value;
}

function push(toLeft: boolean) {
  return (db: Database, effect: CollectionEffect, limits: EncodingLimits): void => {
    const key = effect[2];
    assert(effect.length > 3, 'push of at least one element');
    let list = db.get(key);
    if (list === undefined) {
      list = new ListValue(effect.length - 3);
      db.set(key, list);
    }
    assert(list instanceof ListValue, 'push onto a list');
    list.pushAll(effect, 3, toLeft, limits.listMaxListpackSize);
  };
}

function pop(fromLeft: boolean) {
  return (db: Database, effect: CollectionEffect, limits: EncodingLimits): void => {
    existingList(db, effect[2]).popMany(effect[3] as number, fromLeft, limits.listMaxListpackSize);
  };
}

function setAt(db: Database, effect: CollectionEffect, limits: EncodingLimits): void {
  existingList(db, effect[2]).replaceAt(
    effect[3] as number,
    effect[4] as string,
    limits.listMaxListpackSize,
  );
}

function insertAt(db: Database, effect: CollectionEffect, limits: EncodingLimits): void {
  existingList(db, effect[2]).insertElement(
    effect[3] as number,
    effect[4] as string,
    limits.listMaxListpackSize,
  );
}

function remove(db: Database, effect: CollectionEffect, limits: EncodingLimits): void {
  existingList(db, effect[2]).removeElements(
    effect[3] as number,
    effect[4] as string,
    limits.listMaxListpackSize,
  );
}

function trim(db: Database, effect: CollectionEffect, limits: EncodingLimits): void {
  existingList(db, effect[2]).trimEnds(
    effect[3] as number,
    effect[4] as number,
    limits.listMaxListpackSize,
  );
}

function rotate(db: Database, effect: CollectionEffect, limits: EncodingLimits): void {
  existingList(db, effect[2]).rotate(effect[3] === 1, effect[4] === 1, limits.listMaxListpackSize);
}

/** One PushRight with every element, in order. */
function dump(db: number, key: string, value: CollectionValue): Effect[] {
  assert(value instanceof ListValue, 'dump a list');
  const effect: CollectionEffect = [ListOp.PushRight, db, key];
  for (let i = 0; i < value.length; i++) effect.push(value.at(i));
  return [effect];
}

registerType(
  'list',
  {
    [ListOp.PushLeft]: push(true),
    [ListOp.PushRight]: push(false),
    [ListOp.PopLeft]: pop(true),
    [ListOp.PopRight]: pop(false),
    [ListOp.SetAt]: setAt,
    [ListOp.InsertAt]: insertAt,
    [ListOp.Remove]: remove,
    [ListOp.Trim]: trim,
    [ListOp.Rotate]: rotate,
  },
  dump,
);
