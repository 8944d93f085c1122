// Routing for a replica group member: commands run here when this node is the ready leader (or,
// after READONLY, for read-only commands on a follower); they wait while no leader is ready (for
// about two election timeouts, then -TRYAGAIN); on a follower they go to the leader through the
// client's relay. Run here on every node, through the executor's AUTH/ACL checks: PING, ROLE, RAFT
// (ADD-NODE, REMOVE-NODE and TRANSFER-LEADER by the leader: relayed from followers), READONLY,
// READWRITE, INFO, and pub/sub subscriptions (messages arrive through the log, PUBLISH is
// relayed); AUTH, HELLO, SELECT, RESET and CLIENT SETNAME run here and are replayed on the
// client's upstream (CLIENT REPLY OFF/SKIP apply to their replies); CLIENT REPLY runs here (the
// replies it turns off are dropped here). CONFIG
// and ACL run here except the changes the group shares (configRunsHere), which the leader logs;
// inside a transaction relayed to the leader, a change of this node's own configuration is
// refused at queue time and the EXEC aborts (nodeOwnChange). WAIT is answered by the leader (it
// counts followers holding the client's last write).

import type { ClientState } from '../commands/client.js';
import { type Config, isGroupSetting } from '../commands/config.js';
import { Errors } from '../commands/errors.js';
import { waitArguments } from '../commands/families/replication.js';
import type { Executor } from '../commands/executor.js';
import { FlagBit } from '../commands/spec.js';
import { parsePeers, type PeerSpec, type ReplicaNode } from '../replica/node.js';
import { StateRole } from '../raft/messages.js';
import { ClientRelay } from './relay.js';
import type { CommandRouter, DurabilityGate, Session } from './session.js';
import type { ReplicationCommands } from '../commands/hooks.js';
import type { Reply } from '../commands/reply.js';

/** RAFT subcommands that change the group: run by the leader. */
const LEADER_RAFT = new Set(['add-node', 'remove-node', 'transfer-leader']);
/**
 * Commands about this node or this connection rather than the dataset: run by the local executor
 * on every node. Subscriptions are per node: each node delivers every committed PUBLISH.
 */
const RUN_HERE = new Set([
  // A health check asks whether this node answers, also while the group has no leader.
  'ping',
  'role',
  'raft',
  'readonly',
  'readwrite',
  'info',
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'ssubscribe',
  'sunsubscribe',
  'pubsub',
]);
/** Connection state: run here (the client sees this reply), then replayed on the upstream. */
const CONNECTION_STATE = new Set(['auth', 'hello', 'select', 'reset']);
/**
 * Commands whose replies reveal nothing of the dataset: a leader's batch of only these needs no
 * ReadIndex round (a RAFT TRANSFER-LEADER's +OK must not wait for a leadership it is giving away).
 */
const REVEALS_NO_DATA = new Set([
  ...[...RUN_HERE].filter((name) => name !== 'info'),
  ...CONNECTION_STATE,
  'quit',
]);

/** CLIENT subcommands of client-side caching, run on the node the client is connected to. */
const TRACKING_HERE = new Set(['id', 'tracking', 'caching', 'getredir', 'trackinginfo']);

/** ACL subcommands that change users: the leader runs them and logs the change. */
const GROUP_ACL = new Set(['setuser', 'deluser', 'load']);

/**
 * CONFIG and ACL run here when they read (every node holds the group's settings and users) or
 * change this node's own settings; changes to what the group shares (its settings, see
 * isGroupSetting, and its users) go to the leader, which logs them. A CONFIG SET mixing both
 * runs here, to be refused.
 */
function configRunsHere(name: 'config' | 'acl', argv: readonly string[], config: Config): boolean {
  const subcommand = (argv[1] ?? '').toLowerCase();
  if (name === 'acl') return !GROUP_ACL.has(subcommand);
  if (subcommand !== 'set' || argv.length < 4) return true;
  for (let i = 2; i < argv.length; i += 2) {
    const spec = config.spec(argv[i] as string);
    if (spec === undefined || !isGroupSetting(spec)) return true;
  }
  return false;
}

