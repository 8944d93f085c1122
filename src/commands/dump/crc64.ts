// CRC-64 as Redis's crc64.c computes it for DUMP payloads and RDB files: the Jones polynomial
// (0xad93d23594c935a9), reflected input and output, initial value 0, no final xor. The check
// value of "123456789" is 0xe9c6d914c4b8d9ca. Table-driven, one byte per step, with the 64-bit
// state kept as two unsigned 32-bit halves (no BigInt on the hot loop).

/** The polynomial bit-reversed (LSB-first form), as high and low halves. */
const REFLECTED_HIGH = 0x95ac9329;
const REFLECTED_LOW = 0xac4bc9b5;

const TABLE_HIGH = new Uint32Array(256);
const TABLE_LOW = new Uint32Array(256);
for (let index = 0; index < 256; index++) {
  let high = 0;
  let low = index;
  for (let bit = 0; bit < 8; bit++) {
    const carry = low & 1;
    low = ((low >>> 1) | ((high & 1) << 31)) >>> 0;
    high = high >>> 1;
    if (carry !== 0) {
      high = (high ^ REFLECTED_HIGH) >>> 0;
      low = (low ^ REFLECTED_LOW) >>> 0;
    }
  }
  TABLE_HIGH[index] = high;
  TABLE_LOW[index] = low;
}

/** The CRC-64 of `bytes[start..end)`, as 8 little-endian bytes (the DUMP footer's layout). */
export function crc64(bytes: Uint8Array, start = 0, end = bytes.length): Buffer {
  let high = 0;
  let low = 0;
  for (let i = start; i < end; i++) {
    const index = (low ^ (bytes[i] as number)) & 0xff;
    low = (((low >>> 8) | (high << 24)) ^ (TABLE_LOW[index] as number)) >>> 0;
    high = ((high >>> 8) ^ (TABLE_HIGH[index] as number)) >>> 0;
  }
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(low, 0);
  out.writeUInt32LE(high, 4);
  return out;
}
