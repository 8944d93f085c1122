// The classic Raft scenarios, each a named test on the deterministic cluster harness.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MessageType } from '../../src/raft/messages.js';
import { Prng } from '../../src/sim/prng.js';
import { Harness } from './harness.js';

test('initial election', () => {
  const h = new Harness(3);
  h.checkOneLeader();
  const term1 = h.checkTerms();
  assert.ok(term1 >= 1);
  // With no failures the leader and term stay put.
  h.ticks(h.electionTicks * 5);
  assert.equal(h.checkTerms(), term1, 'term changed without failures');
  h.checkOneLeader();
});

test('re-election after the leader fails', () => {
  const h = new Harness(3);
  const leader1 = h.checkOneLeader();
  h.disconnect(leader1);
  h.checkOneLeader();
  // The old leader rejoining must not disturb the new one.
  h.connect(leader1);
  const leader2 = h.checkOneLeader();
  // No quorum, no leader.
  h.disconnect(leader2);
  h.disconnect((leader2 % 3) + 1);
  h.ticks(h.electionTicks * 4);
  h.checkNoLeader();
  h.connect((leader2 % 3) + 1);
  h.checkOneLeader();
  h.connect(leader2);
  h.checkOneLeader();
});

test('many elections with nodes coming and going', () => {
  const h = new Harness(7);
  const random = new Prng(7);
  h.checkOneLeader();
  for (let iteration = 0; iteration < 10; iteration++) {
    const gone = [random.between(1, 7), random.between(1, 7), random.between(1, 7)];
    for (const id of gone) h.disconnect(id);
    // Either the remaining majority elects a leader or, if it lost it, none is needed.
    h.checkOneLeader();
    for (const id of gone) h.connect(id);
  }
  h.checkOneLeader();
});

test('basic agreement', () => {
  const h = new Harness(3);
  h.checkOneLeader();
  let previous = 0;
  for (let i = 0; i < 3; i++) {
    const command = h.newCommand();
    const index = h.one(command, 3, false);
    if (previous !== 0) assert.equal(index, previous + 1, 'indexes are consecutive');
    previous = index;
  }
});

test('agreement despite a disconnected follower', () => {
  const h = new Harness(3);
  h.one(h.newCommand(), 3, false);
  const leader = h.checkOneLeader();
  const follower = (leader % 3) + 1;
  h.disconnect(follower);
  for (let i = 0; i < 4; i++) h.one(h.newCommand(), 2, false);
  h.connect(follower);
  // The follower catches up and agreement includes it again.
  h.one(h.newCommand(), 3, true);
});

test('no agreement without a majority', () => {
  const h = new Harness(5);
  h.one(h.newCommand(), 5, false);
  const leader = h.checkOneLeader();
  const others = h.ids.filter((id) => id !== leader).slice(0, 3);
  for (const id of others) h.disconnect(id);
  const index = h.start('no-majority', leader);
  assert.ok(index > 0, 'leader accepted the proposal');
  h.ticks(h.electionTicks * 4);
  assert.equal(h.nCommitted(index).count, 0, 'committed without a majority');
  for (const id of others) h.connect(id);
  // The uncommitted entry may be lost or kept; new commands commit again.
  h.one(h.newCommand(), 5, true);
});

test('concurrent proposals', () => {
  const h = new Harness(3);
  const leader = h.checkOneLeader();
  const indexes: number[] = [];
  for (let i = 0; i < 5; i++) indexes.push(h.start(`concurrent-${i}`, leader));
  assert.ok(indexes.every((index) => index > 0));
  h.tickUntil(
    () => indexes.every((index) => h.nCommitted(index).count === 3),
    h.electionTicks * 10,
    'all concurrent proposals applied everywhere',
  );
  const applied = indexes.map((index) => h.nCommitted(index).data).sort();
  assert.deepEqual(
    applied,
    [0, 1, 2, 3, 4].map((i) => `concurrent-${i}`),
  );
});

test('a partitioned old leader rejoins', () => {
  const h = new Harness(3);
  h.one('101', 3, true);
  const leader1 = h.checkOneLeader();
  h.disconnect(leader1);
  // The old leader accepts entries it can never commit.
  h.start('102', leader1);
  h.start('103', leader1);
  h.start('104', leader1);
  h.one('103', 2, true);
  const leader2 = h.checkOneLeader();
  h.disconnect(leader2);
  h.connect(leader1);
  h.one('104', 2, true);
  h.connect(leader2);
  h.one('105', 3, true);
});

