// RESP2/RESP3 reply parser, for tests, the embedded client side and inter-node forwarding.
//
// How replies map to JS values:
//   +simple            string
//   -error             ReplyError (message is the whole line, e.g. "ERR unknown command")
//   :integer           number, or bigint outside the safe integer range
//   $bulk              latin1 string; $-1 is null
//   *array             Reply[]; *-1 is null
//   %map               Map, in wire order (a repeated key keeps the last value)
//   ~set               Set
//   >push              Push (items: Reply[]), so a client can tell it from a reply
//   ,double            number (inf, -inf, nan included)
//   #t / #f            boolean
//   _                  null
//   =verbatim          VerbatimString (format, text)
//   (big number        bigint
//   |attribute         read and dropped; the value after it is returned
// Streamed strings and aggregates ($?, *? ...) are not supported: Redis does not send them.

export type Reply =
  | string
  | number
  | bigint
  | boolean
  | null
  | ReplyError
  | VerbatimString
  | Push
  | Reply[]
  | Map<Reply, Reply>
  | Set<Reply>;

export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }

  /** The first word: ERR, WRONGTYPE, MOVED ... */
  get code(): string {
    const space = this.message.indexOf(' ');
    return space < 0 ? this.message : this.message.slice(0, space);
  }
}

export class VerbatimString {
  constructor(
    readonly format: string,
    readonly text: string,
  ) {}

  toString(): string {
    return this.text;
  }
}

export class Push {
  constructor(readonly items: Reply[]) {}
}

/** Malformed reply bytes. */
export class ReplyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyParseError';
  }
}

const CR = 13;

// An aggregate being filled: its kind, its items so far, and how many it still needs.
interface Frame {
  kind: number; // the type byte: * % ~ > or | (attribute)
  items: Reply[];
  remaining: number;
}

