// The thresholds of Redis's compact encodings (listpack, intset), one object per Engine. They
// decide only what OBJECT ENCODING reports and, for small sets, the order members are listed in.
// They are data given to the engine (the command layer copies them from the configuration when
// it starts and on every CONFIG SET), never read from a global: two stores in one process keep
// their own, and a replay engine given the same limits reaches the same encodings.

export interface EncodingLimits {
  /** list-max-listpack-size: -1..-5 cap a listpack at 4..64 KB, a positive value at that many entries. */
  listMaxListpackSize: number;
  /** hash-max-listpack-entries / hash-max-listpack-value. */
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  /** set-max-intset-entries, set-max-listpack-entries / set-max-listpack-value. */
  setMaxIntsetEntries: number;
  setMaxListpackEntries: number;
  setMaxListpackValue: number;
  /** zset-max-listpack-entries / zset-max-listpack-value. */
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** stream-node-max-bytes / stream-node-max-entries: when an append starts a new stream node. */
  streamNodeMaxBytes: number;
  streamNodeMaxEntries: number;
}

/** Redis 7's defaults. */
export function defaultEncodingLimits(): EncodingLimits {
  return {
    listMaxListpackSize: -2,
    hashMaxListpackEntries: 512,
    hashMaxListpackValue: 64,
    setMaxIntsetEntries: 512,
    setMaxListpackEntries: 128,
    setMaxListpackValue: 64,
    zsetMaxListpackEntries: 128,
    zsetMaxListpackValue: 64,
    streamNodeMaxBytes: 4096,
    streamNodeMaxEntries: 100,
  };
}

/** The setting (Redis's name) behind each limit. */
export const ENCODING_LIMIT_SETTINGS: Readonly<Record<string, keyof EncodingLimits>> = {
  'list-max-listpack-size': 'listMaxListpackSize',
  'hash-max-listpack-entries': 'hashMaxListpackEntries',
  'hash-max-listpack-value': 'hashMaxListpackValue',
  'set-max-intset-entries': 'setMaxIntsetEntries',
  'set-max-listpack-entries': 'setMaxListpackEntries',
  'set-max-listpack-value': 'setMaxListpackValue',
  'zset-max-listpack-entries': 'zsetMaxListpackEntries',
  'zset-max-listpack-value': 'zsetMaxListpackValue',
  'stream-node-max-bytes': 'streamNodeMaxBytes',
  'stream-node-max-entries': 'streamNodeMaxEntries',
};
