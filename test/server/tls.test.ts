// TLS: plain and TLS ports at once, TLS only (port 0), client certificates (tls-auth-clients
// yes / optional / no), certificates reloaded by CONFIG SET, and ioredis, node-redis and
// redis-cli --tls connecting with a certificate made at run time.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { encodeCommand } from '../helpers/raw-client.js';
import { freePort, hasCommand, type RunningServer, startShoal } from '../helpers/servers.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.js';

const certificates = makeTestCertificates();

/** Sends one command over TLS and returns the raw reply text, or the error that ended it. */
async function tlsCall(
  port: number,
  argv: string[],
  options: { cert?: string; key?: string } = {},
): Promise<{ text: string; fingerprint?: string } | { error: string }> {
  const certs = certificates as TestCertificates;
  return new Promise((resolve) => {
    let text = '';
    const socket: TLSSocket = connect(
      {
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: readFileSync(certs.caCert),
        cert: options.cert === undefined ? undefined : readFileSync(options.cert),
        key: options.key === undefined ? undefined : readFileSync(options.key),
      },
      () => socket.write(encodeCommand(argv)),
    );
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.endsWith('\r\n')) {
        resolve({ text, fingerprint: socket.getPeerCertificate().fingerprint256 });
        socket.end();
      }
    });
    socket.on('error', (error) => resolve({ error: error.message }));
    socket.on('close', () => resolve({ error: 'closed' }));
  });
}

function tlsSettings(certs: TestCertificates, tlsPort: number, authClients: string) {
  return {
    'tls-port': String(tlsPort),
    'tls-cert-file': certs.serverCert,
    'tls-key-file': certs.serverKey,
    'tls-ca-cert-file': certs.caCert,
    'tls-auth-clients': authClients,
  };
}