/**
 * What a CONFIG or ACL command changes on this node only (its own settings, statistics, files,
 * ACL log), as words for an error; undefined if it changes nothing of this node's own, or it is
 * malformed or names an unknown setting (the leader answers those as it would anywhere).
 */
function nodeOwnChange(
  name: 'config' | 'acl',
  argv: readonly string[],
  config: Config,
): string | undefined {
  const subcommand = (argv[1] ?? '').toLowerCase();
  if (name === 'acl') {
    if (subcommand === 'save' && argv.length === 2) return "ACL SAVE writes this node's ACL file";
    if (subcommand === 'log' && argv.length === 3 && (argv[2] ?? '').toLowerCase() === 'reset')
      return "ACL LOG RESET clears this node's ACL log";
    return undefined;
  }
  if (subcommand === 'resetstat' && argv.length === 2)
    return "CONFIG RESETSTAT resets this node's statistics";
  if (subcommand === 'rewrite' && argv.length === 2)
    return "CONFIG REWRITE writes this node's configuration file";
  if (subcommand !== 'set' || argv.length < 4 || argv.length % 2 !== 0) return undefined;
  const own: string[] = [];
  for (let i = 2; i < argv.length; i += 2) {
    const spec = config.spec(argv[i] as string);
    if (spec === undefined) return undefined;
    if (!isGroupSetting(spec) && !own.includes(spec.name)) own.push(spec.name);
  }
  if (own.length === 0) return undefined;
  return `CONFIG SET ${own.join(' ')} changes this node's own setting${own.length > 1 ? 's' : ''}`;
}

function isClientSubcommand(argv: readonly string[], subcommand: string): boolean {
  return (
    argv.length >= 2 &&
    (argv[0] ?? '').toLowerCase() === 'client' &&
    (argv[1] ?? '').toLowerCase() === subcommand
  );
}

/** A session whose command waits: for a ready leader, or (WAIT) for followers to catch up. */
interface Waiting {
  /** When the command must be answered anyway (Infinity: WAIT with timeout 0). */
  readonly deadlineMs: number;
  readonly timer: NodeJS.Timeout | undefined;
  /** Set once the deadline passed: the waiting command is answered on its next route. */
  expired: boolean;
}

export class ReplicaRouter implements CommandRouter, ReplicationCommands, DurabilityGate {
  /** Clients that asked for possibly-stale local reads (READONLY). */
  private readonly readOnlyClients = new WeakSet<ClientState>();
  /** Sessions postponed by this router, with their deadline. */
  private readonly waiting = new Map<Session, Waiting>();
  /** Each client's last write on this leader (Raft index), for WAIT. */
  private readonly lastWrite = new WeakMap<ClientState, number>();
  /** Sessions relaying to a leader (told when the leader changes), and the leader last seen. */
  private readonly relaying = new Set<Session>();
  private relayLeaderId = 0;
  /** The client whose command runs now (writes are attributed to it). */
  private current: ClientState | undefined;
  /** The session's batch so far ran a command that may reveal data (it needs a ReadIndex). */
  private batchRevealsData = false;

  constructor(
    private readonly node: ReplicaNode,
    private readonly executor: Executor,
  ) {
    node.onAppend = (index) => {
      if (this.current !== undefined) this.lastWrite.set(this.current, index);
    };
    node.onProgress = () => {
      this.wakeWaiting();
      this.tellRelays();
    };
  }

  // DurabilityGate: the node's, except that a batch that wrote nothing and revealed no data is
  // answered at once.

  get lastAppendedSequence(): number {
    return this.node.lastAppendedSequence;
  }

  get lastDurableSequence(): number {
    return this.node.lastDurableSequence;
  }

  holdUntil(appendedBefore: number): number | undefined {
    if (appendedBefore < 0) return this.node.holdUntil(appendedBefore);
    const revealsData = this.batchRevealsData;
    this.batchRevealsData = false;
    if (!revealsData && this.node.lastAppendedSequence === appendedBefore) return undefined;
    return this.node.holdUntil(appendedBefore);
  }

  whenDurable(sequence: number, callback: () => void, lost?: () => void): void {
    this.node.whenDurable(sequence, callback, lost);
  }

