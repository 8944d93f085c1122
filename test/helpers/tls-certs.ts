// Certificates made at test time with the openssl command (CI installs it): a CA, a server
// certificate for localhost / 127.0.0.1, a client certificate signed by the CA, and a second CA
// with its own client certificate (which the server must refuse).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './servers.js';

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second server certificate from the same CA (to test reloading). */
  otherServerCert: string;
  otherServerKey: string;
  strangerCert: string;
  strangerKey: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function signed(dir: string, ca: string, name: string, commonName: string, extensions: string) {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    'req',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${commonName}`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}

/** Undefined when openssl is not installed (tests skip). */
export function makeTestCertificates(): TestCertificates | undefined {
  if (!hasCommand('openssl')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'shoal-tls-'));
  for (const [name, subject] of [
    ['ca', '/CN=Shoal Test CA'],
    ['stranger-ca', '/CN=Someone Else CA'],
  ] as const) {
    openssl(
      dir,
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      subject,
    );
  }
  const serverExtensions =
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
  signed(dir, 'ca', 'server', 'localhost', serverExtensions);
  signed(dir, 'ca', 'server2', 'localhost', serverExtensions);
  signed(dir, 'ca', 'client', 'shoal-client', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'stranger-ca', 'stranger', 'stranger', 'extendedKeyUsage=clientAuth\n');
  const path = (file: string) => join(dir, file);
  return {
    dir,
    caCert: path('ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    clientCert: path('client.crt'),
    clientKey: path('client.key'),
    otherServerCert: path('server2.crt'),
    otherServerKey: path('server2.key'),
    strangerCert: path('stranger.crt'),
    strangerKey: path('stranger.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
