// Reply encoder: writes RESP2 or RESP3 straight into a reusable buffer.
//
// Output is written into a slab. take() hands out a view of the bytes written since the previous
// take() and moves on; later writes go after it in the same slab, or into a new slab when it is
// full, so bytes already taken are never overwritten and nothing is copied to hand them out.

import { formatDouble } from '../util/numbers.js';

export { formatDouble };

/** The reply vocabulary commands write to. ReplyEncoder implements it. */
export interface ReplyWriter {
  ok(): void;
  simple(s: string): void;
  error(message: string): void;
  int(n: number | bigint): void;
  bulk(s: string | Buffer): void;
  nil(): void;
  nilArray(): void;
  array(length: number): void;
  map(pairs: number): void;
  set(length: number): void;
  push(length: number): void;
  double(d: number, text?: string): void;
  bool(b: boolean): void;
  verbatim(text: string, format?: string): void;
  bigNumber(digits: string): void;
  raw(bytes: Buffer): void;
}

const CR = 13;
const LF = 10;
const ZERO = 48;

/** Replies encoded once (Redis's shared.*). The same bytes in RESP2 and RESP3. */
export const sharedReplies = Object.freeze({
  ok: Buffer.from('+OK\r\n', 'latin1'),
  zero: Buffer.from(':0\r\n', 'latin1'),
  one: Buffer.from(':1\r\n', 'latin1'),
  emptyArray: Buffer.from('*0\r\n', 'latin1'),
  emptyBulk: Buffer.from('$0\r\n\r\n', 'latin1'),
  pong: Buffer.from('+PONG\r\n', 'latin1'),
  queued: Buffer.from('+QUEUED\r\n', 'latin1'),
});

const RESP2_NIL = Buffer.from('$-1\r\n', 'latin1');
const RESP2_NIL_ARRAY = Buffer.from('*-1\r\n', 'latin1');
const RESP3_NULL = Buffer.from('_\r\n', 'latin1');

// Strings up to this length are written with a JS loop; longer ones with latin1Write, whose call
// costs more than copying a few bytes by hand.
const SHORT_STRING_MAX_LENGTH = 24;

function sanitizeLine(text: string): string {
  // A CR or LF inside a status or error line would break the framing; Redis turns them into spaces.
  return text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0 ? text.replace(/[\r\n]/g, ' ') : text;
}

export class ReplyEncoder implements ReplyWriter {
  protocol: 2 | 3 = 2;

  private readonly slabBytes: number;
  // Pending output is slab[start, position). Bytes before start were handed out by take().
  private slab: Buffer;
  private start = 0;
  private position = 0;

  constructor(initialBytes = 16 * 1024) {
    this.slabBytes = Math.max(64, initialBytes);
    this.slab = Buffer.allocUnsafe(this.slabBytes);
  }

  // ---- output ----

  /** Bytes pending. */
  get length(): number {
    return this.position - this.start;
  }

  /**
   * The pending bytes as one Buffer, and resets to empty. The Buffer is a view of a slab this
   * encoder never writes into again at those offsets, so it stays valid after further writes.
   */
  take(): Buffer {
    const taken = this.slab.subarray(this.start, this.position);
    this.start = this.position;
    if (this.slab.length > this.slabBytes * 4) {
      // Grown for one large reply: do not keep serving small replies out of it.
      this.slab = Buffer.allocUnsafe(this.slabBytes);
      this.start = 0;
      this.position = 0;
    }
    return taken;
  }

  /** A position in the pending output; valid until the next take(). */
  mark(): number {
    return this.position - this.start;
  }

  /** Discards everything written after mark. */
  rewind(mark: number): void {
    if (!(mark >= 0 && mark <= this.position - this.start)) {
      throw new RangeError(`rewind: mark ${mark} outside the pending ${this.length} bytes`);
    }
    this.position = this.start + mark;
  }

  // ---- the reply vocabulary ----

  ok(): void {
    this.raw(sharedReplies.ok);
  }

  simple(s: string): void {
    this.line(43, sanitizeLine(s)); // '+'
  }

  error(message: string): void {
    this.line(45, sanitizeLine(message)); // '-'
  }

  int(n: number | bigint): void {
    if (n === 0 || n === 0n) {
      this.raw(sharedReplies.zero);
    } else if (n === 1 || n === 1n) {
      this.raw(sharedReplies.one);
    } else if (typeof n === 'number' && n > 0 && n < 2147483648 && Number.isInteger(n)) {
      this.header(58, n); // ':'
    } else {
      this.line(58, integerText(n));
    }
  }

