// Input generator for the protocol fuzzer: valid commands with wrong types and arguments,
// mutated frames (lengths off by one, huge counts, truncations, flipped bytes), inline commands
// and binary garbage. Every choice comes from the seeded PRNG, so a seed replays its inputs.

import { Prng } from '../../src/sim/prng.js';
import { encodeCommand } from '../helpers/raw-client.js';

/**
 * Commands the fuzzer never sends: they would destroy the well-behaved client's data (FLUSHALL,
 * FLUSHDB, SWAPDB), stop or stall the server on purpose (SHUTDOWN, DEBUG, CLIENT PAUSE,
 * PFSELFTEST's seconds of CPU), cut the checker off (CLIENT KILL, CONFIG SET of limits or
 * passwords) — none of which is a bug.
 */
export const EXCLUDED = new Set([
  'flushall',
  'flushdb',
  'swapdb',
  'shutdown',
  'debug',
  'client|pause',
  'pfselftest',
  'client|kill',
  'config|set',
  'config|rewrite',
  // Keeps the statistics the test reports meaningful.
  'config|resetstat',
]);

const KEYS = ['k', 'k1', 'list', 'hash', 'set', 'zset', 'str', '{t}a', '{t}b', 'n', ''];
const NUMBERS = [
  '0',
  '1',
  '-1',
  '2',
  '10',
  '100',
  '1.5',
  '-0',
  'inf',
  '-inf',
  '+inf',
  'nan',
  '1e400',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '4294967296',
  '4294967295',
  '2147483648',
  '2147483647',
  '-2147483648',
  '536870888',
  '536870889',
  '536870911',
  '536870912',
  '1000000000',
  '17179869184',
  '0x10',
  ' 1',
  '1 ',
  '(1',
  '[a',
  '-',
  '+',
];
const WORDS = [
  'EX',
  'PX',
  'EXAT',
  'PXAT',
  'NX',
  'XX',
  'GT',
  'LT',
  'GET',
  'KEEPTTL',
  'PERSIST',
  'WITHSCORES',
  'LIMIT',
  'COUNT',
  'MATCH',
  'TYPE',
  'BY',
  'LEFT',
  'RIGHT',
  'BEFORE',
  'AFTER',
  'BLOCK',
  'STREAMS',
  'RANK',
  'MAXLEN',
  'IDLE',
  'REPLACE',
  'DB',
  'ABSTTL',
  'FREQ',
  'AUTH',
  'SETNAME',
  'ON',
  'OFF',
  'SKIP',
  'WRITE',
  'ALL',
  'ID',
  'ADDR',
  'TIMEOUT',
  'ERROR',
  'HELP',
];

export class InputGenerator {
  readonly random: Prng;

  constructor(
    seed: number,
    private readonly commands: readonly string[],
    /** Redis arity per command name ("get" 2, "set" -3, "client|id" 2). */
    private readonly arities: ReadonlyMap<string, number> = new Map(),
  ) {
    this.random = new Prng(seed);
  }