  /** Waiting commands that may be answerable now (a Ready moved match indexes or the leader). */
  private wakeWaiting(): void {
    for (const session of [...this.waiting.keys()]) {
      if (session.socket.destroyed) this.stopWaiting(session);
      else if (session.isPostponed) session.processPending();
    }
  }

  /**
   * The leader changed, or was lost (no word from it for an election timeout): relays with
   * commands pending at another node give up on them (see ClientRelay.leaderChanged). A cut-off
   * leader or a cut-off follower would otherwise leave them waiting on a silent connection.
   */
  private tellRelays(): void {
    const leader = this.node.leaderId;
    if (leader === this.relayLeaderId) return;
    this.relayLeaderId = leader;
    const peer = leader === this.node.id || leader === 0 ? undefined : this.node.peer(leader);
    const address = peer === undefined ? undefined : { host: peer.host, port: peer.clientPort };
    const graceMs = this.node.electionTimeoutMs;
    for (const session of [...this.relaying]) session.relay?.leaderChanged(address, graceMs);
  }

  route(session: Session, argv: string[]): 'local' | 'done' | 'wait' | 'relay' {
    if (!REVEALS_NO_DATA.has((argv[0] ?? '').toLowerCase())) this.batchRevealsData = true;
    const result = this.routeCommand(session, argv);
    if (result === 'local' || result === 'relay') this.stopWaiting(session);
    return result;
  }

  private routeCommand(session: Session, argv: string[]): 'local' | 'done' | 'wait' | 'relay' {
    const name = (argv[0] ?? '').toLowerCase();
    const node = this.node;
    const client = session.client;
    this.current = undefined;
    const relay = session.relay;
    const relayPending = (relay?.pending ?? 0) > 0;
    // Inside a relayed MULTI everything is queued upstream, as the leader's transaction.
    const relayedTransaction = relay?.inTransaction === true;
    // The client port opens before the Raft log is loaded: until then there is no leader.
    const started = node.started;
    const leaderHere = started && node.leaderReady && !relayPending && !relayedTransaction;
    const leaderOnly =
      name === 'raft' && LEADER_RAFT.has((argv[1] ?? '').toLowerCase()) && argv.length >= 3;
    if (relayedTransaction && (name === 'config' || name === 'acl')) {
      // The whole transaction runs on the leader: queued there, this would change the leader's
      // configuration, not this node's. Refused now (the client has not authenticated: the
      // leader's NOAUTH says so), and the EXEC aborts as after any refusal at queue time.
      const change = nodeOwnChange(name, argv, this.executor.config);
      if (change !== undefined && (client.authenticated || !this.executor.acl.authRequired()))
        return this.refuseQueued(session, change);
    }
    if (!relayedTransaction) {
      if (
        (RUN_HERE.has(name) && (!leaderOnly || leaderHere)) ||
        (name === 'quit' && !relayPending) ||
        ((name === 'config' || name === 'acl') &&
          configRunsHere(name, argv, this.executor.config)) ||
        // A RESP2 subscriber may only run the subscription commands: refused here.
        (client.protocol === 2 && client.subscriptionCount > 0)
      ) {
        this.executor.setDecidesChanges(started && node.decidesChanges);
        this.current = client;
        return 'local';
      }
      if (client.transaction === undefined) {
        if (CONNECTION_STATE.has(name) || isClientSubcommand(argv, 'setname'))
          return this.connectionState(session, argv);
        // Reply suppression is this connection's own: the session applies it to local replies
        // (and the relay to relayed ones); the upstream keeps answering everything.
        if (isClientSubcommand(argv, 'reply')) return 'local';
        // Client-side caching is this node's: it tracks the client's reads and tells it of the
        // changes it applies (REDIRECT names a client of this node, so CLIENT ID answers here).
        if (argv.length >= 2 && (argv[0] ?? '').toLowerCase() === 'client') {
          if (TRACKING_HERE.has((argv[1] ?? '').toLowerCase())) return 'local';
        }
      }
    }
    // (Inside MULTI, WAIT is queued and answers at once, as in Redis.)
    if (
      name === 'wait' &&
      leaderHere &&
      client.transaction === undefined &&
      this.waitsForReplicas(session, argv)
    )
      return 'wait';
    if (leaderHere) {
      if (relay?.holdsSessionState === true)
        return this.sessionStateLost(session, 'WATCH/MULTI ran on the previous leader');
      this.executor.setDecidesChanges(true);
      this.current = client;
      return 'local';
    }
    if (
      started &&
      !relayPending &&
      !relayedTransaction &&
      // While a snapshot or a rebuild loads, the engine is half there: the leader answers.
      !node.engineLoading &&
      this.readOnlyClients.has(client) &&
      this.isReadOnly(name, argv)
    ) {
      this.executor.setDecidesChanges(node.decidesChanges);
      return 'local';
    }
    const leader = started ? node.leaderId : 0;
    if (leader === 0 || leader === node.id) {
      // No leader, or this node leads but has not applied its term's no-op yet: wait, within a
      // deadline (the command has not run, so -TRYAGAIN is a safe answer).
      if (this.startWaiting(session, 2 * node.electionTimeoutMs)) {
        session.encoder.error('TRYAGAIN no leader, retry');
        this.orderAfterRelay(session);
        return 'done';
      }
      return 'wait';
    }
    const address = node.peer(leader);
    if (address === undefined) return 'wait';
    if (holdsLocalState(client))
      return this.sessionStateLost(session, 'WATCH/MULTI ran here while this node led');
    const upstream = this.relayFor(session);
    if (session.encoder.length > 0) upstream.local(session.encoder.take());
    upstream.forward(
      argv,
      { host: address.host, port: address.clientPort },
      relayedTransaction ? undefined : this.receiverCount(name, argv),
      client.takeReplyDropped(),
    );
    if (client.tracking !== undefined) this.trackRelayed(client, argv, upstream.inTransaction);
    return 'relay';
  }

