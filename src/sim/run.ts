// One seeded simulation: derive a cluster, faults and a workload from the seed, run a safety
// phase with faults, then a liveness phase in which faults heal and every pending operation must
// finish, then check the client history for linearizability.
import { RaftAssertionError } from '../raft/assert.js';
import { ConfChangeType } from '../raft/confchange.js';
import { type InjectedBugs } from '../raft/raft.js';
import { progressStateNames } from '../raft/progress.js';
import { SafetyViolation } from './checkers.js';
import { Cluster, TraceKind, type ClusterOptions } from './cluster.js';
import { checkLinearizable } from './linearizability.js';
import { Prng } from './prng.js';
import { Workload, type WorkloadOptions } from './workload.js';

export type BugName = 'double-vote' | 'commit-old-term';

export interface RunOptions {
  /** Ticks of the safety phase (faults on). */
  safetyTicks?: number;
  /** Bound on the liveness phase: all must settle within this many ticks after healing. */
  livenessTicksMax?: number;
  injectBug?: BugName;
  /** Receives the event log (roles, commits, faults) for debugging one seed. */
  log?: (line: string) => void;
}

export interface RunResult {
  readonly seed: number;
  readonly ok: boolean;
  /** What broke, e.g. "election-safety: two leaders in term 7: 1 and 3". */
  readonly failure: string | null;
  readonly failureKind: string | null;
  readonly digest: string;
  readonly ticks: number;
  readonly deliveries: number;
  readonly operations: number;
  readonly elections: number;
  readonly description: string;
}

interface Scenario {
  readonly cluster: ClusterOptions;
  readonly workload: WorkloadOptions;
  readonly faultEveryTicks: number;
  readonly membershipChanges: boolean;
  /** Probability that a fault is the Figure 8 pattern. */
  readonly figure8Weight: number;
  /** Frequent leader crashes and isolations (see FaultInjector.chaos). */
  readonly leaderChaos: boolean;
  readonly description: string;
}

export function bugsFor(name: BugName | undefined): InjectedBugs {
  if (name === 'double-vote') return { doubleVote: true };
  if (name === 'commit-old-term') return { commitOldTerm: true };
  return {};
}

function scenarioFor(seed: number, random: Prng, bugs: InjectedBugs): Scenario {
  const nodeCount = random.chance(0.5) ? 3 : 5;
  const nodeIds = Array.from({ length: nodeCount }, (_, i) => i + 1);
  // Sometimes the last node starts outside the cluster and must join as a learner.
  const spare = random.chance(0.25) ? 1 : 0;
  const voters = nodeIds.slice(0, nodeCount - spare);
  const electionTimeoutTicks = random.between(8, 16);
  const heartbeatTimeoutTicks = random.between(1, 3);
  const preVote = random.chance(0.75);
  const checkQuorum = random.chance(0.75) || !preVote;
  const leaderChaos = random.chance(0.5);
  // One entry per message and a short pipeline make acknowledgements arrive entry by entry,
  // which is when counting replicas of old-term entries can go wrong (Figure 8).
  const maxMessageBytes = leaderChaos && random.chance(0.7) ? 1 : random.pick([1, 64, 256, 4096]);
  const maxInflightMessages = random.pick([1, 2, 4, 16, 256]);
  const snapshotChunkBytes = random.pick([8, 32, 128, 1024]);
  const snapshotEveryEntries = random.pick([0, 4, 8, 16, 32]);
  const dropRate = random.pick([0, 0.01, 0.05, 0.1, 0.2]);
  const duplicateRate = random.pick([0, 0.01, 0.05]);
  const maxDelayTicks = random.pick([1, 2, 3, 5]);
  const cluster: ClusterOptions = {
    seed,
    nodeIds,
    voters,
    raft: {
      electionTimeoutTicks,
      heartbeatTimeoutTicks,
      preVote,
      checkQuorum,
      maxMessageBytes,
      maxInflightMessages,
      maxInflightBytes: random.pick([0, 0, 512]),
      maxUncommittedEntriesBytes: random.pick([0, 0, 2048]),
      snapshotChunkBytes,
      // From the seed, not a draw: every other choice of a seed stays as it was.
      snapshotChunksInFlight: [1, 2, 4, 8][seed % 4] as number,
      disableProposalForwarding: random.chance(0.3),
      injectedBugs: bugs,
    },
    network: { dropRate, duplicateRate, minDelayTicks: 1, maxDelayTicks },
    snapshotEveryEntries,
    snapshotRetainEntries: random.between(0, 4),
  };
  const workload: WorkloadOptions = {
    clients: random.between(2, 5),
    keys: random.between(1, 4),
    thinkTicksMax: random.pick([0, 5, 20]),
    attemptTimeoutTicks: electionTimeoutTicks * 3,
    paddingBytesMax: random.pick([0, 0, 64]),
  };
  const faultEveryTicks = random.pick([20, 50, 100, 200]);
  const membershipChanges = random.chance(0.5) || spare > 0;
  const figure8Weight = random.pick([0, 0.1, 0.3]);
  const description =
    `nodes=${nodeCount} voters=${voters.length} election=${electionTimeoutTicks} ` +
    `heartbeat=${heartbeatTimeoutTicks} prevote=${preVote} checkquorum=${checkQuorum} ` +
    `msgbytes=${maxMessageBytes} inflight=${maxInflightMessages} chunk=${snapshotChunkBytes} ` +
    `snapevery=${snapshotEveryEntries} drop=${dropRate} dup=${duplicateRate} delay<=${maxDelayTicks} ` +
    `clients=${workload.clients} keys=${workload.keys} faults/${faultEveryTicks} ` +
    `membership=${membershipChanges} figure8=${figure8Weight} chaos=${leaderChaos}`;
  return {
    cluster,
    workload,
    faultEveryTicks,
    membershipChanges,
    figure8Weight,
    leaderChaos,
    description,
  };
}

