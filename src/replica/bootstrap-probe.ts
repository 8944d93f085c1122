// Whether a node that starts with an empty disk, and was not told `--join`, founds a new group
// or rejoins one that exists. The two look the same from the disk: a first start, and a member
// whose disk was lost coming back under its old id. Founding a group then would be unsafe: the
// wiped member would vote as if it had never acknowledged anything, and could elect a leader
// that lacks committed writes (see join-vote-guard.ts). So before it writes the initial
// configuration, the node asks the other founders (`--peers`) for their term and, once they know
// it, their group id, on the raft port:
//
// - peers that name different group ids cannot all be founders of this node's group: `--peers`
//   is wrong, and the node refuses to start (BootstrapRefusal) rather than join either;
// - any peer past term 1 (or naming a group id) has taken part in an election: the group exists,
//   and the node joins it as `--join` would (no vote until it has caught up with a leader); when
//   a peer named the group's id, the node accepts only that group's nodes from then on;
// - once a majority of the founders, itself included, answer term 0 or 1 (never voted: an empty
//   disk, still probing, or bootstrapped and not yet past its first election), it founds the
//   group: no majority can have committed anything;
// - otherwise (peers down or unreachable) it asks again, and waits.
//
// Founders that start one after another still form one group: a late founder finds the others'
// elected term and joins, which ends the same as a first start.

import { connect } from 'node:net';
import { ByteWriter } from '../persist/codec.js';
import { FrameReader, frame, type PeerAddress } from './transport.js';
import { decodeProbeReply, encodeProbe, type ProbeReply } from './wire.js';

/** Bootstrap writes its configuration at term 1; an election moves a node past it. */
const BOOTSTRAP_TERM = 1;
/**
 * The least a node joining a group answers (`--join`, or a probe found the group): it has heard
 * of no election yet (term 0), but knows the group exists, so its answer must not count as fresh.
 */
export const JOINING_TERM = BOOTSTRAP_TERM + 1;
const PROBE_FRAME_BYTES_MAX = 64;

/** The founders' answers name different groups: `--peers` is wrong, the node must not start. */
export class BootstrapRefusal extends Error {
  override name = 'BootstrapRefusal';
}

/** Asks the node at `address` for its term and group id; undefined if it does not answer in time. */
export function probePeer(
  address: PeerAddress,
  selfId: number,
  timeoutMs: number,
): Promise<ProbeReply | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    const reader = new FrameReader(PROBE_FRAME_BYTES_MAX);
    let answer: ProbeReply | undefined;
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => {
      socket.write(frame(new ByteWriter(64), (out) => encodeProbe(out, selfId)));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk, (payload) => {
          answer = decodeProbeReply(payload);
          socket.destroy();
        });
      } catch {
        socket.destroy(); // not a Shoal node: no answer
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** What one round of answers says (judgeProbeAnswers). */
export type BootstrapJudgement =
  | { readonly kind: 'found' }
  /** `groupId`: the group's id, when an answer named it (then only that group is accepted). */
  | { readonly kind: 'join'; readonly groupId: string | undefined; readonly reason: string }
  | { readonly kind: 'wait'; readonly missing: number }
  | { readonly kind: 'refuse'; readonly reason: string };

function describe(id: number, address: PeerAddress | undefined): string {
  return address === undefined ? `node ${id}` : `node ${id} (${address.host}:${address.port})`;
}

/**
 * The decision of a founder with an empty disk, from the other founders' answers (undefined: no
 * answer). Pure: the rules are those of the module comment, in that order.
 */
export function judgeProbeAnswers(
  founders: ReadonlyMap<number, PeerAddress>,
  answers: ReadonlyMap<number, ProbeReply | undefined>,
): BootstrapJudgement {
  const named = [...answers].filter(
    (entry): entry is [number, ProbeReply & { groupId: string }] => entry[1]?.groupId !== undefined,
  );
  const groupIds = new Set(named.map(([, answer]) => answer.groupId));
  if (groupIds.size > 1) {
    const who = named
      .map(([id, answer]) => `${describe(id, founders.get(id))} is in group ${answer.groupId}`)
      .join(', ');
    return {
      kind: 'refuse',
      reason: `the founders in --peers belong to different replica groups: ${who}; refusing to start (check --peers)`,
    };
  }
  const [groupId] = groupIds;
  for (const [id, answer] of answers) {
    if (answer === undefined) continue;
    if (answer.term <= BOOTSTRAP_TERM && answer.groupId === undefined) continue;
    const group = groupId === undefined ? '' : ` of group ${groupId}`;
    return {
      kind: 'join',
      groupId,
      reason: `node ${id} is at term ${answer.term}${group}: the group exists`,
    };
  }
  const majority = Math.floor(founders.size / 2) + 1;
  let fresh = 1; // itself
  for (const answer of answers.values()) if (answer !== undefined) fresh++;
  return fresh >= majority ? { kind: 'found' } : { kind: 'wait', missing: majority - fresh };
}

export type BootstrapDecision =
  { readonly kind: 'found' } | { readonly kind: 'join'; readonly groupId: string | undefined };

export interface BootstrapProbeOptions {
  selfId: number;
  /** The founders from `--peers`, this node included. */
  founders: ReadonlyMap<number, PeerAddress>;
  /** Stops the waiting (the node is closing): resolves undefined. */
  stopped: () => boolean;
  log: (message: string) => void;
  intervalMs?: number;
  timeoutMs?: number;
}

/** Probes until the answers decide; throws BootstrapRefusal if they name different groups. */
export async function decideBootstrap(
  options: BootstrapProbeOptions,
): Promise<BootstrapDecision | undefined> {
  const { selfId, founders } = options;
  const intervalMs = options.intervalMs ?? 200;
  const others = [...founders].filter(([id]) => id !== selfId);
  let waitingLogged = false;
  while (!options.stopped()) {
    const replies = await Promise.all(
      others.map(([, address]) => probePeer(address, selfId, options.timeoutMs ?? 1000)),
    );
    const answers = new Map(others.map(([id], at) => [id, replies[at]]));
    const judgement = judgeProbeAnswers(founders, answers);
    switch (judgement.kind) {
      case 'refuse':
        throw new BootstrapRefusal(judgement.reason);
      case 'join':
        options.log(judgement.reason);
        return { kind: 'join', groupId: judgement.groupId };
      case 'found':
        return judgement;
      case 'wait':
        if (!waitingLogged) {
          waitingLogged = true;
          options.log(
            `empty disk: waiting for ${judgement.missing} more of the founders to answer before founding the group (or joining it)`,
          );
        }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return undefined;
}
