// etcd put load generator, run as its own process so its CPU use is visible apart from the
// benchmark driver's. Prints one JSON line: puts/s, p50 and p99 latency (ms), errors.
//
//   node dist/bench/etcd-load.js --port 2379 --connections 50 --inflight 16 --requests 100000

import { parseArgs } from 'node:util';
import { runLoad } from './etcd-grpc.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '2379' },
      connections: { type: 'string', default: '50' },
      inflight: { type: 'string', default: '1' },
      requests: { type: 'string', default: '10000' },
      keyspace: { type: 'string', default: '100000' },
      'value-bytes': { type: 'string', default: '32' },
    },
  });
  const result = await runLoad({
    port: Number(values.port),
    connections: Number(values.connections),
    inflight: Number(values.inflight),
    requests: Number(values.requests),
    keyspace: Number(values.keyspace),
    valueBytes: Number(values['value-bytes']),
  });
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ ...result, cpuSeconds })}\n`);
}

await main();
