// The byte layout of a Raft configuration (voters, then learners, each a varint count and
// varint ids), shared by the wire messages, the Raft log's snapshot records and snapshot files.
// Part of every one of those formats: never change.

import type { ByteReader, ByteWriter } from '../persist/codec.js';
import type { ConfState } from '../raft/messages.js';

export function writeConfState(out: ByteWriter, conf: ConfState): void {
  writeIds(out, conf.voters);
  writeIds(out, conf.learners);
}

export function readConfState(input: ByteReader): ConfState {
  const voters = readIds(input);
  const learners = readIds(input);
  return { voters, learners };
}

function writeIds(out: ByteWriter, ids: readonly number[]): void {
  out.varint(ids.length);
  for (const id of ids) out.varint(id);
}

function readIds(input: ByteReader): number[] {
  const ids: number[] = [];
  for (let count = input.varint(); count > 0; count--) ids.push(input.varint());
  return ids;
}
