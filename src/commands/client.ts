// The per-connection state a command can see and change: selected database, protocol, name,
// authentication. The server keeps one per socket; the embedded API keeps one per handle.

export class ClientState {
  name = '';
  db = 0;
  protocol: 2 | 3 = 2;
  authenticated: boolean;
  user = 'default';
  libName = '';
  libVersion = '';
  lastCommand = 'NULL';
  lastInteractionMs: number;
  /** Set by QUIT, CLIENT KILL, SHUTDOWN: the server closes the connection after the pending replies. */
  closeAfterReply = false;
  /** Incremented when a new command arrives (for CLIENT LIST / INFO). */
  commandsProcessed = 0;

  constructor(
    readonly id: number,
    readonly createdAtMs: number,
    authenticated: boolean,
    readonly address = '',
    readonly localAddress = '',
  ) {
    this.authenticated = authenticated;
    this.lastInteractionMs = createdAtMs;
  }
}
