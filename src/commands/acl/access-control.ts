// Authentication and authorization: the ACL users (the default user's password is requirepass),
// AUTH, the per-command permission check the dispatcher calls, the ACL log, and the ACL file.
// Behaviour follows Redis 7.2 (acl.c): messages, the order of checks, what is logged.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ClientState } from '../client.js';
import type { Config } from '../config.js';
import type { Host } from '../hooks.js';
import { type Command, commandKeys } from '../spec.js';
import { keyAccess } from './key-access.js';
import { AclLog, type DenialContext, type DenialReason } from './log.js';
import { type ChannelUse, type CommandCatalog, Denial, type SelectorVerdict } from './selector.js';
import { mergeSelectorArguments, RuleError, User, validUserName } from './user.js';

/** A refused command line: why, and the command, key or channel refused. */
export interface AclVerdict {
  reason: Exclude<DenialReason, 'auth'>;
  object: string;
}

/** The start-up ACL file could not be loaded: the server must not start (as Redis). */
export class AclStartupError extends Error {}

const REASON_BY_DENIAL: Record<number, AclVerdict['reason']> = {
  [Denial.command]: 'command',
  [Denial.key]: 'key',
  [Denial.channel]: 'channel',
};

/** Commands whose arguments are Pub/Sub channels an ACL must allow (unsubscribing is free). */
function channelsOf(command: Command, argv: readonly string[]): ChannelUse | undefined {
  switch (command.fullName) {
    case 'publish':
    case 'spublish':
      return { names: argv.slice(1, 2), patterns: false };
    case 'subscribe':
    case 'ssubscribe':
      return { names: argv.slice(1), patterns: false };
    case 'psubscribe':
      return { names: argv.slice(1), patterns: true };
    default:
      return undefined;
  }
}

/** Describes a client for ACL LOG (CLIENT INFO's line); given by the command layer. */
export type ClientDescriber = (client: ClientState, nowMs: number) => string;

export class AccessControl {
  /** Users by name; ACL LIST and USERS sort them by name's bytes, as Redis's radix tree does. */
  readonly users = new Map<string, User>();
  readonly defaultUser: User;
  readonly log = new AclLog();

  constructor(
    private readonly catalog: CommandCatalog,
    private readonly config: Config,
    private readonly host: Host,
    private readonly describeClient: ClientDescriber,
  ) {
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    this.setDefaultPassword(config.get('requirepass'));
    config.onChange((name, value) => {
      if (name === 'requirepass') this.setDefaultPassword(value);
      if (name === 'acllog-max-len') this.log.trim(Number(value));
    });
    const file = config.get('aclfile');
    if (file !== '') {
      const errors = this.loadFile(file);
      if (errors !== undefined) {
        throw new AclStartupError(`Aborting Redis startup because of ACL errors: ${errors}`);
      }
    }
  }

  private allChannelsByDefault = (): boolean =>
    this.config.get('acl-pubsub-default') === 'allchannels';

  newUser(name: string): User {
    return new User(name, this.catalog, this.allChannelsByDefault);
  }