  /**
   * PUBLISH relayed from a follower: the reply counts this node's receivers (as Redis Cluster
   * counts the clients of the node that received the PUBLISH), not the leader's.
   */
  private receiverCount(name: string, argv: string[]): ((reply: Buffer) => Buffer) | undefined {
    if ((name !== 'publish' && name !== 'spublish') || argv.length !== 3) return undefined;
    const channel = argv[1] as string;
    const pubsub = this.executor.pubsub;
    return (reply) =>
      reply[0] === 0x3a // ':' (an error passes through)
        ? Buffer.from(`:${pubsub.receivers(channel, name === 'spublish')}\r\n`, 'latin1')
        : reply;
  }

  /**
   * Refuses a command of a relayed MULTI at queue time, in order with the relayed replies; the
   * relay turns the EXEC into a DISCARD upstream answered EXECABORT, as Redis answers an EXEC
   * after a queued command was refused: nothing of the transaction runs.
   */
  private refuseQueued(session: Session, change: string): 'done' {
    session.encoder.error(
      `ERR ${change}, but a transaction sent to a follower runs on the leader: send it outside MULTI (or to the leader)`,
    );
    session.relay?.refuseTransaction();
    this.orderAfterRelay(session);
    return 'done';
  }

  /**
   * AUTH, HELLO, SELECT, RESET: run by this node's executor (the client sees its reply, in its
   * protocol); when it succeeded, the relay replays it on the upstream connection.
   */
  private connectionState(session: Session, argv: string[]): 'done' {
    const client = session.client;
    const executor = this.executor;
    const errorsBefore = errorTotal(executor);
    const wasAuthenticated = client.authenticated;
    const mark = session.encoder.mark();
    executor.execute(client, argv, session.encoder, Date.now());
    // CLIENT REPLY OFF / SKIP apply here as to any local command (the upstream's replay is
    // discarded anyway).
    if (client.takeReplyDropped()) session.encoder.rewind(mark);
    if (client.authenticated !== wasAuthenticated) {
      session.parser.setLimits({ unauthenticated: !client.authenticated });
    }
    if (errorTotal(executor) === errorsBefore) {
      if ((argv[0] ?? '').toLowerCase() === 'reset') this.readOnlyClients.delete(client);
      this.relayFor(session).remember(argv);
    }
    this.orderAfterRelay(session);
    return 'done';
  }

