// Incremental request parser: RESP multibulk and inline commands, as Redis's networking.c
// (processMultibulkBuffer, processInlineBuffer) and sds.c (sdssplitargs) read them.
//
// Bytes are parsed in place on the chunk the socket gave us. What a chunk boundary cuts in two is
// kept as state, never re-parsed: a header or inline line cut in two is kept in a small carry
// buffer (bounded by INLINE_LINE_MAX_BYTES), and a bulk cut in two is copied into a buffer of its
// declared length, allocated once. Arguments come out as latin1 strings (one char = one byte).

import { constants as bufferConstants } from 'node:buffer';

export interface RequestLimits {
  /** proto-max-bulk-len: the largest bulk argument accepted. */
  maxBulkBytes: number;
  /** The largest multibulk argument count accepted. */
  maxMultibulkCount: number;
  /** client-query-buffer-limit: bytes held for one incomplete command. */
  maxQueryBufferBytes: number;
  /**
   * Before a client authenticates, Redis allows only small requests (10 arguments, 16 KiB
   * bulks), so an unknown peer cannot make the server allocate much.
   */
  unauthenticated: boolean;
}

export const defaultRequestLimits: RequestLimits = Object.freeze({
  maxBulkBytes: 512 * 1024 * 1024,
  maxMultibulkCount: 1024 * 1024,
  maxQueryBufferBytes: 1024 * 1024 * 1024,
  unauthenticated: false,
});

const UNAUTHENTICATED_MAX_MULTIBULK_COUNT = 10;
const UNAUTHENTICATED_MAX_BULK_BYTES = 16384;
/** Arguments an argv array is made with before any is read (Redis sizes its argv the same way). */
const ARGUMENTS_PREALLOCATED_MAX = 1024;

/** A malformed request. `message` is the text Redis sends after "-ERR ". */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** PROTO_INLINE_MAX_SIZE: the longest inline line or multibulk header line. */
export const INLINE_LINE_MAX_BYTES = 64 * 1024;

/** A JS string cannot be longer than this, so neither can a bulk argument. */
const STRING_MAX_LENGTH = bufferConstants.MAX_STRING_LENGTH;

export const protocolErrors = Object.freeze({
  invalidMultibulkLength: 'Protocol error: invalid multibulk length',
  invalidBulkLength: 'Protocol error: invalid bulk length',
  tooBigMultibulkCount: 'Protocol error: too big mbulk count string',
  tooBigBulkCount: 'Protocol error: too big bulk count string',
  unbalancedQuotes: 'Protocol error: unbalanced quotes in request',
  tooBigInline: 'Protocol error: too big inline request',
  queryBufferLimit: 'Protocol error: client query buffer limit exceeded',
  unauthenticatedMultibulkLength: 'Protocol error: unauthenticated multibulk length',
  unauthenticatedBulkLength: 'Protocol error: unauthenticated bulk length',
});

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const ZERO = 48;
const NINE = 57;

// What the parser is waiting for.
const STATE_COMMAND_START = 0; // the first byte of a command decides multibulk or inline
const STATE_MULTIBULK_COUNT = 1; // the "*<count>" line
const STATE_BULK_HEADER = 2; // a "$<length>" line
const STATE_BULK_DATA = 3; // <length> bytes then 2 bytes skipped (Redis does not check them)
const STATE_INLINE_LINE = 4; // an inline line up to "\n"

// Results of readLine.
const LINE_MISSING = 0;
const LINE_READ = 1;

const EMPTY_BUFFER = Buffer.alloc(0);

export class RequestParser {
  private limits: RequestLimits;

  // The chunk being parsed; bytes [position, chunk.length) are not consumed yet.
  private chunk: Buffer = EMPTY_BUFFER;
  private position = 0;
  // Chunks fed before the previous ones were consumed, oldest first.
  private queued: Buffer[] = [];
  private queuedBytes = 0;

