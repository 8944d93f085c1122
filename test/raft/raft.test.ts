// Unit tests of the core's contract: Ready/advance discipline, votes, proposals, reads, limits,
// restart from storage.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  MemoryStorage,
  MessageType,
  RaftAssertionError,
  RaftNode,
  StateRole,
  bootstrapStorage,
  makeMessage,
  type Ready,
  type SnapshotSource,
} from '../../src/raft/index.js';
import { Prng } from '../../src/sim/prng.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function persist(storage: MemoryStorage, ready: Ready): void {
  if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
  storage.append(ready.entries);
  if (ready.hardState !== null) storage.setHardState(ready.hardState);
}

function node(id: number, storage: MemoryStorage, extra: object = {}): RaftNode {
  return new RaftNode({ id, storage, random: new Prng(id), ...extra });
}

/** Processes Readys until none is left; returns every Ready handled. */
function drain(raft: RaftNode, storage: MemoryStorage): Ready[] {
  const handled: Ready[] = [];
  while (raft.hasReady()) {
    const ready = raft.ready();
    persist(storage, ready);
    raft.advance(ready);
    handled.push(ready);
  }
  return handled;
}

function singleNode(extra: object = {}): { raft: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  bootstrapStorage(storage, { voters: [1], learners: [] });
  const raft = node(1, storage, extra);
  drain(raft, storage);
  raft.campaign();
  drain(raft, storage);
  assert.equal(raft.role, StateRole.Leader);
  return { raft, storage };
}

test('only one Ready may be outstanding, and advance takes that one', () => {
  const { raft, storage } = singleNode();
  raft.propose(bytes('x'));
  const ready = raft.ready();
  assert.equal(raft.hasReady(), false, 'nothing new while a Ready is outstanding');
  assert.throws(() => raft.ready(), RaftAssertionError);
  assert.throws(() => raft.advance({ ...ready }), RaftAssertionError);
  persist(storage, ready);
  raft.advance(ready);
});

test('advancing without persisting breaks an invariant and is caught', () => {
  const { raft } = singleNode();
  raft.propose(bytes('x'));
  const ready = raft.ready();
  assert.throws(() => raft.advance(ready), RaftAssertionError);
});

test('a single voter commits its proposal once it is persisted, and applies it next', () => {
  const { raft, storage } = singleNode();
  const result = raft.propose(bytes('x'));
  assert.equal(result.outcome, 'accepted');
  const ready = raft.ready();
  assert.deepEqual(
    ready.entries.map((e) => e.index),
    [result.index],
  );
  // Not committed before the leader itself holds it durably (its own match moves at advance()).
  assert.deepEqual(ready.committedEntries, []);
  assert.equal(raft.status().commit, result.index - 1);
  assert.equal(ready.mustSync, true);
  persist(storage, ready);
  raft.advance(ready);
  assert.equal(raft.status().commit, result.index);
  const next = raft.ready();
  assert.deepEqual(
    next.committedEntries.map((e) => e.index),
    [result.index],
  );
  raft.advance(next);
  assert.equal(raft.status().applied, result.index);
});

test('a node never grants two votes in one term', () => {
  const storage = new MemoryStorage();
  bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
  const raft = node(1, storage);
  drain(raft, storage);
  const vote = (from: number) =>
    makeMessage({ type: MessageType.Vote, from, to: 1, term: 5, index: 3, logTerm: 1 });
  raft.step(vote(2));
  raft.step(vote(3));
  const responses = drain(raft, storage).flatMap((r) => r.messages);
  assert.deepEqual(
    responses.map((m) => [m.to, m.reject]),
    [
      [2, false],
      [3, true],
    ],
  );
  assert.equal(storage.hardStateNow().vote, 2);
  // Survives a restart: the vote is in the persisted hard state.
  const restarted = node(1, storage);
  restarted.step(vote(3));
  const again = drain(restarted, storage).flatMap((r) => r.messages);
  assert.equal(again[0]?.reject, true);
});

test('the injected double-vote bug lets a node vote twice (for the checkers to catch)', () => {
  const storage = new MemoryStorage();
  bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
  const raft = node(1, storage, { injectedBugs: { doubleVote: true } });
  drain(raft, storage);
  for (const from of [2, 3]) {
    raft.step(makeMessage({ type: MessageType.Vote, from, to: 1, term: 5, index: 3, logTerm: 1 }));
  }
  const responses = drain(raft, storage).flatMap((r) => r.messages);
  assert.deepEqual(
    responses.map((m) => m.reject),
    [false, false],
  );
});

test('proposals on a follower are forwarded, or answered with the leader id', () => {
  for (const disable of [false, true]) {
    const storage = new MemoryStorage();
    bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
    const raft = node(2, storage, { disableProposalForwarding: disable });
    drain(raft, storage);
    assert.equal(raft.propose(bytes('x')).outcome, 'no-leader');
    raft.step(makeMessage({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2, commit: 3 }));
    drain(raft, storage);
    const result = raft.propose(bytes('x'));
    assert.equal(result.outcome, disable ? 'not-leader' : 'forwarded');
    assert.equal(result.leader, 1);
    const sent = drain(raft, storage).flatMap((r) => r.messages);
    assert.equal(
      sent.some((m) => m.type === MessageType.Prop && m.to === 1),
      !disable,
    );
  }
});

