// A key's value as comparable data, read with plain commands (for DUMP/RESTORE tests that
// compare a value in Redis with the same value in Shoal).

import type { Reply } from '../../src/resp/reply-reader.js';
import type { RawClient } from './raw-client.js';

/** A value as comparable data: its type and contents (unordered types sorted). */
export async function contents(client: RawClient, key: string): Promise<unknown> {
  const type = String(await client.call('TYPE', key));
  const sorted = (reply: Reply): string[] => (reply as string[]).map(String).sort();
  switch (type) {
    case 'string':
      return [type, await client.call('GET', key)];
    case 'list':
      return [type, await client.call('LRANGE', key, '0', '-1')];
    case 'set':
      return [type, sorted(await client.call('SMEMBERS', key))];
    case 'hash': {
      const flat = (await client.call('HGETALL', key)) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      return [type, pairs.sort()];
    }
    case 'zset': {
      // Scores as numbers: Redis 7.0 prints them with %.17g, Shoal as 7.2 does (shortest).
      const flat = (await client.call('ZRANGE', key, '0', '-1', 'WITHSCORES')) as string[];
      return [type, flat.map((item, i) => (i % 2 === 1 ? Number(item) : item))];
    }
    default:
      return [type];
  }
}
