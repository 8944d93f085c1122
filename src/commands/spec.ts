// Commands are data: a declarative entry per command (name, arity, flags, key positions, ACL
// categories) plus its handler. The dispatcher (executor.ts) enforces everything declared here
// before a handler runs, so handlers never check arity or authentication themselves.

import type { CommandContext } from './context.js';
import type { LatencyHistogram } from './introspection/histogram.js';

export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_mandatory_keys'
  | 'no_multi'
  | 'allow_busy';

/** Bit per flag, for the dispatcher's checks on the hot path. */
export const FlagBit = {
  write: 1 << 0,
  readonly: 1 << 1,
  denyoom: 1 << 2,
  admin: 1 << 3,
  pubsub: 1 << 4,
  noscript: 1 << 5,
  blocking: 1 << 6,
  loading: 1 << 7,
  stale: 1 << 8,
  skip_monitor: 1 << 9,
  skip_slowlog: 1 << 10,
  fast: 1 << 11,
  no_auth: 1 << 12,
  may_replicate: 1 << 13,
  no_mandatory_keys: 1 << 14,
  no_multi: 1 << 15,
  allow_busy: 1 << 16,
} as const satisfies Record<CommandFlag, number>;

export type Handler = (ctx: CommandContext, argv: string[]) => void;

export interface CommandDefinition {
  /** Lower case; a subcommand is named by its own word ("get" under "config"). */
  name: string;
  /** Redis convention: n > 0 exactly n words (command included), n < 0 at least -n. */
  arity: number;
  flags: readonly CommandFlag[];
  /** Key positions (1-based word index); 0 when the command takes no keys; lastKey -1 = last word. */
  firstKey: number;
  lastKey: number;
  keyStep: number;
  /**
   * The keys of a command line, for commands whose keys the positions above cannot describe
   * (numkeys forms such as LMPOP and ZUNION, keys after an option): ACL key checks and COMMAND
   * GETKEYS use it. Must not throw: a malformed line gives the keys it can (the handler refuses it).
   */
  keys?: (argv: readonly string[]) => string[];
  /** ACL categories beyond those the flags imply, e.g. ['string']. */
  categories: readonly string[];
  group: string;
  summary: string;
  since: string;
  complexity?: string;
  handler?: Handler;
  subcommands?: readonly CommandDefinition[];
}

/** A table entry, with derived fields computed once. */
export interface Command extends CommandDefinition {
  readonly flagBits: number;
  /** "config|get" for a subcommand, else the name. */
  readonly fullName: string;
  readonly parent: Command | undefined;
  readonly subcommandTable: ReadonlyMap<string, Command> | undefined;
  /** Calls, time and errors for INFO commandstats. */
  calls: number;
  microseconds: number;
  rejectedCalls: number;
  failedCalls: number;
  /**
   * Time of every call and latency histogram (INFO commandstats usec, latencystats), created at
   * the first call (introspection/recorder.ts). `microseconds` is unused by the executor.
   */
  histogram: LatencyHistogram | undefined;
}

interface Options {
  flags?: readonly CommandFlag[];
  keys?: readonly [first: number, last: number, step: number];
  /** See CommandDefinition.keys. */
  getKeys?: (argv: readonly string[]) => string[];
  categories?: readonly string[];
  complexity?: string;
  since?: string;
  subcommands?: readonly CommandDefinition[];
}

/** Declares a command: `command('get', 2, 'string', 'Returns the string value of a key.', handler, {...})`. */
export function command(
  name: string,
  arity: number,
  group: string,
  summary: string,
  handler: Handler | undefined,
  options: Options = {},
): CommandDefinition {
  const [firstKey, lastKey, keyStep] = options.keys ?? [0, 0, 0];
  return {
    name,
    arity,
    group,
    summary,
    handler,
    flags: options.flags ?? [],
    firstKey,
    lastKey,
    keyStep,
    keys: options.getKeys,
    categories: options.categories ?? [group],
    since: options.since ?? '1.0.0',
    complexity: options.complexity,
    subcommands: options.subcommands,
  };
}

/** Key positions used most: one key at argv[1]. */
export const oneKey = [1, 1, 1] as const;
/** Every word from argv[1] on is a key. */
export const allKeys = [1, -1, 1] as const;
/** Key/value pairs from argv[1] on. */
export const keyValuePairs = [1, -1, 2] as const;

/** The keys a command line names: its `keys` function, else its key positions. */
export function commandKeys(entry: CommandDefinition, argv: readonly string[]): string[] {
  if (entry.keys !== undefined) return entry.keys(argv);
  if (entry.firstKey === 0) return [];
  const last = entry.lastKey < 0 ? argv.length + entry.lastKey : entry.lastKey;
  const keys: string[] = [];
  for (let i = entry.firstKey; i <= last && i < argv.length; i += entry.keyStep) {
    keys.push(argv[i] as string);
  }
  return keys;
}

/**
 * Keys given as `numkeys key [key ...]` with numkeys at argv[numkeysIndex] (LMPOP, ZUNION …),
 * preceded by the keys at `before` (ZUNIONSTORE's destination).
 */
export function numkeysKeys(numkeysIndex: number, before: readonly number[] = []) {
  return (argv: readonly string[]): string[] => {
    const keys = before.filter((i) => i < argv.length).map((i) => argv[i] as string);
    const text = argv[numkeysIndex] ?? '';
    const count = /^\d{1,9}$/.test(text) ? Number(text) : 0;
    // A count the line cannot hold names no keys (Redis: invalid arguments).
    if (numkeysIndex + count >= argv.length) return keys;
    for (let i = numkeysIndex + 1; i <= numkeysIndex + count; i++) keys.push(argv[i] as string);
    return keys;
  };
}
