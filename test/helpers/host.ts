// A Host for tests that drive the executor directly, with no server or embedded handle.

import type { Host } from '../../src/commands/hooks.js';

export function testHost(): Host {
  return {
    mode: 'test',
    startedAtMs: 0,
    clients: () => [],
    closeClient: () => undefined,
    shutdown: () => undefined,
    info: () => ({}),
    clientHasOutput: () => undefined,
  };
}
