// Redis-style configuration: a file of `name value` lines and `--name value` flags, applied to
// the settings table. Flags override the file. Unknown names are errors, never ignored.

import { readFileSync } from 'node:fs';
import { splitInlineArguments } from '../resp/parser.js';
import { type Config, ConfigError } from '../commands/config.js';

/** Settings that may appear several times in a file, each adding to the value. */
const ACCUMULATING = new Set(['save', 'client-output-buffer-limit', 'bind']);

export class UsageError extends Error {}

/** Parses a config file into ordered (name, value) pairs. */
export function parseConfigFile(path: string): [string, string][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read config file '${path}': ${(error as Error).message}`);
  }
  const pairs: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitInlineArguments(line);
    if (words === null) throw new UsageError(`${path}:${index + 1}: unbalanced quotes`);
    const [name, ...values] = words;
    if (name === undefined) continue;
    pairs.push([name.toLowerCase(), values.join(' ')]);
  }
  return pairs;
}

/** Applies pairs at start-up (immutable settings allowed), merging repeated accumulating names. */
export function applySettings(config: Config, pairs: [string, string][], origin: string): void {
  const merged = new Map<string, string>();
  for (const [rawName, value] of pairs) {
    const spec = config.spec(rawName);
    if (spec === undefined) throw new UsageError(`${origin}: unknown setting '${rawName}'`);
    const previous = merged.get(spec.name);
    merged.set(
      spec.name,
      previous !== undefined && ACCUMULATING.has(spec.name) ? `${previous} ${value}` : value,
    );
  }
  for (const [name, value] of merged) {
    try {
      config.set(name, value, true);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new UsageError(`${origin}: invalid value '${value}' for '${name}': ${error.message}`);
      }
      throw error;
    }
  }
}
