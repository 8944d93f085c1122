// What commands need from whoever hosts them (the TCP server, or the embedded handle), declared
// here so this layer never imports the layers above it.

import type { ClientState } from './client.js';
import type { Reply } from './reply.js';

/** INFO fields only the host knows, by section name. */
export type InfoFields = Record<string, Record<string, string | number>>;

export interface Host {
  /** "server" (TCP) or "embedded"; INFO reports it. */
  readonly mode: string;
  readonly startedAtMs: number;
  clients(): Iterable<ClientState>;
  /** The connected client with this id, if the host can find it without a scan. */
  client?(id: number): ClientState | undefined;
  /** Closes a client after it has received its pending replies. */
  closeClient(client: ClientState): void;
  /** SHUTDOWN: stops the host after the current command's reply. */
  shutdown(save: boolean | undefined): void;
  /** Host-specific INFO fields (ports, connections, bytes), merged into INFO's sections. */
  info(): InfoFields;
  /**
   * Something was written to `client.reply` outside its own command (a pub/sub message, or the
   * reply of a blocked command that was served): send it. When the client was blocked and no
   * longer is, the host also resumes reading its pipelined commands.
   */
  clientHasOutput(client: ClientState): void;
  /** Snapshots and the log (SAVE, BGSAVE ...); undefined when nothing is kept on disk. */
  readonly persistence?: PersistenceControl | undefined;
  /** A replica group member's node-local commands; undefined on a standalone server. */
  readonly replication?: ReplicationCommands | undefined;
}

/**
 * ROLE, RAFT, READONLY and READWRITE of a replica group member (implemented by the server's
 * replica router). They run through the executor like any command, so AUTH, ACL rules and the
 * client's protocol apply to them.
 */
export interface ReplicationCommands {
  role(client: ClientState, reply: Reply): void;
  raft(client: ClientState, argv: string[], reply: Reply): void;
  setReadOnly(client: ClientState, readOnly: boolean): void;
  /** WAIT: how many other members hold this client's last write. */
  replicasHolding(client: ClientState): number;
}

/** A reply to BGSAVE or BGREWRITEAOF: a status line, or an error message. */
export type ControlReply = { status: string } | { error: string };

/** What the persistence commands need; implemented by src/persist through the host. */
export interface PersistenceControl {
  /** SAVE (blocking): undefined when saved, else the error message to reply. */
  save(): string | undefined;
  bgsave(schedule: boolean): ControlReply;
  bgrewriteaof(): ControlReply;
  /** Unix time in seconds of the last successful snapshot (start time if none). */
  lastSaveTimeSeconds(): number;
}

/** Where effects go after they are applied: the write-ahead log, or Raft, or nowhere. */
export interface EffectSink {
  /** An error message (e.g. MISCONF …) while writes must be refused, else undefined. */
  writeRefusal(): string | undefined;
  append(entry: import('../engine/effects.js').LogEntry): void;
  /**
   * True when PUBLISH goes through the log (a replica group): the message is an Op.Publish
   * effect, delivered by every node when the entry commits. Standalone: delivered at once and
   * never logged.
   */
  readonly logsPublish?: boolean;
  /**
   * True when the group's settings go through the log (a replica group): CONFIG SET of a group
   * setting and ACL SETUSER / DELUSER / LOAD become effects every node applies. Standalone
   * (and embedded) they change this process only, as in Redis.
   */
  readonly logsSettings?: boolean;
}

export const discardEffects: EffectSink = {
  writeRefusal: () => undefined,
  append: () => undefined,
};