test('lease reads answer at once and need check-quorum', () => {
  const storage = new MemoryStorage();
  assert.throws(
    () => node(1, storage, { readOnlyMode: 'lease', checkQuorum: false }),
    RaftAssertionError,
  );
  const three = new MemoryStorage();
  bootstrapStorage(three, { voters: [1, 2, 3], learners: [] });
  const raft = node(1, three, { readOnlyMode: 'lease', checkQuorum: true, preVote: false });
  drain(raft, three);
  raft.campaign();
  drain(raft, three);
  raft.step(makeMessage({ type: MessageType.VoteResp, from: 2, to: 1, term: 2 }));
  drain(raft, three);
  raft.step(makeMessage({ type: MessageType.AppResp, from: 2, to: 1, term: 2, index: 4 }));
  drain(raft, three);
  assert.equal(raft.status().commit, 4);
  raft.readIndex(bytes('lease'));
  const ready = raft.ready();
  assert.deepEqual(
    ready.readStates.map((r) => r.index),
    [4],
  );
  assert.equal(
    ready.messages.some((m) => m.type === MessageType.Heartbeat),
    false,
    'no heartbeat round',
  );
  raft.advance(ready);
});

test('the uncommitted-bytes bound drops proposals', () => {
  const storage = new MemoryStorage();
  bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
  const raft = node(1, storage, { maxUncommittedEntriesBytes: 10, preVote: false });
  drain(raft, storage);
  raft.campaign();
  raft.step(makeMessage({ type: MessageType.VoteResp, from: 2, to: 1, term: 2 }));
  drain(raft, storage);
  assert.equal(raft.propose(new Uint8Array(8)).outcome, 'accepted');
  assert.equal(raft.propose(new Uint8Array(8)).outcome, 'dropped');
});

test('a restarted node recovers term, vote, commit and log from storage', () => {
  const { raft, storage } = singleNode();
  for (const word of ['a', 'b', 'c']) raft.propose(bytes(word));
  drain(raft, storage);
  const before = raft.status();
  const restarted = node(1, storage);
  const after = restarted.status();
  assert.equal(after.term, before.term);
  assert.equal(after.vote, before.vote);
  assert.equal(after.commit, before.commit);
  assert.equal(after.lastIndex, before.lastIndex);
  assert.equal(after.role, StateRole.Follower);
  // Nothing was applied yet after the restart: committed entries come out again.
  const replay = drain(restarted, storage).flatMap((r) => r.committedEntries);
  assert.equal(replay.length, before.commit);
});

/**
 * Two voters; node 1 leads, commits 10 entries, snapshots and compacts them. Node 2 then comes
 * back with an empty disk: its log ends far below what it acknowledged. Heartbeats carry a commit
 * beyond its log (it must not fail), and the leader starts over with it; the leader is idle, so
 * only heartbeats reveal the loss. Returns after `ticks` heartbeat rounds.
 */
function wipedFollowerCatchUp(leaderStorage: MemoryStorage, ticks: number) {
  const conf = { voters: [1, 2], learners: [] };
  bootstrapStorage(leaderStorage, conf);
  let followerStorage = new MemoryStorage();
  bootstrapStorage(followerStorage, conf);
  const leader = node(1, leaderStorage);
  let follower = node(2, followerStorage);
  const deliver = (): void => {
    for (let round = 0; round < 100; round++) {
      const messages = [
        ...drain(leader, leaderStorage).flatMap((r) => r.messages),
        ...drain(follower, followerStorage).flatMap((r) => r.messages),
      ];
      if (messages.length === 0) return;
      for (const message of messages) (message.to === 1 ? leader : follower).step(message);
    }
    assert.fail('messages never stopped');
  };
  deliver(); // applies the bootstrap configuration
  leader.campaign();
  deliver();
  assert.equal(leader.role, StateRole.Leader);
  for (let i = 0; i < 10; i++) leader.propose(bytes(`e${i}`));
  deliver();
  const commit = leader.status().commit;
  assert.equal(leader.status().progress.get(2)?.match, commit);
  leaderStorage.createSnapshot(commit, conf, bytes('state'));
  leaderStorage.compact(commit);
  followerStorage = new MemoryStorage();
  follower = node(2, followerStorage);
  for (let tick = 0; tick < ticks; tick++) {
    leader.tick();
    deliver();
  }
  return { leader, follower, followerStorage, commit, deliver };
}

test('a follower that lost its log (a wiped disk) is caught up again from a snapshot', () => {
  const { leader, follower, followerStorage, commit, deliver } = wipedFollowerCatchUp(
    new MemoryStorage(),
    5,
  );
  assert.equal(followerStorage.snapshot().metadata.index, commit);
  assert.deepEqual(followerStorage.snapshot().data, bytes('state'));
  assert.equal(leader.status().progress.get(2)?.match, commit);
  leader.propose(bytes('after'));
  deliver();
  assert.equal(follower.status().commit, commit + 1);
});

test('a snapshot replaced while being sent: the transfer starts over with the latest', () => {
  /** Its first snapshot source is gone before a chunk is read, as a file a newer one replaced. */
  class ReplacedOnce extends MemoryStorage {
    gone = 1;
    override snapshotSource(): SnapshotSource {
      const source = super.snapshotSource();
      if (this.gone === 0) return source;
      this.gone--;
      return { ...source, read: () => undefined };
    }
  }
  const leaderStorage = new ReplacedOnce();
  const { leader, followerStorage, commit } = wipedFollowerCatchUp(leaderStorage, 10);
  assert.equal(leaderStorage.gone, 0, 'the first source was used and found gone');
  assert.equal(followerStorage.snapshot().metadata.index, commit);
  assert.deepEqual(followerStorage.snapshot().data, bytes('state'));
  assert.equal(leader.status().progress.get(2)?.match, commit);
});
