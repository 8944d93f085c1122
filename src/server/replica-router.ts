// Routing for a replica group member: commands run here when this node is the ready leader (or,
// after READONLY, for read-only commands on a follower); they wait while no leader is ready (for
// about two election timeouts, then -TRYAGAIN); on a follower they go to the leader through the
// client's relay. ROLE, RAFT, READONLY and READWRITE are answered by this node (RAFT ADD-NODE,
// REMOVE-NODE and TRANSFER-LEADER by the leader: relayed from followers); WAIT by the leader (it
// counts followers holding the client's last write).

import type { ClientState } from '../commands/client.js';
import { Errors } from '../commands/errors.js';
import type { Executor } from '../commands/executor.js';
import { FlagBit } from '../commands/spec.js';
import { parsePeers, type PeerSpec, type ReplicaNode } from '../replica/node.js';
import { StateRole } from '../raft/messages.js';
import { ClientRelay } from './relay.js';
import type { CommandRouter, Session } from './session.js';

const NODE_LOCAL = new Set(['role', 'raft', 'readonly', 'readwrite']);
/** RAFT subcommands that change the group: run by the leader. */
const LEADER_RAFT = new Set(['add-node', 'remove-node', 'transfer-leader']);
/** Commands about this node rather than the dataset: run by the local executor everywhere. */
const RUN_HERE = new Set(['info']);

/** A session whose command waits: for a ready leader, or (WAIT) for followers to catch up. */
interface Waiting {
  /** When the command must be answered anyway (Infinity: WAIT with timeout 0). */
  readonly deadlineMs: number;
  readonly timer: NodeJS.Timeout | undefined;
  /** Set once the deadline passed: the waiting command is answered on its next route. */
  expired: boolean;
}

export class ReplicaRouter implements CommandRouter {
  /** Clients that asked for possibly-stale local reads (READONLY). */
  private readonly readOnlyClients = new WeakSet<ClientState>();
  /** Sessions postponed by this router, with their deadline. */
  private readonly waiting = new Map<Session, Waiting>();
  /** Each client's last write on this leader (Raft index), for WAIT. */
  private readonly lastWrite = new WeakMap<ClientState, number>();
  /** The client whose command runs now (writes are attributed to it). */
  private current: ClientState | undefined;

  constructor(
    private readonly node: ReplicaNode,
    private readonly executor: Executor,
  ) {
    node.onAppend = (index) => {
      if (this.current !== undefined) this.lastWrite.set(this.current, index);
    };
    node.onProgress = () => this.wakeWaiting();
  }

  /** Waiting commands that may be answerable now (a Ready moved match indexes or the leader). */
  private wakeWaiting(): void {
    for (const session of [...this.waiting.keys()]) {
      if (session.socket.destroyed) this.stopWaiting(session);
      else if (session.isPostponed) session.processPending();
    }
  }

  route(session: Session, argv: string[]): 'local' | 'done' | 'wait' | 'relay' {
    const result = this.routeCommand(session, argv);
    if (result === 'local' || result === 'relay') this.stopWaiting(session);
    return result;
  }

  private routeCommand(session: Session, argv: string[]): 'local' | 'done' | 'wait' | 'relay' {
    const name = (argv[0] ?? '').toLowerCase();
    const node = this.node;
    this.current = undefined;
    const relayPending = (session.relay?.pending ?? 0) > 0;
    const leaderOnly =
      name === 'raft' && LEADER_RAFT.has((argv[1] ?? '').toLowerCase()) && argv.length >= 3;
    if (NODE_LOCAL.has(name) && !node.started) {
      // The client port opens before the Raft log is loaded: nothing to report yet.
      session.encoder.error(Errors.loading);
      this.orderAfterRelay(session);
      return 'done';
    }
    if (NODE_LOCAL.has(name) && (!leaderOnly || (node.leaderReady && !relayPending))) {
      this.answerLocally(session, name, argv);
      return 'done';
    }
    if (name === 'wait' && node.leaderReady && !relayPending) return this.wait(session, argv);
    if ((node.leaderReady || RUN_HERE.has(name)) && !relayPending) {
      if (session.relay?.holdsSessionState === true && !RUN_HERE.has(name))
        return this.sessionStateLost(session, 'WATCH/MULTI/SELECT ran on the previous leader');
      this.executor.setMayExpire(true);
      this.current = session.client;
      return 'local';
    }
    if (!relayPending && this.readOnlyClients.has(session.client) && this.isReadOnly(name, argv)) {
      this.executor.setMayExpire(node.mayExpire);
      return 'local';
    }
    const leader = node.leaderId;
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
    if (holdsLocalState(session.client))
      return this.sessionStateLost(session, 'WATCH/MULTI/SELECT ran here while this node led');
    session.relay ??= new ClientRelay(session);
    if (session.encoder.length > 0) session.relay.local(session.encoder.take());
    session.relay.forward(argv, { host: address.host, port: address.clientPort });
    return 'relay';
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
   * WAIT numreplicas timeout: how many followers hold this client's last write, waiting until
   * `numreplicas` do or `timeout` ms pass (0: no timeout), as Redis's WAIT.
   */
  private wait(session: Session, argv: string[]): 'done' | 'wait' {
    const reply = session.encoder;
    if (argv.length !== 3) {
      reply.error("ERR wrong number of arguments for 'wait' command");
      return 'done';
    }
    // Redis's order of checks: the timeout, then numreplicas.
    const timeout = integerArg(argv[2] as string);
    if (timeout === undefined) {
      reply.error('ERR timeout is not an integer or out of range');
      return 'done';
    }
    if (timeout < 0) {
      reply.error('ERR timeout is negative');
      return 'done';
    }
    const wanted = integerArg(argv[1] as string);
    if (wanted === undefined) {
      reply.error('ERR value is not an integer or out of range');
      return 'done';
    }
    const count = this.node.replicasHolding(this.lastWrite.get(session.client) ?? 0);
    if (count >= wanted || this.startWaiting(session, timeout === 0 ? Infinity : timeout)) {
      this.stopWaiting(session);
      reply.int(count);
      return 'done';
    }
    return 'wait';
  }

  private orderAfterRelay(session: Session): void {
    const relay = session.relay;
    if (relay !== undefined && relay.pending > 0) relay.local(session.encoder.take());
  }

  private isReadOnly(name: string, argv: string[]): boolean {
    const command = this.executor.table.lookup(name);
    if (command === undefined) return false;
    const sub = command.subcommandTable?.get((argv[1] ?? '').toLowerCase()) ?? command;
    return (sub.flagBits & FlagBit.readonly) !== 0 && (sub.flagBits & FlagBit.write) === 0;
  }

  private answerLocally(session: Session, name: string, argv: string[]): void {
    const reply = session.encoder;
    if (name === 'readonly') {
      this.readOnlyClients.add(session.client);
      reply.ok();
    } else if (name === 'readwrite') {
      this.readOnlyClients.delete(session.client);
      reply.ok();
    } else if (name === 'role') {
      this.role(session);
    } else {
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
    // Keep the order with relayed replies still pending.
    this.orderAfterRelay(session);
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
  private role(session: Session): void {
    const reply = session.encoder;
    const node = this.node;
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

/** State of a client that lives in this node's session: watched keys, MULTI, SELECT. */
function holdsLocalState(client: ClientState): boolean {
  return client.watched.length > 0 || client.transaction !== undefined || client.db !== 0;
}