const FaultKind = {
  PartitionRandom: 1,
  IsolateLeader: 2,
  Asymmetric: 3,
  Flip: 4,
  Heal: 5,
  Crash: 6,
  CrashLeader: 7,
  Restart: 8,
  Pause: 9,
  SlowDisk: 10,
  Membership: 11,
  Transfer: 12,
  Figure8: 13,
  CrashLeaderMidFsync: 14,
} as const;

const faultNames: Record<number, string> = {};
for (const [name, code] of Object.entries(FaultKind)) faultNames[code] = name;

interface ScheduledFault {
  readonly at: number;
  readonly run: () => void;
}

class FaultInjector {
  private groups: [number[], number[]] | null = null;
  private scheduled: ScheduledFault[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly random: Prng,
    private readonly membershipChanges: boolean,
  ) {}

  /** Runs follow-up actions that are due. */
  tick(): void {
    if (this.scheduled.length === 0) return;
    const now = this.cluster.now;
    const due = this.scheduled.filter((fault) => fault.at <= now);
    if (due.length === 0) return;
    this.scheduled = this.scheduled.filter((fault) => fault.at > now);
    for (const fault of due) fault.run();
  }

  /**
   * Leader chaos (as in the Figure 8 tests of MIT 6.824): every so often cut off or crash the
   * current leader, so successive leaders leave partly replicated tails of different terms,
   * while bringing nodes back so that a majority stays up.
   */
  chaos(): void {
    const cluster = this.cluster;
    const random = this.random;
    const ids = cluster.nodeIds;
    const leader = cluster.leader();
    if (leader !== 0 && random.chance(0.6)) {
      if (random.chance(0.5)) {
        cluster.crash(leader);
        this.note(FaultKind.CrashLeader, leader);
      } else {
        cluster.links.heal();
        cluster.links.isolate(leader, ids);
        this.note(FaultKind.IsolateLeader, leader);
      }
    } else if (random.chance(0.5)) {
      cluster.links.heal();
      this.note(FaultKind.Heal);
    }
    const down = ids.filter((id) => !cluster.isUp(id));
    if (down.length > 0 && (ids.length - down.length <= ids.length / 2 + 1 || random.chance(0.3))) {
      const target = random.pick(down);
      cluster.restart(target);
      this.note(FaultKind.Restart, target);
    }
  }

  /** Cuts `leader` off from everyone (a leader "dying" at a critical moment). */
  cutOffLeader(leader: number): void {
    this.cluster.links.heal();
    this.cluster.links.isolate(leader, this.cluster.nodeIds);
    this.note(FaultKind.IsolateLeader, leader, 1);
  }

