// INFO, SLOWLOG, LATENCY and MONITOR over TCP, side by side with a real redis-server where the
// replies are deterministic: INFO's section and field names, the slow log's entries, MONITOR's
// lines (timestamps and ports aside), help texts and errors.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Reply, ReplyError } from '../../src/resp/reply-reader.js';
import { plain } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import {
  type ChildServer,
  type RunningServer,
  spawnRedis,
  startShoal,
  waitFor,
} from '../helpers/servers.js';

/**
 * Redis 7.0 INFO fields Shoal does not report, and why. Every other field name of a real
 * redis-server's INFO EVERYTHING must be in Shoal's.
 */
export const INFO_FIELDS_SHOAL_LACKS: Record<string, string> = {
  gcc_version: 'Shoal is not compiled by a C compiler (node_version says what runs it)',
  atomicvar_api: 'no C atomics: JavaScript runs on one thread',
};

function fieldNames(info: string): { sections: string[]; fields: string[] } {
  const sections: string[] = [];
  const fields: string[] = [];
  for (const line of info.split('\r\n')) {
    if (line.startsWith('# ')) sections.push(line.slice(2));
    else if (line.includes(':')) fields.push(line.slice(0, line.indexOf(':')));
  }
  return { sections, fields };
}

/** Per-command fields (cmdstat_get, errorstat_ERR …) depend on what ran; compare the rest. */
const perCommand = /^(cmdstat_|errorstat_|latency_percentiles_usec_|db\d+$)/;

