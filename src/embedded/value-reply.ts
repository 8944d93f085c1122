// A Reply that builds JavaScript values instead of RESP bytes, for the embedded API. Shapes are
// what a RESP2 client library returns: bulk → string (or Buffer), integer → number (bigint past
// 2^53), nil → null, array/map/set → array (maps flattened), error → ReplyError. RESP3 shapes
// (maps as Map, doubles as numbers, booleans) when the handle asked for protocol 3.

import type { RewindableReply } from '../commands/reply.js';
import { formatDouble } from '../resp/encoder.js';

export class ReplyError extends Error {
  override name = 'ReplyError';
}

export type ReplyValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | ReplyError
  | ReplyValue[]
  | Map<ReplyValue, ReplyValue>;

interface Frame {
  items: ReplyValue[];
  remaining: number;
  kind: 'array' | 'map';
}

export class ValueReply implements RewindableReply {
  protocol: 2 | 3 = 2;
  private stack: Frame[] = [];
  private done: ReplyValue[] = [];

  constructor(private readonly decode: (latin1: string) => string | Buffer) {}

  /** Takes the values of every complete reply written so far. */
  takeAll(): ReplyValue[] {
    const values = this.done;
    this.done = [];
    return values;
  }

  mark(): number {
    return this.stack.length === 0 ? this.done.length : -1;
  }

  rewind(mark: number): void {
    if (mark >= 0) {
      this.stack = [];
      this.done.length = mark;
    }
  }

  private add(value: ReplyValue): void {
    let current: ReplyValue = value;
    for (;;) {
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) {
        this.done.push(current);
        return;
      }
      frame.items.push(current);
      frame.remaining--;
      if (frame.remaining > 0) return;
      this.stack.pop();
      current = frame.kind === 'map' ? toMap(frame.items) : frame.items;
    }
  }

  private open(length: number, kind: 'array' | 'map'): void {
    if (length === 0) return this.add(kind === 'map' ? new Map() : []);
    this.stack.push({ items: [], remaining: length, kind });
  }

  ok(): void {
    this.add('OK');
  }
  simple(text: string): void {
    this.add(text);
  }
  error(message: string): void {
    this.add(new ReplyError(message));
  }
  int(value: number | bigint): void {
    this.add(value);
  }
  bulk(value: string): void {
    this.add(this.decode(value));
  }
  nil(): void {
    this.add(null);
  }
  nilArray(): void {
    this.add(null);
  }
  array(length: number): void {
    this.open(length, 'array');
  }
  map(pairs: number): void {
    if (this.protocol === 3) this.open(pairs * 2, 'map');
    else this.open(pairs * 2, 'array');
  }
  set(length: number): void {
    this.open(length, 'array');
  }
  push(length: number): void {
    this.open(length, 'array');
  }
  double(value: number, text?: string): void {
    if (this.protocol === 3) this.add(text === undefined ? value : Number(text));
    else this.add(this.decode(text ?? formatDouble(value)));
  }
  bool(value: boolean): void {
    this.add(this.protocol === 3 ? value : value ? 1 : 0);
  }
  verbatim(text: string): void {
    this.add(this.decode(text));
  }
}

function toMap(items: ReplyValue[]): Map<ReplyValue, ReplyValue> {
  const map = new Map<ReplyValue, ReplyValue>();
  for (let i = 0; i + 1 < items.length; i += 2)
    map.set(items[i] as ReplyValue, items[i + 1] as ReplyValue);
  return map;
}
