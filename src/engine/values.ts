// The value kinds a key can hold. Strings are stored bare (a latin1 string, or a number when the
// string is the canonical spelling of a safe integer, which Redis calls the "int" encoding), so a
// string key costs one Map entry and nothing more. Collections are objects that say their type.

export type StringValue = string | number;

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

/** A collection type (list, hash, set, sorted set, stream). */
export interface CollectionValue {
  readonly type: Exclude<TypeName, 'string'>;
  /** Redis's OBJECT ENCODING name for the current contents. */
  encoding(): string;
  /** A deep copy (COPY, and copy-on-write snapshots). */
  clone(): CollectionValue;
  /** Number of elements; a collection with none is deleted by the engine (unless it keeps). */
  readonly size: number;
  /** True for a type that stays at its key when empty (a stream, as in Redis). */
  readonly keepsWhenEmpty?: boolean;
}

export type Value = StringValue | CollectionValue;

export function typeOf(value: Value): TypeName {
  return typeof value === 'object' ? value.type : 'string';
}

export function isStringValue(value: Value): value is StringValue {
  return typeof value !== 'object';
}

/** The latin1 text of a string value. */
export function stringText(value: StringValue): string {
  return typeof value === 'number' ? String(value) : value;
}

/** Redis stores strings up to 44 bytes inline with their object header ("embstr"). */
const EMBSTR_MAX_BYTES = 44;

export function encodingOf(value: Value): string {
  if (typeof value === 'number') return 'int';
  if (typeof value === 'string') return value.length <= EMBSTR_MAX_BYTES ? 'embstr' : 'raw';
  return value.encoding();
}

export function cloneValue(value: Value): Value {
  return typeof value === 'object' ? value.clone() : value;
}
