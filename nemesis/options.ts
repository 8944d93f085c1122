// Command-line options of the nemesis runner (`npm run nemesis -- ...`).

import { parseArgs } from 'node:util';
import { FAULTS, type Fault } from './faults.js';

export interface NemesisOptions {
  readonly nodes: number;
  readonly seconds: number;
  readonly faults: readonly Fault[];
  readonly clients: number;
  readonly keys: number;
  readonly seed: number;
  readonly electionTimeoutMs: number;
  readonly opTimeoutMs: number;
  readonly maxStepsPerKey: number;
  readonly operationsPerKey: number;
  readonly staleReads: boolean;
  /** Every node's --raft-snapshot-entries (0: the server's default). */
  readonly snapshotEntries: number;
  readonly verbose: boolean;
}

export const usage = `usage: npm run nemesis -- [options]
  --nodes 3|5                 founding members (default 3)
  --seconds S                 how long clients run under faults (default 30)
  --faults LIST               comma list of ${FAULTS.join(',')} (default all; "" for none)
  --clients N                 concurrent clients (default 10)
  --keys K                    register keys and list keys in use, K of each (default 3)
  --seed N                    seeds the fault schedule and the clients' choices (default: random)
  --election-timeout-ms MS    of every node (default 300)
  --op-timeout-ms MS          no reply by then: outcome unknown (default 8 election timeouts)
  --ops-per-key N             a register key is retired after N operations (default 500)
  --max-steps N               linearizability search bound per key (default 2000000)
  --snapshot-entries N        nodes snapshot and compact their Raft log every N entries, so
                              restarted and added nodes catch up from snapshots (default: the
                              server's, 100000: none in a short run)
  --stale-reads               clients send READONLY (follower reads, may be stale): a run that
                              must fail, to see the checker catch it
  --verbose                   print every fault as it happens`;

function integer(text: string | undefined, fallback: number, name: string, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
  return value;
}

export function parseOptions(argv: string[]): NemesisOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      seconds: { type: 'string' },
      faults: { type: 'string' },
      clients: { type: 'string' },
      keys: { type: 'string' },
      seed: { type: 'string' },
      'election-timeout-ms': { type: 'string' },
      'op-timeout-ms': { type: 'string' },
      'max-steps': { type: 'string' },
      'ops-per-key': { type: 'string' },
      'snapshot-entries': { type: 'string' },
      verbose: { type: 'boolean' },
      'stale-reads': { type: 'boolean' },
    },
    strict: true,
  });
  const nodes = integer(values.nodes, 3, 'nodes', 1);
  if (nodes !== 3 && nodes !== 5) throw new Error('--nodes must be 3 or 5');
  const faultList = (values.faults ?? FAULTS.join(','))
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const fault of faultList)
    if (!(FAULTS as readonly string[]).includes(fault))
      throw new Error(`unknown fault ${fault} (known: ${FAULTS.join(', ')})`);
  const electionTimeoutMs = integer(values['election-timeout-ms'], 300, 'election-timeout-ms', 50);
  return {
    nodes,
    seconds: integer(values.seconds, 30, 'seconds', 1),
    faults: [...new Set(faultList)] as Fault[],
    clients: integer(values.clients, 10, 'clients', 1),
    keys: integer(values.keys, 3, 'keys', 1),
    seed: integer(values.seed, Math.floor(Math.random() * 1_000_000), 'seed', 0),
    electionTimeoutMs,
    opTimeoutMs: integer(values['op-timeout-ms'], 8 * electionTimeoutMs, 'op-timeout-ms', 100),
    maxStepsPerKey: integer(values['max-steps'], 2_000_000, 'max-steps', 1),
    operationsPerKey: integer(values['ops-per-key'], 500, 'ops-per-key', 1),
    staleReads: values['stale-reads'] === true,
    snapshotEntries: integer(values['snapshot-entries'], 0, 'snapshot-entries', 0),
    verbose: values.verbose === true,
  };
}
