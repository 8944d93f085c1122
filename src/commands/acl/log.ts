// The ACL log (ACL LOG): denied commands, keys, channels and failed authentications, newest first,
// at most acllog-max-len entries. A denial like one of the last ten within a minute (same reason,
// context, object and user) counts on that entry instead of adding one, as Redis does.

export type DenialReason = 'command' | 'key' | 'channel' | 'auth';
export type DenialContext = 'toplevel' | 'multi' | 'lua' | 'module';

export interface AclLogEntry {
  count: number;
  reason: DenialReason;
  context: DenialContext;
  object: string;
  username: string;
  /** Last time this entry was updated (ms). */
  updatedAtMs: number;
  createdAtMs: number;
  /** CLIENT INFO line of the client that caused the latest occurrence. */
  clientInfo: string;
  entryId: number;
}

const GROUPING_WINDOW_MS = 60_000;
const GROUPING_SCAN = 10;

export class AclLog {
  /** Newest first. */
  entries: AclLogEntry[] = [];
  private nextEntryId = 0;
  /** INFO stats: acl_access_denied_{auth,cmd,key,channel}. */
  readonly denials: Record<DenialReason, number> = { command: 0, key: 0, channel: 0, auth: 0 };

  add(entry: Omit<AclLogEntry, 'count' | 'createdAtMs' | 'entryId'>, maxLength: number): void {
    this.denials[entry.reason]++;
    const scanned = Math.min(GROUPING_SCAN, this.entries.length);
    for (let i = 0; i < scanned; i++) {
      const current = this.entries[i] as AclLogEntry;
      if (
        current.reason === entry.reason &&
        current.context === entry.context &&
        Math.abs(current.updatedAtMs - entry.updatedAtMs) <= GROUPING_WINDOW_MS &&
        current.object === entry.object &&
        current.username === entry.username
      ) {
        current.count++;
        current.updatedAtMs = entry.updatedAtMs;
        current.clientInfo = entry.clientInfo;
        this.entries.splice(i, 1);
        this.entries.unshift(current);
        return;
      }
    }
    this.entries.unshift({
      ...entry,
      count: 1,
      createdAtMs: entry.updatedAtMs,
      entryId: this.nextEntryId++,
    });
    this.trim(maxLength);
  }

  trim(maxLength: number): void {
    if (this.entries.length > maxLength) this.entries.length = Math.max(0, maxLength);
  }

  reset(): void {
    this.entries = [];
  }
}
