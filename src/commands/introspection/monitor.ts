// MONITOR: the clients that asked to see every command, and the line each command becomes,
// byte for byte as Redis's replicationFeedMonitors writes it:
//   +1700000000.123456 [0 127.0.0.1:6379] "SET" "k" "v"
// (arguments quoted as sdscatrepr quotes them; passwords shown as "(redacted)").

import type { ClientState } from '../client.js';

/** Redis's sdscatrepr: a double-quoted string with C escapes; bytes outside 32..126 as \xHH. */
export function quoteRepr(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    switch (code) {
      case 92: // backslash
        out += '\\\\';
        break;
      case 34: // "
        out += '\\"';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 7:
        out += '\\a';
        break;
      case 8:
        out += '\\b';
        break;
      default:
        out +=
          code >= 32 && code <= 126 ? text[i] : `\\x${(code & 0xff).toString(16).padStart(2, '0')}`;
    }
  }
  return `${out}"`;
}

/**
 * The argument positions Redis replaces with "(redacted)" in MONITOR and SLOWLOG: every
 * argument of AUTH, and the user and password after HELLO's AUTH.
 */
export function redactedArguments(argv: readonly string[]): readonly string[] {
  const name = (argv[0] ?? '').toLowerCase();
  if (name === 'auth') return argv.map((word, i) => (i === 0 ? word : '(redacted)'));
  if (name !== 'hello') return argv;
  const out = argv.slice();
  for (let i = 2; i < out.length; i++) {
    if ((out[i] as string).toLowerCase() === 'auth' && i + 2 < out.length) {
      out[i + 1] = '(redacted)';
      out[i + 2] = '(redacted)';
      i += 2;
    }
  }
  return out;
}

/** The wall clock in microseconds (performance.now() keeps sub-millisecond precision). */
export function wallClockMicroseconds(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** One MONITOR line, without the leading "+" and the trailing CRLF. */
export function monitorLine(
  timeMicroseconds: number,
  db: number,
  address: string,
  argv: readonly string[],
): string {
  const seconds = Math.floor(timeMicroseconds / 1_000_000);
  const micros = String(timeMicroseconds % 1_000_000).padStart(6, '0');
  let line = `${seconds}.${micros} [${db} ${address}]`;
  for (const word of redactedArguments(argv)) line += ` ${quoteRepr(word)}`;
  return line;
}

/** The clients in MONITOR mode, in the order they asked. */
export class MonitorRegistry {
  readonly clients = new Set<ClientState>();

  /** `changed` runs when a client starts or stops monitoring. */
  constructor(private readonly changed: () => void = () => undefined) {}

  add(client: ClientState): void {
    this.clients.add(client);
    this.changed();
  }

  remove(client: ClientState): void {
    if (this.clients.delete(client)) this.changed();
  }

  get size(): number {
    return this.clients.size;
  }
}
