// COMMAND DOCS: Redis's own documentation of each command (summary, since, group, complexity,
// history, and the arguments with their names, types, tokens and flags, which redis-cli uses
// for its hints), served from a data file generated from a redis-server's COMMAND DOCS reply
// (command-docs-data.ts; test/server/command-docs.test.ts checks it against a live server and
// regenerates it with SHOAL_WRITE_COMMAND_DOCS=1). Commands Redis does not document (Shoal's
// own, or newer than the server the data came from) get a short entry from the command table.
// Subcommands listed are always the ones Shoal has.

import type { Reply } from '../reply.js';
import type { Command } from '../spec.js';
import { COMMAND_DOCS_JSON } from './command-docs-data.js';

/** One command's docs as stored: Redis's reply, maps as objects, sets as arrays. */
export type DocValue = string | number | DocValue[] | { [key: string]: DocValue };
type DocMap = { [key: string]: DocValue };

let documents: Record<string, DocMap> | undefined;

/** Docs by full name ("get", "client|list"), parsed at the first use. */
function allDocs(): Record<string, DocMap> {
  documents ??= JSON.parse(COMMAND_DOCS_JSON) as Record<string, DocMap>;
  return documents;
}

/** Keys whose value Redis sends as a set of simple strings. */
const SIMPLE_STRING_SETS = new Set(['flags', 'doc_flags']);

function writeValue(reply: Reply, key: string, value: DocValue): void {
  if (typeof value === 'string') return reply.bulk(value);
  if (typeof value === 'number') return reply.int(value);
  if (Array.isArray(value)) {
    if (SIMPLE_STRING_SETS.has(key)) {
      reply.set(value.length);
      for (const item of value) reply.simple(String(item));
      return;
    }
    if (key === 'history') reply.set(value.length);
    else reply.array(value.length);
    for (const item of value) writeValue(reply, '', item);
    return;
  }
  writeMap(reply, value);
}

function writeMap(reply: Reply, map: DocMap): void {
  const keys = Object.keys(map);
  reply.map(keys.length);
  for (const key of keys) {
    reply.bulk(key);
    writeValue(reply, key, map[key] as DocValue);
  }
}

/** Writes one command's docs (a map), with Shoal's subcommands. */
export function replyCommandDocs(reply: Reply, entry: Command): void {
  const stored = allDocs()[entry.fullName];
  const base: DocMap =
    stored !== undefined
      ? { ...stored }
      : {
          summary: entry.summary,
          since: entry.since,
          group: entry.group,
          complexity: entry.complexity ?? '',
        };
  delete base['subcommands'];
  const subs = entry.subcommandTable === undefined ? [] : [...entry.subcommandTable.values()];
  const keys = Object.keys(base);
  reply.map(keys.length + (subs.length > 0 ? 1 : 0));
  for (const key of keys) {
    reply.bulk(key);
    writeValue(reply, key, base[key] as DocValue);
  }
  if (subs.length === 0) return;
  reply.bulk('subcommands');
  reply.map(subs.length);
  for (const sub of subs) {
    reply.bulk(sub.fullName);
    replyCommandDocs(reply, sub);
  }
}
