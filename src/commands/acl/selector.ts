// One ACL selector: which commands, keys and channels it allows. Every user has a root selector
// (the rules written outside parentheses) and may have more (`(+get ~cache:*)`); a command is
// allowed when any selector allows it. Rules follow Redis 7.2's ACLSetSelector, including the
// text kept to describe command rules in the order they were given (ACL LIST, ACL SAVE).

import { globMatch } from '../../util/glob.js';
import { type Command, FlagBit } from '../spec.js';
import { canonicalCategory } from './categories.js';
import { KeyAccess } from './key-access.js';

/** The commands a selector can name: the command table. */
export interface CommandCatalog {
  readonly commands: readonly Command[];
  lookup(name: string): Command | undefined;
}

/** Why a rule was refused; `message` is Redis's wording (ACLSetUserStringError). */
export class RuleError extends Error {
  constructor(
    readonly code: 'unknown' | 'syntax' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export const RuleErrors = {
  unknown: () => new RuleError('unknown', 'Unknown command or category name in ACL'),
  syntax: () => new RuleError('syntax', 'Syntax error'),
  keyAfterAll: () =>
    new RuleError(
      'other',
      "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
    ),
  channelAfterAll: () =>
    new RuleError(
      'other',
      "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
    ),
  firstArgOfSubcommand: () =>
    new RuleError('other', 'Allowing first-arg of a subcommand is not supported'),
};

interface KeyPattern {
  pattern: string;
  /** KeyAccess bits this pattern grants: `~` both, `%R~` read, `%W~` write. */
  access: number;
}

/** Why a selector refused a command line, and which key or channel (by position) was refused. */
export const Denial = { command: 1, key: 2, channel: 4 } as const;
export interface SelectorVerdict {
  denial: number;
  /** For key and channel denials: the refused key or channel, and its order among them. */
  object: string;
  position: number;
}

/** True for the characters Redis refuses in names and patterns (isspace, or NUL). */
export function hasSpaces(text: string): boolean {
  return /[\s\0]/.test(text);
}

export class Selector {
  allKeys = false;
  allChannels: boolean;
  /** Redis's ALLCOMMANDS flag: every command allowed, no bit to test. */
  allCommands = false;
  /** Set by +@all, cleared only by -@all: the rules start from "+@all" (future commands too). */
  startsFromAll = false;
  readonly allowed = new Set<Command>();
  /** First arguments allowed for a command otherwise denied (`+select|0`). */
  readonly firstArgs = new Map<Command, string[]>();
  keyPatterns: KeyPattern[] = [];
  channels: string[] = [];
  /** The command rules as given, each "+name" or "-name", later ones replacing earlier. */
  rules: string[] = [];

  constructor(
    private readonly catalog: CommandCatalog,
    readonly root: boolean,
    allChannelsByDefault: boolean,
  ) {
    this.allChannels = allChannelsByDefault;
  }

  clone(): Selector {
    const copy = new Selector(this.catalog, this.root, this.allChannels);
    copy.allKeys = this.allKeys;
    copy.allCommands = this.allCommands;
    copy.startsFromAll = this.startsFromAll;
    for (const command of this.allowed) copy.allowed.add(command);
    for (const [command, args] of this.firstArgs) copy.firstArgs.set(command, [...args]);
    copy.keyPatterns = this.keyPatterns.map((entry) => ({ ...entry }));
    copy.channels = [...this.channels];
    copy.rules = [...this.rules];
    return copy;
  }

  /** Applies one rule (ACLSetSelector); throws RuleError and changes nothing on a bad rule. */
  apply(op: string): void {
    const lowered = op.toLowerCase();
    if (lowered === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.keyPatterns = [];
    } else if (lowered === 'resetkeys') {
      this.allKeys = false;
      this.keyPatterns = [];
    } else if (lowered === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lowered === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lowered === 'allcommands' || lowered === '+@all') {
      this.setEveryCommand(true);
    } else if (lowered === 'nocommands' || lowered === '-@all') {
      this.setEveryCommand(false);
    } else if (op.startsWith('~') || op.startsWith('%')) {
      this.addKeyPattern(op);
    } else if (op.startsWith('&')) {
      if (this.allChannels) throw RuleErrors.channelAfterAll();
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw RuleErrors.syntax();
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if ((op.startsWith('+') || op.startsWith('-')) && op[1] === '@') {
      this.setCategory(op.slice(2), op[0] === '+');
    } else if (op.startsWith('+')) {
      this.allowCommand(op.slice(1));
    } else if (op.startsWith('-')) {
      const command = this.lookup(op.slice(1));
      if (command === undefined) throw RuleErrors.unknown();
      this.changePermission(command, false);
      this.updateRules(command.fullName, false);
    } else {
      throw RuleErrors.syntax();
    }
  }

  private setEveryCommand(allow: boolean): void {
    this.allowed.clear();
    if (allow) for (const command of this.everyCommand()) this.allowed.add(command);
    this.allCommands = allow;
    this.startsFromAll = allow;
    this.rules = [];
    this.firstArgs.clear();
  }

  private addKeyPattern(op: string): void {
    if (this.allKeys) throw RuleErrors.keyAfterAll();
    let access = 0;
    let offset = 1;
    if (op.startsWith('%')) {
      for (; offset < op.length; offset++) {
        const c = (op[offset] as string).toUpperCase();
        if (c === 'R' && (access & KeyAccess.read) === 0) access |= KeyAccess.read;
        else if (c === 'W' && (access & KeyAccess.write) === 0) access |= KeyAccess.write;
        else if (c === '~' && access !== 0) {
          offset++;
          break;
        } else throw RuleErrors.syntax();
      }
      // A bare "%" grants nothing (Redis would accept it and then fail to describe it).
      if (access === 0) throw RuleErrors.syntax();
    } else {
      access = KeyAccess.readWrite;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw RuleErrors.syntax();
    const existing = this.keyPatterns.find((entry) => entry.pattern === pattern);
    if (existing === undefined) this.keyPatterns.push({ pattern, access });
    else existing.access |= access;
    this.allKeys = false;
  }

  private setCategory(name: string, allow: boolean): void {
    const category = canonicalCategory(name);
    // canonicalCategory maps group names (transactions) too; rules accept only Redis's names.
    if (category === undefined || category !== name.toLowerCase()) throw RuleErrors.unknown();
    this.updateRules(`@${category}`, allow);
    for (const command of this.catalog.commands) {
      if (command.categories.includes(category)) this.changePermission(command, allow);
      for (const sub of command.subcommandTable?.values() ?? []) {
        if (sub.categories.includes(category)) this.changePermission(sub, allow);
      }
    }
  }

  private allowCommand(name: string): void {
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const command = this.lookup(name);
      if (command === undefined) throw RuleErrors.unknown();
      this.changePermission(command, true);
      this.updateRules(command.fullName, true);
      return;
    }
    const command = this.lookup(name.slice(0, bar));
    if (command === undefined) throw RuleErrors.unknown();
    if (command.parent !== undefined) throw RuleErrors.firstArgOfSubcommand();
    const firstArg = name.slice(bar + 1);
    if (firstArg === '') throw RuleErrors.syntax();
    if (command.subcommandTable !== undefined) {
      const sub = this.lookup(name);
      if (sub === undefined) throw RuleErrors.unknown();
      this.changePermission(sub, true);
    } else {
      // `+select|0`: Redis allows it with a deprecation warning.
      const args = this.firstArgs.get(command) ?? [];
      if (!args.some((arg) => arg.toLowerCase() === firstArg.toLowerCase())) args.push(firstArg);
      this.firstArgs.set(command, args);
    }
    this.updateRules(name, true);
  }

  /** A command or "container|subcommand" by name, in any letter case (ACLLookupCommand). */
  private lookup(name: string): Command | undefined {
    const parts = name.split('|');
    if (parts.length > 2) return undefined;
    const command = this.catalog.lookup(parts[0] as string);
    if (parts.length === 1 || command === undefined) return command;
    return command.subcommandTable?.get((parts[1] as string).toLowerCase());
  }

  /** Allows or denies a command and, for a container, every subcommand (ACLChangeSelectorPerm). */
  private changePermission(command: Command, allow: boolean): void {
    this.setBit(command, allow);
    this.firstArgs.delete(command);
    for (const sub of command.subcommandTable?.values() ?? []) this.setBit(sub, allow);
  }

  private setBit(command: Command, allow: boolean): void {
    if (allow) this.allowed.add(command);
    else {
      this.allowed.delete(command);
      this.allCommands = false;
    }
  }

  /**
   * Records a command rule (ACLUpdateCommandRules): an earlier rule for the same name, or for
   * one of its subcommands, is dropped, then the new one is appended.
   */
  private updateRules(name: string, allow: boolean): void {
    const lowered = name.toLowerCase();
    this.rules = this.rules.filter((rule) => {
      const ruleName = rule.slice(1);
      return !(ruleName === lowered || ruleName.startsWith(`${lowered}|`));
    });
    this.rules.push(`${allow ? '+' : '-'}${lowered}`);
  }

  private *everyCommand(): Iterable<Command> {
    for (const command of this.catalog.commands) {
      yield command;
      yield* command.subcommandTable?.values() ?? [];
    }
  }

  /** The command rules as ACL LIST shows them: "+@all" or "-@all", then the rules given. */
  describeCommands(): string {
    return [this.startsFromAll ? '+@all' : '-@all', ...this.rules].join(' ');
  }

  /** Key patterns as ACL GETUSER shows them ("~*" for allkeys). */
  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keyPatterns.map(patternText).join(' ');
  }

  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((channel) => `&${channel}`).join(' ');
  }

  /** The whole selector in rule form (ACLDescribeSelector). */
  describe(): string {
    let text = '';
    if (this.allKeys) text += '~* ';
    else for (const entry of this.keyPatterns) text += `${patternText(entry)} `;
    if (this.allChannels) text += '&* ';
    else {
      text += 'resetchannels ';
      for (const channel of this.channels) text += `&${channel} `;
    }
    return text + this.describeCommands();
  }

  /** Whether this selector allows the command line (ACLSelectorCheckCmd). */
  check(
    command: Command,
    argv: readonly string[],
    keys: readonly string[],
    access: readonly number[] | undefined,
    channels: ChannelUse | undefined,
  ): SelectorVerdict | undefined {
    if (!this.allCommands && (command.flagBits & FlagBit.no_auth) === 0) {
      if (!this.allowed.has(command) && !this.firstArgAllowed(command, argv)) {
        return { denial: Denial.command, object: command.fullName, position: 0 };
      }
    }
    if (!this.allKeys && access !== undefined) {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (!this.keyAllowed(key, access[Math.min(i, access.length - 1)] ?? 0)) {
          return { denial: Denial.key, object: key, position: i + 1 };
        }
      }
    }
    if (!this.allChannels && channels !== undefined) {
      for (let i = 0; i < channels.names.length; i++) {
        const channel = channels.names[i] as string;
        if (!this.channelAllowed(channel, channels.patterns)) {
          return { denial: Denial.channel, object: channel, position: i + 1 };
        }
      }
    }
    return undefined;
  }