describe('TLS', { skip: certificates === undefined ? 'openssl is not installed' : false }, () => {
  const certs = certificates as TestCertificates;
  const servers: RunningServer[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    certs.remove();
  });

  describe('plain and TLS ports at once, client certificates not required', () => {
    let shoal: RunningServer;
    let tlsPort: number;
    before(async () => {
      tlsPort = await freePort();
      shoal = await startShoal({
        port: String(await freePort()),
        ...tlsSettings(certs, tlsPort, 'no'),
      });
      servers.push(shoal);
    });

    it('serves the same data on both', async () => {
      assert.deepEqual(
        await tlsCall(tlsPort, ['SET', 'k', 'over tls']).then((r) => 'text' in r && r.text),
        '+OK\r\n',
      );
      const plain = new Redis({ port: shoal.port, lazyConnect: true });
      await plain.connect();
      assert.equal(await plain.get('k'), 'over tls');
      plain.disconnect();
    });

    it('ioredis with tls options', async () => {
      const client = new Redis({
        port: tlsPort,
        host: '127.0.0.1',
        tls: { ca: readFileSync(certs.caCert), servername: 'localhost' },
        lazyConnect: true,
      });
      await client.connect();
      assert.equal(await client.ping(), 'PONG');
      assert.equal(await client.get('k'), 'over tls');
      await client.quit();
    });

    it('node-redis with tls options', async () => {
      const client = createClient({
        socket: {
          port: tlsPort,
          host: '127.0.0.1',
          tls: true,
          ca: readFileSync(certs.caCert),
          servername: 'localhost',
        },
      });
      await client.connect();
      assert.equal(await client.get('k'), 'over tls');
      await client.quit();
    });

    it('redis-cli --tls', async (t) => {
      if (!hasCommand('redis-cli')) return t.skip('redis-cli is not installed');
      const { stdout } = await promisify(execFile)('redis-cli', [
        '--tls',
        '--cacert',
        certs.caCert,
        '-h',
        '127.0.0.1',
        '--sni',
        'localhost',
        '-p',
        String(tlsPort),
        'GET',
        'k',
      ]);
      assert.equal(stdout.trim(), 'over tls');
    });

    it('reloads the certificate on CONFIG SET', async () => {
      const before = await tlsCall(tlsPort, ['PING']);
      assert.ok('fingerprint' in before);
      const admin = new Redis({ port: shoal.port, lazyConnect: true });
      await admin.connect();
      await admin.config(
        'SET',
        'tls-cert-file',
        certs.otherServerCert,
        'tls-key-file',
        certs.otherServerKey,
      );
      const after = await tlsCall(tlsPort, ['PING']);
      assert.ok('fingerprint' in after && after.text === '+PONG\r\n');
      assert.notEqual(after.fingerprint, before.fingerprint);
      await admin.config('SET', 'tls-cert-file', certs.serverCert, 'tls-key-file', certs.serverKey);
      admin.disconnect();
    });
  });

  describe('tls-auth-clients', () => {
    let shoal: RunningServer;
    let tlsPort: number;
    let admin: Redis;
    before(async () => {
      tlsPort = await freePort();
      shoal = await startShoal({
        port: String(await freePort()),
        ...tlsSettings(certs, tlsPort, 'yes'),
      });
      servers.push(shoal);
      admin = new Redis({ port: shoal.port, lazyConnect: true });
      await admin.connect();
    });
    after(() => admin.disconnect());

    const client = { cert: certs.clientCert, key: certs.clientKey };
    const stranger = { cert: certs.strangerCert, key: certs.strangerKey };

    it('yes: a certificate signed by the CA is required', async () => {
      assert.deepEqual(
        await tlsCall(tlsPort, ['PING'], client).then((r) => 'text' in r && r.text),
        '+PONG\r\n',
      );
      assert.ok('error' in (await tlsCall(tlsPort, ['PING'])));
      assert.ok('error' in (await tlsCall(tlsPort, ['PING'], stranger)));
    });

    it('optional: no certificate is fine, a bad one is not', async () => {
      await admin.config('SET', 'tls-auth-clients', 'optional');
      assert.ok('text' in (await tlsCall(tlsPort, ['PING'])));
      assert.ok('text' in (await tlsCall(tlsPort, ['PING'], client)));
      assert.ok('error' in (await tlsCall(tlsPort, ['PING'], stranger)));
    });

    it('no: anyone', async () => {
      await admin.config('SET', 'tls-auth-clients', 'no');
      assert.ok('text' in (await tlsCall(tlsPort, ['PING'], stranger)));
      await admin.config('SET', 'tls-auth-clients', 'yes');
    });

    it('ioredis and redis-cli with a client certificate', async (t) => {
      const io = new Redis({
        port: tlsPort,
        host: '127.0.0.1',
        tls: {
          ca: readFileSync(certs.caCert),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
          servername: 'localhost',
        },
        lazyConnect: true,
      });
      await io.connect();
      assert.equal(await io.ping(), 'PONG');
      await io.quit();
      if (!hasCommand('redis-cli')) return t.skip('redis-cli is not installed');
      const { stdout } = await promisify(execFile)('redis-cli', [
        '--tls',
        '--cacert',
        certs.caCert,
        '--cert',
        certs.clientCert,
        '--key',
        certs.clientKey,
        '--sni',
        'localhost',
        '-h',
        '127.0.0.1',
        '-p',
        String(tlsPort),
        'PING',
      ]);
      assert.equal(stdout.trim(), 'PONG');
    });
  });

  describe('TLS only (port 0) with a password', () => {
    it('listens on the TLS port alone and authenticates over TLS', async () => {
      const tlsPort = await freePort();
      const shoal = await startShoal({ ...tlsSettings(certs, tlsPort, 'no'), requirepass: 'pw' });
      servers.push(shoal);
      assert.equal(shoal.port, 0, 'no plain listener');
      const client = createClient({
        password: 'pw',
        socket: {
          port: tlsPort,
          host: '127.0.0.1',
          tls: true,
          ca: readFileSync(certs.caCert),
          servername: 'localhost',
        },
      });
      await client.connect();
      assert.equal(await client.sendCommand(['ACL', 'WHOAMI']), 'default');
      await client.quit();
      const refused = await tlsCall(tlsPort, ['GET', 'x']);
      assert.ok('text' in refused && refused.text.startsWith('-NOAUTH'));
    });
  });
});
