// The interaction environment behind the data-driven tests: a handful of RaftNodes driven by
// explicit commands (campaign, tick, propose, deliver, process Ready ...) whose effects are
// printed as text and compared with golden output.
import {
  ConfChangeType,
  EntryType,
  MemoryStorage,
  MessageType,
  NONE,
  ProgressState,
  RaftNode,
  StateRole,
  bootstrapStorage,
  confChangeTypeNames,
  decodeConfChange,
  messageTypeName,
  progressStateNames,
  stateRoleNames,
  type ConfChangeType as ConfChangeTypeValue,
  type Entry,
  type Message,
  type Ready,
  type RaftConfig,
} from '../../src/raft/index.js';
import { Prng } from '../../src/sim/prng.js';

const text = new TextDecoder();
const encoder = new TextEncoder();

export function formatEntry(entry: Entry): string {
  if (entry.type === EntryType.ConfChange) {
    const change = decodeConfChange(entry.data);
    const what =
      change === undefined ? '?' : `${confChangeTypeNames[change.type]} ${change.nodeId}`;
    return `${entry.term}/${entry.index} EntryConfChange ${what}`;
  }
  return `${entry.term}/${entry.index} EntryNormal ${JSON.stringify(text.decode(entry.data))}`;
}

export function formatMessage(message: Message): string {
  let line = `${message.from}->${message.to} ${messageTypeName(message.type)} Term:${message.term}`;
  switch (message.type) {
    case MessageType.App:
      line += ` Log:${message.logTerm}/${message.index} Commit:${message.commit}`;
      if (message.entries.length > 0) {
        line += ` Entries:[${message.entries.map(formatEntry).join(', ')}]`;
      }
      break;
    case MessageType.AppResp:
      line += ` Index:${message.index}`;
      if (message.reject) line += ` Rejected (Hint: ${message.rejectHint}/${message.logTerm})`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      line += ` Log:${message.logTerm}/${message.index}`;
      if (message.context !== null) line += ' Transfer';
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      if (message.reject) line += ' Rejected';
      break;
    case MessageType.Heartbeat:
      line += ` Commit:${message.commit}`;
      break;
    case MessageType.Snap: {
      const chunk = message.snapshot;
      if (chunk !== null) {
        line +=
          ` Snapshot:${chunk.metadata.term}/${chunk.metadata.index}` +
          ` Bytes:${chunk.offset}+${chunk.data.length}/${chunk.totalBytes}` +
          ` Voters:${chunk.metadata.confState.voters.join(',')}`;
      }
      break;
    }
    case MessageType.SnapResp:
      line += ` Snapshot:${message.logTerm}/${message.index} Next:${message.rejectHint}`;
      break;
    case MessageType.Prop:
      line += ` Entries:[${message.entries.map((e) => JSON.stringify(text.decode(e.data))).join(', ')}]`;
      break;
    case MessageType.ReadIndexResp:
      line += ` Index:${message.index}`;
      break;
  }
  if (
    message.context !== null &&
    message.type !== MessageType.Vote &&
    message.type !== MessageType.PreVote
  ) {
    const context = text.decode(message.context);
    if (context.length > 0) line += ` Context:${context}`;
  }
  return line;
}

interface EnvNode {
  readonly id: number;
  storage: MemoryStorage;
  raft: RaftNode | null;
  config: Omit<RaftConfig, 'storage' | 'id' | 'random'>;
  applied: Entry[];
  random: Prng;
}

type Arguments = Map<string, string>;

export class InteractionEnv {
  private readonly nodes = new Map<number, EnvNode>();
  /** Messages sent and not yet delivered, per destination. */
  private readonly inbox = new Map<number, Message[]>();
  private readonly cut = new Set<string>();
  private output: string[] = [];