  /** The session's relay, made (and told of leader changes) on first use. */
  private relayFor(session: Session): ClientRelay {
    if (session.relay === undefined) {
      session.relay = new ClientRelay(session);
      this.relaying.add(session);
      session.socket.once('close', () => this.relaying.delete(session));
    }
    return session.relay;
  }

  /**
   * The client's WATCH/MULTI/SELECT state is on a node its next command will not run on (this
   * node lost or gained leadership in between): running it elsewhere would silently drop that
   * state (an EXEC would swap unconditionally), so the connection is closed, as a Redis
   * failover closes it, and the client learns its transaction's outcome is unknown.
   */
  private sessionStateLost(session: Session, why: string): 'done' {
    session.relayFailed(`leadership moved: ${why}`);
    return 'done';
  }

  /**
   * Records that `session` waits (from now, if it did not already), and tells whether its
   * deadline has passed. After a deadline the later commands of the same batch fail at once; a
   * later batch waits afresh.
   */
  private startWaiting(session: Session, timeoutMs: number): boolean {
    const waiting = this.waiting.get(session);
    if (waiting !== undefined) return waiting.expired || Date.now() >= waiting.deadlineMs;
    const deadlineMs = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    const state: Waiting = {
      deadlineMs,
      expired: false,
      timer:
        deadlineMs === Infinity
          ? undefined
          : setTimeout(() => {
              state.expired = true;
              if (session.isPostponed) session.processPending();
              // Commands of this batch failed fast; the next batch waits afresh.
              setImmediate(() => {
                if (this.waiting.get(session) === state) this.stopWaiting(session);
              });
            }, timeoutMs + 1).unref(),
    };
    this.waiting.set(session, state);
    return false;
  }

  private stopWaiting(session: Session): void {
    const waiting = this.waiting.get(session);
    if (waiting === undefined) return;
    if (waiting.timer !== undefined) clearTimeout(waiting.timer);
    this.waiting.delete(session);
  }

  /**
   * WAIT on the leader: true while it must wait for followers to hold the client's last write.
   * Then (enough of them, or the timeout passed) the executor runs it and answers the count;
   * bad arguments and refusals (NOAUTH, NOPERM) are also its to answer, at once.
   */
  private waitsForReplicas(session: Session, argv: string[]): boolean {
    const client = session.client;
    if (argv.length !== 3 || (!client.authenticated && this.executor.acl.authRequired()))
      return false;
    let wanted: number;
    let timeout: number;
    try {
      ({ wanted, timeout } = waitArguments(argv));
    } catch {
      return false;
    }
    if (
      this.replicasHolding(client) >= wanted ||
      this.startWaiting(session, timeout === 0 ? Infinity : timeout)
    ) {
      this.stopWaiting(session);
      return false;
    }
    return true;
  }

  replicasHolding(client: ClientState): number {
    return this.node.replicasHolding(this.lastWrite.get(client) ?? 0);
  }

  private orderAfterRelay(session: Session): void {
    const relay = session.relay;
    if (relay !== undefined && relay.pending > 0) relay.local(session.encoder.take());
  }

  /**
   * CLIENT TRACKING of a relayed command: the leader reads, this node remembers the keys (it
   * applies every change, so it sends the invalidations). Remembered when the command leaves,
   * before the leader reads: a change the read did not see is applied here later and
   * invalidates; one it saw may invalidate once more than needed, never less. Inside a relayed
   * MULTI the keys are remembered as commands are queued.
   */
  private trackRelayed(client: ClientState, argv: string[], inTransaction: boolean): void {
    const tracking = this.executor.tracking;
    const command = this.executor.table.lookup(argv[0] ?? '');
    const sub =
      command?.subcommandTable === undefined
        ? command
        : command.subcommandTable.get((argv[1] ?? '').toLowerCase());
    if (sub !== undefined) tracking.commandRan(client, sub, argv);
    const state = client.tracking;
    if (state !== undefined && state.caching && !inTransaction && command?.name !== 'client')
      state.caching = false;
  }

