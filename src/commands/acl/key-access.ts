// What access to each of its keys a command needs, for ACL key patterns (`%R~`, `%W~`, `~`).
// Redis derives it from each command's key specs: a key the command reads needs R, one it
// inserts into, updates or deletes needs W. Most commands follow their flags (readonly → R,
// write → RW); the table lists the ones that do not, as Redis 7's key specs say
// (test/commands/acl-vs-redis checks it against a real redis-server).

import type { Command } from '../spec.js';

/** Bits of access a key needs; 0 = none (any pattern that matches the key allows it). */
export const KeyAccess = { none: 0, read: 1, write: 2, readWrite: 3 } as const;

/**
 * Access per key, by key order: the first entry for the first key, and so on; the last entry
 * applies to every further key (COPY: source R, destination W; SINTERSTORE: destination W,
 * sources R). '' means no access flag.
 */
const EXCEPTIONS: Record<string, string> = {
  append: 'W',
  bitop: 'W R',
  blmove: 'RW W',
  brpoplpush: 'RW W',
  copy: 'R W',
  del: 'W',
  exists: '',
  expire: 'W',
  expireat: 'W',
  geoadd: 'W',
  georadius: 'R W',
  georadiusbymember: 'R W',
  geosearchstore: 'W R',
  hdel: 'W',
  hexists: '',
  hlen: '',
  hmset: 'W',
  hset: 'W',
  hsetnx: 'W',
  hstrlen: '',
  linsert: 'W',
  llen: '',
  lmove: 'RW W',
  lpush: 'W',
  lpushx: 'W',
  lrem: 'W',
  lset: 'W',
  ltrim: 'W',
  'memory|usage': '',
  mset: 'W',
  msetnx: 'W',
  'object|encoding': '',
  'object|freq': '',
  'object|idletime': '',
  'object|refcount': '',
  persist: 'W',
  pexpire: 'W',
  pexpireat: 'W',
  pfadd: 'W',
  pfdebug: 'R',
  pfmerge: 'RW R',
  psetex: 'W',
  rename: 'RW W',
  renamenx: 'RW W',
  restore: 'W',
  'restore-asking': 'W',
  rpoplpush: 'RW W',
  rpush: 'W',
  rpushx: 'W',
  sadd: 'W',
  scard: '',
  sdiffstore: 'W R',
  setex: 'W',
  setnx: 'W',
  setrange: 'W',
  sinterstore: 'W R',
  sismember: '',
  smove: 'RW W',
  sort: 'R W',
  srem: 'W',
  strlen: '',
  sunionstore: 'W R',
  touch: '',
  type: '',
  unlink: 'W',
  xack: 'W',
  xadd: 'W',
  xautoclaim: 'W',
  xclaim: 'W',
  xdel: 'W',
  'xgroup|create': 'W',
  'xgroup|createconsumer': 'W',
  'xgroup|delconsumer': 'W',
  'xgroup|destroy': 'W',
  'xgroup|setid': 'W',
  xlen: '',
  xreadgroup: 'R',
  xsetid: 'W',
  xtrim: 'W',
  zadd: 'W',
  zcard: '',
  zdiffstore: 'W R',
  zinterstore: 'W R',
  zrangestore: 'W R',
  zrem: 'W',
  zremrangebylex: 'W',
  zremrangebyrank: 'W',
  zremrangebyscore: 'W',
  zunionstore: 'W R',
  watch: '',
};

/** Shard channels are declared as keys for cluster routing, but they are not keys to ACLs. */
const NOT_KEYS = new Set(['ssubscribe', 'sunsubscribe', 'spublish']);

function parse(text: string): number[] {
  if (text === '') return [KeyAccess.none];
  return text
    .split(' ')
    .map(
      (word) =>
        (word.includes('R') ? KeyAccess.read : 0) | (word.includes('W') ? KeyAccess.write : 0),
    );
}

const parsed = new Map<string, number[]>(
  Object.entries(EXCEPTIONS).map(([name, text]) => [name, parse(text)]),
);
const READ = [KeyAccess.read];
const READ_WRITE = [KeyAccess.readWrite];
const NONE = [KeyAccess.none];

/** Access per key for a command (see EXCEPTIONS); undefined for commands whose keys ACLs skip. */
export function keyAccess(
  command: Command,
  argv: readonly string[],
): readonly number[] | undefined {
  const name = command.fullName;
  if (NOT_KEYS.has(name)) return undefined;
  // SET reads its key only with the GET option (Redis: "variable flags").
  if (name === 'set')
    return argv.some((word, i) => i > 2 && word.toUpperCase() === 'GET')
      ? READ_WRITE
      : [KeyAccess.write];
  const listed = parsed.get(name);
  if (listed !== undefined) return listed;
  if (command.flags.includes('write')) return READ_WRITE;
  if (command.flags.includes('readonly')) return READ;
  return NONE;
}
