// Property tests for the log: RaftLog (unstable tail over MemoryStorage) against a plain array of
// terms; Inflights against a plain queue; conf-change encoding round trips.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ConfChangeType,
  EntryType,
  Inflights,
  MemoryStorage,
  RaftLog,
  applyConfChange,
  decodeConfChange,
  encodeConfChange,
  entryBytes,
  type Entry,
} from '../../src/raft/index.js';

function entry(index: number, term: number, size = 0): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(size) };
}

type Operation =
  | { kind: 'append'; prev: number; prevTermPick: number; terms: number[]; commit: number }
  | { kind: 'persist' }
  | { kind: 'compact'; back: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    prev: fc.nat(30),
    prevTermPick: fc.nat(3),
    terms: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 6 }),
    commit: fc.nat(40),
  }),
  fc.record({ kind: fc.constant('persist' as const) }),
  fc.record({ kind: fc.constant('compact' as const), back: fc.nat(5) }),
);

test('RaftLog behaves like an array of terms', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
      const storage = new MemoryStorage();
      const log = new RaftLog(storage, 1 << 20);
      // model[i] is the term at index i (model[0] = 0 is the dummy entry).
      let model: number[] = [0];
      let committed = 0;
      let compacted = 0;
      for (const op of operations) {
        if (op.kind === 'append') {
          const last = model.length - 1;
          const prev = Math.max(compacted, Math.min(op.prev, last));
          const realTerm = model[prev] as number;
          const prevTerm = op.prevTermPick === 0 ? realTerm + 1 : realTerm;
          // Entry terms never decrease and are at least the previous term (a leader's log).
          let term = realTerm;
          const entries = op.terms.map((t, i) => {
            term = Math.max(term, t);
            return entry(prev + 1 + i, term);
          });
          // The naive model of AppendEntries.
          let expected: number | undefined;
          let nextModel = model;
          if (prevTerm === realTerm) {
            nextModel = model.slice();
            for (const e of entries) {
              if (nextModel[e.index] !== e.term) {
                nextModel.length = e.index;
                nextModel.push(e.term);
              }
            }
            expected = prev + entries.length;
          }
          // A conflict at or below the commit index is a bug the log refuses (asserts).
          const conflictBelowCommit = entries.some(
            (e) =>
              model[e.index] !== undefined && model[e.index] !== e.term && e.index <= committed,
          );
          if (conflictBelowCommit && expected !== undefined) continue;
          const commit = Math.min(op.commit, expected ?? 0);
          const result = log.maybeAppend(prev, prevTerm, commit, entries);
          assert.equal(result, expected);
          if (expected !== undefined) {
            model = nextModel;
            committed = Math.max(committed, Math.min(commit, expected));
          }
        } else if (op.kind === 'persist') {
          const unstable = log.unstableEntries();
          storage.append(unstable);
          const last = unstable[unstable.length - 1];
          if (last !== undefined) log.stableTo(last.index, last.term);
        } else {
          // Compact persisted, committed entries (the driver's job), keeping `back` of them.
          const target = Math.min(committed, storage.lastIndex()) - op.back;
          if (target > compacted && log.unstable.offset > target) {
            storage.createSnapshot(target, { voters: [1], learners: [] }, new Uint8Array(0));
            storage.compact(target);
            compacted = target;
          }
        }
        // Compare every observable.
        assert.equal(log.lastIndex(), model.length - 1);
        assert.equal(log.committed, committed);
        assert.equal(log.firstIndex(), compacted + 1);
        for (let i = 0; i <= model.length; i++) {
          assert.equal(log.term(i), i < compacted ? undefined : model[i], `term(${i})`);
        }
        for (let probe = compacted; probe < model.length; probe++) {
          for (let term = 0; term <= 7; term++) {
            let index = probe;
            while (index > compacted && (model[index] as number) > term) index--;
            const naive =
              index === compacted && (model[index] as number) > term
                ? { index: compacted, term: model[compacted] as number }
                : { index, term: model[index] as number };
            const fast = log.findConflictByTerm(probe, term);
            if (fast.term === 0 && naive.index === compacted) continue; // reached the compacted edge
            assert.deepEqual(fast, naive, `findConflictByTerm(${probe}, ${term})`);
          }
        }
        const first = compacted + 1;
        if (first < model.length) {
          const all = log.slice(first, model.length, Number.MAX_SAFE_INTEGER);
          assert.deepEqual(
            all.map((e) => e.term),
            model.slice(first),
          );
          // A byte budget takes a prefix, and always at least one entry.
          const one = log.slice(first, model.length, 1);
          assert.equal(one.length, 1);
          const two = log.slice(first, model.length, entryBytes(entry(0, 0)) * 2);
          assert.equal(two.length, Math.min(2, model.length - first));
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('Inflights behaves like a bounded queue', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), size: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ kind: fc.constant('free' as const), back: fc.nat(6) }),
    fc.record({ kind: fc.constant('freeFirst' as const) }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom(0, 60, 120),
      fc.array(op, { maxLength: 60 }),
      (capacity, maxBytes, operations) => {
        const inflights = new Inflights(capacity, maxBytes);
        const queue: { index: number; size: number }[] = [];
        let next = 1;
        for (const o of operations) {
          if (o.kind === 'add') {
            if (inflights.full()) continue;
            inflights.add(next, o.size);
            queue.push({ index: next, size: o.size });
            next++;
          } else if (o.kind === 'free') {
            const upTo = next - 1 - o.back;
            inflights.freeLE(upTo);
            while (queue.length > 0 && (queue[0] as { index: number }).index <= upTo) queue.shift();
          } else {
            inflights.freeFirstOne();
            queue.shift();
          }
          const bytes = queue.reduce((sum, item) => sum + item.size, 0);
          assert.equal(inflights.count, queue.length);
          assert.equal(inflights.bytes, bytes);
          assert.equal(
            inflights.full(),
            queue.length === capacity || (maxBytes > 0 && bytes >= maxBytes),
          );
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test('conf changes round-trip and keep voters and learners disjoint', () => {
  const change = fc.record({
    type: fc.constantFrom(
      ConfChangeType.AddNode,
      ConfChangeType.RemoveNode,
      ConfChangeType.AddLearner,
    ),
    nodeId: fc.integer({ min: 1, max: 7 }),
  });
  fc.assert(
    fc.property(fc.array(change, { maxLength: 20 }), (changes) => {
      let conf = { voters: [1] as readonly number[], learners: [] as readonly number[] };
      for (const c of changes) {
        assert.deepEqual(decodeConfChange(encodeConfChange(c)), { type: c.type, nodeId: c.nodeId });
        const next = applyConfChange(conf, c);
        if (typeof next === 'string') {
          // Only removing the last voter is refused.
          assert.equal(next, 'a configuration needs at least one voter');
          continue;
        }
        conf = next;
        assert.ok(conf.voters.every((id) => !conf.learners.includes(id)));
        assert.deepEqual(
          [...conf.voters],
          [...conf.voters].sort((a, b) => a - b),
        );
        if (c.type === ConfChangeType.AddNode) assert.ok(conf.voters.includes(c.nodeId));
        if (c.type === ConfChangeType.AddLearner) assert.ok(conf.learners.includes(c.nodeId));
        if (c.type === ConfChangeType.RemoveNode) {
          assert.ok(!conf.voters.includes(c.nodeId) && !conf.learners.includes(c.nodeId));
        }
      }
    }),
  );
  assert.equal(decodeConfChange(new Uint8Array([9, 0, 0, 0, 0, 1])), undefined);
});

test('a restored snapshot whose bytes the storage keeps is not sent before it is persisted', () => {
  const storage = new MemoryStorage();
  const log = new RaftLog(storage, 1 << 20);
  const metadata = { index: 10, term: 2, confState: { voters: [1], learners: [] } };
  log.restore({ metadata, data: new Uint8Array([1, 2, 3]) });
  assert.deepEqual(log.snapshotSource().read(0, 3), new Uint8Array([1, 2, 3]));
  // Received into the storage's own file (Storage.receiveSnapshot): the core has no bytes.
  log.restore({ metadata: { ...metadata, index: 12 }, data: new Uint8Array(0) });
  const source = log.snapshotSource();
  assert.equal(source.metadata.index, 12);
  assert.equal(source.read(0, 0), undefined, 'the core waits (probe) instead of sending nothing');
});
