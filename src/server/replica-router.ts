// Routing for a replica group member: commands run here when this node is the ready leader (or,
// after READONLY, for read-only commands on a follower); they wait while no leader is ready; on
// a follower they go to the leader through the client's relay. ROLE, RAFT, READONLY and
// READWRITE are answered by this node.

import type { ClientState } from '../commands/client.js';
import type { Executor } from '../commands/executor.js';
import { FlagBit } from '../commands/spec.js';
import type { ReplicaNode } from '../replica/node.js';
import { StateRole } from '../raft/messages.js';
import { ClientRelay } from './relay.js';
import type { CommandRouter, Session } from './session.js';

const NODE_LOCAL = new Set(['role', 'raft', 'readonly', 'readwrite']);
/** Commands about this node rather than the dataset: run by the local executor everywhere. */
const RUN_HERE = new Set(['info']);

export class ReplicaRouter implements CommandRouter {
  /** Clients that asked for possibly-stale local reads (READONLY). */
  private readonly readOnlyClients = new WeakSet<ClientState>();

  constructor(
    private readonly node: ReplicaNode,
    private readonly executor: Executor,
  ) {}

  route(session: Session, argv: string[]): 'local' | 'done' | 'wait' | 'relay' {
    const name = (argv[0] ?? '').toLowerCase();
    const node = this.node;
    if (NODE_LOCAL.has(name)) {
      this.answerLocally(session, name, argv);
      return 'done';
    }
    const relayPending = (session.relay?.pending ?? 0) > 0;
    if ((node.leaderReady || RUN_HERE.has(name)) && !relayPending) {
      this.executor.setMayExpire(true);
      return 'local';
    }
    if (!relayPending && this.readOnlyClients.has(session.client) && this.isReadOnly(name, argv)) {
      this.executor.setMayExpire(node.mayExpire);
      return 'local';
    }
    const leader = node.leaderId;
    if (leader === 0 || leader === node.id) {
      // No leader, or this node leads but has not applied its term's no-op yet.
      if (relayPending) return 'wait';
      return 'wait';
    }
    const address = node.peer(leader);
    if (address === undefined) return 'wait';
    session.relay ??= new ClientRelay(session);
    if (session.encoder.length > 0) session.relay.local(session.encoder.take());
    session.relay.forward(argv, { host: address.host, port: address.clientPort });
    return 'relay';
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
      } else {
        reply.error(
          `ERR unknown or unsupported RAFT subcommand '${argv[1] ?? ''}' (this build has RAFT STATUS)`,
        );
      }
    }
    // Keep the order with relayed replies still pending.
    const relay = session.relay;
    if (relay !== undefined && relay.pending > 0) relay.local(reply.take());
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
