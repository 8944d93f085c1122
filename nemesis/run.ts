// The Jepsen-style nemesis runner: starts a replica group of real processes, runs clients doing
// reads, writes, compare-and-sets and list appends while the nemesis injects faults, heals
// everything, waits for the group to converge, reads the final state from every member and
// checks the history. Prints `nemesis: N ops, V violations, L lost`; exits 1 if V or L is not 0,
// 2 if a linearizability search was inconclusive, 3 if the run could not complete.

import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../src/sim/prng.js';
import { ReplyError } from '../src/resp/reply-reader.js';
import { checkRun, type Lists } from './check.js';
import { NemesisConnection } from './connection.js';
import { Nemesis } from './faults.js';
import { Group } from './group.js';
import { History, now } from './history.js';
import { parseOptions, usage, type NemesisOptions } from './options.js';
import { WorkloadClient, listKey, registerKey } from './workload.js';
import type { Member } from '../test/replica/cluster.js';

async function finalLists(member: Member, keys: number, local: boolean): Promise<Lists> {
  const connection = await NemesisConnection.open(member.clientPort, 5000);
  if (connection === undefined) throw new Error(`node ${member.id} refused the final read`);
  try {
    const commands = [
      ...(local ? [['READONLY']] : []),
      ...Array.from({ length: keys }, (_, k) => ['LRANGE', listKey(k), '0', '-1']),
    ];
    const replies = (await connection.pipeline(commands, 10_000)).slice(local ? 1 : 0);
    const lists: Lists = new Map();
    for (let k = 0; k < keys; k++) {
      const reply = replies[k];
      if (!Array.isArray(reply))
        throw new Error(`node ${member.id}: LRANGE answered ${String(reply)}`);
      lists.set(listKey(k), reply.map(String));
    }
    return lists;
  } finally {
    connection.close();
  }
}

/** Final linearizable reads of every register on the leader, added to the history. */
async function finalReads(leader: Member, history: History): Promise<void> {
  const connection = await NemesisConnection.open(leader.clientPort, 5000);
  if (connection === undefined) throw new Error(`leader ${leader.id} refused the final reads`);
  try {
    for (const k of history.registerKeys) {
      const call = now();
      const reply = await connection.call(['GET', registerKey(k)], 10_000);
      if (reply === undefined || reply instanceof ReplyError)
        throw new Error(`final GET on the leader answered ${String(reply)}`);
      const output = history.readValue(k, reply);
      if (output !== undefined)
        history.record({
          clientId: -1,
          kind: 'get',
          key: k,
          value: 0,
          expected: 0,
          output,
          call,
          ret: now(),
        });
    }
  } finally {
    connection.close();
  }
}

/** The whole history, for a look at a failing run (Infinity is written as null). */
function historyJson(history: History, lists: Lists): string {
  return JSON.stringify({
    operations: history.operations,
    anomalies: history.anomalies,
    acknowledged: Object.fromEntries([...history.acknowledged].map(([k, v]) => [k, [...v]])),
    attempted: Object.fromEntries([...history.attempted].map(([k, v]) => [k, [...v]])),
    final: Object.fromEntries(lists),
  });
}

async function run(options: NemesisOptions): Promise<number> {
  const random = new Prng(options.seed);
  const history = new History(options.keys, options.operationsPerKey);
  process.stderr.write(
    `nemesis: seed ${options.seed}, ${options.nodes} nodes, ${options.seconds} s, ` +
      `faults ${options.faults.join(',') || 'none'}, ${options.clients} clients, ${options.keys} keys` +
      `${options.snapshotEntries > 0 ? `, snapshots every ${options.snapshotEntries} entries` : ''}\n`,
  );
  const nodeFlags =
    options.snapshotEntries > 0 ? ['--raft-snapshot-entries', String(options.snapshotEntries)] : [];
  const group = await Group.start(options.nodes, options.electionTimeoutMs, nodeFlags);
  const onSignal = (): void => {
    void group.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await group.converge(30_000);
    const end = performance.now() + options.seconds * 1000;
    const stopped = (): boolean => performance.now() >= end;
    const nemesis = new Nemesis(
      group,
      options.faults,
      random.fork(),
      options.electionTimeoutMs,
      options.verbose,
    );
    const clients = Array.from(
      { length: options.clients },
      (_, i) =>
        new WorkloadClient(i + 1, () => group.members, history, random.fork(), {
          keys: options.keys,
          opTimeoutMs: options.opTimeoutMs,
          staleReads: options.staleReads,
          casThinkMsMax: 2 * options.electionTimeoutMs,
        }),
    );
    await Promise.all([nemesis.run(stopped), ...clients.map((client) => client.run(stopped))]);

    const phase = (what: string): void => {
      if (options.verbose)
        process.stderr.write(
          `nemesis: ${what} at ${((performance.now() - end) / 1000 + options.seconds).toFixed(1)} s\n`,
        );
    };
    phase('clients stopped');
    await group.healAll();
    const leader = await group.converge(60_000);
    phase('converged');
    await finalReads(leader, history);
    const leaderLists = await finalLists(leader, options.keys, false);
    const memberLists = new Map<number, Lists>();
    for (const member of group.members)
      memberLists.set(member.id, await finalLists(member, options.keys, true));

    phase('final reads done');
    const result = checkRun(history, leaderLists, memberLists, options.maxStepsPerKey);
    phase('checked');
    const counts = history.counts();
    const total = counts.registerOps + counts.appendOps;
    process.stderr.write(
      `nemesis: ${counts.registerOps} register ops (${counts.unknown} unknown), ` +
        `${counts.appendOps} appends (${[...history.acknowledged.values()].reduce((n, s) => n + s.size, 0)} acknowledged), ` +
        `${nemesis.log.length} fault events, final members ${group.members.map((m) => m.id).join(',')}\n`,
    );
    const logged = group.logCounts();
    if (options.snapshotEntries > 0) {
      process.stderr.write(
        `nemesis: ${logged.written} Raft snapshots written, ${logged.installed} installed from a leader\n`,
      );
    }
    process.stderr.write(`nemesis: ${logged.rebuilt} engines rebuilt after a lost leadership\n`);
    for (const line of result.details) process.stderr.write(`nemesis: ${line}\n`);
    if (result.inconclusive > 0)
      process.stderr.write(`nemesis: ${result.inconclusive} keys inconclusive (not a pass)\n`);
    if (result.violations > 0 || result.lost > 0 || result.inconclusive > 0) {
      const file = join(tmpdir(), `nemesis-history-${options.seed}.json`);
      writeFileSync(file, historyJson(history, leaderLists));
      process.stderr.write(`nemesis: history written to ${file}\n`);
    }
    process.stdout.write(
      `nemesis: ${total} ops, ${result.violations} violations, ${result.lost} lost\n`,
    );
    if (result.violations > 0 || result.lost > 0) {
      for (const line of nemesis.log) process.stderr.write(`nemesis: ${line}\n`);
      return 1;
    }
    return result.inconclusive > 0 ? 2 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await group.stop();
  }
}

let options: NemesisOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}\n`);
  process.exit(3);
}
run(options).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `nemesis: the run could not complete: ${(error as Error).stack ?? String(error)}\n`,
    );
    process.exit(3);
  },
);
