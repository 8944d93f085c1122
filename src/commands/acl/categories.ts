// Redis's ACL command categories, in Redis's order: ACL CAT lists them in this order, COMMAND
// INFO reports a command's categories in this order, and rule parsing accepts exactly these.

export const ACL_CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;

export type AclCategory = (typeof ACL_CATEGORIES)[number];

const ORDER = new Map<string, number>(ACL_CATEGORIES.map((name, index) => [name, index]));

/** Declarations name some categories after their group; these are Redis's category names. */
const GROUP_TO_CATEGORY: Record<string, string> = {
  transactions: 'transaction',
  sorted_set: 'sortedset',
  generic: 'keyspace',
};

/** The category a declared name stands for, or undefined when it is no ACL category ("server"). */
export function canonicalCategory(name: string): AclCategory | undefined {
  const lowered = name.toLowerCase();
  const mapped = GROUP_TO_CATEGORY[lowered] ?? lowered;
  return ORDER.has(mapped) ? (mapped as AclCategory) : undefined;
}

/** Sorts category names into Redis's order. */
export function sortCategories(names: Iterable<AclCategory>): AclCategory[] {
  return [...names].sort((a, b) => (ORDER.get(a) ?? 0) - (ORDER.get(b) ?? 0));
}
