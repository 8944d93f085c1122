// The command table: turns declarations into entries (flag bits, full names, subcommand maps,
// ACL categories) and finds a command by name in any letter case.

import { assert } from '../engine/assert.js';
import { type AclCategory, canonicalCategory, sortCategories } from './acl/categories.js';
import { type Command, type CommandDefinition, type CommandFlag, FlagBit } from './spec.js';

export class CommandTable {
  private readonly byName = new Map<string, Command>();
  readonly commands: Command[] = [];

  constructor(definitions: readonly CommandDefinition[]) {
    for (const definition of definitions) {
      const entry = build(definition, undefined);
      assert(!this.byName.has(entry.name), `command ${entry.name} declared once`);
      this.commands.push(entry);
      this.byName.set(entry.name, entry);
      this.byName.set(entry.name.toUpperCase(), entry);
    }
  }

  lookup(name: string): Command | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  get size(): number {
    return this.commands.length;
  }
}

function build(definition: CommandDefinition, parent: Command | undefined): Command {
  const flagBits = definition.flags.reduce((bits, flag) => bits | FlagBit[flag], 0);
  const entry: Command = {
    ...definition,
    // A container (CONFIG, CLIENT …) has only the categories its flags give, as in Redis.
    categories: aclCategories(
      definition.flags,
      definition.handler === undefined ? [] : definition.categories,
    ),
    flagBits,
    fullName: parent === undefined ? definition.name : `${parent.name}|${definition.name}`,
    parent,
    subcommandTable: undefined,
    calls: 0,
    microseconds: 0,
    rejectedCalls: 0,
    failedCalls: 0,
    histogram: undefined,
  };
  if (definition.subcommands !== undefined) {
    const table = new Map<string, Command>();
    for (const sub of definition.subcommands) table.set(sub.name, build(sub, entry));
    (entry as { subcommandTable: ReadonlyMap<string, Command> }).subcommandTable = table;
  }
  assert(
    definition.handler !== undefined || definition.subcommands !== undefined,
    `command ${definition.name} has a handler or subcommands`,
  );
  return entry;
}

/** ACL categories as Redis derives them from flags, plus the declared ones, in Redis's order. */
function aclCategories(flags: readonly CommandFlag[], declared: readonly string[]): AclCategory[] {
  const out = new Set<AclCategory>();
  for (const name of declared) {
    const category = canonicalCategory(name);
    if (category !== undefined) out.add(category);
  }
  if (flags.includes('write')) out.add('write');
  if (flags.includes('readonly')) out.add('read');
  if (flags.includes('admin')) {
    out.add('admin');
    out.add('dangerous');
  }
  if (flags.includes('pubsub')) out.add('pubsub');
  if (flags.includes('blocking')) out.add('blocking');
  out.add(flags.includes('fast') ? 'fast' : 'slow');
  return sortCategories(out);
}
