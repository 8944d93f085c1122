// CLIENT PAUSE: for a time, clients' commands wait (they are not refused). PAUSE WRITE holds only
// commands that may change data or propagate (write or may_replicate flags, or an EXEC whose
// transaction holds one) and lets reads through, as Redis 7 does; PAUSE ALL holds everything,
// CLIENT UNPAUSE included. MONITOR clients are never held (Redis exempts replicas and monitors).
// While paused, keys do not expire (neither on access nor in the background), so data does not
// change under a paused server.

import type { ClientState } from './client.js';
import { type Command, FlagBit } from './spec.js';
import type { CommandTable } from './table.js';

export type PauseKind = 'write' | 'all';

const CHANGES_DATA = FlagBit.write | FlagBit.may_replicate;

export class ClientPause {
  kind: PauseKind | undefined;
  endsAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly resumeListeners: (() => void)[] = [];

  constructor(private readonly table: CommandTable) {}

  get active(): boolean {
    return this.kind !== undefined;
  }

  /**
   * Pauses until `endsAtMs`. A pause during a pause keeps the later end and the stricter kind,
   * as Redis's pauseClients does.
   */
  pause(kind: PauseKind, endsAtMs: number, nowMs: number): void {
    if (this.kind === undefined || kind === 'all') this.kind = kind;
    this.endsAtMs = Math.max(this.endsAtMs, endsAtMs);
    if (this.timer !== undefined) clearTimeout(this.timer);
    const delayMs = Math.min(Math.max(0, this.endsAtMs - nowMs), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.unpause(), delayMs);
    this.timer.unref();
  }

  unpause(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const wasActive = this.kind !== undefined;
    this.kind = undefined;
    this.endsAtMs = 0;
    if (!wasActive) return;
    for (const listener of this.resumeListeners) listener();
  }

  /** The host resumes its waiting clients when a pause ends. */
  onResume(listener: () => void): void {
    this.resumeListeners.push(listener);
  }

  /** Whether `argv` from `client` must wait now. Only called while a pause is active. */
  mustWait(client: ClientState, argv: readonly string[]): boolean {
    if (this.kind === undefined || client.monitor) return false;
    if (this.kind === 'all') return true;
    const command = this.resolve(argv);
    if (command === undefined) return false;
    if ((command.flagBits & CHANGES_DATA) !== 0) return true;
    if (command.name !== 'exec' || client.transaction === undefined) return false;
    return client.transaction.queue.some(
      (queued) => ((this.resolve(queued)?.flagBits ?? 0) & CHANGES_DATA) !== 0,
    );
  }

  private resolve(argv: readonly string[]): Command | undefined {
    const command = this.table.lookup(argv[0] ?? '');
    if (command?.subcommandTable === undefined || argv.length < 2) return command;
    return command.subcommandTable.get((argv[1] as string).toLowerCase()) ?? command;
  }
}