  private bytes(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.random.nextInt(256));
    return out;
  }

  private argument(): string {
    const r = this.random;
    const roll = r.nextInt(100);
    if (roll < 30) return r.pick(KEYS);
    if (roll < 55) return r.pick(NUMBERS);
    if (roll < 75) return r.pick(WORDS);
    if (roll < 85) return this.bytes(r.between(0, 16));
    if (roll < 90) return String(r.between(-1000, 100000));
    if (roll < 93) return 'x'.repeat(r.between(100, 70_000));
    // The key pool, but for the database index arguments of SELECT, MOVE, COPY: never 9,
    // where the well-behaved client lives, is harmless anyway (keys differ).
    return r.pick(KEYS) + r.pick(KEYS);
  }

  /** A command line: a known command (or subcommand), random arguments. */
  commandLine(): string[] {
    const r = this.random;
    const name = r.pick(this.commands);
    const argv = name.split('|');
    const arity = this.arities.get(name);
    let words: number;
    if (arity === undefined || r.chance(0.1)) words = r.between(1, r.chance(0.1) ? 40 : 6);
    else if (arity > 0) words = arity + (r.chance(0.1) ? r.pick([-1, 1]) : 0);
    else words = -arity + (r.chance(0.8) ? r.between(0, 4) : r.between(5, 40));
    while (argv.length < words) argv.push(this.argument());
    if (r.chance(0.2)) argv[0] = (argv[0] as string).toUpperCase();
    return argv;
  }

  private mutate(frame: Buffer): Buffer {
    const r = this.random;
    let bytes = Buffer.from(frame);
    const mutations = r.between(1, 3);
    for (let m = 0; m < mutations && bytes.length > 0; m++) {
      const at = r.nextInt(bytes.length);
      switch (r.nextInt(7)) {
        case 0: // flip a byte
          bytes[at] = r.nextInt(256);
          break;
        case 1: // truncate
          bytes = bytes.subarray(0, at);
          break;
        case 2: {
          // a length or count off by one, or huge
          const text = bytes.toString('latin1');
          const headers = [...text.matchAll(/[*$](-?\d+)\r\n/g)];
          if (headers.length === 0) break;
          const header = r.pick(headers);
          const value = Number(header[1]);
          const replacement = r.pick([
            value + 1,
            value - 1,
            -1,
            -2,
            0,
            2 ** 31,
            2 ** 32 + 1,
            1024 * 1024 + 1,
            512 * 1024 * 1024 + 1,
            99_999_999_999,
          ]);
          const start = (header.index ?? 0) + 1;
          bytes = Buffer.concat([
            bytes.subarray(0, start),
            Buffer.from(String(replacement)),
            bytes.subarray(start + (header[1] as string).length),
          ]);
          break;
        }
        case 3: // insert garbage
          bytes = Buffer.concat([
            bytes.subarray(0, at),
            Buffer.from(this.bytes(r.between(1, 8)), 'latin1'),
            bytes.subarray(at),
          ]);
          break;
        case 4: // duplicate a range
          bytes = Buffer.concat([bytes, bytes.subarray(at, at + r.between(1, 64))]);
          break;
        case 5: // drop a CR or LF
          {
            const crlf = bytes.indexOf('\r\n', at);
            if (crlf >= 0) {
              bytes = Buffer.concat([bytes.subarray(0, crlf), bytes.subarray(crlf + 1)]);
            }
          }
          break;
        default: // a stray type byte where a header is expected
          bytes = Buffer.concat([Buffer.from(r.pick(['*', '$', ':', '+', '-', '%', '~'])), bytes]);
      }
    }
    return bytes;
  }

  /** One input: the bytes a fuzzing connection sends at once. */
  next(): Buffer {
    const r = this.random;
    const roll = r.nextInt(100);
    if (roll < 45) return encodeCommand(this.commandLine());
    if (roll < 75) return this.mutate(encodeCommand(this.commandLine()));
    if (roll < 82) {
      const words = this.commandLine().map((word) =>
        r.chance(0.2) ? `"${word.replace(/"/g, '\\"')}"` : word,
      );
      if (r.chance(0.1)) words.push(r.pick(["'unbalanced", '"unbalanced', '"a"b']));
      return Buffer.from(`${words.join(' ')}\r\n`, 'latin1');
    }
    if (roll < 90) return Buffer.from(this.bytes(r.between(1, 256)), 'latin1');
    // A pipeline of valid commands, some of them mutated.
    const frames: Buffer[] = [];
    const count = r.between(2, 50);
    for (let i = 0; i < count; i++) {
      const frame = encodeCommand(this.commandLine());
      frames.push(r.chance(0.05) ? this.mutate(frame) : frame);
    }
    return Buffer.concat(frames);
  }
}