  bulk(s: string | Buffer): void {
    const length = s.length;
    this.header(36, length); // '$'
    this.reserve(length + 2);
    let position = this.position;
    const slab = this.slab;
    if (typeof s !== 'string') {
      s.copy(slab, position);
      position += length;
    } else if (length <= SHORT_STRING_MAX_LENGTH) {
      for (let index = 0; index < length; index++) slab[position++] = s.charCodeAt(index);
    } else {
      position += slab.latin1Write(s, position, length);
    }
    slab[position] = CR;
    slab[position + 1] = LF;
    this.position = position + 2;
  }

  nil(): void {
    this.raw(this.protocol === 3 ? RESP3_NULL : RESP2_NIL);
  }

  nilArray(): void {
    this.raw(this.protocol === 3 ? RESP3_NULL : RESP2_NIL_ARRAY);
  }

  array(length: number): void {
    this.header(42, length); // '*'
  }

  map(pairs: number): void {
    if (this.protocol === 3)
      this.header(37, pairs); // '%'
    else this.header(42, pairs * 2);
  }

  set(length: number): void {
    this.header(this.protocol === 3 ? 126 : 42, length); // '~' or '*'
  }

  push(length: number): void {
    this.header(this.protocol === 3 ? 62 : 42, length); // '>' or '*'
  }

  double(d: number, text: string = formatDouble(d)): void {
    if (this.protocol === 3)
      this.line(44, text); // ','
    else this.bulk(text);
  }

  bool(b: boolean): void {
    if (this.protocol === 3)
      this.line(35, b ? 't' : 'f'); // '#'
    else this.raw(b ? sharedReplies.one : sharedReplies.zero);
  }

  verbatim(text: string, format = 'txt'): void {
    if (this.protocol !== 3) {
      this.bulk(text);
      return;
    }
    if (format.length !== 3)
      throw new RangeError(`verbatim: format must be 3 bytes, got ${format}`);
    this.header(61, text.length + 4); // '='
    this.reserve(text.length + 6);
    const position = this.position + this.slab.latin1Write(format + ':' + text, this.position);
    this.slab[position] = CR;
    this.slab[position + 1] = LF;
    this.position = position + 2;
  }

  bigNumber(digits: string): void {
    if (this.protocol === 3)
      this.line(40, digits); // '('
    else this.bulk(digits);
  }

  raw(bytes: Buffer): void {
    const length = bytes.length;
    this.reserve(length);
    if (length <= 8) {
      const slab = this.slab;
      let position = this.position;
      for (let index = 0; index < length; index++) slab[position++] = bytes[index] as number;
      this.position = position;
    } else {
      bytes.copy(this.slab, this.position);
      this.position += length;
    }
  }

  // ---- writing ----

  /** Makes room for `bytes` more bytes after position. */
  private reserve(bytes: number): void {
    if (this.position + bytes <= this.slab.length) return;
    const pending = this.position - this.start;
    const grown = Buffer.allocUnsafe(Math.max(this.slabBytes, (pending + bytes) * 2));
    this.slab.copy(grown, 0, this.start, this.position);
    this.slab = grown;
    this.start = 0;
    this.position = pending;
  }

  /** <prefix><n>\r\n for a length or count; n is a non-negative integer or -1. */
  private header(prefix: number, n: number): void {
    if (!(n >= 0 && n < 2147483648 && (n | 0) === n)) {
      this.line(prefix, integerText(n));
      return;
    }
    this.reserve(13);
    const slab = this.slab;
    let position = this.position;
    slab[position++] = prefix;
    if (n < 10) {
      slab[position++] = ZERO + n;
    } else {
      let digits = 2;
      for (let bound = 100; n >= bound && digits < 10; bound *= 10) digits++;
      let index = position + digits;
      position = index;
      while (n > 0) {
        const quotient = (n / 10) | 0;
        slab[--index] = ZERO + (n - quotient * 10);
        n = quotient;
      }
    }
    slab[position] = CR;
    slab[position + 1] = LF;
    this.position = position + 2;
  }

  /** <prefix><text>\r\n, text latin1. */
  private line(prefix: number, text: string): void {
    const length = text.length;
    this.reserve(length + 3);
    const slab = this.slab;
    let position = this.position;
    slab[position++] = prefix;
    if (length <= SHORT_STRING_MAX_LENGTH) {
      for (let index = 0; index < length; index++) slab[position++] = text.charCodeAt(index);
    } else {
      position += slab.latin1Write(text, position, length);
    }
    slab[position] = CR;
    slab[position + 1] = LF;
    this.position = position + 2;
  }
}

function integerText(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (!Number.isInteger(n)) throw new RangeError(`not an integer: ${n}`);
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}
