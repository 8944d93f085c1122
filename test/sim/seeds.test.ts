// The randomized simulator: a fixed range of seeds must pass; each injected bug must be caught
// by the checkers within a bounded number of seeds (this proves they can fail); a seed replays
// to the same trace digest.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runSeed, type BugName } from '../../src/sim/run.js';

const SEEDS = 250;

test(`simulator: seeds 1..${SEEDS} pass safety, liveness and linearizability`, () => {
  const failures: string[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = runSeed(seed);
    if (!result.ok) failures.push(`seed ${seed}: ${result.failure}`);
  }
  assert.deepEqual(failures, []);
});

const SAFETY = new Set([
  'election-safety',
  'log-matching',
  'leader-completeness',
  'state-machine-safety',
  'snapshot-consistency',
  'linearizability',
]);

function firstCaught(bug: BugName, maxSeeds: number): { seed: number; kind: string } | null {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const result = runSeed(seed, { injectBug: bug });
    if (!result.ok) return { seed, kind: result.failureKind ?? '' };
  }
  return null;
}

test('injected bug double-vote is caught by a safety checker', () => {
  const caught = firstCaught('double-vote', 50);
  assert.ok(caught !== null, 'double voting was not caught in 50 seeds');
  assert.ok(SAFETY.has(caught.kind), `caught as ${caught.kind}`);
});

test('injected bug commit-old-term is caught by a safety checker', () => {
  const caught = firstCaught('commit-old-term', 300);
  assert.ok(caught !== null, 'committing old-term entries was not caught in 300 seeds');
  assert.ok(SAFETY.has(caught.kind), `caught as ${caught.kind}`);
});

test('a seed replays to the same trace digest', () => {
  for (const seed of [3, 17, 44]) {
    const first = runSeed(seed);
    const second = runSeed(seed);
    assert.equal(first.digest, second.digest, `seed ${seed}`);
    assert.match(first.digest, /^[0-9a-f]{16}$/);
  }
  assert.notEqual(runSeed(3).digest, runSeed(4).digest);
});
