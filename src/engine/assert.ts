// Always-on invariant checks for the deterministic core. A failed assertion is a bug in Shoal,
// never bad input: it throws, and the server treats it as fatal.

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(`invariant broken: ${message}`);
}
