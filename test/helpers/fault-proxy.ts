// Network faults between the nodes of a replica group on loopback, without root: a TCP proxy
// per directed pair of nodes (and per port: Raft and client), so each node is started with a
// `--peers` string of its own in which every other node's address is the proxy for that pair.
// Cutting a pair cuts only traffic from one node to another, which is what partitions are made of.
//
// Modes per proxy: 'pass' forwards; 'reset' closes every connection and refuses new ones (a peer
// that is down); 'blackhole' keeps connections open but drops every byte both ways (a peer that
// vanished without a FIN: only timeouts notice). A connection opened while in one mode keeps
// following the proxy's current mode, so healing lets bytes flow again on open connections.

import { connect, type Socket } from 'node:net';
import { TrackedServer } from './tracked-server.js';

export type ProxyMode = 'pass' | 'reset' | 'blackhole';

/** Forwards one listening port to one target port, with a switchable fault mode. */
export class FaultProxy extends TrackedServer {
  private mode: ProxyMode = 'pass';

  constructor(
    readonly targetPort: number,
    readonly targetHost = '127.0.0.1',
  ) {
    super();
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'reset') this.destroySockets();
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  protected accept(client: Socket): void {
    if (this.mode === 'reset') {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.mode !== 'pass') return;
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('close', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  }
}

export interface MeshNode {
  readonly id: number;
  readonly clientPort: number;
  readonly raftPort: number;
}

/**
 * Proxies for every ordered pair of nodes. `peersFor(id)` is the `--peers` string node `id` is
 * started with: its own entry names its real ports (it listens there), every other entry names
 * the proxies from `id` to that node.
 */
export class ProxyMesh {
  /** key `${from}>${to}` → [raft proxy, client proxy] */
  private readonly pairs = new Map<string, [FaultProxy, FaultProxy]>();

  private constructor(private readonly nodes: readonly MeshNode[]) {}

  static async create(nodes: readonly MeshNode[]): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(nodes);
    // The nodes' ports were free when chosen and nobody holds them until the nodes start: a
    // proxy listening on port 0 could be given one. Such a proxy keeps the port (so the next
    // try gets another) until every proxy is placed, then lets it go.
    const nodePorts = new Set(nodes.flatMap((node) => [node.clientPort, node.raftPort]));
    const collided: FaultProxy[] = [];
    const proxyTo = async (port: number): Promise<FaultProxy> => {
      for (;;) {
        const proxy = new FaultProxy(port);
        if (!nodePorts.has(await proxy.listen())) return proxy;
        collided.push(proxy);
      }
    };
    for (const from of nodes)
      for (const to of nodes) {
        if (from.id === to.id) continue;
        const raft = await proxyTo(to.raftPort);
        const client = await proxyTo(to.clientPort);
        mesh.pairs.set(`${from.id}>${to.id}`, [raft, client]);
      }
    await Promise.all(collided.map((proxy) => proxy.close()));
    return mesh;
  }

  peersFor(id: number): string {
    return this.nodes
      .map((node) => {
        if (node.id === id) return `${node.id}=127.0.0.1:${node.clientPort}@${node.raftPort}`;
        const [raft, client] = this.pair(id, node.id);
        return `${node.id}=127.0.0.1:${client.port}@${raft.port}`;
      })
      .join(',');
  }

  /** Sets the mode of traffic from `from` to `to` (one direction, both ports). */
  setLink(from: number, to: number, mode: ProxyMode): void {
    for (const proxy of this.pair(from, to)) proxy.setMode(mode);
  }

  /**
   * Splits the nodes into the given sides: traffic between sides gets `mode`, traffic within a
   * side passes. Nodes not named form one more side of their own.
   */
  partition(sides: readonly (readonly number[])[], mode: ProxyMode = 'blackhole'): void {
    const sideOf = new Map<number, number>();
    sides.forEach((side, index) => side.forEach((id) => sideOf.set(id, index)));
    for (const from of this.nodes)
      for (const to of this.nodes) {
        if (from.id === to.id) continue;
        const same = (sideOf.get(from.id) ?? -1) === (sideOf.get(to.id) ?? -1);
        this.setLink(from.id, to.id, same ? 'pass' : mode);
      }
  }

  /** Cuts one node off from every other (both directions). */
  isolate(id: number, mode: ProxyMode = 'blackhole'): void {
    this.partition([[id]], mode);
  }

  heal(): void {
    for (const pair of this.pairs.values()) for (const proxy of pair) proxy.setMode('pass');
  }

  async close(): Promise<void> {
    await Promise.all([...this.pairs.values()].flat().map((proxy) => proxy.close()));
  }

  private pair(from: number, to: number): [FaultProxy, FaultProxy] {
    const pair = this.pairs.get(`${from}>${to}`);
    if (pair === undefined) throw new Error(`no proxy from node ${from} to node ${to}`);
    return pair;
  }
}
