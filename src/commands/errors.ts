// Error replies. A handler throws ReplyError for a reply that is an error; the dispatcher turns
// it into `-message`. Messages carry Redis's prefixes (ERR, WRONGTYPE, …) and wording, because
// client libraries match on them.

export class ReplyError extends Error {
  override name = 'ReplyError';
  constructor(message: string) {
    super(message);
  }
  /** The first word: ERR, WRONGTYPE, NOAUTH … (INFO errorstats counts by it). */
  get prefix(): string {
    const space = this.message.indexOf(' ');
    return space < 0 ? this.message : this.message.slice(0, space);
  }
}

export const Errors = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  noSuchKey: 'ERR no such key',
  invalidExpire: (command: string) => `ERR invalid expire time in '${command}' command`,
  dbIndexOutOfRange: 'ERR DB index is out of range',
  noAuth: 'NOAUTH Authentication required.',
  wrongPass: 'WRONGPASS invalid username-password pair or user is disabled.',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  wrongArity: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  loading: 'LOADING Redis is loading the dataset in memory',
} as const;

export function fail(message: string): never {
  throw new ReplyError(message);
}
