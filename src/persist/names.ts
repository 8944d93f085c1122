// File names in the data directory. Log segments and snapshots are named by a sequence number
// (zero-padded, so names sort in sequence order): a segment by the sequence of its first entry,
// a snapshot by the last log sequence it includes.

import { join } from 'node:path';

const DIGITS = 20;
const SEGMENT = /^log-(\d{20})\.seg$/;
const SNAPSHOT = /^snapshot-(\d{20})\.snap$/;
export const TEMPORARY_SUFFIX = '.tmp';

export function segmentName(firstSequence: number): string {
  return `log-${String(firstSequence).padStart(DIGITS, '0')}.seg`;
}

export function snapshotName(sequence: number): string {
  return `snapshot-${String(sequence).padStart(DIGITS, '0')}.snap`;
}

export interface DirectoryListing {
  segments: { firstSequence: number; name: string }[];
  snapshots: { sequence: number; name: string }[];
  temporary: string[];
}

export function classify(names: readonly string[]): DirectoryListing {
  const listing: DirectoryListing = { segments: [], snapshots: [], temporary: [] };
  for (const name of names) {
    const segment = SEGMENT.exec(name);
    const snapshot = SNAPSHOT.exec(name);
    if (segment !== null) listing.segments.push({ firstSequence: Number(segment[1]), name });
    else if (snapshot !== null) listing.snapshots.push({ sequence: Number(snapshot[1]), name });
    else if (name.endsWith(TEMPORARY_SUFFIX)) listing.temporary.push(name);
  }
  listing.segments.sort((a, b) => a.firstSequence - b.firstSequence);
  listing.snapshots.sort((a, b) => a.sequence - b.sequence);
  return listing;
}

export { join };