  /** Drops follow-ups (the liveness phase heals everything itself). */
  clear(): void {
    this.scheduled = [];
  }

  inject(figure8Weight: number): void {
    const random = this.random;
    if (random.chance(figure8Weight)) return this.figure8();
    const roll = random.nextInt(100);
    if (roll < 12) this.partitionRandom();
    else if (roll < 20) this.isolateLeader();
    else if (roll < 26) this.asymmetric();
    else if (roll < 32) this.flip();
    else if (roll < 44) this.heal();
    else if (roll < 52) this.crash(false);
    else if (roll < 60) this.crash(true);
    else if (roll < 72) this.restart();
    else if (roll < 78) this.pause();
    else if (roll < 80) this.slowDisk();
    else if (roll < 84) this.crashLeaderMidFsync();
    else if (roll < 93) this.membership();
    else this.transfer();
  }

  private note(kind: number, a = 0, b = 0): void {
    this.cluster.trace.event(TraceKind.Fault, kind, a, b, this.cluster.now);
    this.cluster.log?.(`${this.cluster.now} fault ${faultNames[kind] ?? kind} ${a} ${b}`);
  }

  /**
   * The Figure 8 pattern: cut the leader off so it appends entries nobody else has, crash it a
   * little later, heal, and bring it back after a while. Repeated, this leaves logs whose tails
   * hold entries of different terms at the same indexes, the situation in which counting
   * replicas of an old-term entry goes wrong.
   */
  private figure8(): void {
    const leader = this.cluster.leader();
    if (leader === 0) return;
    const cluster = this.cluster;
    const random = this.random;
    const ids = cluster.nodeIds;
    cluster.links.heal();
    cluster.links.isolate(leader, ids);
    this.groups = null;
    const crashAt = cluster.now + random.between(1, cluster.tuning.electionTimeoutTicks);
    const restartAt = crashAt + random.between(1, cluster.tuning.electionTimeoutTicks * 4);
    this.scheduled.push({
      at: crashAt,
      run: () => {
        cluster.crash(leader);
        cluster.links.heal();
      },
    });
    this.scheduled.push({ at: restartAt, run: () => cluster.restart(leader) });
    this.note(FaultKind.Figure8, leader, crashAt);
  }

  private partitionRandom(): void {
    const ids = this.cluster.nodeIds;
    const shuffled = ids.map((id) => ({ id, k: this.random.nextU32() }));
    shuffled.sort((a, b) => a.k - b.k || a.id - b.id);
    const cut = 1 + this.random.nextInt(ids.length - 1);
    const a = shuffled.slice(0, cut).map((x) => x.id);
    const b = shuffled.slice(cut).map((x) => x.id);
    this.cluster.links.heal();
    this.cluster.links.partition(a, b);
    this.groups = [a, b];
    this.note(FaultKind.PartitionRandom, cut);
  }

  private isolateLeader(): void {
    const leader = this.cluster.leader();
    if (leader === 0) return;
    this.cluster.links.isolate(leader, this.cluster.nodeIds);
    this.groups = [[leader], this.cluster.nodeIds.filter((id) => id !== leader)];
    this.note(FaultKind.IsolateLeader, leader);
  }

  private asymmetric(): void {
    const ids = this.cluster.nodeIds;
    const node = this.random.pick(ids);
    const outgoing = this.random.chance(0.5);
    for (const other of ids) {
      if (other === node || !this.random.chance(0.7)) continue;
      if (outgoing) this.cluster.links.cutOneWay(node, other);
      else this.cluster.links.cutOneWay(other, node);
    }
    this.note(FaultKind.Asymmetric, node, outgoing ? 1 : 0);
  }

  /** Majority/minority flip: move nodes so the minority side becomes the majority. */
  private flip(): void {
    if (this.groups === null) return this.partitionRandom();
    const [a, b] = this.groups;
    const bigger = a.length >= b.length ? a : b;
    const smaller = bigger === a ? b : a;
    const moving = bigger.splice(0, Math.ceil((bigger.length - smaller.length + 1) / 2));
    smaller.push(...moving);
    this.cluster.links.heal();
    this.cluster.links.partition(a, b);
    this.note(FaultKind.Flip, moving.length);
  }

