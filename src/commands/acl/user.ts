// An ACL user: on/off, passwords (SHA-256, stored as hex), and selectors (the root selector first).
// Rules follow Redis 7.2's ACLSetUser; describe() is the text ACL LIST and ACL SAVE write.

import { createHash, timingSafeEqual } from 'node:crypto';
import { type CommandCatalog, hasSpaces, RuleError, RuleErrors, Selector } from './selector.js';

export const UserErrors = {
  noSuchPassword: () =>
    new RuleError('other', 'The password you are trying to remove from the user does not exist'),
  badHash: () =>
    new RuleError(
      'other',
      'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
    ),
};

/** SHA-256 of a password's bytes (latin1 string), as 64 lowercase hex characters. */
export function hashPassword(password: string): string {
  return createHash('sha256').update(password, 'latin1').digest('hex');
}

function validHash(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/** Splits a selector's inside into rules, honouring quotes as Redis's sdssplitargs does. */
export function splitRules(text: string): string[] {
  const out: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/gy;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [, doubleQuoted, singleQuoted, bare] = match;
    if (doubleQuoted !== undefined) out.push(doubleQuoted.replace(/\\(.)/g, '$1'));
    else out.push(singleQuoted ?? bare ?? '');
  }
  return out;
}

export class User {
  enabled = false;
  nopass = false;
  /** skip-sanitize-payload / sanitize-payload; neither until one is given. */
  sanitize: 'skip' | 'sanitize' | undefined;
  passwords: string[] = [];
  selectors: Selector[];
  /** One selector allowing every command, key and channel: checks can be skipped. */
  unrestricted = false;

  constructor(
    readonly name: string,
    private readonly catalog: CommandCatalog,
    private readonly allChannelsByDefault: () => boolean,
  ) {
    this.selectors = [new Selector(catalog, true, allChannelsByDefault())];
  }

  get root(): Selector {
    return this.selectors[0] as Selector;
  }

  /** A copy to stage changes on (ACL SETUSER is all or nothing). */
  clone(name = this.name): User {
    const copy = new User(name, this.catalog, this.allChannelsByDefault);
    copy.copyFrom(this);
    return copy;
  }

  /** Takes every rule of `other`, keeping this user's name and identity (ACLCopyUser). */
  copyFrom(other: User): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.sanitize = other.sanitize;
    this.passwords = [...other.passwords];
    this.selectors = other.selectors.map((selector) => selector.clone());
    this.refresh();
  }

  /** Recomputes the fast-path flag after a change. */
  refresh(): void {
    const root = this.root;
    this.unrestricted =
      this.selectors.length === 1 && root.allCommands && root.allKeys && root.allChannels;
  }

  /** Applies one rule (ACLSetUser); throws RuleError on a bad one. */
  apply(op: string): void {
    try {
      this.applyRule(op);
    } finally {
      this.refresh();
    }
  }

  private applyRule(op: string): void {
    if (op === '') return;
    const lowered = op.toLowerCase();
    if (lowered === 'on') this.enabled = true;
    else if (lowered === 'off') this.enabled = false;
    else if (lowered === 'skip-sanitize-payload') this.sanitize = 'skip';
    else if (lowered === 'sanitize-payload') this.sanitize = 'sanitize';
    else if (lowered === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lowered === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op.startsWith('>') || op.startsWith('#')) {
      const hash = op.startsWith('>') ? hashPassword(op.slice(1)) : op.slice(1);
      if (!validHash(hash)) throw UserErrors.badHash();
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (op.startsWith('<') || op.startsWith('!')) {
      const hash = op.startsWith('<') ? hashPassword(op.slice(1)) : op.slice(1);
      if (op.startsWith('!') && !validHash(hash)) throw UserErrors.badHash();
      const index = this.passwords.indexOf(hash);
      if (index < 0) throw UserErrors.noSuchPassword();
      this.passwords.splice(index, 1);
    } else if (op.startsWith('(') && op.endsWith(')')) {
      const selector = new Selector(this.catalog, false, this.allChannelsByDefault());
      for (const rule of splitRules(op.slice(1, -1))) selector.apply(rule);
      this.selectors.push(selector);
    } else if (lowered === 'clearselectors') {
      this.selectors = [this.root];
    } else if (lowered === 'reset') {
      for (const rule of ['resetpass', 'resetkeys', 'resetchannels']) this.applyRule(rule);
      if (this.allChannelsByDefault()) this.applyRule('allchannels');
      for (const rule of ['off', 'sanitize-payload', 'clearselectors', '-@all']) {
        this.applyRule(rule);
      }
    } else {
      this.root.apply(op);
    }
  }

  /** Whether `password` opens this user: compared as SHA-256 digests, in constant time. */
  passwordMatches(password: string): boolean {
    if (this.nopass) return true;
    const offered = Buffer.from(hashPassword(password), 'latin1');
    let matched = false;
    for (const stored of this.passwords) {
      // Every stored hash is compared in full, whichever matches, so timing tells nothing.
      if (timingSafeEqual(offered, Buffer.from(stored, 'latin1'))) matched = true;
    }
    return matched;
  }

  /** The flags as ACL GETUSER lists them, in Redis's order. */
  flags(): string[] {
    const out = [this.enabled ? 'on' : 'off'];
    if (this.nopass) out.push('nopass');
    if (this.sanitize === 'skip') out.push('skip-sanitize-payload');
    if (this.sanitize === 'sanitize') out.push('sanitize-payload');
    return out;
  }

  /** The user in rule form, as ACL LIST shows it after "user <name> " (ACLDescribeUser). */
  describe(): string {
    let text = '';
    for (const flag of this.flags()) text += `${flag} `;
    for (const hash of this.passwords) text += `#${hash} `;
    for (const selector of this.selectors) {
      text += selector.root ? selector.describe() : ` (${selector.describe()})`;
    }
    return text;
  }
}

/**
 * Joins rules given as separate words back into selectors, "(+get" "~k*)" → "(+get ~k*)"
 * (ACLMergeSelectorArguments). Returns the word that opens an unclosed selector on error.
 */
export function mergeSelectorArguments(words: readonly string[]): string[] | { unmatched: string } {
  const out: string[] = [];
  let open: string | undefined;
  let openedBy = '';
  for (const word of words) {
    if (open === undefined && word.startsWith('(') && !word.endsWith(')')) {
      open = word;
      openedBy = word;
      continue;
    }
    if (open !== undefined) {
      open += ` ${word}`;
      if (word.endsWith(')')) {
        out.push(open);
        open = undefined;
      }
      continue;
    }
    out.push(word);
  }
  if (open !== undefined) return { unmatched: openedBy };
  return out;
}

/** Usernames may not contain spaces or NUL (they would break ACL files and ACL LIST). */
export function validUserName(name: string): boolean {
  return !hasSpaces(name);
}

export { RuleError, RuleErrors };
