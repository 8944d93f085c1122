// Public surface of the Raft core.
export { assert, RaftAssertionError } from './assert.js';
export * from './messages.js';
export * from './confchange.js';
export * from './quorum.js';
export {
  MemoryStorage,
  bootstrapStorage,
  limitBytes,
  type Storage,
  type InitialState,
} from './storage.js';
export { RaftLog, UnstableLog } from './log.js';
export { Inflights, Progress, ProgressState, progressStateNames } from './progress.js';
export * from './raft.js';
