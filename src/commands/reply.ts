// The reply vocabulary handlers write to. The server implements it by encoding RESP straight into
// the connection's output buffer (src/resp ReplyEncoder); the embedded API implements it by
// building JavaScript values. Handlers never know which, and never allocate reply objects.

export interface Reply {
  /** The protocol the client speaks; shapes that differ (maps, doubles, nulls) are the writer's job. */
  protocol: 2 | 3;
  ok(): void;
  simple(text: string): void;
  /** `message` carries its prefix, e.g. "ERR syntax error" or "WRONGTYPE Operation …". */
  error(message: string): void;
  int(value: number | bigint): void;
  /** A latin1 (binary) string. */
  bulk(value: string): void;
  nil(): void;
  nilArray(): void;
  array(length: number): void;
  map(pairs: number): void;
  set(length: number): void;
  push(length: number): void;
  /** `text`: how the double is printed, when Redis prints it its own way (GEOPOS's "%.17Lf"). */
  double(value: number, text?: string): void;
  bool(value: boolean): void;
  verbatim(text: string, format?: string): void;
}

/** A reply writer that can drop what one command wrote (used by MULTI/EXEC and the server). */
export interface RewindableReply extends Reply {
  mark(): number;
  rewind(mark: number): void;
}
