// Typed embedded methods for the list commands: each builds the command line and shapes the
// reply (elements as strings or Buffers, lengths and indexes as numbers, nil as null).

import type { Argument } from '../codec.js';
import { HandleBase } from '../handle-base.js';
import type { Value } from '../handle-base.js';

export type ListSide = 'LEFT' | 'RIGHT';

export interface LposOptions {
  /** 1 = first match, 2 = second …; negative searches from the tail. */
  rank?: number;
  /** Compare at most this many elements (0 = all). */
  maxlen?: number;
}

export class ListMethods<V extends Value = string> extends HandleBase<V> {
  /** Resolves to the length of the list after the push. */
  async lpush(key: Argument, ...elements: Argument[]): Promise<number> {
    return this.int('LPUSH', key, ...elements);
  }
  async rpush(key: Argument, ...elements: Argument[]): Promise<number> {
    return this.int('RPUSH', key, ...elements);
  }
  /** Pushes only onto an existing list; resolves to 0 when there is none. */
  async lpushx(key: Argument, ...elements: Argument[]): Promise<number> {
    return this.int('LPUSHX', key, ...elements);
  }
  async rpushx(key: Argument, ...elements: Argument[]): Promise<number> {
    return this.int('RPUSHX', key, ...elements);
  }
  /** Without `count`, the first element (null if none); with it, up to `count` of them. */
  async lpop(key: Argument): Promise<V | null>;
  async lpop(key: Argument, count: number): Promise<V[] | null>;
  async lpop(key: Argument, count?: number): Promise<V | V[] | null> {
    return this.pop('LPOP', key, count);
  }
  async rpop(key: Argument): Promise<V | null>;
  async rpop(key: Argument, count: number): Promise<V[] | null>;
  async rpop(key: Argument, count?: number): Promise<V | V[] | null> {
    return this.pop('RPOP', key, count);
  }
  async llen(key: Argument): Promise<number> {
    return this.int('LLEN', key);
  }
  /** Elements from `start` to `stop` inclusive; negative indexes count from the end. */
  async lrange(key: Argument, start: number, stop: number): Promise<V[]> {
    return this.run('LRANGE', key, start, stop) as V[];
  }
  async lindex(key: Argument, index: number): Promise<V | null> {
    return this.value('LINDEX', key, index);
  }
  async lset(key: Argument, index: number, element: Argument): Promise<'OK'> {
    return this.run('LSET', key, index, element) as 'OK';
  }
  /** Resolves to the new length, -1 when `pivot` is absent, 0 when the list is. */
  async linsert(
    key: Argument,
    where: 'BEFORE' | 'AFTER',
    pivot: Argument,
    element: Argument,
  ): Promise<number> {
    return this.int('LINSERT', key, where, pivot, element);
  }
  /** Removes up to |count| elements equal to `element` (0 = all; negative: from the tail). */
  async lrem(key: Argument, count: number, element: Argument): Promise<number> {
    return this.int('LREM', key, count, element);
  }
  async ltrim(key: Argument, start: number, stop: number): Promise<'OK'> {
    return this.run('LTRIM', key, start, stop) as 'OK';
  }
  /** The index of a match (null if none); with `count`, the indexes of up to `count` (0 = all). */
  async lpos(key: Argument, element: Argument, options?: LposOptions): Promise<number | null>;
  async lpos(
    key: Argument,
    element: Argument,
    options: LposOptions & { count: number },
  ): Promise<number[]>;
  async lpos(
    key: Argument,
    element: Argument,
    options: LposOptions & { count?: number } = {},
  ): Promise<number | number[] | null> {
    const words: Argument[] = [];
    if (options.rank !== undefined) words.push('RANK', options.rank);
    if (options.count !== undefined) words.push('COUNT', options.count);
    if (options.maxlen !== undefined) words.push('MAXLEN', options.maxlen);
    return this.run('LPOS', key, element, ...words) as number | number[] | null;
  }
  /** Moves one element between lists (or within one); null when `source` does not exist. */
  async lmove(
    source: Argument,
    destination: Argument,
    from: ListSide,
    to: ListSide,
  ): Promise<V | null> {
    return this.value('LMOVE', source, destination, from, to);
  }
  async rpoplpush(source: Argument, destination: Argument): Promise<V | null> {
    return this.value('RPOPLPUSH', source, destination);
  }
  /** Pops up to `count` (default 1) from the first non-empty list of `keys`; null if none. */
  async lmpop(keys: Argument[], from: ListSide, count?: number): Promise<[V, V[]] | null> {
    const words: Argument[] = count === undefined ? [] : ['COUNT', count];
    return this.run('LMPOP', keys.length, ...keys, from, ...words) as [V, V[]] | null;
  }

  // Blocking forms: the promise settles when an element arrives, or with null at the timeout
  // (seconds, fractions allowed; 0 waits forever).

  /** Pops from the head of the first non-empty list of `keys`, waiting for one if need be. */
  async blpop(keys: Argument[], timeoutSeconds: number): Promise<[V, V] | null> {
    return (await this.runBlocking('BLPOP', ...keys, timeoutSeconds)) as [V, V] | null;
  }
  async brpop(keys: Argument[], timeoutSeconds: number): Promise<[V, V] | null> {
    return (await this.runBlocking('BRPOP', ...keys, timeoutSeconds)) as [V, V] | null;
  }
  async blmove(
    source: Argument,
    destination: Argument,
    from: ListSide,
    to: ListSide,
    timeoutSeconds: number,
  ): Promise<V | null> {
    return (await this.runBlocking(
      'BLMOVE',
      source,
      destination,
      from,
      to,
      timeoutSeconds,
    )) as V | null;
  }
  async brpoplpush(
    source: Argument,
    destination: Argument,
    timeoutSeconds: number,
  ): Promise<V | null> {
    return (await this.runBlocking('BRPOPLPUSH', source, destination, timeoutSeconds)) as V | null;
  }
  async blmpop(
    timeoutSeconds: number,
    keys: Argument[],
    from: ListSide,
    count?: number,
  ): Promise<[V, V[]] | null> {
    const words: Argument[] = count === undefined ? [] : ['COUNT', count];
    return (await this.runBlocking(
      'BLMPOP',
      timeoutSeconds,
      keys.length,
      ...keys,
      from,
      ...words,
    )) as [V, V[]] | null;
  }

  private pop(name: string, key: Argument, count: number | undefined): V | V[] | null {
    if (count === undefined) return this.value(name, key);
    return this.run(name, key, count) as V[] | null;
  }
}
