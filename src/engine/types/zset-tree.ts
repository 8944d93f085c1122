// The ordered index of a sorted set: an order-statistic B+tree over (score, member) pairs, ordered
// by score, then by member bytes. Leaves hold parallel arrays (scores as unboxed doubles, members
// as latin1 strings), so an element costs two array slots and no object of its own. Branches keep
// the element count of every child, which makes rank → element and element → rank O(log n).
//
// Invariants (checked by `check()` in tests):
// - every leaf is at the same depth (`height` branch levels above it);
// - keys are strictly increasing along the leaf chain (next/prev links);
// - branch.counts[i] is the number of elements under branch.children[i];
// - for i >= 1, branch.low*[i] is greater than every key under children[i - 1] and at most every
//   key under children[i] (a separator; it may be a key that was since deleted). low*[0] is unused.
// Deterministic: no randomness (unlike a skip list), so replaying effects builds identical trees.

import { assert } from '../assert.js';

const LEAF_MAX = 64;
const BRANCH_MAX = 64;
/** A node emptier than this merges with a sibling when the two fit in one node. */
const LEAF_MERGE_BELOW = LEAF_MAX / 4;
const BRANCH_MERGE_BELOW = BRANCH_MAX / 4;
/** Nodes built in bulk are filled to this share of their capacity, leaving room to grow. */
const BULK_FILL = 0.75;

export class Leaf {
  scores: number[] = [];
  members: string[] = [];
  next: Leaf | undefined = undefined;
  prev: Leaf | undefined = undefined;
}

class Branch {
  children: (Leaf | Branch)[] = [];
  counts: number[] = [];
  lowScores: number[] = [];
  lowMembers: string[] = [];
}

/** Orders two keys: negative, zero or positive. Members compare as bytes (latin1 code units). */
export function compareKeys(
  scoreA: number,
  memberA: string,
  scoreB: number,
  memberB: string,
): number {
  if (scoreA < scoreB) return -1;
  if (scoreA > scoreB) return 1;
  return memberA < memberB ? -1 : memberA > memberB ? 1 : 0;
}

/**
 * Predicates for `countWhere`: each holds for a prefix of the order (the lexical ones only when
 * all scores are equal, which is what Redis's BYLEX ranges assume).
 */
export const Below = {
  /** key < (score, member) */
  key: 0,
  /** key.score < score */
  scoreLess: 1,
  /** key.score <= score */
  scoreAtMost: 2,
  /** key.member < member */
  memberLess: 3,
  /** key.member <= member */
  memberAtMost: 4,
} as const;
export type BelowMode = (typeof Below)[keyof typeof Below];

function holds(mode: BelowMode, score: number, member: string, s: number, m: string): boolean {
  switch (mode) {
    case Below.key:
      return s < score || (s === score && m < member);
    case Below.scoreLess:
      return s < score;
    case Below.scoreAtMost:
      return s <= score;
    case Below.memberLess:
      return m < member;
    case Below.memberAtMost:
      return m <= member;
  }
}

/** Visits one element; returning false stops the walk. */
export type Visitor = (score: number, member: string) => boolean | void;

export class OrderedIndex {
  private root: Leaf | Branch | undefined = undefined;
  /** Branch levels above the leaves (0: the root is a leaf). */
  private height = 0;
  size = 0;
  // The path of the last descent, reused to avoid allocating one per operation.
  private readonly pathBranches: Branch[] = [];
  private readonly pathIndexes: number[] = [];

  /** Levels of nodes from the root to the leaves (0 when empty). */
  get depth(): number {
    return this.root === undefined ? 0 : this.height + 1;
  }

