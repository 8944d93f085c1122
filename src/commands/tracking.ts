// Server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c. The default
// mode remembers, per key name (in every database, as Redis), the ids of the clients that read
// it; the first change of the key sends each of them one invalidation and forgets them. BCAST
// mode sends every change of a key matching a client's prefixes, batched per event-loop turn (as
// Redis's beforeSleep) into one message per prefix. Told of changes by the engine's observer, so
// a replica group follower applying the leader's entries invalidates its own clients' keys.
//
// Cost while nobody tracks: keyWillChange returns on one compare; the executor tests one
// property of the client per command.

import type { KeyspaceObserver } from '../engine/engine.js';
import type { ClientState, ClientTracking } from './client.js';
import type { Host } from './hooks.js';
import type { Reply } from './reply.js';
import { type Command, commandKeys, FlagBit } from './spec.js';

/** The channel a RESP2 redirect target receives invalidations on. */
export const INVALIDATE_CHANNEL = '__redis__:invalidate';

/** The options of one CLIENT TRACKING ON. */
export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

/** One BCAST prefix: its clients, and the keys changed since the last broadcast (→ who changed them). */
interface PrefixState {
  readonly clients: Set<ClientState>;
  keys: Map<string, ClientState | undefined>;
}

/** Byte order of latin1 strings (as Redis's radix trees iterate). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class TrackingRegistry implements KeyspaceObserver {
  /** Clients with tracking on. */
  private trackingClients = 0;
  /** Key name → ids of the clients that read it (default mode). */
  private readonly table = new Map<string, Set<number>>();
  /** Clients that turned tracking on at some point, by id, while connected (for table lookups). */
  private readonly known = new Map<number, ClientState>();
  /** BCAST prefixes ('' = every key). */
  private readonly prefixes = new Map<string, PrefixState>();
  /** The client whose command runs now: its own invalidations follow its reply. */
  private current: ClientState | undefined;
  /** Invalidations for `current`, sent after its reply (key, or null for a flush). */
  private pending: (string | null)[] = [];
  private broadcastScheduled = false;

  constructor(
    private readonly host: Host,
    /** Runs `task` once the current event-loop turn's commands are done (Redis's beforeSleep). */
    private readonly afterTurn: (task: () => void) => void = (task) => setImmediate(task),
  ) {}

  get active(): boolean {
    return this.trackingClients > 0;
  }

  /** CLIENT TRACKING ON, its options already checked (Redis's enableTracking). */
  enable(client: ClientState, options: TrackingOptions): void {
    let state = client.tracking;
    if (state === undefined) {
      this.trackingClients++;
      state = {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: [],
      };
      client.tracking = state;
    }
    this.known.set(client.id, client);
    state.redirect = options.redirect;
    state.brokenRedirect = false;
    state.bcast = options.bcast;
    state.optin = options.optin;
    state.optout = options.optout;
    state.noloop = options.noloop;
    if (options.bcast) {
      const wanted = options.prefixes.length === 0 ? [''] : options.prefixes;
      for (const prefix of wanted) {
        if (state.prefixes.includes(prefix)) continue;
        state.prefixes.push(prefix);
        let prefixState = this.prefixes.get(prefix);
        if (prefixState === undefined) {
          prefixState = { clients: new Set(), keys: new Map() };
          this.prefixes.set(prefix, prefixState);
        }
        prefixState.clients.add(client);
      }
      state.prefixes.sort(byteOrder);
    }
  }

  /** CLIENT TRACKING OFF, RESET (Redis's disableTracking). */
  disable(client: ClientState): void {
    const state = client.tracking;
    if (state === undefined) return;
    for (const prefix of state.prefixes) {
      const prefixState = this.prefixes.get(prefix);
      prefixState?.clients.delete(client);
      if (prefixState?.clients.size === 0) this.prefixes.delete(prefix);
    }
    client.tracking = undefined;
    this.trackingClients--;
    // Nobody left to tell: what the table holds would only be dropped on the next change.
    if (this.trackingClients === 0) this.table.clear();
  }

  /** The client went away. */
  forget(client: ClientState): void {
    this.disable(client);
    this.known.delete(client.id);
    if (this.current === client) {
      this.current = undefined;
      this.pending = [];
    }
  }

  /** Prefixes of `client` that `prefixes` would overlap: Redis's error message, or undefined. */
  prefixCollision(client: ClientState, prefixes: readonly string[]): string | undefined {
    const own = client.tracking?.prefixes ?? [];
    const overlaps = (a: string, b: string): boolean =>
      a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i] as string;
      for (const existing of own) {
        if (overlaps(existing, prefix)) {
          return `ERR Prefix '${prefix}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`;
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlaps(prefix, prefixes[j] as string)) {
          return `ERR Prefix '${prefix}' overlaps with another provided prefix '${prefixes[j] as string}'. Prefixes for a single client must not overlap.`;
        }
      }
    }
    return undefined;
  }

  // --- the executor's calls ---

  /** A command of `client` starts (its own invalidations wait for its reply). */
  commandStarts(client: ClientState): void {
    this.current = client;
  }

  /**
   * The command ran: send `client` the invalidations it caused itself, after its reply; drop
   * CLIENT CACHING's flag unless the command was a CLIENT subcommand or a transaction is open
   * (Redis's resetClient). Only called for a client with tracking on, or with some pending.
   */
  commandDone(client: ClientState, argv: readonly string[]): void {
    this.current = undefined;
    if (this.pending.length > 0) {
      const pending = this.pending;
      this.pending = [];
      for (const key of pending) {
        if (client.tracking !== undefined) this.send(client, key === null ? null : [key]);
      }
    }
    const state = client.tracking;
    if (
      state !== undefined &&
      state.caching &&
      client.transaction === undefined &&
      (argv[0] ?? '').toLowerCase() !== 'client'
    ) {
      state.caching = false;
    }
  }

  /**
   * A command of a tracking client ran (its handler was called, even if it answered an error,
   * as Redis's call()): a read-only command's keys are remembered (default mode), unless
   * OPTIN without CACHING YES, or OPTOUT with CACHING NO.
   */
  commandRan(client: ClientState, command: Command, argv: readonly string[]): void {
    const state = client.tracking;
    if (state === undefined || state.bcast) return;
    if ((command.flagBits & FlagBit.readonly) === 0 || (command.flagBits & FlagBit.pubsub) !== 0)
      return;
    if ((state.optin && !state.caching) || (state.optout && state.caching)) return;
    for (const key of commandKeys(command, argv)) {
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      ids.add(client.id);
    }
  }

  // --- KeyspaceObserver ---

  keyWillChange(_db: number, key: string): void {
    if (this.trackingClients === 0) return;
    if (this.prefixes.size > 0) this.rememberForBroadcast(key);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    const current = this.current;
    for (const id of ids) {
      const target = this.known.get(id);
      const state = target?.tracking;
      if (target === undefined || state === undefined || state.bcast) continue;
      if (target === current) {
        if (!state.noloop) this.pending.push(key);
      } else this.send(target, [key]);
    }
  }

  databaseWillChange(): void {
    // A flush is told by databasesWillFlush; SWAPDB invalidates nothing, as in Redis 7.0.
  }

  /** FLUSHDB / FLUSHALL (one call per command): every tracking client gets a null invalidation. */
  databasesWillFlush(): void {
    this.table.clear();
    if (this.trackingClients === 0) return;
    for (const client of this.known.values()) {
      if (client.tracking === undefined) continue;
      if (client === this.current) this.pending.push(null);
      else this.send(client, null);
    }
  }

  // --- BCAST ---

  private rememberForBroadcast(key: string): void {
    let remembered = false;
    for (const [prefix, state] of this.prefixes) {
      if (prefix.length > key.length || !key.startsWith(prefix)) continue;
      // The last client to change the key (NOLOOP clients are not told of their own changes).
      state.keys.set(key, this.current);
      remembered = true;
    }
    if (remembered && !this.broadcastScheduled) {
      this.broadcastScheduled = true;
      this.afterTurn(() => this.broadcast());
    }
  }

  /** Sends each prefix's changed keys, sorted, to its clients (Redis's trackingBroadcastInvalidationMessages). */
  broadcast(): void {
    this.broadcastScheduled = false;
    const prefixes = [...this.prefixes.keys()].sort(byteOrder);
    for (const prefix of prefixes) {
      const state = this.prefixes.get(prefix) as PrefixState;
      if (state.keys.size === 0) continue;
      const changed = state.keys;
      state.keys = new Map();
      const keys = [...changed.keys()].sort(byteOrder);
      for (const client of state.clients) {
        if (client.tracking?.noloop === true) {
          const others = keys.filter((key) => changed.get(key) !== client);
          if (others.length > 0) this.send(client, others);
        } else this.send(client, keys);
      }
    }
  }

  // --- delivery ---

  /**
   * One invalidation (keys, or null for a flush) for tracking client `client`, as Redis's
   * sendTrackingMessage: a RESP3 push on its connection or its redirect target's, a message on
   * __redis__:invalidate to a subscribed RESP2 redirect target, else nothing.
   */
  private send(client: ClientState, keys: readonly string[] | null): void {
    const state = client.tracking as ClientTracking;
    let target = client;
    let redirected = false;
    if (state.redirect !== 0) {
      const redirect = this.lookup(state.redirect);
      if (redirect === undefined) {
        state.brokenRedirect = true;
        const reply = client.reply;
        if (client.protocol === 3 && reply !== undefined) {
          reply.push(2);
          reply.bulk('tracking-redir-broken');
          reply.int(state.redirect);
          this.host.clientHasOutput(client);
        }
        return;
      }
      target = redirect;
      redirected = true;
    }
    const reply = target.reply;
    if (reply === undefined) return;
    if (target.protocol === 3) {
      reply.push(2);
      reply.bulk('invalidate');
    } else if (redirected && target.subscriptionCount > 0) {
      reply.push(3);
      reply.bulk('message');
      reply.bulk(INVALIDATE_CHANNEL);
    } else return;
    if (keys === null) writeNull(reply, client.protocol);
    else {
      reply.array(keys.length);
      for (const key of keys) reply.bulk(key);
    }
    this.host.clientHasOutput(target);
  }

  private lookup(id: number): ClientState | undefined {
    const known = this.known.get(id);
    if (known !== undefined) return known;
    if (this.host.client !== undefined) return this.host.client(id);
    for (const client of this.host.clients()) if (client.id === id) return client;
    return undefined;
  }
}

/** Redis writes the tracking client's null (`_` or `$-1`), whatever its redirect target speaks. */
function writeNull(reply: Reply, protocol: 2 | 3): void {
  const own = reply.protocol;
  reply.protocol = protocol;
  reply.nil();
  reply.protocol = own;
}