test('fast backup over long divergent logs', () => {
  const h = new Harness(5);
  h.one(h.newCommand(), 5, true);
  const leader1 = h.checkOneLeader();
  const partner = (leader1 % 5) + 1;
  const rest = h.ids.filter((id) => id !== leader1 && id !== partner);
  for (const id of rest) h.disconnect(id);
  // 50 entries that will never commit.
  for (let i = 0; i < 50; i++) h.start(`lost-${i}`, leader1);
  h.ticks(h.electionTicks);
  h.disconnect(leader1);
  h.disconnect(partner);
  for (const id of rest) h.connect(id);
  for (let i = 0; i < 50; i++) h.one(`kept-a-${i}`, 3, true);
  // Now a leader in `rest` and one other get another 50 the third never sees.
  const leader2 = h.checkOneLeader();
  const other = rest.find((id) => id !== leader2) as number;
  h.disconnect(other);
  for (let i = 0; i < 50; i++) h.start(`lost-b-${i}`, leader2);
  h.ticks(h.electionTicks);
  for (const id of h.ids) h.disconnect(id);
  h.connect(leader1);
  h.connect(partner);
  h.connect(other);
  for (let i = 0; i < 50; i++) h.one(`kept-b-${i}`, 3, true);
  const sentBefore = h.cluster.messagesSent;
  for (const id of h.ids) h.connect(id);
  h.one('final', 5, true);
  // Backtracking by term skips whole runs of entries: far fewer messages than entries.
  const sent = h.cluster.messagesSent - sentBefore;
  assert.ok(sent < 300, `catching up took ${sent} messages`);
});

test('message counts stay bounded (no storms)', () => {
  const h = new Harness(3);
  const leader = h.checkOneLeader();
  const electionMessages = h.cluster.messagesSent;
  assert.ok(electionMessages < 200, `election used ${electionMessages} messages`);
  // Agreement on 10 commands should take a few messages each (appends, acks, commit notices).
  const before = h.cluster.messagesSent;
  for (let i = 0; i < 10; i++) h.one(h.newCommand(), 3, false);
  const perCommand = (h.cluster.messagesSent - before) / 10;
  assert.ok(perCommand < 40, `${perCommand} messages per command`);
  assert.equal(h.findLeader(), leader, 'leader changed while healthy');
  // Idle: only heartbeats and their replies.
  const idleBefore = h.cluster.messagesSent;
  h.ticks(100);
  const idle = h.cluster.messagesSent - idleBefore;
  const heartbeatRounds = 100 / h.cluster.tuning.heartbeatTimeoutTicks;
  assert.ok(idle <= heartbeatRounds * 2 * 2 + 10, `${idle} messages while idle`);
});

test('persistence across full-cluster restarts', () => {
  const h = new Harness(3);
  h.one('11', 3, true);
  for (const id of h.ids) h.cluster.crash(id);
  for (const id of h.ids) h.cluster.restart(id);
  h.one('12', 3, true);
  const leader1 = h.checkOneLeader();
  h.cluster.crash(leader1);
  h.cluster.restart(leader1);
  h.one('13', 3, true);
  const leader2 = h.checkOneLeader();
  h.cluster.crash(leader2);
  h.one('14', 2, true);
  h.cluster.restart(leader2);
  // Applied state is rebuilt from the persisted log after each restart.
  h.tickUntil(() => h.nCommitted(h.cluster.checker.committedIndex()).count === 3, 500, 'catch up');
  const index = h.one('15', 3, true);
  assert.equal(h.nCommitted(index).data, '15');
});

