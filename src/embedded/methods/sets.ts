// Typed embedded methods for the set commands: each builds the command line and shapes the reply
// (membership as booleans, SSCAN as an async iterator).

import { HashMethods, type CollectionScanOptions, scanWords } from './hashes.js';
import type { Value } from '../handle-base.js';
import type { Argument } from '../codec.js';

export class SetMethods<V extends Value = string> extends HashMethods<V> {
  /** Adds members; resolves to the number that were new. */
  async sadd(key: Argument, ...members: Argument[]): Promise<number> {
    return this.int('SADD', key, ...members);
  }
  async srem(key: Argument, ...members: Argument[]): Promise<number> {
    return this.int('SREM', key, ...members);
  }
  async sismember(key: Argument, member: Argument): Promise<boolean> {
    return this.int('SISMEMBER', key, member) === 1;
  }
  async smismember(key: Argument, ...members: Argument[]): Promise<boolean[]> {
    return (this.run('SMISMEMBER', key, ...members) as number[]).map((flag) => flag === 1);
  }
  async scard(key: Argument): Promise<number> {
    return this.int('SCARD', key);
  }
  async smembers(key: Argument): Promise<V[]> {
    return this.run('SMEMBERS', key) as V[];
  }
  /** Removes and returns a random member (null for an absent key); with a count, up to that many. */
  async spop(key: Argument): Promise<V | null>;
  async spop(key: Argument, count: number): Promise<V[]>;
  async spop(key: Argument, count?: number): Promise<V | null | V[]> {
    if (count === undefined) return this.value('SPOP', key);
    return this.run('SPOP', key, count) as V[];
  }
  /**
   * A random member (null for an absent key); with a count, distinct members (count > 0) or
   * independent picks that may repeat (count < 0).
   */
  async srandmember(key: Argument): Promise<V | null>;
  async srandmember(key: Argument, count: number): Promise<V[]>;
  async srandmember(key: Argument, count?: number): Promise<V | null | V[]> {
    if (count === undefined) return this.value('SRANDMEMBER', key);
    return this.run('SRANDMEMBER', key, count) as V[];
  }
  /** Moves a member between sets; false if the source did not hold it. */
  async smove(source: Argument, destination: Argument, member: Argument): Promise<boolean> {
    return this.int('SMOVE', source, destination, member) === 1;
  }
  async sinter(...keys: Argument[]): Promise<V[]> {
    return this.run('SINTER', ...keys) as V[];
  }
  /** Size of the intersection, counting at most `limit` members (0 or absent: no limit). */
  async sintercard(keys: Argument[], options: { limit?: number } = {}): Promise<number> {
    const limit = options.limit === undefined ? [] : ['LIMIT', options.limit];
    return this.int('SINTERCARD', keys.length, ...keys, ...limit);
  }
  async sinterstore(destination: Argument, ...keys: Argument[]): Promise<number> {
    return this.int('SINTERSTORE', destination, ...keys);
  }
  async sunion(...keys: Argument[]): Promise<V[]> {
    return this.run('SUNION', ...keys) as V[];
  }
  async sunionstore(destination: Argument, ...keys: Argument[]): Promise<number> {
    return this.int('SUNIONSTORE', destination, ...keys);
  }
  async sdiff(...keys: Argument[]): Promise<V[]> {
    return this.run('SDIFF', ...keys) as V[];
  }
  async sdiffstore(destination: Argument, ...keys: Argument[]): Promise<number> {
    return this.int('SDIFFSTORE', destination, ...keys);
  }
  /** Iterates with SSCAN; every member present throughout the iteration is yielded. */
  async *sscan(
    key: Argument,
    options: CollectionScanOptions = {},
  ): AsyncGenerator<V, void, undefined> {
    const words = scanWords(options);
    let cursor = '0';
    do {
      const [next, batch] = this.run('SSCAN', key, cursor, ...words) as [Value, V[]];
      cursor = next.toString();
      for (const member of batch) yield member;
    } while (cursor !== '0');
  }
}
