// The simulator's state machine: a small integer key-value map with put and compare-and-set,
// plus client sessions so a retried command applies at most once (Ongaro's thesis §6.3).
import { EntryType, type Entry } from '../raft/messages.js';

export const CommandKind = { Put: 1, Cas: 2 } as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

export interface KvCommand {
  readonly kind: CommandKind;
  readonly clientId: number;
  readonly seq: number;
  readonly key: number;
  readonly value: number;
  /** Cas only: the value the key must hold (-1: absent). */
  readonly expected: number;
}

export interface KvResult {
  readonly clientId: number;
  readonly seq: number;
  /** Put: always true. Cas: whether it swapped. */
  readonly ok: boolean;
}

const COMMAND_BYTES = 22;

export function encodeCommand(command: KvCommand, paddingBytes = 0): Uint8Array {
  const bytes = new Uint8Array(COMMAND_BYTES + paddingBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, command.kind);
  view.setUint32(1, command.clientId);
  view.setUint32(5, command.seq);
  view.setUint8(9, command.key);
  view.setFloat64(10, command.value);
  view.setInt32(18, command.expected);
  return bytes;
}

export function decodeCommand(data: Uint8Array): KvCommand | undefined {
  if (data.length < COMMAND_BYTES) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const kind = view.getUint8(0);
  if (kind !== CommandKind.Put && kind !== CommandKind.Cas) return undefined;
  return {
    kind,
    clientId: view.getUint32(1),
    seq: view.getUint32(5),
    key: view.getUint8(9),
    value: view.getFloat64(10),
    expected: view.getInt32(18),
  };
}

interface Session {
  seq: number;
  ok: boolean;
}

export interface KvMachineView {
  get(key: number): number | null;
}

export class KvStateMachine implements KvMachineView {
  readonly values = new Map<number, number>();
  readonly sessions = new Map<number, Session>();
  appliedIndex = 0;

  get(key: number): number | null {
    return this.values.get(key) ?? null;
  }

  /** Applies one committed entry; returns the command's result, or null for other entries. */
  apply(entry: Entry): KvResult | null {
    if (entry.index !== this.appliedIndex + 1) {
      throw new Error(`state machine applied ${entry.index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = entry.index;
    if (entry.type !== EntryType.Normal) return null;
    const command = decodeCommand(entry.data);
    if (command === undefined) return null;
    const session = this.sessions.get(command.clientId);
    if (session !== undefined && command.seq <= session.seq) {
      // A retry of a command that already ran: answer with the recorded result.
      return { clientId: command.clientId, seq: command.seq, ok: session.ok };
    }
    let ok = true;
    if (command.kind === CommandKind.Put) {
      this.values.set(command.key, command.value);
    } else {
      const current = this.values.get(command.key) ?? -1;
      ok = current === command.expected;
      if (ok) this.values.set(command.key, command.value);
    }
    this.sessions.set(command.clientId, { seq: command.seq, ok });
    return { clientId: command.clientId, seq: command.seq, ok };
  }

  serialize(): Uint8Array {
    const values = [...this.values.entries()].sort((a, b) => a[0] - b[0]);
    const sessions = [...this.sessions.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([id, s]) => [id, s.seq, s.ok ? 1 : 0]);
    return new TextEncoder().encode(
      JSON.stringify({ a: this.appliedIndex, v: values, s: sessions }),
    );
  }

  static restore(data: Uint8Array, appliedIndex: number): KvStateMachine {
    const machine = new KvStateMachine();
    machine.appliedIndex = appliedIndex;
    if (data.length === 0) return machine;
    const parsed = JSON.parse(new TextDecoder().decode(data)) as {
      a: number;
      v: [number, number][];
      s: [number, number, number][];
    };
    if (parsed.a !== appliedIndex) {
      throw new Error(`snapshot data is at ${parsed.a}, metadata says ${appliedIndex}`);
    }
    for (const [key, value] of parsed.v) machine.values.set(key, value);
    for (const [id, seq, ok] of parsed.s) machine.sessions.set(id, { seq, ok: ok === 1 });
    return machine;
  }
}
