// Property tests: quorum arithmetic against a naive restatement of the definitions.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  COMMITTED_INDEX_UNBOUNDED,
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
  type VoteResult,
} from '../../src/raft/quorum.js';

const voterSet = fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { maxLength: 7 });
const matches = fc.dictionary(fc.integer({ min: 1, max: 9 }).map(String), fc.nat(20));

function naiveCommitted(voters: number[], match: Record<string, number>): number {
  if (voters.length === 0) return COMMITTED_INDEX_UNBOUNDED;
  // The largest index acknowledged by more than half of the voters.
  let best = 0;
  for (let index = 0; index <= 20; index++) {
    const acked = voters.filter((id) => (match[String(id)] ?? 0) >= index).length;
    if (acked * 2 > voters.length) best = index;
  }
  return best;
}

function naiveVote(voters: number[], votes: Map<number, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  const yes = voters.filter((id) => votes.get(id) === true).length;
  const no = voters.filter((id) => votes.get(id) === false).length;
  if (yes * 2 > voters.length) return 'won';
  if (no * 2 >= voters.length) return 'lost';
  return 'pending';
}

test('majority committed index matches the naive definition', () => {
  fc.assert(
    fc.property(voterSet, matches, (voters, match) => {
      const fast = majorityCommittedIndex(voters, (id) => match[String(id)] ?? 0);
      assert.equal(fast, naiveCommitted(voters, match));
    }),
    { numRuns: 2000 },
  );
});

test('joint committed index is the minimum of both majorities', () => {
  fc.assert(
    fc.property(voterSet, voterSet, matches, (incoming, outgoing, match) => {
      const acked = (id: number): number => match[String(id)] ?? 0;
      assert.equal(
        jointCommittedIndex(incoming, outgoing, acked),
        Math.min(naiveCommitted(incoming, match), naiveCommitted(outgoing, match)),
      );
    }),
    { numRuns: 1000 },
  );
});

test('vote results match the naive definition (majority and joint)', () => {
  const votes = fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.boolean()), { maxLength: 9 });
  fc.assert(
    fc.property(voterSet, voterSet, votes, (incoming, outgoing, list) => {
      const map = new Map(list);
      assert.equal(majorityVoteResult(incoming, map), naiveVote(incoming, map));
      const a = naiveVote(incoming, map);
      const b = naiveVote(outgoing, map);
      const joint = a === b ? a : a === 'lost' || b === 'lost' ? 'lost' : 'pending';
      assert.equal(jointVoteResult(incoming, outgoing, map), joint);
    }),
    { numRuns: 2000 },
  );
});