  private createDefaultUser(): User {
    const user = this.newUser('default');
    for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) user.apply(rule);
    return user;
  }

  /** requirepass: the default user's only password, or nopass when empty (as Redis). */
  private setDefaultPassword(password: string): void {
    this.defaultUser.apply('resetpass');
    this.defaultUser.apply(password === '' ? 'nopass' : `>${password}`);
  }

  userOf(client: ClientState): User {
    return client.aclUser ?? this.defaultUser;
  }

  /** Whether a client that has not authenticated must (Redis's authRequired). */
  authRequired(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  /** Whether a new connection starts authenticated as the default user. */
  newClientAuthenticated(): boolean {
    return !this.authRequired();
  }

  /**
   * AUTH / HELLO AUTH: checks the pair and, when it opens the user, authenticates the client as
   * that user. A failure is logged (reason auth, object the command's name as the client sent it).
   */
  authenticate(
    client: ClientState,
    username: string,
    password: string,
    commandWord: string,
    nowMs: number,
    inExec = false,
  ): boolean {
    const user = this.users.get(username);
    if (user !== undefined && user.enabled && user.passwordMatches(password)) {
      client.authenticated = true;
      client.aclUser = user === this.defaultUser ? undefined : user;
      client.user = user.name;
      return true;
    }
    this.addLogEntry(client, 'auth', this.contextOf(client, inExec), commandWord, username, nowMs);
    return false;
  }

  /** Resets a client to the default user (RESET), authenticated if that needs no password. */
  resetClient(client: ClientState): void {
    client.aclUser = undefined;
    client.user = 'default';
    client.authenticated = this.newClientAuthenticated();
  }

  /**
   * The dispatcher's check: undefined when the client's user may run this command line, else
   * the NOPERM error to answer (the denial is logged). `inExec` when EXEC runs a queued command.
   */
  check(
    client: ClientState,
    command: Command,
    argv: readonly string[],
    nowMs: number,
    inExec: boolean,
  ): string | undefined {
    const user = client.aclUser ?? this.defaultUser;
    if (user.unrestricted) return undefined;
    const verdict = this.verdict(user, command, argv);
    if (verdict === undefined) return undefined;
    // Redis names the refused command in CLIENT INFO's cmd= field of the log entry.
    client.lastCommand = command.fullName;
    const context = this.contextOf(client, inExec);
    this.addLogEntry(client, verdict.reason, context, verdict.object, user.name, nowMs);
    if (inExec)
      return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${EXEC_REASONS[verdict.reason]}`;
    return `NOPERM ${denialMessage(verdict, user, command, false)}`;
  }

  /**
   * Whether the client's user may run the command line through a selector that reads every key
   * (ACLUserCheckCmdWithUnrestrictedKeyAccess): SORT's BY and GET patterns name keys no ACL
   * check saw, so Redis allows them only then.
   */
  readsEveryKey(client: ClientState, command: Command, argv: readonly string[]): boolean {
    const user = this.userOf(client);
    if (user.unrestricted) return true;
    const access = keyAccess(command, argv);
    const keys = access === undefined ? [] : commandKeys(command, argv);
    const channels = channelsOf(command, argv);
    return user.selectors.some(
      (selector) =>
        selector.check(command, argv, keys, access, channels) === undefined &&
        selector.readsEveryKey(),
    );
  }

  /** Whether `user` may run the command line, and if not why (ACLCheckAllUserCommandPerm). */
  verdict(user: User, command: Command, argv: readonly string[]): AclVerdict | undefined {
    if (user.unrestricted) return undefined;
    const access = keyAccess(command, argv);
    const keys = access === undefined ? [] : commandKeys(command, argv);
    const channels = channelsOf(command, argv);
    let worst: SelectorVerdict | undefined;
    for (const selector of user.selectors) {
      const result = selector.check(command, argv, keys, access, channels);
      if (result === undefined) return undefined;
      // Redis reports the "worst" refusal: channel over key over command, then the later argument.
      if (
        worst === undefined ||
        result.denial > worst.denial ||
        (result.denial === worst.denial && result.position > worst.position)
      ) {
        worst = result;
      }
    }
    if (worst === undefined) return { reason: 'command', object: command.fullName };
    return { reason: REASON_BY_DENIAL[worst.denial] ?? 'command', object: worst.object };
  }

  private contextOf(client: ClientState, inExec: boolean): DenialContext {
    return inExec || client.transaction !== undefined ? 'multi' : 'toplevel';
  }

  private addLogEntry(
    client: ClientState,
    reason: DenialReason,
    context: DenialContext,
    object: string,
    username: string,
    nowMs: number,
  ): void {
    this.log.add(
      {
        reason,
        context,
        object,
        username,
        updatedAtMs: nowMs,
        clientInfo: this.describeClient(client, nowMs),
      },
      this.config.getNumber('acllog-max-len'),
    );
  }

  /** Users sorted by name, as Redis lists them. */
  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /**
   * ACL SETUSER: applies the rules to a copy, and only if all are valid to the user (created if
   * new). Returns the error message, or undefined. Subscribers who lose a channel are closed.
   */
  setUser(name: string, rules: readonly string[], current: ClientState): string | undefined {
    const merged = mergeSelectorArguments(rules);
    if (!Array.isArray(merged)) {
      return `ERR Unmatched parenthesis in acl selector starting at '${merged.unmatched}'.`;
    }
    const existing = this.users.get(name);
    const staged = existing?.clone() ?? this.newUser(name);
    for (const rule of merged) {
      try {
        staged.apply(rule);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        return `ERR Error in ACL SETUSER modifier '${rule}': ${error.message}`;
      }
    }
    if (existing === undefined) {
      this.users.set(name, staged);
      return undefined;
    }
    existing.copyFrom(staged);
    this.closeSubscribersWithoutAccess(existing, current);
    return undefined;
  }

  /**
   * A replica group's user change as every node applies it: the user becomes exactly what
   * `description` (ACL LIST's form) says, built on a new user. The leader checked the rules, so
   * one this node cannot apply is a divergence: it throws.
   */
  defineUser(name: string, description: string): void {
    const merged = mergeSelectorArguments(description.split(' ').filter((word) => word !== ''));
    if (!Array.isArray(merged)) throw new Error(`ACL: unmatched parenthesis in '${description}'`);
    const staged = this.newUser(name);
    for (const rule of merged) staged.apply(rule);
    const existing = this.users.get(name);
    if (existing === undefined) {
      this.users.set(name, staged);
      return;
    }
    if (existing.describe() === description) return;
    existing.copyFrom(staged);
    this.closeSubscribersWithoutAccess(existing, undefined);
  }

  /** Subscribers of `user` subscribed to a channel the user may no longer use are closed. */
  private closeSubscribersWithoutAccess(user: User, current: ClientState | undefined): void {
    if (user.selectors.some((selector) => selector.allChannels)) return;
    const allowed = (channel: string, isPattern: boolean): boolean =>
      user.selectors.some((selector) => selector.channelAllowed(channel, isPattern));
    for (const client of this.host.clients()) {
      if (this.userOf(client) !== user || client.subscriptionCount === 0) continue;
      const lost =
        [...client.channels, ...client.shardChannels].some((channel) => !allowed(channel, false)) ||
        [...client.patterns].some((pattern) => !allowed(pattern, true));
      if (lost) this.closeClient(client, current);
    }
  }

  private closeClient(client: ClientState, current: ClientState | undefined): void {
    if (client === current) client.closeAfterReply = true;
    else this.host.closeClient(client);
  }

  /** ACL DELUSER: removes users and closes their connections; returns how many existed. */
  deleteUsers(names: readonly string[], current: ClientState | undefined): number {
    let deleted = 0;
    for (const name of names) {
      const user = this.users.get(name);
      if (user === undefined) continue;
      this.users.delete(name);
      this.dropClientsOf(new Set([user]), current);
      deleted++;
    }
    return deleted;
  }

  /** Clients authenticated as these users go back to the default user, unauthenticated, and close. */
  private dropClientsOf(users: ReadonlySet<User>, current: ClientState | undefined): void {
    for (const client of this.host.clients()) {
      if (client.aclUser === undefined || !users.has(client.aclUser)) continue;
      client.aclUser = undefined;
      client.user = 'default';
      client.authenticated = false;
      this.closeClient(client, current);
    }
  }

  /**
   * Loads users from an ACL file (ACLLoadFromFile): all or nothing. Returns the errors found, or
   * undefined when the users were replaced. The default user keeps its identity; connections of
   * every other user are closed, as Redis frees the old users.
   */
  loadFile(file: string, current?: ClientState): string | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (error) {
      return `Error loading ACLs, opening file '${file}': ${systemErrorText(error)}`;
    }
    const loaded = new Map<string, User>();
    let errors = '';
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const lineNumber = index + 1;
      const line = (lines[index] as string).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '') continue;
      const words = line.split(' ');
      const name = words[1];
      if (words[0] !== 'user' || name === undefined) {
        errors += `${file}:${lineNumber} should start with user keyword followed by the username. `;
        continue;
      }
      if (!validUserName(name)) {
        errors += `'${file}:${lineNumber}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (loaded.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${lineNumber}. `;
        continue;
      }
      const user = this.newUser(name);
      loaded.set(name, user);
      const merged = mergeSelectorArguments(words.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${file}:${lineNumber}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const rawRule of merged) {
        const rule = rawRule.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          user.apply(rule);
        } catch (error) {
          if (!(error instanceof RuleError)) throw error;
          if (error.code === 'unknown') {
            errors += `${file}:${lineNumber}: Error in applying operation '${rule}': ${error.message}. `;
          } else if (!syntaxError) {
            errors += `${file}:${lineNumber}: ${error.message}. `;
            syntaxError = true;
          }
        }
      }
    }
    if (errors !== '') {
      return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    }
    const previous = new Set(this.users.values());
    previous.delete(this.defaultUser);
    this.defaultUser.copyFrom(loaded.get('default') ?? this.createDefaultUser());
    loaded.set('default', this.defaultUser);
    this.users.clear();
    for (const [name, user] of loaded) this.users.set(name, user);
    if (current !== undefined) this.dropClientsOf(previous, current);
    return undefined;
  }

  /** ACL SAVE: writes every user in rule form, through a temporary file renamed into place. */
  saveFile(file: string): boolean {
    let text = '';
    for (const user of this.sortedUsers()) text += `user ${user.name} ${user.describe()}\n`;
    const temporary = `${file}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(temporary, text, { encoding: 'latin1', mode: 0o644, flush: true });
      renameSync(temporary, file);
      return true;
    } catch {
      rmSync(temporary, { force: true });
      return false;
    }
  }
}

const EXEC_REASONS: Record<AclVerdict['reason'], string> = {
  command: 'no permission to execute the command or subcommand',
  key: 'no permission to touch the specified keys',
  channel: 'no permission to access one of the channels used as arguments',
};

/** Redis's getAclErrorMessage; `verbose` names the key or channel (ACL DRYRUN). */
export function denialMessage(
  verdict: AclVerdict,
  user: User,
  command: Command,
  verbose: boolean,
): string {
  switch (verdict.reason) {
    case 'command':
      return `User ${user.name} has no permissions to run the '${command.fullName}' command`;
    case 'key':
      return verbose
        ? `User ${user.name} has no permissions to access the '${verdict.object}' key`
        : 'No permissions to access a key';
    case 'channel':
      return verbose
        ? `User ${user.name} has no permissions to access the '${verdict.object}' channel`
        : 'No permissions to access a channel';
  }
}

/** strerror's text for the errors a file open can give. */
function systemErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
  };
  return (code !== undefined ? known[code] : undefined) ?? (error as Error).message;
}
