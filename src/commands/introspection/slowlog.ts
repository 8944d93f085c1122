// The slow log, as Redis's slowlog.c keeps it: the newest entries first, at most
// slowlog-max-len of them, each with an id, the time, the duration in microseconds, the
// arguments (at most 32, each cut to 128 bytes, as Redis trims them), the client's address and
// its name. Commands at or over slowlog-log-slower-than microseconds are logged (0 logs every
// command, a negative value none).

const SLOWLOG_ENTRY_MAX_ARGUMENTS = 32;
const SLOWLOG_ENTRY_MAX_STRING_BYTES = 128;

export interface SlowLogEntry {
  id: number;
  timestampSeconds: number;
  durationMicroseconds: number;
  argv: string[];
  address: string;
  clientName: string;
}

/** The arguments as Redis stores them in an entry: counted and cut to bounded sizes. */
export function trimArguments(argv: readonly string[]): string[] {
  const kept = Math.min(argv.length, SLOWLOG_ENTRY_MAX_ARGUMENTS);
  const out: string[] = [];
  for (let i = 0; i < kept; i++) {
    if (kept !== argv.length && i === kept - 1) {
      out.push(`... (${argv.length - kept + 1} more arguments)`);
      break;
    }
    const argument = argv[i] as string;
    out.push(
      argument.length > SLOWLOG_ENTRY_MAX_STRING_BYTES
        ? `${argument.slice(0, SLOWLOG_ENTRY_MAX_STRING_BYTES)}... (${argument.length - SLOWLOG_ENTRY_MAX_STRING_BYTES} more bytes)`
        : argument,
    );
  }
  return out;
}

export class SlowLog {
  /** Newest first. Invariant: length <= maxLength. */
  readonly entries: SlowLogEntry[] = [];
  private nextId = 0;

  constructor(public maxLength: number) {}

  push(entry: Omit<SlowLogEntry, 'id'>): void {
    this.entries.unshift({ id: this.nextId++, ...entry });
    this.trim();
  }

  trim(): void {
    if (this.entries.length > this.maxLength) this.entries.length = Math.max(0, this.maxLength);
  }

  reset(): void {
    this.entries.length = 0;
  }
}