/** Incremental reply parser: feed() bytes, then next() until it returns undefined. */
export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private readonly stack: Frame[] = [];
  // A bulk, verbatim or error body cut by a chunk boundary: its type byte and collector.
  private bulkKind = 0;
  private bulkBuffer: Buffer | null = null;
  private bulkFilled = 0;

  constructor(private readonly maxBulkBytes = 512 * 1024 * 1024) {}

  feed(chunk: Buffer): void {
    if (this.position >= this.buffer.length) {
      this.buffer = chunk;
    } else {
      // Only a partial line (a few bytes) is left over: bulk bodies go to bulkBuffer.
      this.buffer = Buffer.concat([this.buffer.subarray(this.position), chunk]);
    }
    this.position = 0;
  }

  /** Bytes received that are not part of a complete reply yet. */
  get pendingBytes(): number {
    return (
      this.buffer.length -
      this.position +
      this.bulkFilled +
      (this.stack.length > 0 || this.bulkBuffer !== null ? 1 : 0)
    );
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): Reply | undefined {
    for (;;) {
      let value: Reply;
      if (this.bulkBuffer !== null) {
        const done = this.fillBulk();
        if (done === undefined) return undefined;
        value = done;
      } else {
        const scalar = this.readValue();
        if (scalar === undefined) return undefined;
        if (scalar === OPENED) continue;
        value = scalar;
      }
      const complete = this.complete(value);
      if (complete !== undefined) return complete;
    }
  }

  /** Adds a finished value to the open aggregates; returns the top-level reply when finished. */
  private complete(value: Reply): Reply | undefined {
    let current: Reply | typeof ATTRIBUTE_DONE = value;
    for (;;) {
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) return current === ATTRIBUTE_DONE ? undefined : current;
      if (current !== ATTRIBUTE_DONE) {
        frame.items.push(current);
        frame.remaining--;
      }
      if (frame.remaining > 0) return undefined;
      this.stack.pop();
      current = finishAggregate(frame);
    }
  }

  /** Reads one value or opens an aggregate (OPENED). Undefined: more bytes needed. */
  private readValue(): Reply | typeof OPENED | undefined {
    const buffer = this.buffer;
    const start = this.position;
    const lineEnd = buffer.indexOf(CR, start);
    if (lineEnd < 0 || lineEnd + 1 >= buffer.length) return undefined;
    const kind = buffer[start];
    const text = buffer.latin1Slice(start + 1, lineEnd);
    this.position = lineEnd + 2;
    switch (kind) {
      case 43: // +
        return text;
      case 45: // -
        return new ReplyError(text);
      case 58: // :
        return parseInteger(text);
      case 44: // ,
        return parseDouble(text);
      case 35: // #
        if (text !== 't' && text !== 'f') throw new ReplyParseError(`bad boolean: ${text}`);
        return text === 't';
      case 95: // _
        return null;
      case 40: // (
        return BigInt(text);
      case 36: // $
      case 61: // =
      case 33: {
        // ! (blob error)
        const length = Number(text);
        if (length === -1 && kind === 36) return null;
        if (!Number.isInteger(length) || length < 0 || length > this.maxBulkBytes) {
          throw new ReplyParseError(`bad bulk length: ${text}`);
        }
        this.bulkKind = kind;
        this.bulkBuffer = Buffer.allocUnsafe(length);
        this.bulkFilled = 0;
        const done = this.fillBulk();
        return done === undefined ? undefined : done;
      }
      case 42: // *
      case 37: // %
      case 126: // ~
      case 62: // >
      case 124: {
        // | (attribute)
        const count = Number(text);
        if (count === -1 && kind === 42) return null;
        if (!Number.isInteger(count) || count < 0) {
          throw new ReplyParseError(`bad aggregate length: ${text}`);
        }
        const items = kind === 37 || kind === 124 ? count * 2 : count;
        const frame: Frame = { kind, items: [], remaining: items };
        if (items === 0) {
          const empty = finishAggregate(frame);
          return empty === ATTRIBUTE_DONE ? OPENED : empty;
        }
        this.stack.push(frame);
        return OPENED;
      }
      default:
        throw new ReplyParseError(`unknown reply type byte ${kind}`);
    }
  }

  /** Copies bulk bytes; returns the finished value once the body and its CRLF are in. */
  private fillBulk(): Reply | undefined {
    const bulk = this.bulkBuffer;
    if (bulk === null) throw new Error('reply parser: no bulk buffer');
    const copied = Math.min(bulk.length - this.bulkFilled, this.buffer.length - this.position);
    this.buffer.copy(bulk, this.bulkFilled, this.position, this.position + copied);
    this.bulkFilled += copied;
    this.position += copied;
    if (this.bulkFilled < bulk.length || this.buffer.length - this.position < 2) return undefined;
    this.position += 2;
    this.bulkBuffer = null;
    this.bulkFilled = 0;
    const text = bulk.latin1Slice(0, bulk.length);
    if (this.bulkKind === 36) return text;
    if (this.bulkKind === 33) return new ReplyError(text);
    if (text.length < 4 || text[3] !== ':') throw new ReplyParseError('bad verbatim string');
    return new VerbatimString(text.slice(0, 3), text.slice(4));
  }
}

const OPENED = Symbol('opened');
const ATTRIBUTE_DONE = Symbol('attribute');

function finishAggregate(frame: Frame): Reply | typeof ATTRIBUTE_DONE {
  switch (frame.kind) {
    case 37: {
      const map = new Map<Reply, Reply>();
      for (let index = 0; index < frame.items.length; index += 2) {
        map.set(frame.items[index] as Reply, frame.items[index + 1] as Reply);
      }
      return map;
    }
    case 126:
      return new Set(frame.items);
    case 62:
      return new Push(frame.items);
    case 124:
      return ATTRIBUTE_DONE;
    default:
      return frame.items;
  }
}

function parseInteger(text: string): number | bigint {
  if (!/^-?\d+$/.test(text)) throw new ReplyParseError(`bad integer: ${text}`);
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

function parseDouble(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan' || text === '-nan') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new ReplyParseError(`bad double: ${text}`);
  return value;
}

/** Parses every complete reply in buf. Throws if bytes are left over (an incomplete reply). */
export function parseReplies(buf: Buffer): Reply[] {
  const parser = new ReplyParser();
  parser.feed(buf);
  const replies: Reply[] = [];
  for (let reply = parser.next(); reply !== undefined; reply = parser.next()) replies.push(reply);
  if (parser.pendingBytes > 0) throw new ReplyParseError('incomplete reply at the end');
  return replies;
}