  run(command: string, positional: string[], args: Arguments): string {
    this.output = [];
    switch (command) {
      case 'add-nodes':
        this.addNodes(Number(positional[0]), args);
        break;
      case 'campaign':
        this.raft(positional[0]).campaign();
        break;
      case 'tick':
        for (let i = 0; i < Number(args.get('count') ?? 1); i++) this.raft(positional[0]).tick();
        break;
      case 'tick-election': {
        const raft = this.raft(positional[0]);
        const ticks = Number(this.node(positional[0]).config.electionTimeoutTicks ?? 10) * 2;
        for (let i = 0; i < ticks; i++) raft.tick();
        break;
      }
      case 'tick-heartbeat': {
        const raft = this.raft(positional[0]);
        const ticks = Number(this.node(positional[0]).config.heartbeatTimeoutTicks ?? 1);
        for (let i = 0; i < ticks; i++) raft.tick();
        break;
      }
      case 'propose': {
        const result = this.raft(positional[0]).propose(encoder.encode(positional[1] ?? ''));
        this.out(`${result.outcome}${result.leader !== NONE ? ` (leader ${result.leader})` : ''}`);
        break;
      }
      case 'propose-conf-change': {
        const types: Record<string, ConfChangeTypeValue> = {
          add: ConfChangeType.AddNode,
          remove: ConfChangeType.RemoveNode,
          learner: ConfChangeType.AddLearner,
        };
        const type = types[positional[1] ?? ''];
        if (type === undefined) throw new Error(`unknown conf change ${positional[1]}`);
        const result = this.raft(positional[0]).proposeConfChange({
          type,
          nodeId: Number(positional[2]),
        });
        this.out(result.outcome);
        break;
      }
      case 'transfer-leader': {
        const result = this.raft(positional[0]).transferLeader(Number(positional[1]));
        this.out(result.outcome);
        break;
      }
      case 'read-index': {
        const result = this.raft(positional[0]).readIndex(encoder.encode(positional[1] ?? ''));
        this.out(result.outcome);
        break;
      }
      case 'process-ready':
        for (const id of this.ids(positional)) this.processReady(this.node(String(id)));
        break;
      case 'deliver-msgs':
        for (const id of this.ids(positional)) this.deliver(id, args.get('drop') === 'true');
        break;
      case 'stabilize':
        this.stabilize(this.ids(positional));
        break;
      case 'isolate':
        for (const other of this.nodes.keys()) {
          this.cut.add(`${positional[0]}-${other}`);
          this.cut.add(`${other}-${positional[0]}`);
        }
        break;
      case 'cut':
        this.cut.add(`${positional[0]}-${positional[1]}`);
        this.cut.add(`${positional[1]}-${positional[0]}`);
        break;
      case 'heal':
        this.cut.clear();
        break;
      case 'crash': {
        const node = this.node(positional[0]);
        node.raft = null;
        this.inbox.set(node.id, []);
        break;
      }
      case 'restart': {
        const node = this.node(positional[0]);
        node.applied = node.applied.filter(
          (e) => e.index <= node.storage.snapshot().metadata.index,
        );
        this.start(node);
        break;
      }
      case 'compact': {
        const node = this.node(positional[0]);
        const index = Number(positional[1]);
        const data = encoder.encode(args.get('data') ?? `state@${index}`);
        node.storage.createSnapshot(index, this.raft(positional[0]).confState(), data);
        node.storage.compact(index);
        this.out(`snapshot ${index}, first index now ${node.storage.firstIndex()}`);
        break;
      }
      case 'status':
        this.status(this.node(positional[0]));
        break;
      case 'raft-log':
        this.raftLog(this.node(positional[0]));
        break;
      default:
        throw new Error(`unknown command ${command}`);
    }
    return this.output.length === 0 ? 'ok' : this.output.join('\n');
  }

  private out(line: string): void {
    this.output.push(line);
  }

