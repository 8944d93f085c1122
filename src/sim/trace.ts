// A running 64-bit hash (two 32-bit lanes) of every simulator event. Two runs of one seed must
// produce the same digest; a difference means nondeterminism crept in.
export class TraceHash {
  private high = 0x6a09e667;
  private low = 0xbb67ae85;
  events = 0;

  add(value: number): void {
    const v = value | 0;
    const overflow = Math.floor(value / 4294967296) | 0;
    this.low = Math.imul(this.low ^ v, 0x01000193) >>> 0;
    this.low = (this.low ^ (this.low >>> 15)) >>> 0;
    this.high = Math.imul(this.high ^ v ^ overflow, 0x5bd1e995) >>> 0;
    this.high = (this.high ^ (this.high >>> 13) ^ this.low) >>> 0;
  }

  event(kind: number, a = 0, b = 0, c = 0, d = 0): void {
    this.events++;
    this.add(kind);
    this.add(a);
    this.add(b);
    this.add(c);
    this.add(d);
  }

  bytes(data: Uint8Array): void {
    this.add(data.length);
    for (let i = 0; i < data.length; i++) this.add(data[i] as number);
  }

  digest(): string {
    return this.high.toString(16).padStart(8, '0') + this.low.toString(16).padStart(8, '0');
  }
}

/** FNV-1a over bytes, as 8 hex digits. */
export function digestBytes(data: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    hash = Math.imul(hash ^ (data[i] as number), 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0') + ':' + data.length.toString(16);
}
