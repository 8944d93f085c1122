// A Shoal server with the three client connections the client-library tests use: ioredis
// (RESP2) and node-redis in RESP2 and RESP3.

import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startShoal } from './servers.js';

export interface ShoalClients {
  server: RunningServer;
  ioredis: Redis;
  nodeRedis: ReturnType<typeof createClient>;
  nodeRedis3: ReturnType<
    typeof createClient<Record<string, never>, Record<string, never>, Record<string, never>, 3>
  >;
}

/**
 * Call inside a describe: starts the server and connects the clients before its tests, and
 * closes them after. The returned object's fields are set once `before` has run.
 */
export function clientsOnShoal(): ShoalClients {
  const clients = {} as ShoalClients;
  before(async () => {
    clients.server = await startShoal();
    const { port } = clients.server;
    clients.ioredis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    await clients.ioredis.connect();
    clients.nodeRedis = createClient({ url: `redis://127.0.0.1:${port}` });
    await clients.nodeRedis.connect();
    clients.nodeRedis3 = createClient({ url: `redis://127.0.0.1:${port}`, RESP: 3 });
    await clients.nodeRedis3.connect();
  });
  after(async () => {
    clients.ioredis?.disconnect();
    await clients.nodeRedis?.close();
    await clients.nodeRedis3?.close();
    await clients.server?.stop();
  });
  return clients;
}
