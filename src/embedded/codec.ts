// Conversions at the edge of the embedded API: Shoal keeps keys and values as latin1 strings
// (one char per byte); users give and get UTF-8 strings, Buffers or numbers.

export type Argument = string | Buffer | number | bigint;

const ASCII = /^[\x00-\x7f]*$/;

export function encodeArgument(value: Argument): string {
  if (typeof value === 'string')
    return ASCII.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return value.toString('latin1');
}

export function decodeToString(latin1: string): string {
  return ASCII.test(latin1) ? latin1 : Buffer.from(latin1, 'latin1').toString('utf8');
}

export function decodeToBuffer(latin1: string): Buffer {
  return Buffer.from(latin1, 'latin1');
}
