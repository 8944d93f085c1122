// client-output-buffer-limit: per client class, a hard limit (close at once) and a soft limit
// (close when exceeded for longer than a time). Parsed from Redis's syntax, where CONFIG SET may
// name only some classes: "pubsub 32mb 8mb 60".

import { ConfigError, parseMemory } from './config.js';

export type ClientClass = 'normal' | 'replica' | 'pubsub';

export interface OutputLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

export type OutputLimits = Record<ClientClass, OutputLimit>;

const CLASS_NAMES: Record<string, ClientClass> = {
  normal: 'normal',
  slave: 'replica',
  replica: 'replica',
  pubsub: 'pubsub',
};

export function parseOutputLimits(text: string, base?: OutputLimits): OutputLimits {
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const limits: OutputLimits = base === undefined ? defaults() : structuredClone(base);
  for (let i = 0; i < words.length; i += 4) {
    const kind = CLASS_NAMES[(words[i] as string).toLowerCase()];
    if (kind === undefined) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(words[i + 1] as string);
    const soft = parseMemory(words[i + 2] as string);
    const seconds = Number(words[i + 3]);
    if (hard === undefined || soft === undefined || !Number.isInteger(seconds) || seconds < 0) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    limits[kind] = { hardBytes: hard, softBytes: soft, softSeconds: seconds };
  }
  return limits;
}

function defaults(): OutputLimits {
  return {
    normal: { hardBytes: 0, softBytes: 0, softSeconds: 0 },
    replica: { hardBytes: 268435456, softBytes: 67108864, softSeconds: 60 },
    pubsub: { hardBytes: 33554432, softBytes: 8388608, softSeconds: 60 },
  };
}

export function formatOutputLimits(limits: OutputLimits): string {
  const part = (name: string, limit: OutputLimit) =>
    `${name} ${limit.hardBytes} ${limit.softBytes} ${limit.softSeconds}`;
  return [part('normal', limits.normal), part('slave', limits.replica), part('pubsub', limits.pubsub)].join(' ');
}

/**
 * Whether a client holding `pendingBytes` of unsent output must be closed now. `overSoftSinceMs`
 * is when it went over the soft limit (undefined when under); returns the new value of it too.
 */
export function checkOutputLimit(
  limit: OutputLimit,
  pendingBytes: number,
  nowMs: number,
  overSoftSinceMs: number | undefined,
): { close: boolean; overSoftSinceMs: number | undefined } {
  if (limit.hardBytes > 0 && pendingBytes >= limit.hardBytes) return { close: true, overSoftSinceMs };
  if (limit.softBytes > 0 && pendingBytes >= limit.softBytes) {
    const since = overSoftSinceMs ?? nowMs;
    // As Redis: closed once over the soft limit for longer than softSeconds (0: at the next check).
    return { close: nowMs - since > limit.softSeconds * 1000, overSoftSinceMs: since };
  }
  return { close: false, overSoftSinceMs: undefined };
}