  private state = STATE_COMMAND_START;
  // The command being read. Invariant: arguments is empty outside STATE_BULK_HEADER and STATE_BULK_DATA.
  private arguments: string[] = [];
  private argumentsRead = 0;
  private argumentsRemaining = 0;
  private argumentsBytes = 0;

  // A line cut by a chunk boundary: carry[0, carryLength). Bounded by INLINE_LINE_MAX_BYTES + 1.
  private carry: Buffer = EMPTY_BUFFER;
  private carryLength = 0;
  // The line readLine found: lineBuffer[lineStart, lineEnd), without its terminator.
  private lineBuffer: Buffer = EMPTY_BUFFER;
  private lineStart = 0;
  private lineEnd = 0;

  // The bulk being read: its declared length, and when cut by a chunk boundary, the buffer that
  // collects it and how much is in it. bulkSkipBytes: trailing CRLF bytes still to skip.
  private bulkLength = 0;
  private bulkBuffer: Buffer | null = null;
  private bulkFilled = 0;
  private bulkSkipBytes = 0;

  private failure: ProtocolError | null = null;

  constructor(limits?: Partial<RequestLimits>) {
    this.limits = { ...defaultRequestLimits, ...limits };
  }

  setLimits(limits: Partial<RequestLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  /** Appends bytes read from the socket. The parser keeps a reference: do not reuse the chunk. */
  feed(chunk: Buffer): void {
    if (this.failure !== null || chunk.length === 0) return;
    if (this.position >= this.chunk.length && this.queued.length === 0) {
      this.chunk = chunk;
      this.position = 0;
    } else {
      this.queued.push(chunk);
      this.queuedBytes += chunk.length;
    }
  }

  /** Bytes held for a command not complete yet (CLIENT LIST qbuf). */
  get bufferedBytes(): number {
    const partialBulk = this.state === STATE_BULK_DATA ? this.bulkFilled : 0;
    return (
      this.argumentsBytes +
      partialBulk +
      this.carryLength +
      (this.chunk.length - this.position) +
      this.queuedBytes
    );
  }

  /**
   * The next complete command as latin1 strings, or null when more bytes are needed.
   * Throws ProtocolError on malformed input; after that the parser is dead and keeps throwing.
   */
  next(): string[] | null {
    if (this.failure !== null) throw this.failure;
    for (;;) {
      if (this.position >= this.chunk.length && !this.nextChunk()) return null;
      switch (this.state) {
        case STATE_COMMAND_START:
          this.state =
            this.chunk[this.position] === STAR ? STATE_MULTIBULK_COUNT : STATE_INLINE_LINE;
          break;
        case STATE_MULTIBULK_COUNT:
          // When the line is not complete, the chunk has been consumed: go on to the next one.
          this.readMultibulkCount();
          break;
        case STATE_BULK_HEADER:
        case STATE_BULK_DATA: {
          const argv = this.readBulks();
          if (argv !== null) return argv;
          break;
        }
        case STATE_INLINE_LINE: {
          const argv = this.readInline();
          if (argv !== undefined && argv.length > 0) return argv;
          break;
        }
      }
    }
  }

  private nextChunk(): boolean {
    const chunk = this.queued.shift();
    if (chunk === undefined) {
      // Drop the reference so a consumed socket buffer can be collected.
      this.chunk = EMPTY_BUFFER;
      this.position = 0;
      this.lineBuffer = EMPTY_BUFFER;
      return false;
    }
    this.queuedBytes -= chunk.length;
    this.chunk = chunk;
    this.position = 0;
    return true;
  }

  private fail(message: string): never {
    this.failure = new ProtocolError(message);
    this.chunk = EMPTY_BUFFER;
    this.position = 0;
    this.queued = [];
    this.queuedBytes = 0;
    this.arguments = [];
    this.carry = EMPTY_BUFFER;
    this.bulkBuffer = null;
    throw this.failure;
  }

  /**
   * Fast path for a header line "<prefix><digits>\r" plus the byte after it, all in the current
   * chunk, with 1 to 9 digits and no leading zero (or a lone "0"): returns the number and moves
   * past the line. Returns -1 for anything else, which the general path then handles.
   */
  private readSmallNumberLine(prefix: number): number {
    const chunk = this.chunk;
    const position = this.position;
    if (chunk[position] !== prefix || this.carryLength !== 0) return -1;
    const first = position + 1;
    let digit = first;
    let value = 0;
    let code = chunk[digit];
    while (code !== undefined && code >= ZERO && code <= NINE && digit - first < 9) {
      value = value * 10 + (code - ZERO);
      code = chunk[++digit];
    }
    const digits = digit - first;
    if (code !== CR || digit + 1 >= chunk.length || digits === 0) return -1;
    if (digits > 1 && chunk[first] === ZERO) return -1;
    this.position = digit + 2;
    return value;
  }

  /** Reads "*<count>\r\n"; when the line is incomplete, consumes the chunk into the carry. */
  private readMultibulkCount(): void {
    let count: number | null = this.readSmallNumberLine(STAR);
    if (count < 0) {
      if (this.readLine(CR, protocolErrors.tooBigMultibulkCount) === LINE_MISSING) return;
      // The first byte is '*' (that is how this state was chosen).
      count = parseLongLong(this.lineBuffer, this.lineStart + 1, this.lineEnd);
    }
    if (
      this.limits.unauthenticated &&
      count !== null &&
      count > UNAUTHENTICATED_MAX_MULTIBULK_COUNT
    ) {
      this.fail(protocolErrors.unauthenticatedMultibulkLength);
    }
    if (count === null || count > this.limits.maxMultibulkCount) {
      this.fail(protocolErrors.invalidMultibulkLength);
    }
    if (count <= 0) {
      // "*0", "*-1": an empty command, skipped as Redis does.
      this.state = STATE_COMMAND_START;
      return;
    }
    this.argumentsRemaining = count;
    this.argumentsBytes = 0;
    // Sized up front (up to 1024, as Redis's argv), not grown by push: a pushed-to array starts
    // with room for 17, and most commands have 2 or 3 arguments (garbage per command halved).
    this.arguments = new Array<string>(Math.min(count, ARGUMENTS_PREALLOCATED_MAX));
    this.argumentsRead = 0;
    this.state = STATE_BULK_HEADER;
  }

  /**
   * Reads bulks until the command is complete (returns its argv) or the bytes run out (null).
   * This is the hot loop: a header like "$3\r\n" is read with a few byte compares, and a bulk
   * that is all in the chunk becomes a string with one latin1Slice.
   */
  private readBulks(): string[] | null {
    const chunk = this.chunk;
    const chunkLength = chunk.length;
    for (;;) {
      if (this.state === STATE_BULK_HEADER) {
        if (this.position >= chunkLength) return null;
        let length = this.readSmallNumberLine(DOLLAR);
        if (length < 0) {
          if (this.readLine(CR, protocolErrors.tooBigBulkCount) === LINE_MISSING) return null;
          length = this.parseBulkHeaderLine();
        }
        if (this.limits.unauthenticated && length > UNAUTHENTICATED_MAX_BULK_BYTES) {
          this.fail(protocolErrors.unauthenticatedBulkLength);
        }
        if (length > this.limits.maxBulkBytes || length > STRING_MAX_LENGTH) {
          this.fail(protocolErrors.invalidBulkLength);
        }
        // The query buffer limit is checked against what the command declares, as soon as each
        // bulk length is known: the command could never complete within the limit, and failing
        // now (rather than once the bytes have arrived) does not depend on how chunks were cut.
        if (this.argumentsBytes + length > this.limits.maxQueryBufferBytes) {
          this.fail(protocolErrors.queryBufferLimit);
        }
        this.bulkLength = length;
        const position = this.position;
        if (chunkLength - position >= length + 2) {
          this.arguments[this.argumentsRead++] = latin1String(chunk, position, length);
          this.position = position + length + 2;
          this.argumentsBytes += length;
          if (--this.argumentsRemaining === 0) return this.completeCommand();
          continue;
        }
        // The bulk continues in later chunks: collect it in a buffer of its declared length.
        this.bulkBuffer = Buffer.allocUnsafe(length);
        this.bulkFilled = 0;
        this.bulkSkipBytes = 2;
        this.state = STATE_BULK_DATA;
      }
      // STATE_BULK_DATA
      if (!this.fillBulk()) return null;
      const bulk = this.bulkBuffer;
      if (bulk === null) throw new Error('parser: no bulk buffer');
      this.arguments[this.argumentsRead++] = bulk.latin1Slice(0, this.bulkLength);
      this.argumentsBytes += this.bulkLength;
      this.bulkBuffer = null;
      this.bulkFilled = 0;
      this.state = STATE_BULK_HEADER;
      if (--this.argumentsRemaining === 0) return this.completeCommand();
      if (this.position >= chunkLength) return null;
    }
  }

  /** Copies what the current chunk holds of the bulk being collected. True when complete. */
  private fillBulk(): boolean {
    const bulk = this.bulkBuffer;
    if (bulk === null) throw new Error('parser: no bulk buffer');
    const chunk = this.chunk;
    let position = this.position;
    const missing = this.bulkLength - this.bulkFilled;
    if (missing > 0) {
      const copied = Math.min(missing, chunk.length - position);
      chunk.copy(bulk, this.bulkFilled, position, position + copied);
      this.bulkFilled += copied;
      position += copied;
    }
    if (this.bulkFilled === this.bulkLength && this.bulkSkipBytes > 0) {
      const skipped = Math.min(this.bulkSkipBytes, chunk.length - position);
      this.bulkSkipBytes -= skipped;
      position += skipped;
    }
    this.position = position;
    return this.bulkFilled === this.bulkLength && this.bulkSkipBytes === 0;
  }

  /** The header line read by readLine: checks "$" and returns the length. */
  private parseBulkHeaderLine(): number {
    const line = this.lineBuffer;
    const first = this.lineStart < this.lineEnd ? line[this.lineStart] : CR;
    if (first !== DOLLAR) {
      // Redis prints the byte with %c and then turns CR and LF into spaces.
      const shown = first === undefined || first === CR || first === LF ? 32 : first;
      this.fail(`Protocol error: expected '$', got '${String.fromCharCode(shown)}'`);
    }
    const length = parseLongLong(line, this.lineStart + 1, this.lineEnd);
    if (length === null || length < 0) this.fail(protocolErrors.invalidBulkLength);
    return length;
  }

  private completeCommand(): string[] {
    const argv = this.arguments;
    this.arguments = [];
    this.argumentsBytes = 0;
    this.state = STATE_COMMAND_START;
    return argv;
  }

  /** Reads an inline line. Undefined: more bytes needed; an empty array: a blank line. */
  private readInline(): string[] | undefined {
    if (this.readLine(LF, protocolErrors.tooBigInline) === LINE_MISSING) return undefined;
    this.state = STATE_COMMAND_START;
    let end = this.lineEnd;
    if (end > this.lineStart && this.lineBuffer[end - 1] === CR) end--;
    const argv = splitInlineArguments(this.lineBuffer.latin1Slice(this.lineStart, end));
    if (argv === null) this.fail(protocolErrors.unbalancedQuotes);
    return argv;
  }

  /**
   * Finds the line starting at the current position and ending at `terminator` (CR for
   * multibulk headers, which Redis follows by one skipped byte; LF for inline lines). On success
   * sets lineBuffer/lineStart/lineEnd and moves past the terminator. A line longer than
   * INLINE_LINE_MAX_BYTES fails with `tooLongMessage`, whether or not its end has arrived, so the
   * result never depends on where chunks were cut.
   */
  private readLine(terminator: number, tooLongMessage: string): number {
    const chunk = this.chunk;
    const position = this.position;
    const skipAfter = terminator === CR ? 2 : 1;
    if (this.carryLength === 0) {
      const found = chunk.indexOf(terminator, position);
      if (found >= 0 && found + skipAfter <= chunk.length) {
        if (found - position > INLINE_LINE_MAX_BYTES) this.fail(tooLongMessage);
        this.lineBuffer = chunk;
        this.lineStart = position;
        this.lineEnd = found;
        this.position = found + skipAfter;
        return LINE_READ;
      }
      const contentBytes = (found >= 0 ? found : chunk.length) - position;
      if (contentBytes > INLINE_LINE_MAX_BYTES) this.fail(tooLongMessage);
      this.appendCarry(chunk, position, chunk.length);
      this.position = chunk.length;
      return LINE_MISSING;
    }
    // A line begun in an earlier chunk. If it already holds its CR, only the byte after is missing.
    if (terminator === CR && this.carry[this.carryLength - 1] === CR) {
      this.takeCarryAsLine(this.carryLength - 1);
      this.position = position + 1;
      return LINE_READ;
    }
    const found = chunk.indexOf(terminator, position);
    const contentBytes = this.carryLength + (found >= 0 ? found : chunk.length) - position;
    if (contentBytes > INLINE_LINE_MAX_BYTES) this.fail(tooLongMessage);
    if (found < 0 || found + skipAfter > chunk.length) {
      this.appendCarry(chunk, position, chunk.length);
      this.position = chunk.length;
      return LINE_MISSING;
    }
    this.appendCarry(chunk, position, found);
    this.takeCarryAsLine(this.carryLength);
    this.position = found + skipAfter;
    return LINE_READ;
  }

  private appendCarry(source: Buffer, start: number, end: number): void {
    const needed = this.carryLength + (end - start);
    if (needed > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(64, needed * 2));
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    source.copy(this.carry, this.carryLength, start, end);
    this.carryLength = needed;
  }

  private takeCarryAsLine(lineEnd: number): void {
    // The carry's bytes become the line; a fresh carry is allocated the next time one is needed,
    // so the line stays valid while it is parsed.
    this.lineBuffer = this.carry;
    this.lineStart = 0;
    this.lineEnd = lineEnd;
    this.carry = EMPTY_BUFFER;
    this.carryLength = 0;
  }
}

// Buffer reads within bounds are numbers; the type says `number | undefined` (strict indexing).
const fromCharCode = String.fromCharCode as (...codes: (number | undefined)[]) => string;

/**
 * bytes[start, start + length) as a latin1 string. Short arguments (command names, small keys and
 * values) are built with one String.fromCharCode call, about twice as fast as a latin1Slice call.
 */
function latin1String(bytes: Buffer, start: number, length: number): string {
  // Byte reads spelled out rather than through a helper closure: a closure would be allocated on
  // every call (three per SET), which measured as a third of the server's garbage.
  const b = bytes;
  const i = start;
  switch (length) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[i]);
    case 2:
      return fromCharCode(b[i], b[i + 1]);
    case 3:
      return fromCharCode(b[i], b[i + 1], b[i + 2]);
    case 4:
      return fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);
    case 5:
      return fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4]);
    case 6:
      return fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]);
    case 7:
      return fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6]);
    case 8:
      return fromCharCode(
        b[i],
        b[i + 1],
        b[i + 2],
        b[i + 3],
        b[i + 4],
        b[i + 5],
        b[i + 6],
        b[i + 7],
      );
    default:
      return bytes.latin1Slice(start, start + length);
  }
}

