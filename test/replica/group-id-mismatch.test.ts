// A node with an empty disk that joins a group because a founder's probe answer named it (group
// X) accepts only that group's id from then on (ReplicaNode.learnGroupId): if the log it catches
// up with (a committed group entry) or the leader's snapshot names another group Y, it stops
// rather than serve Y's data as X's member.
//
// Real processes: nodes 1 and 2 found group Y with `--peers` naming node 3, and write to it;
// node 3 then starts with `--peers` naming them and a founder 4 that is no node at all, a small
// server in this test whose probe answer says "term 5, group X" (a copy-paste slip in --peers).
// Once node 3 knows X, its transport refuses links whose hello names another group, and Y's
// nodes name Y: Y's log reaches it only over links that were up before it decided. That is the
// race this stop is for, made certain here: relays between node 3 and nodes 1 and 2 drop every
// probe (lost probes: an answer naming Y would make node 3 refuse to start) and forward the rest,
// noting each link's hello; founder 4 closes probes unanswered until every link between node 3
// and Y's nodes is up, and then answers only the second probe after that, so node 3 read the
// hello of Y's leader, while it knew no group yet, before it learned X.

import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { ByteWriter } from '../../src/persist/codec.js';
import { FRAME_HEADER_BYTES } from '../../src/persist/framing.js';
import { frame } from '../../src/replica/transport.js';
import { decodeHello, encodeProbeReply, isProbe, type Hello } from '../../src/replica/wire.js';
import { waitFor } from '../helpers/servers.js';
import { TrackedServer } from '../helpers/tracked-server.js';
import { Cluster, type Member } from './cluster.js';

const ELECTION_TIMEOUT_MS = 300;
/** The group founder 4 claims; Y, chosen at random by Y's first leader, is another. */
const GROUP_X = '0123456789abcdef';
const FOUNDER_TERM = 5;

/** The first frame's payload at the head of `bytes`, once all of it is there. */
function firstFrame(bytes: Buffer): Buffer | undefined {
  if (bytes.length < FRAME_HEADER_BYTES) return undefined;
  const end = FRAME_HEADER_BYTES + bytes.readUInt32LE(0);
  return bytes.length < end ? undefined : bytes.subarray(FRAME_HEADER_BYTES, end);
}

/** A listener that reads each connection's first frame before it decides what to do with it. */
abstract class Listener extends TrackedServer {
  protected accept(socket: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const payload = firstFrame(head);
      if (payload === undefined) return;
      socket.off('data', onData);
      socket.pause();
      this.firstFrame(socket, payload, head);
    };
    socket.on('data', onData);
  }

  /** A connection's first frame (`payload`), with all its bytes so far (`head`). */
  protected abstract firstFrame(socket: Socket, payload: Buffer, head: Buffer): void;
}

/**
 * To one node's raft port: closes a bootstrap probe unanswered; forwards any other connection,
 * noting its hello once the node's side is connected.
 */
class ProbeDroppingRelay extends Listener {
  targetPort = 0;
  readonly hellos: Hello[] = [];

