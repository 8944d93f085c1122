// Parsing of command arguments with Redis's errors.

import type { ScanCursors } from '../engine/scan.js';
import { globMatch } from '../util/glob.js';
import { parseDouble, parseInt64 } from '../util/numbers.js';
import type { Reply } from './reply.js';
import { Errors, fail } from './errors.js';

/** Case-insensitive comparison of an argument with an upper-case keyword. */
export function isWord(arg: string | undefined, upperKeyword: string): boolean {
  return (
    arg !== undefined && arg.length === upperKeyword.length && arg.toUpperCase() === upperKeyword
  );
}

/** An int64 argument as a number (safe range) or bigint, or ERR not an integer. */
export function int64Arg(arg: string | undefined): number | bigint {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (value === undefined) fail(Errors.notInteger);
  return value;
}

/** An integer argument that must fit a JavaScript safe integer (counts, offsets, times). */
export function intArg(arg: string | undefined, message: string = Errors.notInteger): number {
  const value = arg === undefined ? undefined : parseInt64(arg);
  if (typeof value !== 'number') fail(message);
  return value;
}

export function floatArg(arg: string | undefined, message: string = Errors.notFloat): number {
  const value = arg === undefined ? undefined : parseDouble(arg);
  if (value === undefined) fail(message);
  return value;
}

/** Parses [MATCH pattern] [COUNT n] [TYPE t] style options of the SCAN family. */
export interface ScanOptions {
  pattern: string | undefined;
  count: number;
  type: string | undefined;
}

export function scanOptions(argv: string[], start: number, allowType: boolean): ScanOptions {
  const options: ScanOptions = { pattern: undefined, count: 10, type: undefined };
  for (let i = start; i < argv.length; i += 2) {
    const word = argv[i];
    const value = argv[i + 1];
    if (value === undefined) fail(Errors.syntax);
    if (isWord(word, 'MATCH')) options.pattern = value;
    else if (isWord(word, 'COUNT')) {
      options.count = intArg(value);
      if (options.count < 1) fail(Errors.syntax);
    } else if (allowType && isWord(word, 'TYPE')) options.type = value.toLowerCase();
    else fail(Errors.syntax);
  }
  return options;
}

/**
 * A SCAN cursor, read as Redis reads it (strtoul): decimal digits with an optional sign, a
 * negative value wrapping around 2^64, the empty string meaning 0; returned as the canonical
 * decimal of the unsigned 64-bit value.
 */
export function cursorArg(arg: string | undefined): string {
  if (arg === '') return '0';
  const match = arg === undefined ? null : /^([+-]?)(\d+)$/.exec(arg);
  if (match === null) fail('ERR invalid cursor');
  const magnitude = BigInt(match[2] as string);
  if (magnitude > 18446744073709551615n) fail('ERR invalid cursor');
  const value = match[1] === '-' && magnitude > 0n ? (1n << 64n) - magnitude : magnitude;
  return value.toString();
}

/**
 * One step of HSCAN / SSCAN / ZSCAN over a collection: parses MATCH/COUNT from argv[3], and
 * returns the matching elements and the next cursor. Without a cursor `source` (Redis's compact
 * encodings, listpack and intset) the whole collection is returned in one step, whatever the
 * cursor and COUNT, as Redis does; otherwise it is walked with a live cursor.
 */
export function scanCollectionStep(
  argv: string[],
  cursors: ScanCursors,
  whole: () => Iterable<string>,
  source: { keys(): Iterator<string> } | undefined,
): { next: string; found: string[] } {
  const cursor = cursorArg(argv[2]);
  const { pattern, count } = scanOptions(argv, 3, false);
  const found: string[] = [];
  const visit = (element: string): void => {
    if (pattern === undefined || globMatch(pattern, element)) found.push(element);
  };
  if (source === undefined) {
    for (const element of whole()) visit(element);
    return { next: '0', found };
  }
  return { next: cursors.scan(source, cursor, count, visit), found };
}

/** The reply to a SCAN-family command on a missing key: cursor 0, no elements. */
export function replyEmptyScan(reply: Reply): void {
  reply.array(2);
  reply.bulk('0');
  reply.array(0);
}
