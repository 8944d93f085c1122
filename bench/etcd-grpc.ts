// etcd puts over gRPC, spoken directly with node:http2 and a hand-encoded PutRequest (Debian's
// etcd-server ships no etcdctl or benchmark tool, and this needs no new dependency):
// `connections` HTTP/2 connections, each keeping `inflight` puts in flight, until `requests` puts
// are answered; random keys `key:%012d` below `keyspace`, values of `valueBytes` bytes, as
// redis-benchmark -r/-d does. The CLI is etcd-load.ts.

import { connect, type ClientHttp2Session } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { percentile } from './common.js';

/** A gRPC message frame carrying etcdserverpb.PutRequest { key = 1; value = 2 }. */
export function putFrame(key: Buffer, value: Buffer): Buffer {
  const body = Buffer.concat([field(1, key), field(2, value)]);
  const frame = Buffer.alloc(5 + body.length);
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** A length-delimited protobuf field (wire type 2). */
function field(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  putsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

export async function runLoad(options: {
  port: number;
  connections: number;
  inflight: number;
  requests: number;
  keyspace: number;
  valueBytes: number;
}): Promise<LoadResult> {
  const value = Buffer.alloc(options.valueBytes, 'x');
  const latencies = new Float64Array(options.requests);
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < options.connections; i++) {
    const session = connect(`http://127.0.0.1:${options.port}`);
    session.on('error', (error) => (firstError ??= error.message));
    sessions.push(session);
  }
  await Promise.all(
    sessions.map((s) => new Promise<void>((resolve) => s.once('connect', () => resolve()))),
  );
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const next = (session: ClientHttp2Session): void => {
      if (issued >= options.requests) return;
      const slot = issued++;
      const key = `key:${String(Math.floor(Math.random() * options.keyspace)).padStart(12, '0')}`;
      const sentAt = performance.now();
      const stream = session.request({
        ':method': 'POST',
        ':path': '/etcdserverpb.KV/Put',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status: string | undefined;
      let message: string | undefined;
      const note = (headers: Record<string, unknown>): void => {
        if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
        if (headers['grpc-message'] !== undefined) message = String(headers['grpc-message']);
      };
      stream.on('response', note);
      stream.on('trailers', note);
      stream.on('data', () => undefined);
      stream.on('error', (error) => (message ??= error.message));
      stream.on('close', () => {
        latencies[slot] = performance.now() - sentAt;
        if (status !== '0') {
          errors++;
          firstError ??= `grpc-status ${status ?? 'none'}: ${message ?? ''}`;
        }
        if (++done === options.requests) resolve();
        else next(session);
      });
      stream.end(putFrame(Buffer.from(key, 'latin1'), value));
    };
    for (const session of sessions) for (let i = 0; i < options.inflight; i++) next(session);
  });
  const seconds = (performance.now() - started) / 1000;
  for (const session of sessions) session.close();
  return {
    requests: options.requests,
    errors,
    seconds,
    putsPerSecond: options.requests / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
