// Membership changes, one server at a time: add a voter, add (or demote to) a learner, remove.
// Pure functions over ConfState plus a compact binary encoding for ConfChange entries.
import { type ConfState } from './messages.js';

export const ConfChangeType = {
  AddNode: 0,
  RemoveNode: 1,
  AddLearner: 2,
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];
export const confChangeTypeNames = ['AddNode', 'RemoveNode', 'AddLearner'] as const;

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: number;
}

const CONF_CHANGE_VERSION = 1;

/** Layout: version u8, type u8, node id u32 big-endian. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const bytes = new Uint8Array(6);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, CONF_CHANGE_VERSION);
  view.setUint8(1, change.type);
  view.setUint32(2, change.nodeId);
  return bytes;
}

export function decodeConfChange(bytes: Uint8Array): ConfChange | undefined {
  if (bytes.length !== 6 || bytes[0] !== CONF_CHANGE_VERSION) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(1);
  const nodeId = view.getUint32(2);
  if (type > 2 || nodeId === 0) return undefined;
  return { type: type as ConfChangeType, nodeId };
}

function sortedWith(ids: readonly number[], id: number): number[] {
  return ids.includes(id) ? ids.slice() : [...ids, id].sort((a, b) => a - b);
}

function without(ids: readonly number[], id: number): number[] {
  return ids.filter((other) => other !== id);
}

/** The configuration after `change`, or an error string if the change is not allowed. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState | string {
  const id = change.nodeId;
  if (!Number.isInteger(id) || id <= 0) return `invalid node id ${id}`;
  let next: ConfState;
  switch (change.type) {
    case ConfChangeType.AddNode:
      next = { voters: sortedWith(conf.voters, id), learners: without(conf.learners, id) };
      break;
    case ConfChangeType.AddLearner:
      next = { voters: without(conf.voters, id), learners: sortedWith(conf.learners, id) };
      break;
    case ConfChangeType.RemoveNode:
      next = { voters: without(conf.voters, id), learners: without(conf.learners, id) };
      break;
    default:
      return `unknown conf change type ${String(change.type)}`;
  }
  if (next.voters.length === 0) return 'a configuration needs at least one voter';
  return next;
}

/** Number of voters whose membership differs between two configurations. */
export function voterDifference(a: ConfState, b: ConfState): number {
  let diff = 0;
  for (const id of a.voters) if (!b.voters.includes(id)) diff++;
  for (const id of b.voters) if (!a.voters.includes(id)) diff++;
  return diff;
}