  /** Inserts a key that is not present. */
  insert(score: number, member: string): void {
    this.size++;
    if (this.root === undefined) {
      const leaf = new Leaf();
      leaf.scores.push(score);
      leaf.members.push(member);
      this.root = leaf;
      return;
    }
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const index = routeKey(branch, score, member);
      branch.counts[index] = (branch.counts[index] as number) + 1;
      this.pathBranches[depth] = branch;
      this.pathIndexes[depth] = index;
      node = branch.children[index] as Leaf | Branch;
    }
    const leaf = node as Leaf;
    const position = leafCountBelow(leaf, Below.key, score, member);
    assert(
      position === leaf.scores.length ||
        compareKeys(
          leaf.scores[position] as number,
          leaf.members[position] as string,
          score,
          member,
        ) !== 0,
      'inserted key is new',
    );
    leaf.scores.splice(position, 0, score);
    leaf.members.splice(position, 0, member);
    if (leaf.scores.length > LEAF_MAX) this.splitLeaf(leaf);
  }

  /** Removes a key that is present. */
  remove(score: number, member: string): void {
    assert(this.root !== undefined, 'remove from a non-empty index');
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const index = routeKey(branch, score, member);
      branch.counts[index] = (branch.counts[index] as number) - 1;
      this.pathBranches[depth] = branch;
      this.pathIndexes[depth] = index;
      node = branch.children[index] as Leaf | Branch;
    }
    const leaf = node as Leaf;
    const position = leafCountBelow(leaf, Below.key, score, member);
    assert(
      leaf.scores[position] === score && leaf.members[position] === member,
      'removed key is present',
    );
    this.removeFromLeaf(leaf, position);
  }

  /** Removes the element at `rank` (0-based). */
  removeAt(rank: number): void {
    assert(rank >= 0 && rank < this.size, 'rank inside the index');
    let node = this.root as Leaf | Branch;
    let remaining = rank;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      let index = 0;
      while (remaining >= (branch.counts[index] as number))
        remaining -= branch.counts[index++] as number;
      branch.counts[index] = (branch.counts[index] as number) - 1;
      this.pathBranches[depth] = branch;
      this.pathIndexes[depth] = index;
      node = branch.children[index] as Leaf | Branch;
    }
    this.removeFromLeaf(node as Leaf, remaining);
  }

  /** Removes ranks start..stop (inclusive); rebuilds when that is most of the index. */
  removeRange(start: number, stop: number): void {
    assert(start >= 0 && start <= stop && stop < this.size, 'rank range inside the index');
    const count = stop - start + 1;
    if (count <= LEAF_MAX || count * 4 < this.size) {
      for (let i = 0; i < count; i++) this.removeAt(start);
      return;
    }
    const scores: number[] = [];
    const members: string[] = [];
    const keep: Visitor = (score, member) => {
      scores.push(score);
      members.push(member);
    };
    this.forEach(0, start, keep);
    this.forEach(stop + 1, this.size, keep);
    this.build(scores, members);
  }

  /** The number of elements for which the `mode` predicate holds (they form a prefix). */
  countWhere(mode: BelowMode, score: number, member: string): number {
    if (this.root === undefined) return 0;
    let node = this.root;
    let rank = 0;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      // The first child whose lower bound fails the predicate holds no element that passes, so
      // the answer is inside the child just before it.
      let low = 1;
      let high = branch.children.length - 1;
      let failing = branch.children.length;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (
          holds(
            mode,
            score,
            member,
            branch.lowScores[middle] as number,
            branch.lowMembers[middle] as string,
          )
        ) {
          low = middle + 1;
        } else {
          failing = middle;
          high = middle - 1;
        }
      }
      const child = failing - 1;
      for (let i = 0; i < child; i++) rank += branch.counts[i] as number;
      node = branch.children[child] as Leaf | Branch;
    }
    return rank + leafCountBelow(node as Leaf, mode, score, member);
  }

  /** The 0-based rank of a key that is present. */
  rankOf(score: number, member: string): number {
    return this.countWhere(Below.key, score, member);
  }

  scoreAt(rank: number): number {
    const [leaf, index] = this.locate(rank);
    return leaf.scores[index] as number;
  }

  memberAt(rank: number): string {
    const [leaf, index] = this.locate(rank);
    return leaf.members[index] as string;
  }

  /** Visits ranks start..end-1 in order, until the visitor returns false. */
  forEach(start: number, end: number, visit: Visitor): void {
    if (start >= end) return;
    let [leaf, index] = this.locate(start);
    for (let rank = start; rank < end; rank++) {
      if (visit(leaf.scores[index] as number, leaf.members[index] as string) === false) return;
      if (++index >= leaf.scores.length && rank + 1 < end) {
        leaf = leaf.next as Leaf;
        index = 0;
      }
    }
  }

  /** Visits ranks end-1 down to start, until the visitor returns false. */
  forEachReverse(start: number, end: number, visit: Visitor): void {
    if (start >= end) return;
    let [leaf, index] = this.locate(end - 1);
    for (let rank = end - 1; rank >= start; rank--) {
      if (visit(leaf.scores[index] as number, leaf.members[index] as string) === false) return;
      if (--index < 0 && rank > start) {
        leaf = leaf.prev as Leaf;
        index = leaf.scores.length - 1;
      }
    }
  }

  /** Replaces the contents with sorted, distinct keys, in O(n). */
  build(scores: number[], members: string[]): void {
    assert(scores.length === members.length, 'one score per member');
    this.size = scores.length;
    this.height = 0;
    this.root = undefined;
    if (scores.length === 0) return;
    let level: (Leaf | Branch)[] = [];
    let counts: number[] = [];
    let lowScores: number[] = [];
    let lowMembers: string[] = [];
    let previous: Leaf | undefined;
    forEachSlice(scores.length, LEAF_MAX, (from, to) => {
      const leaf = new Leaf();
      leaf.scores = scores.slice(from, to);
      leaf.members = members.slice(from, to);
      leaf.prev = previous;
      if (previous !== undefined) previous.next = leaf;
      previous = leaf;
      level.push(leaf);
      counts.push(to - from);
      lowScores.push(scores[from] as number);
      lowMembers.push(members[from] as string);
    });
    while (level.length > 1) {
      const parents: Branch[] = [];
      const parentCounts: number[] = [];
      const parentLowScores: number[] = [];
      const parentLowMembers: string[] = [];
      forEachSlice(level.length, BRANCH_MAX, (from, to) => {
        const branch = new Branch();
        branch.children = level.slice(from, to);
        branch.counts = counts.slice(from, to);
        branch.lowScores = lowScores.slice(from, to);
        branch.lowMembers = lowMembers.slice(from, to);
        parents.push(branch);
        parentCounts.push(sum(branch.counts, branch.counts.length));
        parentLowScores.push(lowScores[from] as number);
        parentLowMembers.push(lowMembers[from] as string);
      });
      level = parents;
      counts = parentCounts;
      lowScores = parentLowScores;
      lowMembers = parentLowMembers;
      this.height++;
    }
    this.root = level[0];
  }

  /** Every key in order, as parallel arrays (clone, dump, bulk rebuilds). */
  toArrays(): { scores: number[]; members: string[] } {
    const scores: number[] = [];
    const members: string[] = [];
    let leaf = this.firstLeaf();
    while (leaf !== undefined) {
      for (let i = 0; i < leaf.scores.length; i++) {
        scores.push(leaf.scores[i] as number);
        members.push(leaf.members[i] as string);
      }
      leaf = leaf.next;
    }
    return { scores, members };
  }

  /** Verifies every invariant; for tests. Returns the number of nodes. */
  check(): number {
    if (this.root === undefined) {
      assert(this.size === 0, 'empty index has size 0');
      return 0;
    }
    let nodes = 0;
    const leaves: Leaf[] = [];
    const visit = (node: Leaf | Branch, depth: number): number => {
      nodes++;
      if (depth === this.height) {
        const leaf = node as Leaf;
        assert(leaf instanceof Leaf, 'leaves at the bottom level');
        assert(leaf.scores.length === leaf.members.length, 'parallel leaf arrays');
        assert(leaf.scores.length > 0 && leaf.scores.length <= LEAF_MAX, 'leaf size in bounds');
        leaves.push(leaf);
        return leaf.scores.length;
      }
      const branch = node as Branch;
      assert(branch instanceof Branch, 'branches above the leaves');
      const n = branch.children.length;
      assert(n > 0 && n <= BRANCH_MAX, 'branch size in bounds');
      assert(
        branch.counts.length === n &&
          branch.lowScores.length === n &&
          branch.lowMembers.length === n,
        'parallel branch arrays',
      );
      let total = 0;
      for (let i = 0; i < n; i++) {
        const count = visit(branch.children[i] as Leaf | Branch, depth + 1);
        assert(count === branch.counts[i], 'child count matches');
        total += count;
      }
      return total;
    };
    assert(visit(this.root, 0) === this.size, 'root count is the size');
    assert(this.height === 0 || this.root instanceof Branch, 'height matches the root');
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i] as Leaf;
      assert(leaf.prev === leaves[i - 1] && leaf.next === leaves[i + 1], 'leaf chain in order');
    }
    const { scores, members } = this.toArrays();
    for (let i = 1; i < scores.length; i++) {
      const order = compareKeys(
        scores[i - 1] as number,
        members[i - 1] as string,
        scores[i] as number,
        members[i] as string,
      );
      assert(order < 0, 'keys strictly increasing');
    }
    this.checkSeparators(this.root, 0);
    return nodes;
  }

  private checkSeparators(node: Leaf | Branch, depth: number): void {
    if (depth === this.height) return;
    const branch = node as Branch;
    for (let i = 1; i < branch.children.length; i++) {
      const score = branch.lowScores[i] as number;
      const member = branch.lowMembers[i] as string;
      const before = lastKey(branch.children[i - 1] as Leaf | Branch);
      const after = firstKey(branch.children[i] as Leaf | Branch);
      assert(compareKeys(before[0], before[1], score, member) < 0, 'separator above the left');
      assert(compareKeys(score, member, after[0], after[1]) <= 0, 'separator at most the right');
    }
    for (const child of branch.children) this.checkSeparators(child, depth + 1);
  }

  private firstLeaf(): Leaf | undefined {
    let node = this.root;
    for (let depth = 0; depth < this.height && node !== undefined; depth++) {
      node = (node as Branch).children[0];
    }
    return node as Leaf | undefined;
  }

  /** The leaf holding `rank` and the index inside it. */
  private locate(rank: number): [Leaf, number] {
    assert(rank >= 0 && rank < this.size, 'rank inside the index');
    let node = this.root as Leaf | Branch;
    let remaining = rank;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      let index = 0;
      while (remaining >= (branch.counts[index] as number))
        remaining -= branch.counts[index++] as number;
      node = branch.children[index] as Leaf | Branch;
    }
    return [node as Leaf, remaining];
  }

  private removeFromLeaf(leaf: Leaf, position: number): void {
    leaf.scores.splice(position, 1);
    leaf.members.splice(position, 1);
    this.size--;
    const depth = this.height;
    if (depth === 0) {
      if (leaf.scores.length === 0) this.root = undefined;
      return;
    }
    const parentDepth = depth - 1;
    const index = this.pathIndexes[parentDepth] as number;
    if (leaf.scores.length === 0) {
      unlinkLeaf(leaf);
      this.removeChild(parentDepth, index);
    } else if (leaf.scores.length < LEAF_MERGE_BELOW) {
      this.mergeLeaf(parentDepth, index);
    }
  }

  private splitLeaf(leaf: Leaf): void {
    const half = leaf.scores.length >> 1;
    const right = new Leaf();
    right.scores = leaf.scores.splice(half);
    right.members = leaf.members.splice(half);
    right.next = leaf.next;
    if (right.next !== undefined) right.next.prev = right;
    right.prev = leaf;
    leaf.next = right;
    this.insertChild(
      this.height - 1,
      right,
      right.scores.length,
      right.scores[0] as number,
      right.members[0] as string,
    );
  }

  /** Adds `node` right after the path's child at `depth` (splitting upward as needed). */
  private insertChild(
    depth: number,
    node: Leaf | Branch,
    count: number,
    lowScore: number,
    lowMember: string,
  ): void {
    if (depth < 0) {
      const root = new Branch();
      const old = this.root as Leaf | Branch;
      root.children = [old, node];
      root.counts = [this.size - count, count];
      root.lowScores = [lowScore, lowScore]; // [0] is unused
      root.lowMembers = [lowMember, lowMember];
      this.root = root;
      this.height++;
      return;
    }
    const parent = this.pathBranches[depth] as Branch;
    const index = (this.pathIndexes[depth] as number) + 1;
    parent.children.splice(index, 0, node);
    parent.counts[index - 1] = (parent.counts[index - 1] as number) - count;
    parent.counts.splice(index, 0, count);
    parent.lowScores.splice(index, 0, lowScore);
    parent.lowMembers.splice(index, 0, lowMember);
    if (parent.children.length > BRANCH_MAX) this.splitBranch(parent, depth);
  }

  private splitBranch(branch: Branch, depth: number): void {
    const half = branch.children.length >> 1;
    const right = new Branch();
    right.children = branch.children.splice(half);
    right.counts = branch.counts.splice(half);
    right.lowScores = branch.lowScores.splice(half);
    right.lowMembers = branch.lowMembers.splice(half);
    // The right half's first separator separates it from the left half in the parent too.
    this.insertChild(
      depth - 1,
      right,
      sum(right.counts, right.counts.length),
      right.lowScores[0] as number,
      right.lowMembers[0] as string,
    );
  }

  /** Drops child `index` of the path's branch at `depth` (its count is already zero). */
  private removeChild(depth: number, index: number): void {
    const branch = this.pathBranches[depth] as Branch;
    assert(branch.counts[index] === 0, 'removed child is empty');
    branch.children.splice(index, 1);
    branch.counts.splice(index, 1);
    branch.lowScores.splice(index, 1);
    branch.lowMembers.splice(index, 1);
    if (depth === 0) {
      this.collapseRoot();
      return;
    }
    if (branch.children.length === 0) {
      this.removeChild(depth - 1, this.pathIndexes[depth - 1] as number);
    } else if (branch.children.length < BRANCH_MERGE_BELOW) {
      this.mergeBranch(depth - 1, this.pathIndexes[depth - 1] as number);
    }
  }

  private collapseRoot(): void {
    while (this.height > 0) {
      const root = this.root as Branch;
      if (root.children.length > 1) return;
      this.root = root.children[0];
      this.height--;
    }
  }

  /** Merges the underfull leaf at child `index` of the path's branch at `depth` with a sibling. */
  private mergeLeaf(depth: number, index: number): void {
    const parent = this.pathBranches[depth] as Branch;
    const left = this.mergePartner(parent, index, LEAF_MAX);
    if (left < 0) return;
    const into = parent.children[left] as Leaf;
    const from = parent.children[left + 1] as Leaf;
    for (let i = 0; i < from.scores.length; i++) {
      into.scores.push(from.scores[i] as number);
      into.members.push(from.members[i] as string);
    }
    unlinkLeaf(from);
    parent.counts[left] = (parent.counts[left] as number) + (parent.counts[left + 1] as number);
    parent.counts[left + 1] = 0;
    this.removeChild(depth, left + 1);
  }

  /** Merges the underfull branch at child `index` of the path's branch at `depth` with a sibling. */
  private mergeBranch(depth: number, index: number): void {
    const parent = this.pathBranches[depth] as Branch;
    const left = this.mergePartner(parent, index, BRANCH_MAX);
    if (left < 0) return;
    const into = parent.children[left] as Branch;
    const from = parent.children[left + 1] as Branch;
    // from's unused first bound becomes a real separator: the one the parent held for it.
    from.lowScores[0] = parent.lowScores[left + 1] as number;
    from.lowMembers[0] = parent.lowMembers[left + 1] as string;
    for (let i = 0; i < from.children.length; i++) {
      into.children.push(from.children[i] as Leaf | Branch);
      into.counts.push(from.counts[i] as number);
      into.lowScores.push(from.lowScores[i] as number);
      into.lowMembers.push(from.lowMembers[i] as string);
    }
    parent.counts[left] = (parent.counts[left] as number) + (parent.counts[left + 1] as number);
    parent.counts[left + 1] = 0;
    this.removeChild(depth, left + 1);
  }

  /** The left index of a sibling pair around `index` whose sizes fit in one node, or -1. */
  private mergePartner(parent: Branch, index: number, capacity: number): number {
    const width = (i: number): number => {
      const child = parent.children[i] as Leaf | Branch;
      return child instanceof Leaf ? child.scores.length : child.children.length;
    };
    const own = width(index);
    if (index + 1 < parent.children.length && own + width(index + 1) <= capacity) return index;
    if (index > 0 && own + width(index - 1) <= capacity) return index - 1;
    return -1;
  }
}

