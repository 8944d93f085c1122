// Whether a node that starts with an empty disk, and was not told `--join`, founds a new group
// or rejoins one that exists. The two look the same from the disk: a first start, and a member
// whose disk was lost coming back under its old id. Founding a group then would be unsafe: the
// wiped member would vote as if it had never acknowledged anything, and could elect a leader
// that lacks committed writes (see join-vote-guard.ts). So before it writes the initial
// configuration, the node asks the other founders (`--peers`) for their term, on the raft port:
//
// - any peer past term 1 has taken part in an election: the group exists, and the node joins
//   it as `--join` would (no vote until it has caught up with a leader);
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
import { decodeProbeReply, encodeProbe } from './wire.js';

/** Bootstrap writes its configuration at term 1; an election moves a node past it. */
const BOOTSTRAP_TERM = 1;
/**
 * The least a node joining a group answers (`--join`, or a probe found the group): it has heard
 * of no election yet (term 0), but knows the group exists, so its answer must not count as fresh.
 */
export const JOINING_TERM = BOOTSTRAP_TERM + 1;
const PROBE_FRAME_BYTES_MAX = 64;

/** Asks the node at `address` for its term; undefined if it does not answer in time. */
export function probeTerm(
  address: PeerAddress,
  selfId: number,
  timeoutMs: number,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    const reader = new FrameReader(PROBE_FRAME_BYTES_MAX);
    let answer: number | undefined;
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
        socket.destroy(); // not a Shoal node (or an older one): no answer
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

export type BootstrapDecision = 'found' | 'join';

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

export async function decideBootstrap(
  options: BootstrapProbeOptions,
): Promise<BootstrapDecision | undefined> {
  const { selfId, founders } = options;
  const intervalMs = options.intervalMs ?? 200;
  const majority = Math.floor(founders.size / 2) + 1;
  const others = [...founders].filter(([id]) => id !== selfId);
  let waitingLogged = false;
  while (!options.stopped()) {
    const terms = await Promise.all(
      others.map(([, address]) => probeTerm(address, selfId, options.timeoutMs ?? 1000)),
    );
    const ahead = terms.findIndex((term) => term !== undefined && term > BOOTSTRAP_TERM);
    if (ahead >= 0) {
      const [id] = others[ahead] as [number, PeerAddress];
      options.log(`node ${id} is at term ${terms[ahead] ?? 0}: the group exists`);
      return 'join';
    }
    const fresh = 1 + terms.filter((term) => term !== undefined).length;
    if (fresh >= majority) return 'found';
    if (!waitingLogged) {
      waitingLogged = true;
      options.log(
        `empty disk: waiting for ${majority - fresh} more of the founders to answer before founding the group (or joining it)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return undefined;
}
