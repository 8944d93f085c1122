// The raft transport over real loopback TCP: everything sent in one turn of the event loop
// arrives, in order, also past the socket's high-water mark (the bounded queue path), and leaves
// in a few write system calls rather than one per message (the leader sends an append per
// proposal per follower, so that was the group's main cost).

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { MessageType, makeMessage, type Message } from '../../src/raft/messages.js';
import { Transport } from '../../src/replica/transport.js';
import { freePort, waitFor } from '../helpers/servers.js';

const transports: Transport[] = [];
after(async () => {
  for (const transport of transports) await transport.close();
});

async function pair(): Promise<{ sender: Transport; received: Message[] }> {
  const senderPort = await freePort();
  const receiverPort = await freePort();
  const peers = new Map([
    [1, { host: '127.0.0.1', port: senderPort }],
    [2, { host: '127.0.0.1', port: receiverPort }],
  ]);
  const received: Message[] = [];
  const log = (): void => undefined;
  const receiver = new Transport({
    nodeId: 2,
    listenHosts: ['127.0.0.1'],
    listenPort: receiverPort,
    peers,
    onMessage: (message) => received.push(message),
    term: () => 0,
    log,
  });
  const sender = new Transport({
    nodeId: 1,
    listenHosts: ['127.0.0.1'],
    listenPort: senderPort,
    peers,
    onMessage: () => undefined,
    term: () => 0,
    log,
  });
  transports.push(receiver, sender);
  await receiver.listen();
  await sender.listen();
  // The link is up once a first message gets through (sent before it connects, it waits).
  sender.send(append(0, 1));
  await waitFor(() => received.length === 1, 'the link from node 1 to node 2');
  received.length = 0;
  return { sender, received };
}

function append(index: number, bytes: number): Message {
  return makeMessage({
    type: MessageType.App,
    to: 2,
    from: 1,
    term: 1,
    index,
    entries: [
      { term: 1, index: index + 1, type: 0, data: new Uint8Array(bytes).fill(index % 251) },
    ],
  });
}

/** Write system calls made by this process so far (Linux). */
function writeCalls(): number {
  const match = /syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  assert.ok(match, '/proc/self/io has syscw');
  return Number(match[1]);
}

test('messages sent in one turn arrive complete and in order, past the high-water mark', async () => {
  const { sender, received } = await pair();
  const count = 3000; // about 3 MB: far past the socket's 16 KiB high-water mark
  for (let i = 1; i <= count; i++) sender.send(append(i, 1000));
  await waitFor(() => received.length >= count, `${count} messages`, 20_000);
  assert.equal(received.length, count);
  received.forEach((message, at) => {
    assert.equal(message.index, at + 1);
    assert.equal(message.entries[0]?.data.length, 1000);
    assert.equal(message.entries[0]?.data[0], (at + 1) % 251);
  });
});

test('one turn of messages leaves in a few write system calls', async () => {
  const { sender, received } = await pair();
  const count = 100;
  const before = writeCalls();
  for (let i = 1; i <= count; i++) sender.send(append(i, 40));
  await new Promise((resolve) => setImmediate(resolve));
  const calls = writeCalls() - before;
  await waitFor(() => received.length >= count, `${count} messages`);
  assert.ok(calls <= 5, `${count} small messages took ${calls} write calls`);
});
