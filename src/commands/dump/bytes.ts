// Byte buffers for the DUMP/RESTORE codecs: a growable writer and a bounds-checked reader. A read
// past the end throws BadPayload, which RESTORE answers with "ERR Bad data format".

/** A malformed payload (RESTORE: "Bad data format"). */
export class BadPayload extends Error {
  override name = 'BadPayload';
}

export function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new BadPayload(what);
}

export class ByteWriter {
  private buffer = Buffer.allocUnsafe(256);
  length = 0;

  private reserve(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + count));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** A latin1 string's bytes (one char per byte). */
  latin1(text: string): void {
    this.reserve(text.length);
    this.length += this.buffer.latin1Write(text, this.length, text.length);
  }

  uint16LE(value: number): void {
    this.reserve(2);
    this.length = this.buffer.writeUInt16LE(value, this.length);
  }

  uint32LE(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32LE(value, this.length);
  }

  uint32BE(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32BE(value, this.length);
  }

  int64LE(value: bigint): void {
    this.reserve(8);
    this.length = this.buffer.writeBigInt64LE(value, this.length);
  }

  uint64BE(value: bigint): void {
    this.reserve(8);
    this.length = this.buffer.writeBigUInt64BE(value, this.length);
  }

  doubleLE(value: number): void {
    this.reserve(8);
    this.length = this.buffer.writeDoubleLE(value, this.length);
  }

  /** Overwrites 4 bytes written earlier (a listpack's total size). */
  patchUint32LE(at: number, value: number): void {
    this.buffer.writeUInt32LE(value, at);
  }

  patchUint16LE(at: number, value: number): void {
    this.buffer.writeUInt16LE(value, at);
  }

  /** The bytes written (a view: copy before writing more). */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

export class ByteReader {
  offset = 0;

  constructor(readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  private need(count: number): number {
    check(count >= 0 && this.offset + count <= this.data.length, 'read past the end');
    const at = this.offset;
    this.offset += count;
    return at;
  }

  byte(): number {
    return this.data[this.need(1)] as number;
  }

  bytes(count: number): Buffer {
    const at = this.need(count);
    return this.data.subarray(at, at + count);
  }

  uint16LE(): number {
    return this.data.readUInt16LE(this.need(2));
  }

  uint32LE(): number {
    return this.data.readUInt32LE(this.need(4));
  }

  uint32BE(): number {
    return this.data.readUInt32BE(this.need(4));
  }

  uint64BE(): bigint {
    return this.data.readBigUInt64BE(this.need(8));
  }

  doubleLE(): number {
    return this.data.readDoubleLE(this.need(8));
  }
}