/**
 * Redis's string2ll on bytes [start, end): optional '-', no '+', no leading zeros, no spaces,
 * within a signed 64-bit integer. Returns null when Redis would reject it. Values beyond 2^53
 * come back rounded, which is harmless: every limit they are compared with is far smaller.
 */
export function parseLongLong(bytes: Buffer, start: number, end: number): number | null {
  const length = end - start;
  if (length <= 0 || length >= 21) return null;
  if (length === 1 && bytes[start] === ZERO) return 0;
  let position = start;
  const negative = bytes[position] === 45; // '-'
  if (negative) position++;
  const first = bytes[position];
  if (first === undefined || position >= end || first < ZERO + 1 || first > NINE) return null;
  let value = 0;
  for (; position < end; position++) {
    const code = bytes[position];
    if (code === undefined || code < ZERO || code > NINE) return null;
    value = value * 10 + (code - ZERO);
  }
  if (end - start >= 19) {
    // Near the 64-bit edge: decide exactly.
    const exact = BigInt(bytes.latin1Slice(start, end));
    if (exact > 9223372036854775807n || exact < -9223372036854775808n) return null;
  }
  return negative ? -value : value;
}

function isSpace(code: number): boolean {
  // C isspace() in the "C" locale.
  return code === 32 || (code >= 9 && code <= 13);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * Redis's sdssplitargs: splits an inline line into arguments, or returns null for unbalanced
 * quotes. Spaces separate arguments; "double quotes" understand \n \r \t \b \a \xHH and \<any>;
 * 'single quotes' understand \' only; a closing quote must be followed by a space or the end.
 * A quote may open in the middle of an argument (a"b c" is one argument, ab c). Like the C
 * version, the line ends at its first NUL byte.
 */
export function splitInlineArguments(line: string): string[] | null {
  const nul = line.indexOf('\0');
  const length = nul >= 0 ? nul : line.length;
  const codeAt = (index: number): number => (index < length ? line.charCodeAt(index) : 0);
  const argv: string[] = [];
  let position = 0;
  for (;;) {
    while (position < length && isSpace(line.charCodeAt(position))) position++;
    if (position >= length) return argv;
    let current = '';
    let inDoubleQuotes = false;
    let inSingleQuotes = false;
    let done = false;
    while (!done) {
      const code = codeAt(position);
      if (inDoubleQuotes) {
        if (
          code === 92 &&
          codeAt(position + 1) === 120 &&
          hexValue(codeAt(position + 2)) >= 0 &&
          hexValue(codeAt(position + 3)) >= 0
        ) {
          current += String.fromCharCode(
            hexValue(codeAt(position + 2)) * 16 + hexValue(codeAt(position + 3)),
          );
          position += 3;
        } else if (code === 92 && codeAt(position + 1) !== 0) {
          position++;
          current += String.fromCharCode(unescape(codeAt(position)));
        } else if (code === 34) {
          const after = codeAt(position + 1);
          if (after !== 0 && !isSpace(after)) return null;
          done = true;
        } else if (code === 0) {
          return null;
        } else {
          current += String.fromCharCode(code);
        }
      } else if (inSingleQuotes) {
        if (code === 92 && codeAt(position + 1) === 39) {
          position++;
          current += "'";
        } else if (code === 39) {
          const after = codeAt(position + 1);
          if (after !== 0 && !isSpace(after)) return null;
          done = true;
        } else if (code === 0) {
          return null;
        } else {
          current += String.fromCharCode(code);
        }
      } else if (code === 32 || code === 10 || code === 13 || code === 9 || code === 0) {
        done = true;
      } else if (code === 34) {
        inDoubleQuotes = true;
      } else if (code === 39) {
        inSingleQuotes = true;
      } else {
        current += String.fromCharCode(code);
      }
      if (position < length) position++;
    }
    argv.push(current);
  }
}

function unescape(code: number): number {
  switch (code) {
    case 110: // n
      return 10;
    case 114: // r
      return 13;
    case 116: // t
      return 9;
    case 98: // b
      return 8;
    case 97: // a
      return 7;
    default:
      return code;
  }
}
