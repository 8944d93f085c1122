// Unit test of JoinVoteGuard: a node that joined with an empty disk drops vote requests and
// forced campaigns until it has caught up with a leader (its commit index at the leader's first
// reported commit, on an entry of its current term), and never votes in the term of first contact.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { makeMessage, MessageType } from '../../src/raft/messages.js';
import { JoinVoteGuard } from '../../src/replica/join-vote-guard.js';

const vote = (term: number) => makeMessage({ type: MessageType.Vote, to: 3, from: 2, term });
const preVote = (term: number) => makeMessage({ type: MessageType.PreVote, to: 3, from: 2, term });
const append = (term: number, commit: number) =>
  makeMessage({ type: MessageType.App, to: 3, from: 1, term, commit });

test('no vote before any leader was heard', () => {
  const guard = new JoinVoteGuard();
  assert.equal(guard.holding, true);
  assert.equal(guard.admits(vote(5)), false);
  assert.equal(guard.admits(preVote(5)), false);
  assert.equal(guard.admits(makeMessage({ type: MessageType.TimeoutNow, to: 3 })), false);
  guard.update(10, 5, 5); // no leader heard: nothing to be caught up with
  assert.equal(guard.holding, true);
});

test('caught up once the commit reaches the leader’s and is of the current term', () => {
  const guard = new JoinVoteGuard();
  assert.equal(guard.admits(append(7, 40)), true);
  assert.equal(guard.admits(append(7, 45)), true); // the first contact's commit is the target
  guard.update(39, 7, 7);
  assert.equal(guard.holding, true, 'behind the leader’s commit');
  guard.update(40, 6, 7);
  assert.equal(guard.holding, true, 'the committed entry is of an older term');
  guard.update(41, 7, 7);
  assert.equal(guard.holding, false);
  assert.equal(guard.admits(preVote(8)), true);
  assert.equal(guard.admits(vote(7)), false, 'it may have voted in term 7 before');
  assert.equal(guard.admits(vote(8)), true);
  assert.equal(guard.admits(makeMessage({ type: MessageType.Heartbeat, to: 3 })), true);
});