  private node(id: string | undefined): EnvNode {
    const node = this.nodes.get(Number(id));
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private raft(id: string | undefined): RaftNode {
    const raft = this.node(id).raft;
    if (raft === null) throw new Error(`node ${id} is down`);
    return raft;
  }

  private ids(positional: string[]): number[] {
    if (positional.length > 0) return positional.map(Number);
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  private addNodes(count: number, args: Arguments): void {
    const list = (key: string): number[] =>
      (args.get(key) ?? '')
        .split(',')
        .filter((s) => s.length > 0)
        .map(Number);
    const voters = list('voters');
    const learners = list('learners');
    const flag = (key: string, fallback: boolean): boolean =>
      args.has(key) ? args.get(key) === 'true' : fallback;
    const number = (key: string, fallback: number): number => Number(args.get(key) ?? fallback);
    const config: EnvNode['config'] = {
      electionTimeoutTicks: number('election', 10),
      heartbeatTimeoutTicks: number('heartbeat', 1),
      preVote: flag('prevote', false),
      checkQuorum: flag('checkquorum', false),
      readOnlyMode: args.get('readonly') === 'lease' ? 'lease' : 'safe',
      maxMessageBytes: number('maxmsg', 1024 * 1024),
      maxInflightMessages: number('inflight', 256),
      snapshotChunkBytes: number('chunk', 1024 * 1024),
      // One by one unless a script asks (the older scripts show the transfer chunk by chunk).
      snapshotChunksInFlight: number('chunksinflight', 1),
      disableProposalForwarding: flag('noforward', false),
      maxUncommittedEntriesBytes: number('maxuncommitted', 0),
    };
    const first = this.nodes.size + 1;
    for (let id = first; id < first + count; id++) {
      const storage = new MemoryStorage();
      if (voters.length > 0 && (voters.includes(id) || learners.includes(id))) {
        bootstrapStorage(storage, { voters, learners });
      }
      // Election timeouts are randomized; a fixed seed per node keeps scripts reproducible.
      const node: EnvNode = { id, storage, raft: null, config, applied: [], random: new Prng(id) };
      this.nodes.set(id, node);
      this.inbox.set(id, []);
      this.start(node);
      // Apply the bootstrap conf entries (a node knows its configuration only once applied).
      const saved = this.output;
      this.output = [];
      this.processReady(node);
      this.output = saved;
    }
  }

  private start(node: EnvNode): void {
    node.raft = new RaftNode({
      ...node.config,
      id: node.id,
      storage: node.storage,
      random: node.random,
    });
    this.out(`node ${node.id} started: ${this.summary(node)}`);
  }

  private summary(node: EnvNode): string {
    const status = (node.raft as RaftNode).status();
    return (
      `term ${status.term} commit ${status.commit} applied ${status.applied} ` +
      `log ${status.firstIndex}..${status.lastIndex}`
    );
  }

  private processReady(node: EnvNode): boolean {
    const raft = node.raft;
    if (raft === null || !raft.hasReady()) return false;
    const ready = raft.ready();
    this.out(`> ${node.id} handling Ready`);
    this.printReady(ready);
    if (ready.snapshot !== null) node.storage.applySnapshot(ready.snapshot);
    node.storage.append(ready.entries);
    if (ready.hardState !== null) node.storage.setHardState(ready.hardState);
    for (const message of ready.messages) {
      // A message sent over a cut link is lost (the Ready printout above still shows it).
      if (this.cut.has(`${message.from}-${message.to}`)) continue;
      (this.inbox.get(message.to) ?? []).push(message);
    }
    for (const entry of ready.committedEntries) node.applied.push(entry);
    raft.advance(ready);
    return true;
  }

  private printReady(ready: Ready): void {
    const lines: string[] = [];
    if (ready.softState !== null) {
      const s = ready.softState;
      lines.push(`Lead:${s.leader} State:${stateRoleNames[s.role]}`);
    }
    if (ready.hardState !== null) {
      const h = ready.hardState;
      lines.push(`HardState Term:${h.term} Vote:${h.vote} Commit:${h.commit}`);
    }
    if (ready.entries.length > 0) {
      lines.push('Entries:');
      for (const entry of ready.entries) lines.push(formatEntry(entry));
    }
    if (ready.snapshot !== null) {
      const m = ready.snapshot.metadata;
      lines.push(
        `Snapshot ${m.term}/${m.index} Voters:${m.confState.voters.join(',')} ` +
          `Learners:${m.confState.learners.join(',')} Data:${JSON.stringify(text.decode(ready.snapshot.data))}`,
      );
    }
    if (ready.committedEntries.length > 0) {
      lines.push('CommittedEntries:');
      for (const entry of ready.committedEntries) lines.push(formatEntry(entry));
    }
    if (ready.messages.length > 0) {
      lines.push('Messages:');
      for (const message of ready.messages) lines.push(formatMessage(message));
    }
    for (const read of ready.readStates) {
      lines.push(`ReadState Index:${read.index} Context:${text.decode(read.context)}`);
    }
    for (const line of lines) this.out(`  ${line}`);
  }

  private deliver(id: number, drop: boolean): boolean {
    const messages = this.inbox.get(id) ?? [];
    if (messages.length === 0) return false;
    this.inbox.set(id, []);
    const node = this.nodes.get(id);
    this.out(`> ${id} ${drop ? 'dropping' : 'receiving'} messages`);
    for (const message of messages) {
      const blocked = this.cut.has(`${message.from}-${message.to}`);
      const down = node === undefined || node.raft === null;
      const note = drop ? '' : blocked ? ' DROPPED (partition)' : down ? ' DROPPED (down)' : '';
      this.out(`  ${formatMessage(message)}${note}`);
      if (!drop && !blocked && !down) (node.raft as RaftNode).step(message);
    }
    return true;
  }

  private stabilize(ids: number[]): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const id of ids) busy = this.processReady(this.node(String(id))) || busy;
      for (const id of ids) busy = this.deliver(id, false) || busy;
      if (!busy) return;
    }
    throw new Error('stabilize did not settle in 1000 rounds');
  }

  private status(node: EnvNode): void {
    const raft = node.raft;
    if (raft === null) {
      this.out(`${node.id}: down`);
      return;
    }
    const s = raft.status();
    this.out(
      `${node.id}: ${stateRoleNames[s.role]} term ${s.term} lead ${s.leader} vote ${s.vote} ` +
        `commit ${s.commit} applied ${s.applied} log ${s.firstIndex}..${s.lastIndex} ` +
        `voters ${s.confState.voters.join(',')} learners ${s.confState.learners.join(',') || '-'}`,
    );
    if (s.role !== StateRole.Leader) return;
    for (const [id, pr] of s.progress) {
      this.out(
        `  ${id}: ${progressStateNames[pr.state]} match ${pr.match} next ${pr.next}` +
          (pr.isLearner ? ' learner' : '') +
          (pr.state === ProgressState.Replicate ? ` inflight ${pr.inflight}` : ''),
      );
    }
  }

  private raftLog(node: EnvNode): void {
    const raft = node.raft;
    if (raft === null) {
      this.out('down');
      return;
    }
    const log = raft.raftLog;
    const first = log.firstIndex();
    const last = log.lastIndex();
    if (last < first) {
      this.out(`log empty (first index ${first})`);
      return;
    }
    for (const entry of log.slice(first, last + 1, Number.MAX_SAFE_INTEGER)) {
      this.out(formatEntry(entry));
    }
  }
}

