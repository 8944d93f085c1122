// Typed embedded methods for the hash commands: each builds the command line and shapes the reply
// (HGETALL as a plain object, HSCAN and field/value lists as [field, value] pairs).

import { ListMethods } from './lists.js';
import type { Value } from '../handle-base.js';
import { type Argument, encodeArgument } from '../codec.js';

/** Field/value pairs, as an object, a Map or a list of pairs. */
export type FieldValues =
  Record<string, Argument> | Map<Argument, Argument> | readonly (readonly [Argument, Argument])[];

/** Options of HSCAN and SSCAN. */
export interface CollectionScanOptions {
  match?: string;
  count?: number;
}

export function flattenPairs(fieldValues: FieldValues): Argument[] {
  const pairs =
    fieldValues instanceof Map
      ? [...fieldValues]
      : Array.isArray(fieldValues)
        ? (fieldValues as readonly (readonly [Argument, Argument])[])
        : Object.entries(fieldValues as Record<string, Argument>);
  const words: Argument[] = [];
  for (const [field, value] of pairs) words.push(field, value);
  return words;
}

export function scanWords(options: CollectionScanOptions): string[] {
  const words: string[] = [];
  if (options.match !== undefined) words.push('MATCH', encodeArgument(options.match));
  if (options.count !== undefined) words.push('COUNT', String(options.count));
  return words;
}

/** A field name as an object key: Buffers (returnBuffers handles) are read as UTF-8. */
function fieldName(field: Value): string {
  return typeof field === 'string' ? field : field.toString('utf8');
}

export class HashMethods<V extends Value = string> extends ListMethods<V> {
  /** Sets fields; resolves to the number of fields that were new. */
  async hset(key: Argument, fieldValues: FieldValues): Promise<number> {
    return this.int('HSET', key, ...flattenPairs(fieldValues));
  }
  async hmset(key: Argument, fieldValues: FieldValues): Promise<'OK'> {
    return this.run('HMSET', key, ...flattenPairs(fieldValues)) as 'OK';
  }
  /** Sets a field only if it does not exist; true if it was set. */
  async hsetnx(key: Argument, field: Argument, value: Argument): Promise<boolean> {
    return this.int('HSETNX', key, field, value) === 1;
  }
  async hget(key: Argument, field: Argument): Promise<V | null> {
    return this.value('HGET', key, field);
  }
  async hmget(key: Argument, ...fields: Argument[]): Promise<(V | null)[]> {
    return this.values('HMGET', key, ...fields);
  }
  async hdel(key: Argument, ...fields: Argument[]): Promise<number> {
    return this.int('HDEL', key, ...fields);
  }
  async hlen(key: Argument): Promise<number> {
    return this.int('HLEN', key);
  }
  async hexists(key: Argument, field: Argument): Promise<boolean> {
    return this.int('HEXISTS', key, field) === 1;
  }
  async hstrlen(key: Argument, field: Argument): Promise<number> {
    return this.int('HSTRLEN', key, field);
  }
  async hkeys(key: Argument): Promise<V[]> {
    return this.run('HKEYS', key) as V[];
  }
  async hvals(key: Argument): Promise<V[]> {
    return this.run('HVALS', key) as V[];
  }
  /** Every field and value, as an object (an absent key gives {}). */
  async hgetall(key: Argument): Promise<Record<string, V>> {
    const flat = this.run('HGETALL', key) as V[];
    const out: Record<string, V> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[fieldName(flat[i] as V)] = flat[i + 1] as V;
    return out;
  }
  /** Numbers past 2^53 come back as bigint. */
  async hincrby(
    key: Argument,
    field: Argument,
    increment: number | bigint,
  ): Promise<number | bigint> {
    return this.run('HINCRBY', key, field, increment) as number | bigint;
  }
  /** The new value, printed as Redis prints it (e.g. "10.5"). */
  async hincrbyfloat(key: Argument, field: Argument, increment: number | string): Promise<V> {
    return this.run('HINCRBYFLOAT', key, field, increment) as V;
  }
  /**
   * One random field (null for an absent key); with a count, distinct fields (count > 0) or
   * independent picks that may repeat (count < 0).
   */
  async hrandfield(key: Argument): Promise<V | null>;
  async hrandfield(key: Argument, count: number): Promise<V[]>;
  async hrandfield(key: Argument, count?: number): Promise<V | null | V[]> {
    if (count === undefined) return this.value('HRANDFIELD', key);
    return this.run('HRANDFIELD', key, count) as V[];
  }
  /** Random [field, value] pairs, with HRANDFIELD's count rules. */
  async hrandfieldWithValues(key: Argument, count: number): Promise<[V, V][]> {
    const flat = this.run('HRANDFIELD', key, count, 'WITHVALUES') as V[];
    const pairs: [V, V][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as V, flat[i + 1] as V]);
    return pairs;
  }
  /** Iterates with HSCAN; every field present throughout the iteration is yielded. */
  async *hscan(
    key: Argument,
    options: CollectionScanOptions = {},
  ): AsyncGenerator<[V, V], void, undefined> {
    const words = scanWords(options);
    let cursor = '0';
    do {
      const [next, batch] = this.run('HSCAN', key, cursor, ...words) as [Value, V[]];
      cursor = next.toString();
      for (let i = 0; i + 1 < batch.length; i += 2) yield [batch[i] as V, batch[i + 1] as V];
    } while (cursor !== '0');
  }
}