  private isReadOnly(name: string, argv: string[]): boolean {
    const command = this.executor.table.lookup(name);
    if (command === undefined) return false;
    const sub = command.subcommandTable?.get((argv[1] ?? '').toLowerCase()) ?? command;
    return (sub.flagBits & FlagBit.readonly) !== 0 && (sub.flagBits & FlagBit.write) === 0;
  }

  // ReplicationCommands: ROLE, RAFT, READONLY, READWRITE, run by the executor on this node.

  setReadOnly(client: ClientState, readOnly: boolean): void {
    if (readOnly) this.readOnlyClients.add(client);
    else this.readOnlyClients.delete(client);
  }

  raft(_client: ClientState, argv: string[], reply: Reply): void {
    // The client port opens before the Raft log is loaded: nothing to report yet.
    if (!this.node.started) return reply.error(Errors.loading);
    const sub = (argv[1] ?? '').toLowerCase();
    if (sub === 'status' && argv.length === 2) {
      reply.bulk(this.node.statusLines().join('\r\n') + '\r\n');
    } else if (LEADER_RAFT.has(sub)) {
      const refused = this.membership(sub, argv);
      if (refused === undefined) reply.ok();
      else reply.error(refused);
    } else {
      reply.error(
        `ERR unknown RAFT subcommand '${argv[1] ?? ''}' (STATUS, ADD-NODE, REMOVE-NODE, TRANSFER-LEADER)`,
      );
    }
  }

  /**
   * RAFT ADD-NODE id host:port@raftport, REMOVE-NODE id, TRANSFER-LEADER id. The +OK of a
   * membership change is held until its entry commits (the session's durability gate);
   * TRANSFER-LEADER answers once the transfer started (RAFT STATUS shows the outcome).
   */
  private membership(sub: string, argv: string[]): string | undefined {
    const wantArgs = sub === 'add-node' ? 4 : 3;
    if (argv.length !== wantArgs) return `ERR wrong number of arguments for 'raft|${sub}' command`;
    const id = integerArg(argv[2] as string);
    if (id === undefined || id <= 0) return `ERR bad node id '${argv[2] ?? ''}'`;
    const node = this.node;
    if (sub === 'remove-node') return node.removeNode(id);
    if (sub === 'transfer-leader') return node.transferLeader(id);
    let peer;
    try {
      peer = parsePeers(`${id}=${argv[3] ?? ''}`).get(id) as PeerSpec;
    } catch {
      return `ERR bad node address '${argv[3] ?? ''}' (want host:clientport@raftport)`;
    }
    return node.addNode(peer);
  }

  /** ROLE in Redis's shapes: master with its replicas, or slave with its master. */
  role(_client: ClientState, reply: Reply): void {
    const node = this.node;
    if (!node.started) return reply.error(Errors.loading);
    const status = node.status();
    if (status.role === StateRole.Leader) {
      reply.array(3);
      reply.bulk('master');
      reply.int(status.commit);
      const peers = [...status.progress.entries()].filter(([id]) => id !== node.id);
      reply.array(peers.length);
      for (const [id, progress] of peers) {
        const peer = node.peer(id);
        reply.array(3);
        reply.bulk(peer?.host ?? '');
        reply.bulk(String(peer?.clientPort ?? 0));
        reply.bulk(String(progress.match));
      }
      return;
    }
    const leader = node.peer(status.leader);
    reply.array(5);
    reply.bulk('slave');
    reply.bulk(leader?.host ?? '');
    reply.int(leader?.clientPort ?? 0);
    reply.bulk(leader !== undefined ? 'connected' : 'connect');
    reply.int(node.appliedIndex);
  }
}

function integerArg(text: string): number | undefined {
  if (!/^-?\d{1,18}$/.test(text)) return undefined;
  return Number(text);
}

/** Every error the executor answered so far (did the command just run fail?). */
function errorTotal(executor: Executor): number {
  let total = 0;
  for (const count of executor.errorCounts.values()) total += count;
  return total;
}

/**
 * State of a client that lives in this node's session: watched keys, an open MULTI. (The
 * selected database, user and protocol are replayed on the upstream: see ClientRelay.remember.)
 */
function holdsLocalState(client: ClientState): boolean {
  return client.watched.length > 0 || client.transaction !== undefined;
}