  protected firstFrame(client: Socket, payload: Buffer, head: Buffer): void {
    if (isProbe(payload)) {
      client.destroy();
      return;
    }
    const hello = decodeHello(payload);
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    this.track(upstream);
    upstream.on('connect', () => {
      upstream.write(head);
      this.hellos.push(hello);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }
}

/**
 * Founder 4 of node 3's --peers: closes probes unanswered until answer(), then closes one more
 * and answers the next ones "term 5, group X". Links to it (hellos) are kept open, unread.
 */
class FakeFounder extends Listener {
  private answering = false;
  private probesToDrop = 0;
  answered = 0;

  answer(): void {
    this.answering = true;
    this.probesToDrop = 1;
  }

  protected firstFrame(socket: Socket, payload: Buffer): void {
    if (!isProbe(payload)) return;
    if (!this.answering || this.probesToDrop > 0) {
      if (this.answering) this.probesToDrop--;
      socket.destroy();
      return;
    }
    this.answered++;
    socket.end(frame(new ByteWriter(64), (out) => encodeProbeReply(out, FOUNDER_TERM, GROUP_X)));
  }
}

const clusters: Cluster[] = [];
const listeners: Listener[] = [];
after(async () => {
  await Promise.all(clusters.map((cluster) => cluster.stopAll()));
  await Promise.all(listeners.map((listener) => listener.close()));
});

async function listening<T extends Listener>(listener: T): Promise<T> {
  listeners.push(listener);
  await listener.listen();
  return listener;
}

/** The exit code once the process has ended and its output is all read. */
function closed(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

async function raftStatusField(cluster: Cluster, member: Member, name: string): Promise<string> {
  return (await cluster.raftStatus(member))[name] ?? '';
}

for (const via of ['group entry', 'snapshot'] as const) {
  test(
    `a node that joined group X by its founders' answers stops when the ${via} it gets names group Y`,
    { timeout: 90_000 },
    async () => {
      // Listening before the nodes' ports are chosen: freePort() cannot hand out theirs.
      const [relayTo1, relayTo2, relayTo3] = [
        await listening(new ProbeDroppingRelay()),
        await listening(new ProbeDroppingRelay()),
        await listening(new ProbeDroppingRelay()),
      ];
      const founder4 = await listening(new FakeFounder());
      const cluster = new Cluster(ELECTION_TIMEOUT_MS);
      clusters.push(cluster);
      const [n1, n2, n3] = [await cluster.add(1), await cluster.add(2), await cluster.add(3)];
      relayTo1.targetPort = n1.raftPort;
      relayTo2.targetPort = n2.raftPort;
      relayTo3.targetPort = n3.raftPort;
      // With snapshots every 4 entries (none kept), node 3 gets Y's id from a snapshot only.
      const extra = via === 'snapshot' ? ['--raft-snapshot-entries', '4'] : [];

      // Group Y: nodes 1 and 2 are 2 of its 3 founders, enough to found it while node 3 is down.
      const groupPeers = `1=${cluster.address(n1)},2=${cluster.address(n2)},3=127.0.0.1:${n3.clientPort}@${relayTo3.port}`;
      await Promise.all([n1, n2].map((member) => cluster.start(member, groupPeers, extra)));
      const leader = await cluster.agreedLeader(10_000, [n1, n2]);
      const groupY = await waitFor(
        async () => (await raftStatusField(cluster, leader, 'group_id')) || undefined,
        'group Y to have an id',
        10_000,
      );
      assert.notEqual(groupY, GROUP_X);
      const groupEntryIndex = Number(await raftStatusField(cluster, leader, 'commit_index'));
      assert.equal(await cluster.call(leader, 'SET', 'owner', 'Y'), 'OK');
      if (via === 'snapshot') {
        let writes = 0;
        await waitFor(
          async () => {
            assert.equal(await cluster.call(leader, 'SET', `filler-${writes++}`, 'Y'), 'OK');
            const firstIndex = Number(await raftStatusField(cluster, leader, 'first_index'));
            return firstIndex > groupEntryIndex;
          },
          "the leader's log to be compacted past its group entry",
          20_000,
        );
      }

      // Node 3: founders 1 and 2 through the relays, founder 4 the fake.
      const node3Peers = [
        `1=127.0.0.1:${n1.clientPort}@${relayTo1.port}`,
        `2=127.0.0.1:${n2.clientPort}@${relayTo2.port}`,
        `3=${cluster.address(n3)}`,
        `4=127.0.0.1:${founder4.port}@${founder4.port}`,
      ].join(',');
      // Its start (up to "Ready to accept connections") is not awaited: the node stops soon after.
      cluster.start(n3, node3Peers, extra).catch(() => undefined);
      const child = n3.child as ChildProcess;
      let exitCode: number | null | undefined;
      void closed(child).then((code) => (exitCode = code));

      await waitFor(
        () =>
          [relayTo1, relayTo2].every((relay) => relay.hellos.some((h) => h.nodeId === 3)) &&
          [1, 2].every((id) => relayTo3.hellos.some((h) => h.nodeId === id)),
        'the links between node 3 and nodes 1 and 2 to be up',
        15_000,
      );
      // Node 3 linked up before it knew a group; Y's nodes named theirs.
      for (const relay of [relayTo1, relayTo2])
        assert.deepEqual(relay.hellos.filter((h) => h.nodeId === 3)[0], {
          nodeId: 3,
          groupId: undefined,
        });
      for (const hello of relayTo3.hellos) assert.equal(hello.groupId, groupY);
      await waitFor(
        () => /waiting for 2 more of the founders/.test(n3.output),
        'node 3 to wait for founders (no answers yet)',
        10_000,
      );
      assert.doesNotMatch(n3.output, /accepting only nodes/, 'node 3 has not decided yet');
      founder4.answer();

      // Until it stops, it must not take Y's id nor serve Y's data from its own engine. (Y's
      // entries it has persisted and acknowledged by then: the Ready loop persists and sends
      // before it applies. A snapshot is loaded before its id is read, with local reads held off.)
      const outcome = await waitFor(
        async () => {
          if (exitCode !== undefined) return 'stopped';
          if (n3.output.includes(`replica group id ${groupY}`)) return 'took group Y as its own';
          const owner = await cluster.localCall(n3, 'GET', 'owner').catch(() => undefined);
          return owner === 'Y' ? "served group Y's data" : undefined;
        },
        'node 3 to stop',
        20_000,
      );
      assert.equal(outcome, 'stopped', n3.output);
      assert.equal(exitCode, 1, n3.output);
      assert.equal(founder4.answered, 1, 'node 3 decided on its first answer');
      assert.match(n3.output, /node 4 is at term 5 of group 0123456789abcdef: the group exists/);
      assert.match(n3.output, /accepting only nodes of group 0123456789abcdef/);
      assert.ok(
        n3.output.includes(
          `replica: this node joined group ${GROUP_X} (named by its founders' probe answers), but the group it caught up with is ${groupY}; stopping (check --peers)`,
        ),
        n3.output,
      );
      // Where the id came from: the stack of the fatal error names the method that learned it.
      const learnedIn = via === 'snapshot' ? 'learnMembership' : 'applyCommitted';
      assert.match(
        n3.output,
        new RegExp(`at ReplicaNode\\.learnGroupId [^\\n]*\\n\\s+at ReplicaNode\\.${learnedIn} `),
      );
      assert.doesNotMatch(n3.output, /replica group id /);
      assert.match(n3.output, /stopping: the replica cannot go on/);

      // Restarted as it was (its disk no longer empty: no probe), it still expects X: it stops
      // again or stays apart from Y, and never takes Y's id nor serves Y's data.
      cluster.start(n3, node3Peers, extra).catch(() => undefined);
      const restarted = n3.child as ChildProcess;
      let restartExitCode: number | null | undefined;
      void closed(restarted).then((code) => (restartExitCode = code));
      const afterRestart = await waitFor(
        async () => {
          if (restartExitCode !== undefined) return 'stopped';
          if (n3.output.includes('replica group id ')) return 'took a group id';
          if (/refusing raft connections from node [12] of group /.test(n3.output))
            return 'refused Y';
          return undefined;
        },
        'node 3, restarted, to stop or refuse group Y',
        20_000,
      );
      assert.notEqual(afterRestart, 'took a group id', n3.output);
      assert.match(n3.output, new RegExp(`group ${groupY}|caught up with is ${groupY}`));
      if (afterRestart === 'refused Y') {
        const owner = await cluster.localCall(n3, 'GET', 'owner').catch(() => undefined);
        assert.notEqual(owner, 'Y', n3.output);
      }

      // Group Y goes on without it.
      assert.equal(await cluster.call(leader, 'SET', 'after', 'Y'), 'OK');
    },
  );
}
