// `npm run bench:snapshot-memory`: the memory a replica node needs to take in a Raft snapshot.
// A 3-node group (--raft-snapshot-entries 100) is loaded with N keys of 32-byte values (MSET
// through redis-cli --pipe) until the leader has a snapshot of them. Then, per round, a follower
// (1) is killed, its directory wiped, and restarted with --join: it receives the leader's
// snapshot and installs it; (2) is killed and restarted on its directory: it loads the snapshot
// from its file. For each, the node's peak resident memory (VmHWM, read once the log says the
// load is done). Prints each round and the medians. Linux only (/proc).
//
//   npm run bench:snapshot-memory                      500,000 keys, 3 rounds
//   npm run bench:snapshot-memory -- --keys 100000 --rounds 1    a quick look

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killChildrenOnExit, median, parseOrUsage, pipeCommands, waitFor } from './common.js';
import { type GroupMember, ShoalGroup } from './shoal-group.js';

const { values: options } = parseOrUsage(import.meta.url, () =>
  parseArgs({
    options: {
      keys: { type: 'string', default: '500000' },
      rounds: { type: 'string', default: '3' },
    },
  }),
);
const KEYS = Number(options.keys);
const ROUNDS = Number(options.rounds);
const PER_COMMAND = 1000;

function load(port: number): void {
  const value = 'v'.repeat(32);
  pipeCommands(port, Math.ceil(KEYS / PER_COMMAND), (command) => {
    const argv = ['MSET'];
    const first = command * PER_COMMAND;
    for (let i = first; i < Math.min(KEYS, first + PER_COMMAND); i++)
      argv.push(`key:${String(i).padStart(12, '0')}`, value);
    return argv;
  });
}

/** Peak resident memory of a process, in MiB. */
function peakMib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(kib) / 1024;
}

/** Restarts `member` and waits for `done` in its log; its peak memory then. */
async function peakOfStart(
  group: ShoalGroup,
  member: GroupMember,
  done: RegExp,
  extra: string[],
): Promise<number> {
  const logPath = join(group.root, `n${member.id}.log`);
  const before = readFileSync(logPath, 'utf8').length;
  group.restart(member, extra);
  await waitFor(
    () => done.test(readFileSync(logPath, 'utf8').slice(before)),
    `node ${member.id}: ${String(done)}`,
    300_000,
  );
  const pid = member.child?.pid;
  if (pid === undefined) throw new Error(`node ${member.id} is not running`);
  return peakMib(pid);
}

async function main(): Promise<void> {
  killChildrenOnExit();
  const group = await ShoalGroup.start(3, 1000, ['--raft-snapshot-entries', '100']);
  try {
    const leader = await group.leader(30_000);
    load(leader.clientPort);
    const loaded = Number((await group.status(leader))['commit_index']);
    // More entries, so the leader's next snapshot covers every key.
    for (let i = 0; i < 120; i++)
      execFileSync('redis-cli', ['-p', String(leader.clientPort), 'SET', `pad:${i}`, '1']);
    await waitFor(
      async () => Number((await group.status(leader))['snapshot_index']) > loaded,
      'a leader snapshot of every key',
      300_000,
    );
    const receive: number[] = [];
    const restart: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const current = await group.leader(30_000);
      const follower = group.members.find((m) => m !== current) as GroupMember;
      await group.kill(follower);
      rmSync(follower.dir, { recursive: true, force: true });
      receive.push(
        await peakOfStart(group, follower, /installed the leader's snapshot/, ['--join']),
      );
      await group.kill(follower);
      restart.push(await peakOfStart(group, follower, /loaded the Raft snapshot/, []));
      process.stdout.write(
        `round ${round}: node ${follower.id} receives and installs: peak ${receive[round - 1]?.toFixed(0)} MiB; ` +
          `restarts and loads it: peak ${restart[round - 1]?.toFixed(0)} MiB\n`,
      );
    }
    const size = (await group.status(leader).catch(() => undefined))?.['snapshot_index'];
    process.stdout.write(
      `\n${KEYS} keys of 32 bytes, snapshot at index ${size ?? '?'}; peak resident memory (VmHWM) of the node, median of ${ROUNDS}\n` +
        `| how the node takes the snapshot | peak MiB |\n| --- | ---: |\n` +
        `| received from the leader (wiped, --join), installed | ${median(receive).toFixed(0)} |\n` +
        `| loaded from its file at a restart | ${median(restart).toFixed(0)} |\n`,
    );
  } finally {
    await group.stop();
  }
}

await main();
