// Quorum arithmetic: pure functions over a voter set. A joint configuration (two voter sets)
// needs a majority of each.

export type VoteResult = 'pending' | 'lost' | 'won';

/** The committed index of an empty configuration: agrees with anything (neutral for joint). */
export const COMMITTED_INDEX_UNBOUNDED = Number.MAX_SAFE_INTEGER;

const scratch: number[] = [];

/**
 * The largest index that a majority of `voters` have acknowledged, given each voter's acked
 * (match) index. Voters without a known index count as 0.
 */
export function majorityCommittedIndex(
  voters: readonly number[],
  ackedIndex: (id: number) => number,
): number {
  const count = voters.length;
  if (count === 0) return COMMITTED_INDEX_UNBOUNDED;
  scratch.length = count;
  for (let i = 0; i < count; i++) scratch[i] = ackedIndex(voters[i] as number);
  // Insertion sort, descending: voter sets are tiny.
  for (let i = 1; i < count; i++) {
    const value = scratch[i] as number;
    let j = i - 1;
    while (j >= 0 && (scratch[j] as number) < value) {
      scratch[j + 1] = scratch[j] as number;
      j--;
    }
    scratch[j + 1] = value;
  }
  // With `count` values sorted descending, the (quorum)th largest is held by a majority.
  return scratch[Math.floor(count / 2)] as number;
}

export function jointCommittedIndex(
  incoming: readonly number[],
  outgoing: readonly number[],
  ackedIndex: (id: number) => number,
): number {
  return Math.min(
    majorityCommittedIndex(incoming, ackedIndex),
    majorityCommittedIndex(outgoing, ackedIndex),
  );
}

/** votes: id -> granted; ids absent have not answered. An empty voter set wins. */
export function majorityVoteResult(
  voters: readonly number[],
  votes: ReadonlyMap<number, boolean>,
): VoteResult {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const quorum = Math.floor(voters.length / 2) + 1;
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

export function jointVoteResult(
  incoming: readonly number[],
  outgoing: readonly number[],
  votes: ReadonlyMap<number, boolean>,
): VoteResult {
  const first = majorityVoteResult(incoming, votes);
  const second = majorityVoteResult(outgoing, votes);
  if (first === second) return first;
  if (first === 'lost' || second === 'lost') return 'lost';
  return 'pending';
}
