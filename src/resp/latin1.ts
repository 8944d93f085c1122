// Node's Buffer has fast latin1 ("binary") converters that @types/node does not declare. Shoal
// keeps keys and values as latin1 strings (one char = one byte), so these are on every hot path.
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(value: string, offset?: number, length?: number): number;
  }
}

export {};