  private firstArgAllowed(command: Command, argv: readonly string[]): boolean {
    const args = this.firstArgs.get(command);
    if (args === undefined || argv.length < 2) return false;
    const first = (argv[command.parent === undefined ? 1 : 2] ?? '').toLowerCase();
    return args.some((arg) => arg.toLowerCase() === first);
  }

  /** Whether every key may be read: allkeys, or a `~*` / `%R~*` pattern (ACLSelectorHasUnrestrictedKeyAccess). */
  readsEveryKey(): boolean {
    if (this.allKeys) return true;
    return this.keyPatterns.some(
      (entry) => entry.pattern === '*' && (entry.access & KeyAccess.read) === KeyAccess.read,
    );
  }

  keyAllowed(key: string, needed: number): boolean {
    if (this.allKeys) return true;
    for (const entry of this.keyPatterns) {
      if ((entry.access & needed) !== needed) continue;
      if (globMatch(entry.pattern, key)) return true;
    }
    return false;
  }

  /**
   * A channel name is matched against the selector's patterns; a pattern given to PSUBSCRIBE
   * must equal one of them literally (Redis: ACLCheckChannelAgainstList).
   */
  channelAllowed(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const pattern of this.channels) {
      if (isPattern ? pattern === channel : globMatch(pattern, channel)) return true;
    }
    return false;
  }
}

/** The channels a command line publishes to or subscribes to, for ACL checks. */
export interface ChannelUse {
  names: readonly string[];
  /** PSUBSCRIBE: the names are patterns, compared literally. */
  patterns: boolean;
}

function patternText(entry: KeyPattern): string {
  const prefix =
    entry.access === KeyAccess.readWrite ? '~' : entry.access === KeyAccess.read ? '%R~' : '%W~';
  return prefix + entry.pattern;
}
