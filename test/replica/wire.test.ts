// The raft wire codec: round trips, and golden bytes that must never change meaning.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ByteWriter } from '../../src/persist/codec.js';
import { MessageType, makeMessage, type Message } from '../../src/raft/messages.js';
import {
  decodeHello,
  isGroupId,
  decodeMessage,
  decodeProbeReply,
  decodeRemovedNotice,
  encodeHello,
  encodeMessage,
  encodeProbe,
  encodeProbeReply,
  encodeRemovedNotice,
  isProbe,
} from '../../src/replica/wire.js';

function encode(message: Message): Buffer {
  const out = new ByteWriter(64);
  encodeMessage(out, message);
  return out.take();
}

const append = makeMessage({
  type: MessageType.App,
  to: 2,
  from: 1,
  term: 3,
  logTerm: 2,
  index: 7,
  commit: 6,
  entries: [{ term: 3, index: 8, type: 0, data: new Uint8Array([0xaa, 0xbb]) }],
});

const snapshot = makeMessage({
  type: MessageType.Snap,
  to: 3,
  from: 1,
  term: 300,
  snapshot: {
    metadata: { index: 200, term: 4, confState: { voters: [1, 2, 3], learners: [4] } },
    offset: 0,
    totalBytes: 3,
    data: new Uint8Array([1, 2, 3]),
  },
  context: new Uint8Array([0x54]),
  reject: true,
  rejectHint: 129,
});

test('messages round-trip', () => {
  for (const message of [append, snapshot, makeMessage({ type: MessageType.Heartbeat, to: 1 })]) {
    assert.deepEqual(decodeMessage(encode(message)), message);
  }
  const out = new ByteWriter(16);
  encodeHello(out, 300);
  assert.deepEqual(decodeHello(out.take()), { nodeId: 300, groupId: undefined });
});

function bytes(write: (out: ByteWriter) => void): Buffer {
  const out = new ByteWriter(16);
  write(out);
  return out.take();
}

test('hello: golden bytes, with and without the group id', () => {
  const bare = bytes((out) => encodeHello(out, 3));
  assert.equal(bare.toString('hex'), '534852480103'); // "SHRH" v1 node 3
  const named = bytes((out) => encodeHello(out, 3, '0123456789abcdef'));
  assert.equal(named.toString('hex'), '5348524801030123456789abcdef');
  assert.deepEqual(decodeHello(bare), { nodeId: 3, groupId: undefined });
  assert.deepEqual(decodeHello(named), { nodeId: 3, groupId: '0123456789abcdef' });
  assert.throws(() => decodeHello(named.subarray(0, named.length - 1)), /bytes left over/);
  assert.equal(isGroupId('0123456789abcdef'), true);
  assert.equal(isGroupId('0123456789ABCDEF'), false);
  assert.equal(isGroupId('0123'), false);
});

test('golden bytes (wire version 1): never change what these decode to', () => {
  assert.equal(encode(append).toString('hex'), '010102010302070600000103080002aabb0000');
  assert.equal(
    encode(snapshot).toString('hex'),
    '01090301ac020000000181010001c80104030102030104000303010203010154',
  );
  assert.deepEqual(
    decodeMessage(Buffer.from('010102010302070600000103080002aabb0000', 'hex')),
    append,
  );
});

test('bootstrap probe and its reply: golden bytes, and neither is taken for the other', () => {
  const probe = bytes((out) => encodeProbe(out, 3));
  const reply = bytes((out) => encodeProbeReply(out, 300));
  assert.equal(probe.toString('hex'), '534852500103'); // "SHRP" v1 node 3
  assert.equal(reply.toString('hex'), '5348525101ac02'); // "SHRQ" v1 term 300
  assert.ok(isProbe(probe));
  assert.equal(isProbe(bytes((out) => encodeHello(out, 3))), false);
  assert.deepEqual(decodeProbeReply(reply), { term: 300, groupId: undefined });
  assert.throws(() => decodeProbeReply(probe), /not a probe reply/);
  assert.throws(() => decodeHello(probe), /bad hello/);
});

test('probe reply with the group id: golden bytes; a reply without it (an older node) still decodes', () => {
  const named = bytes((out) => encodeProbeReply(out, 300, '0123456789abcdef'));
  assert.equal(named.toString('hex'), '5348525101ac020123456789abcdef'); // "SHRQ" v1 term 300 id
  assert.deepEqual(decodeProbeReply(named), { term: 300, groupId: '0123456789abcdef' });
  // The reply of a build before group ids in probes: term only.
  assert.deepEqual(decodeProbeReply(Buffer.from('5348525101ac02', 'hex')), {
    term: 300,
    groupId: undefined,
  });
  assert.throws(() => decodeProbeReply(named.subarray(0, named.length - 1)), /bytes left over/);
});

test('removed notice: golden bytes, and no other frame is taken for one', () => {
  const out = new ByteWriter(16);
  encodeRemovedNotice(out, 2);
  const notice = out.take();
  assert.equal(notice.toString('hex'), '534852580102'); // "SHRX" v1 from node 2
  assert.equal(decodeRemovedNotice(notice), 2);
  const hello = new ByteWriter(16);
  encodeHello(hello, 2);
  assert.equal(decodeRemovedNotice(hello.take()), undefined);
  assert.equal(decodeRemovedNotice(encode(append)), undefined);
});

test('garbage is refused, not misread', () => {
  assert.throws(() => decodeMessage(Buffer.from('02', 'hex')), /wire version/);
  assert.throws(() => decodeMessage(Buffer.from('0163', 'hex')), /message type/);
  assert.throws(
    () => decodeMessage(Buffer.concat([encode(append), Buffer.from([0])])),
    /left over/,
  );
});