  private heal(): void {
    this.cluster.links.heal();
    this.groups = null;
    this.note(FaultKind.Heal);
  }

  private crash(leader: boolean): void {
    const up = this.cluster.nodeIds.filter((id) => this.cluster.isUp(id));
    const target = leader ? this.cluster.leader() : up.length > 0 ? this.random.pick(up) : 0;
    if (target === 0) return;
    this.cluster.crash(target);
    this.note(leader ? FaultKind.CrashLeader : FaultKind.Crash, target);
  }

  private restart(): void {
    const down = this.cluster.nodeIds.filter((id) => !this.cluster.isUp(id));
    if (down.length === 0) return;
    const target = this.random.pick(down);
    this.cluster.restart(target);
    this.note(FaultKind.Restart, target);
  }

  private pause(): void {
    const target = this.random.pick(this.cluster.nodeIds);
    const ticks = this.random.between(1, this.cluster.tuning.electionTimeoutTicks * 3);
    this.cluster.pause(target, ticks);
    this.note(FaultKind.Pause, target, ticks);
  }

  /**
   * Slows the leader's disk, then crashes it while a write is probably still waiting for its
   * fsync: the window in which a leader has sent appends for entries it does not hold durably.
   */
  private crashLeaderMidFsync(): void {
    const leader = this.cluster.leader();
    if (leader === 0) return;
    const ticks = this.random.between(2, this.cluster.tuning.electionTimeoutTicks);
    this.cluster.setDiskLatency(leader, ticks);
    this.note(FaultKind.CrashLeaderMidFsync, leader, ticks);
    this.scheduled.push({
      at: this.cluster.now + this.random.between(1, ticks),
      run: () => this.cluster.crash(leader),
    });
  }

  private slowDisk(): void {
    const target = this.random.pick(this.cluster.nodeIds);
    const ticks = this.random.pick([0, 1, 2, 4]);
    this.cluster.setDiskLatency(target, ticks);
    this.note(FaultKind.SlowDisk, target, ticks);
  }

  private membership(): void {
    if (!this.membershipChanges) return;
    const leader = this.cluster.leader();
    if (leader === 0) return;
    const conf = this.cluster.raft(leader).confState();
    const outsiders = this.cluster.nodeIds.filter(
      (id) => !conf.voters.includes(id) && !conf.learners.includes(id),
    );
    const options: (() => void)[] = [];
    const propose = (type: (typeof ConfChangeType)[keyof typeof ConfChangeType], id: number) => {
      return () => {
        this.cluster.proposeConfChange(leader, { type, nodeId: id });
        this.note(FaultKind.Membership, type, id);
      };
    };
    for (const id of outsiders) options.push(propose(ConfChangeType.AddLearner, id));
    for (const id of conf.learners) options.push(propose(ConfChangeType.AddNode, id));
    if (conf.voters.length > 2) {
      for (const id of conf.voters) {
        options.push(propose(ConfChangeType.RemoveNode, id));
        options.push(propose(ConfChangeType.AddLearner, id));
      }
    }
    if (options.length > 0) this.random.pick(options)();
  }

  private transfer(): void {
    const leader = this.cluster.leader();
    if (leader === 0) return;
    const voters = this.cluster
      .raft(leader)
      .confState()
      .voters.filter((id) => id !== leader);
    if (voters.length === 0) return;
    const target = this.random.pick(voters);
    // Sometimes ask a follower, which forwards the request to the leader.
    const via = this.random.chance(0.3) ? this.random.pick(this.cluster.nodeIds) : leader;
    this.cluster.transferLeader(via, target);
    this.note(FaultKind.Transfer, via, target);
  }
}

