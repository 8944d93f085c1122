// Always-on assertions for the Raft core. A failed assertion is a bug in the core or in its
// driver, never an operating error: it throws and the process should stop.

export class RaftAssertionError extends Error {
  override name = 'RaftAssertionError';
}

/** Throws RaftAssertionError when `condition` is false. Pass a function to build costly messages lazily. */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new RaftAssertionError(typeof message === 'string' ? message : message());
  }
}