describe('introspection', { timeout: 60_000 }, () => {
  let redis: ChildServer | undefined;
  let shoal: RunningServer;
  let redisClient: RawClient;
  let shoalClient: RawClient;
  const both = (): RawClient[] =>
    redis === undefined ? [shoalClient] : [redisClient, shoalClient];

  before(async () => {
    redis = await spawnRedis(['--enable-debug-command', 'yes']);
    shoal = await startShoal();
    if (redis !== undefined) redisClient = await RawClient.connect(redis.port);
    shoalClient = await RawClient.connect(shoal.port);
  });
  after(async () => {
    redisClient?.close();
    shoalClient?.close();
    await redis?.stop();
    await shoal.stop();
  });

  /** Runs each command line on both servers; the replies must be equal. */
  async function sideBySide(script: string[][]): Promise<void> {
    for (const argv of script) {
      const actual = plain(await shoalClient.call(...argv));
      if (redis === undefined) continue;
      const expected = plain(await redisClient.call(...argv));
      assert.deepEqual(actual, expected, `reply to ${argv.join(' ')}`);
    }
  }

  it('INFO has every section and field name Redis has', async (t) => {
    if (redis === undefined) return t.skip('redis-server is not installed');
    for (const client of both()) {
      await client.call('SET', 'k', 'v');
      await client.call('GET', 'k');
      await client.call('NOSUCHCOMMAND');
    }
    const ours = fieldNames(String(await shoalClient.call('INFO', 'EVERYTHING')));
    const theirs = fieldNames(String(await redisClient.call('INFO', 'EVERYTHING')));
    assert.deepEqual(ours.sections, theirs.sections);
    const have = new Set(ours.fields);
    const missing = theirs.fields.filter(
      (name) => !have.has(name) && !perCommand.test(name) && !(name in INFO_FIELDS_SHOAL_LACKS),
    );
    assert.deepEqual(missing, []);
    for (const name of ['cmdstat_get', 'errorstat_ERR', 'latency_percentiles_usec_set', 'db0']) {
      assert.ok(have.has(name), name);
    }
    for (const request of [[], ['default'], ['all'], ['server', 'clients'], ['nosuch']]) {
      const a = fieldNames(String(await shoalClient.call('INFO', ...request))).sections;
      const b = fieldNames(String(await redisClient.call('INFO', ...request))).sections;
      assert.deepEqual(a, b, `INFO ${request.join(' ')}`);
    }
  });

  it('INFO commandstats and latencystats measure each command', async () => {
    await shoalClient.call('CONFIG', 'RESETSTAT');
    for (let i = 0; i < 100; i++) await shoalClient.call('SET', `key${i}`, 'value');
    const stats = String(await shoalClient.call('INFO', 'commandstats'));
    const set = /cmdstat_set:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+),/.exec(stats);
    assert.ok(set, stats);
    assert.equal(set[1], '100');
    assert.ok(Number(set[3]) > 0);
    const latency = String(await shoalClient.call('INFO', 'latencystats'));
    const match = /latency_percentiles_usec_set:p50=([\d.]+),p99=([\d.]+),p99\.9=([\d.]+)/.exec(
      latency,
    );
    assert.ok(match, latency);
    assert.ok(Number(match[1]) <= Number(match[2]) && Number(match[2]) <= Number(match[3]));
    await shoalClient.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 90');
    assert.match(
      String(await shoalClient.call('INFO', 'latencystats')),
      /latency_percentiles_usec_set:p50=[\d.]+,p90=[\d.]+\r\n/,
    );
    await shoalClient.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
    const histogram = (await shoalClient.call('LATENCY', 'HISTOGRAM', 'set', 'nosuch')) as Reply[];
    assert.equal(histogram[0], 'set');
    const detail = histogram[1] as Reply[];
    assert.equal(detail[0], 'calls');
    assert.equal(detail[1], 100);
    const buckets = detail[3] as number[];
    assert.equal(buckets[buckets.length - 1], 100, 'cumulative');
  });

  it('SLOWLOG logs as Redis does', async () => {
    const long = 'x'.repeat(200);
    const many = Array.from({ length: 40 }, (_, i) => `m${i}`);
    for (const client of both()) {
      await client.call('CLIENT', 'SETNAME', 'slowpoke');
      await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await client.call('SLOWLOG', 'RESET');
      await client.call('SET', 'k', long);
      await client.call('DEL', ...many);
      await client.call('AUTH', 'secret');
      await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
      await client.call('GET', 'k');
    }
    const entries = async (client: RawClient) =>
      ((await client.call('SLOWLOG', 'GET', '-1')) as Reply[][]).map((entry) => {
        assert.equal(typeof entry[0], 'number');
        assert.ok(Math.abs((entry[1] as number) - Date.now() / 1000) < 60);
        assert.equal(typeof entry[2], 'number');
        assert.match(String(entry[4]), /^127\.0\.0\.1:\d+$/);
        return [entry[3], entry[5]];
      });
    const ours = await entries(shoalClient);
    assert.equal(ours.length, 4);
    if (redis !== undefined) assert.deepEqual(ours, await entries(redisClient));
    await sideBySide([
      ['SLOWLOG', 'LEN'],
      ['CONFIG', 'SET', 'slowlog-max-len', '2'],
      ['SLOWLOG', 'LEN'],
      ['SLOWLOG', 'GET', 'x'],
      ['SLOWLOG', 'GET', '-2'],
      ['SLOWLOG', 'GET', '1', '2'],
      ['SLOWLOG', 'HELP'],
      ['SLOWLOG', 'NOPE'],
      ['SLOWLOG', 'RESET'],
      ['SLOWLOG', 'LEN'],
      ['SLOWLOG', 'GET'],
      ['CONFIG', 'SET', 'slowlog-max-len', '128'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'],
    ]);
  });

  it('LATENCY monitors commands over the threshold', async () => {
    await sideBySide([
      ['LATENCY', 'RESET'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'HELP'],
      ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'HISTORY'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '5'],
      ['DEBUG', 'SLEEP', '0.02'],
    ]);
    const latest = (await shoalClient.call('LATENCY', 'LATEST')) as Reply[][];
    assert.equal(latest.length, 1);
    const [event, time, last, max] = latest[0] as [string, number, number, number];
    assert.equal(event, 'command');
    assert.ok(Math.abs(time - Date.now() / 1000) < 60);
    assert.ok(last >= 20 && max >= last, `${last} ${max}`);
    const history = (await shoalClient.call('LATENCY', 'HISTORY', 'command')) as Reply[][];
    assert.equal(history.length, 1);
    assert.match(String(await shoalClient.call('LATENCY', 'DOCTOR')), /1\. command: 1 latency/);
    assert.match(String(await shoalClient.call('LATENCY', 'GRAPH', 'command')), /^command - high/);
    await sideBySide([
      ['LATENCY', 'RESET', 'command', 'nosuch'],
      ['LATENCY', 'LATEST'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
    ]);
  });

  it('MONITOR shows each command as Redis formats it', async () => {
    const watchers: RawClient[] = [];
    for (const client of both()) {
      const port = client === shoalClient ? shoal.port : (redis?.port as number);
      const watcher = await RawClient.connect(port);
      assert.equal(await watcher.call('MONITOR'), 'OK');
      watchers.push(watcher);
      const script: string[][] = [
        ['SET', 'bin', 'a\x01b"c\\\n\t\xff'],
        ['MULTI'],
        ['SET', 'a', '1'],
        ['INCR', 'a'],
        ['EXEC'],
        ['AUTH', 'nopass'],
        ['HELLO', '2', 'AUTH', 'default', 'x'],
        ['CLIENT', 'LIST'],
        ['CONFIG', 'GET', 'hz'],
        ['GET'],
        ['SELECT', '2'],
        ['SET', 'k', '1'],
        ['SELECT', '0'],
        ['PING'],
      ];
      for (const argv of script) await client.call(...argv);
    }
    const lines = async (watcher: RawClient): Promise<string[]> => {
      const replies = await watcher.read(11).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${watcher.chunks.map(String).join('')}`);
      });
      return replies.map((line) => {
        const text = String(line);
        const match = /^\d{10}\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\] (.*)$/.exec(text);
        assert.ok(match, text);
        return `[${match[1]}] ${match[2]}`;
      });
    };
    const ours = await lines(watchers[watchers.length - 1] as RawClient);
    assert.equal(ours[0], '[0] "SET" "bin" "a\\x01b\\"c\\\\\\n\\t\\xff"');
    if (redis !== undefined) assert.deepEqual(ours, await lines(watchers[0] as RawClient));
    const watcher = watchers[watchers.length - 1] as RawClient;
    const refused = await watcher.call('GET', 'k');
    assert.ok(refused instanceof ReplyError);
    assert.equal(refused.message, "ERR Replica can't interact with the keyspace");
    assert.equal(await watcher.call('RESET'), 'RESET');
    assert.equal(await watcher.call('GET', 'nosuch'), null, 'RESET ends MONITOR mode');
    for (const each of watchers) each.close();
  });

  it('CONFIG RESETSTAT clears command statistics', async () => {
    await shoalClient.call('GET', 'k');
    await shoalClient.call('CONFIG', 'RESETSTAT');
    const info = String(await shoalClient.call('INFO', 'commandstats', 'latencystats'));
    assert.doesNotMatch(info, /cmdstat_get:/);
    assert.doesNotMatch(info, /latency_percentiles_usec_get:/);
    await waitFor(async () => {
      const stats = String(await shoalClient.call('INFO', 'stats'));
      return /total_net_input_bytes:[1-9]/.test(stats) && /total_reads_processed:[1-9]/.test(stats);
    }, 'network counters');
  });
});