/** Why the cluster has not settled (a leader, everything committed and applied), or null. */
function unsettledReason(cluster: Cluster): string | null {
  const leader = cluster.leader();
  if (leader === 0) return 'no leader';
  const status = cluster.raft(leader).status();
  if (status.commit !== status.lastIndex) {
    return `leader ${leader} commit ${status.commit} < last ${status.lastIndex}`;
  }
  for (const id of [...status.confState.voters, ...status.confState.learners]) {
    const node = cluster.node(id);
    if (node.raft === null) return `member ${id} down`;
    if (node.machine.appliedIndex < status.commit) {
      const own = node.raft.status();
      const progress = status.progress.get(id);
      return (
        `member ${id} applied ${node.machine.appliedIndex} < ${status.commit} ` +
        `(its term ${own.term} leader ${own.leader} commit ${own.commit} last ${own.lastIndex}; ` +
        `leader ${leader} term ${status.term} sees ` +
        (progress === undefined
          ? 'no progress'
          : `match ${progress.match} next ${progress.next} state ${progressStateNames[progress.state]} ` +
            `active ${progress.recentActive}`) +
        `; leader first index ${status.firstIndex})`
      );
    }
  }
  return null;
}

export function runSeed(seed: number, options: RunOptions = {}): RunResult {
  const safetyTicks = options.safetyTicks ?? 3000;
  const livenessTicksMax = options.livenessTicksMax ?? 3000;
  const random = new Prng(seed ^ 0x5eed);
  const scenario = scenarioFor(seed, random, bugsFor(options.injectBug));
  const cluster = new Cluster(scenario.cluster);
  if (options.log !== undefined) cluster.log = options.log;
  const workload = new Workload(cluster, random.fork(), scenario.workload);
  const faults = new FaultInjector(cluster, random.fork(), scenario.membershipChanges);
  let disarm = (): void => {};
  if (scenario.leaderChaos) {
    const triggers = random.fork();
    let armed = true;
    const trigger = (leader: number): void => {
      if (armed && triggers.chance(0.1)) faults.cutOffLeader(leader);
    };
    cluster.hooks = { leaderPersistedEntries: trigger, leaderCommitted: trigger };
    disarm = () => {
      armed = false;
    };
  }
  let failure: string | null = null;
  let failureKind: string | null = null;
  try {
    let nextFault = scenario.faultEveryTicks;
    let nextChaos = 0;
    const chaosEvery = scenario.cluster.raft?.electionTimeoutTicks ?? 10;
    while (cluster.now < safetyTicks) {
      if (cluster.now >= nextFault) {
        faults.inject(scenario.figure8Weight);
        nextFault = cluster.now + 1 + random.nextInt(scenario.faultEveryTicks * 2);
      }
      if (scenario.leaderChaos && cluster.now >= nextChaos) {
        faults.chaos();
        nextChaos = cluster.now + 1 + random.nextInt(chaosEvery * 2);
      }
      faults.tick();
      workload.tick();
      cluster.tick();
    }
    faults.clear();
    disarm();
    // Liveness: heal everything; the cluster must elect a leader, finish every pending
    // operation and bring every member up to date within the bound.
    cluster.healAll();
    cluster.faultyNetwork = false;
    workload.active = false;
    const deadline = cluster.now + livenessTicksMax;
    while (cluster.now < deadline) {
      workload.tick();
      cluster.tick();
      if (workload.outstanding() === 0 && unsettledReason(cluster) === null) break;
    }
    const reason = unsettledReason(cluster);
    if (workload.outstanding() > 0 || reason !== null) {
      failureKind = 'liveness';
      failure =
        `liveness: not settled ${livenessTicksMax} ticks after healing: ` +
        `${workload.outstanding()} operations pending; ${reason ?? 'members settled'}`;
    } else {
      const verdict = checkLinearizable(workload.finalHistory());
      if (!verdict.ok) {
        failureKind = 'linearizability';
        failure = verdict.timedOut
          ? `linearizability: checker gave up on key ${String(verdict.key)} (inconclusive)`
          : `linearizability: history of key ${String(verdict.key)} is not linearizable`;
      }
    }
  } catch (error) {
    if (error instanceof SafetyViolation) {
      failureKind = error.property;
      failure = error.message;
    } else if (error instanceof RaftAssertionError) {
      failureKind = 'assertion';
      failure = `assertion: ${error.message}`;
    } else {
      throw error;
    }
  }
  if (failure !== null) failure += ` (at tick ${cluster.now})`;
  return {
    seed,
    ok: failure === null,
    failure,
    failureKind,
    digest: cluster.trace.digest(),
    ticks: cluster.now,
    deliveries: cluster.deliveries,
    operations: workload.completed,
    elections: cluster.checker.leaderElections,
    description: scenario.description,
  };
}