/** One test case of a script: the command line and the expected output. */
export interface Case {
  readonly line: string;
  readonly expected: string;
}

export function parseScript(source: string): Case[] {
  const cases: Case[] = [];
  const lines = source.split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = (lines[i] as string).trimEnd();
    if (line === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 2}: expected ----`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++] as string);
    cases.push({ line, expected: expected.join('\n') });
  }
  return cases;
}

export function runLine(env: InteractionEnv, line: string): string {
  const words = line.split(/\s+/).filter((w) => w.length > 0);
  const command = words[0] as string;
  const positional: string[] = [];
  const args = new Map<string, string>();
  for (const word of words.slice(1)) {
    const eq = word.indexOf('=');
    if (eq > 0) args.set(word.slice(0, eq), word.slice(eq + 1));
    else positional.push(word);
  }
  return env.run(command, positional, args);
}

/** Renders a script with actual outputs (for the rewrite flag), keeping comments. */
export function renderScript(source: string, actual: readonly string[]): string {
  const lines = source.split('\n');
  const result: string[] = [];
  let i = 0;
  let caseIndex = 0;
  while (i < lines.length) {
    const line = (lines[i] as string).trimEnd();
    if (line === '' || line.startsWith('#')) {
      result.push(line);
      i++;
      continue;
    }
    result.push(line, '----', actual[caseIndex++] ?? '');
    i += 2;
    while (i < lines.length && lines[i] !== '') i++;
  }
  return result
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\n*$/, '\n');
}