/** The child of `branch` whose range holds (score, member). */
function routeKey(branch: Branch, score: number, member: string): number {
  let low = 1;
  let high = branch.children.length - 1;
  let found = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const bound = compareKeys(
      branch.lowScores[middle] as number,
      branch.lowMembers[middle] as string,
      score,
      member,
    );
    if (bound <= 0) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** How many leading entries of `leaf` satisfy the predicate (binary search). */
function leafCountBelow(leaf: Leaf, mode: BelowMode, score: number, member: string): number {
  let low = 0;
  let high = leaf.scores.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (holds(mode, score, member, leaf.scores[middle] as number, leaf.members[middle] as string)) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

function unlinkLeaf(leaf: Leaf): void {
  if (leaf.prev !== undefined) leaf.prev.next = leaf.next;
  if (leaf.next !== undefined) leaf.next.prev = leaf.prev;
  leaf.prev = undefined;
  leaf.next = undefined;
}

function sum(values: number[], count: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += values[i] as number;
  return total;
}

/** Splits `length` items into evenly sized slices of at most `capacity * BULK_FILL`. */
function forEachSlice(
  length: number,
  capacity: number,
  visit: (from: number, to: number) => void,
): void {
  const target = Math.max(1, Math.floor(capacity * BULK_FILL));
  const slices = Math.ceil(length / target);
  let from = 0;
  for (let i = 0; i < slices; i++) {
    const to = Math.round(((i + 1) * length) / slices);
    visit(from, to);
    from = to;
  }
}

function firstKey(node: Leaf | Branch): [number, string] {
  while (node instanceof Branch) node = node.children[0] as Leaf | Branch;
  return [node.scores[0] as number, node.members[0] as string];
}

function lastKey(node: Leaf | Branch): [number, string] {
  while (node instanceof Branch) node = node.children[node.children.length - 1] as Leaf | Branch;
  const last = node.scores.length - 1;
  return [node.scores[last] as number, node.members[last] as string];
}

/**
 * Sorts parallel score/member arrays by key (in place when already sorted: returns them as
 * they are). Sorting an index array keeps the comparator on plain array reads.
 */
export function sortByKey(
  scores: number[],
  members: string[],
): { scores: number[]; members: string[] } {
  let sorted = true;
  for (let i = 1; i < scores.length && sorted; i++) {
    sorted =
      compareKeys(
        scores[i - 1] as number,
        members[i - 1] as string,
        scores[i] as number,
        members[i] as string,
      ) < 0;
  }
  if (sorted) return { scores, members };
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) =>
    compareKeys(
      scores[a] as number,
      members[a] as string,
      scores[b] as number,
      members[b] as string,
    ),
  );
  return {
    scores: order.map((i) => scores[i] as number),
    members: order.map((i) => members[i] as string),
  };
}