function figure8(unreliable: boolean): void {
  const h = new Harness(5, {
    network: unreliable
      ? { dropRate: 0.1, duplicateRate: 0.05, minDelayTicks: 1, maxDelayTicks: 8 }
      : undefined,
    raft: { electionTimeoutTicks: 10, heartbeatTimeoutTicks: 2, maxMessageBytes: 1 },
  });
  const random = new Prng(unreliable ? 82 : 81);
  h.one('start', 1, true);
  let up = 5;
  for (let iteration = 0; iteration < 300; iteration++) {
    let leader = 0;
    for (const id of h.ids) {
      if (h.cluster.isUp(id) && h.start(`fig8-${iteration}-${id}`, id) > 0) leader = id;
    }
    h.ticks(random.chance(0.1) ? random.between(1, 50) : random.between(1, 3));
    if (leader !== 0 && h.cluster.isUp(leader)) {
      h.cluster.crash(leader);
      up--;
    }
    if (up < 3) {
      const down = h.ids.filter((id) => !h.cluster.isUp(id));
      h.cluster.restart(random.pick(down));
      up++;
    }
  }
  for (const id of h.ids) h.cluster.restart(id);
  h.cluster.faultyNetwork = false;
  h.one('end', 5, true, 5000);
}

test('Figure 8 (reliable network)', () => figure8(false));

test('Figure 8 (unreliable network)', () => figure8(true));

test('unreliable agreement', () => {
  const h = new Harness(5, {
    network: { dropRate: 0.1, duplicateRate: 0.05, minDelayTicks: 1, maxDelayTicks: 6 },
  });
  for (let i = 0; i < 50; i++) h.one(`unreliable-${i}`, 1, true);
  h.cluster.faultyNetwork = false;
  h.one('done', 5, true);
});

function churn(unreliable: boolean): void {
  const h = new Harness(5, {
    network: unreliable ? { dropRate: 0.1, minDelayTicks: 1, maxDelayTicks: 5 } : undefined,
  });
  const random = new Prng(unreliable ? 92 : 91);
  const proposed: string[] = [];
  for (let iteration = 0; iteration < 200; iteration++) {
    for (const id of h.ids) {
      if (!h.cluster.isUp(id)) continue;
      const command = `churn-${iteration}-${id}`;
      if (h.start(command, id) > 0) proposed.push(command);
    }
    const victim = random.pick(h.ids);
    const roll = random.nextInt(10);
    if (roll < 2) h.disconnect(victim);
    else if (roll < 5) h.connect(victim);
    else if (roll < 6) h.cluster.crash(victim);
    else if (roll < 8) h.cluster.restart(victim);
    h.ticks(random.between(1, 10));
  }
  for (const id of h.ids) {
    h.connect(id);
    h.cluster.restart(id);
  }
  h.cluster.faultyNetwork = false;
  const last = h.one('after-churn', 5, true, 5000);
  // Everything applied is identical everywhere (the checker asserts it); and some of what was
  // proposed during the churn made it.
  let survived = 0;
  for (let index = 1; index <= last; index++) {
    const data = h.nCommitted(index).data;
    if (data !== null && proposed.includes(data)) survived++;
  }
  assert.ok(survived > 10, `only ${survived} churn commands committed`);
}

test('churn (reliable network)', () => churn(false));

test('churn (unreliable network)', () => churn(true));

test('snapshots installed under partitions and crashes', () => {
  const h = new Harness(3, {
    snapshotEveryEntries: 5,
    snapshotRetainEntries: 1,
    raft: { electionTimeoutTicks: 10, heartbeatTimeoutTicks: 2, snapshotChunkBytes: 8 },
  });
  const random = new Prng(5);
  h.one('snap-0', 3, true);
  for (let round = 0; round < 10; round++) {
    const victim = random.between(1, 3);
    if (random.chance(0.5)) h.disconnect(victim);
    else h.cluster.crash(victim);
    for (let i = 0; i < 20; i++) h.one(`snap-${round}-${i}`, 2, true);
    h.connect(victim);
    h.cluster.restart(victim);
    // Crash the catching-up node in the middle of some transfers.
    if (random.chance(0.3)) {
      h.ticks(3);
      h.cluster.crash(victim);
      h.ticks(5);
      h.cluster.restart(victim);
    }
    h.one(`snap-${round}-end`, 3, true);
  }
  // Followers far behind compacted logs can only have caught up from snapshots.
  const first = h.cluster.node(1).storage.firstIndex();
  assert.ok(first > 100, `logs were compacted (first index ${first})`);
  const chunks = h.cluster.deliveriesByType[MessageType.Snap] ?? 0;
  assert.ok(chunks > 10, `only ${chunks} snapshot chunks delivered`);
  // Every node ends with the same state machine.
  const states = h.ids.map((id) => JSON.stringify([...h.cluster.node(id).machine.values]));
  assert.equal(new Set(states).size, 1);
});
