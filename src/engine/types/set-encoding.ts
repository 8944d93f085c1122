// Which OBJECT ENCODING a set has, decided the way Redis 7.2 decides it (t_set.c setTypeCreate,
// setTypeMaybeConvert, setTypeAddAux, maybeConvertToIntset). Shoal stores every set the same way;
// the encoding is a reported property, but it follows Redis exactly because clients and tests
// look at it, and because it decides the order in which small sets list their members (an intset
// lists its integers in ascending order, a listpack in insertion order).
//
// The command layer runs this tracker over the members a command adds, with the thresholds of
// the engine's EncodingLimits, and writes the resulting encoding into the effect; appliers only
// store it.

import { parseInt64 } from '../../util/numbers.js';
import type { EncodingLimits } from '../encoding-limits.js';

/** Encoding codes, as written into set effects (append-only). */
export const SetEncoding = {
  Intset: 0,
  Listpack: 1,
  Hashtable: 2,
} as const;

export type SetEncodingCode = (typeof SetEncoding)[keyof typeof SetEncoding];

export const SET_ENCODING_NAMES = ['intset', 'listpack', 'hashtable'] as const;

export function isSetEncoding(code: unknown): code is SetEncodingCode {
  return code === 0 || code === 1 || code === 2;
}

/** set-max-intset-entries, set-max-listpack-entries, set-max-listpack-value. */
export type SetLimits = Pick<
  EncodingLimits,
  'setMaxIntsetEntries' | 'setMaxListpackEntries' | 'setMaxListpackValue'
>;

/** A member an intset can hold: the canonical spelling of an int64 (Redis's string2ll). */
export function isIntegerMember(member: string): boolean {
  return member.length <= 20 && parseInt64(member) !== undefined;
}

/** Orders canonical int64 texts numerically without parsing them (no precision loss past 2^53). */
export function compareIntegerTexts(a: string, b: string): number {
  const negativeA = a.charCodeAt(0) === 45;
  const negativeB = b.charCodeAt(0) === 45;
  if (negativeA !== negativeB) return negativeA ? -1 : 1;
  if (a.length !== b.length) return negativeA ? b.length - a.length : a.length - b.length;
  if (a === b) return 0;
  const less = a < b;
  return negativeA ? (less ? 1 : -1) : less ? -1 : 1;
}

/** Redis caps an intset at 2^30 entries whatever the setting says (intsetMaxEntries). */
function intsetMaxEntries(limits: SetLimits): number {
  return Math.min(limits.setMaxIntsetEntries, 1 << 30);
}

/** The encoding Redis gives a new set for its first member and the number of members coming. */
export function createdSetEncoding(
  first: string,
  sizeHint: number,
  limits: SetLimits,
): SetEncodingCode {
  if (isIntegerMember(first) && sizeHint <= limits.setMaxIntsetEntries) return SetEncoding.Intset;
  if (sizeHint <= limits.setMaxListpackEntries) return SetEncoding.Listpack;
  return SetEncoding.Hashtable;
}

/**
 * Follows one set's encoding while members are added (and, for SDIFF, removed). It needs the
 * current members only when an integer set meets its first non-integer member (Redis then
 * checks the length of the largest and smallest integer), so it takes them lazily.
 */
export class SetEncodingTracker {
  /** Longest integer text among the members this tracker added, and among the members before. */
  private addedIntegerTextMax = 0;
  private existingIntegerTextMax = -1;

  constructor(
    public encoding: SetEncodingCode,
    public size: number,
    private readonly limits: SetLimits,
    /** The current members, read only if an intset needs its extreme lengths. */
    private readonly currentMembers: () => Iterable<string> = () => [],
  ) {}

  /** setTypeMaybeConvert: an existing set about to receive `sizeHint` members. */
  expectAdditions(sizeHint: number): void {
    if (
      (this.encoding === SetEncoding.Listpack && sizeHint > this.limits.setMaxListpackEntries) ||
      (this.encoding === SetEncoding.Intset && sizeHint > this.limits.setMaxIntsetEntries)
    ) {
      this.encoding = SetEncoding.Hashtable;
    }
  }

  /** Records that `member`, not yet in the set, was added (setTypeAddAux). */
  add(member: string): void {
    const limits = this.limits;
    if (this.encoding === SetEncoding.Intset) {
      if (isIntegerMember(member)) {
        this.noteIntegerLength(member.length);
        if (this.size + 1 > intsetMaxEntries(limits)) this.encoding = SetEncoding.Hashtable;
      } else if (
        this.size < limits.setMaxListpackEntries &&
        member.length <= limits.setMaxListpackValue &&
        this.largestIntegerLength() <= limits.setMaxListpackValue
      ) {
        this.encoding = SetEncoding.Listpack;
      } else {
        this.encoding = SetEncoding.Hashtable;
      }
    } else if (this.encoding === SetEncoding.Listpack) {
      if (this.size >= limits.setMaxListpackEntries || member.length > limits.setMaxListpackValue) {
        this.encoding = SetEncoding.Hashtable;
      }
    }
    this.size++;
  }

  /** Records that a member was removed (no encoding changes on removal). */
  remove(): void {
    this.size--;
  }

  /**
   * maybeConvertToIntset (SINTERSTORE): a set known to hold only integers becomes an intset if
   * it is small enough.
   */
  convertToIntsetIfSmall(): void {
    if (this.size <= intsetMaxEntries(this.limits)) this.encoding = SetEncoding.Intset;
  }

  private noteIntegerLength(length: number): void {
    if (length > this.addedIntegerTextMax) this.addedIntegerTextMax = length;
  }

  /**
   * sdigits10 of the intset's largest and smallest value: the longest text is one of those two,
   * so it is the longest text of all (sign included).
   */
  private largestIntegerLength(): number {
    if (this.existingIntegerTextMax < 0) {
      let longest = 0;
      for (const member of this.currentMembers()) longest = Math.max(longest, member.length);
      this.existingIntegerTextMax = longest;
    }
    return Math.max(this.existingIntegerTextMax, this.addedIntegerTextMax);
  }
}
