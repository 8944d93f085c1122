// The protocol layer: request parsing, reply encoding, reply reading. Imports nothing of ours.
export {
  INLINE_LINE_MAX_BYTES,
  ProtocolError,
  RequestParser,
  defaultRequestLimits,
  parseLongLong,
  protocolErrors,
  splitInlineArguments,
  type RequestLimits,
} from './parser.js';
export { ReplyEncoder, formatDouble, sharedReplies, type ReplyWriter } from './encoder.js';
export {
  Push,
  ReplyError,
  ReplyParseError,
  ReplyParser,
  VerbatimString,
  parseReplies,
  type Reply,
} from './reply-reader.js';
