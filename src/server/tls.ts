// TLS listeners: the tls-* settings turned into node:tls options, client certificate policy
// (tls-auth-clients yes / optional / no), and live reload when CONFIG SET changes a file.
// A TLS connection is handed to the same Session as a plain one: TLSSocket is a net.Socket.

import { readFileSync } from 'node:fs';
import {
  createSecureContext,
  createServer,
  type SecureContextOptions,
  type SecureVersion,
  type Server,
  type TLSSocket,
} from 'node:tls';
import type { Config } from '../commands/config.js';

export class TlsConfigError extends Error {}

/** Settings whose change rebuilds the certificate context of running TLS listeners. */
export const TLS_CONTEXT_SETTINGS = new Set([
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-ca-cert-file',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
]);

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function readPem(config: Config, setting: string): Buffer {
  const file = config.get(setting);
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsConfigError(`cannot read ${setting} '${file}': ${(error as Error).message}`);
  }
}

/** tls-protocols ("TLSv1.2 TLSv1.3") as a version range; Redis's default is TLS 1.2 and 1.3. */
function versionRange(text: string): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const indexes = words.map((word) => {
    const index = VERSIONS.findIndex((version) => version.toLowerCase() === word.toLowerCase());
    if (index < 0) throw new TlsConfigError(`invalid tls-protocols value '${word}'`);
    return index;
  });
  return {
    minVersion: VERSIONS[Math.min(...indexes)] as SecureVersion,
    maxVersion: VERSIONS[Math.max(...indexes)] as SecureVersion,
  };
}

/** Certificate, key, CA and protocol options from the settings; throws TlsConfigError. */
export function secureContextOptions(config: Config): SecureContextOptions {
  if (config.get('tls-cert-file') === '' || config.get('tls-key-file') === '') {
    throw new TlsConfigError('tls-port needs tls-cert-file and tls-key-file');
  }
  const authClients = config.get('tls-auth-clients');
  if (authClients !== 'no' && config.get('tls-ca-cert-file') === '') {
    throw new TlsConfigError(
      'tls-auth-clients yes or optional needs tls-ca-cert-file to check client certificates against',
    );
  }
  const options: SecureContextOptions = {
    cert: readPem(config, 'tls-cert-file'),
    key: readPem(config, 'tls-key-file'),
    ...versionRange(config.get('tls-protocols')),
  };
  if (config.get('tls-key-file-pass') !== '') options.passphrase = config.get('tls-key-file-pass');
  if (config.get('tls-ca-cert-file') !== '') options.ca = readPem(config, 'tls-ca-cert-file');
  if (config.get('tls-ciphers') !== '') options.ciphers = config.get('tls-ciphers');
  if (config.get('tls-ciphersuites') !== '') {
    // node:tls takes TLS 1.3 suites in the same list as the TLS 1.2 ciphers.
    options.ciphers = [options.ciphers, config.get('tls-ciphersuites')].filter(Boolean).join(':');
  }
  try {
    createSecureContext(options);
  } catch (error) {
    throw new TlsConfigError(`invalid TLS configuration: ${(error as Error).message}`);
  }
  return options;
}

/**
 * Whether a client passed tls-auth-clients: "yes" needs a certificate signed by the CA, "optional"
 * checks one only if the client sent one, "no" takes anyone.
 */
export function clientCertificateAccepted(socket: TLSSocket, authClients: string): boolean {
  if (authClients === 'no') return true;
  if (socket.authorized) return true;
  if (authClients === 'optional') {
    const peer = socket.getPeerCertificate();
    return peer === null || Object.keys(peer).length === 0;
  }
  return false;
}

/**
 * A TLS server that hands every connection that passed the handshake and tls-auth-clients to
 * `accept`. Client certificates are always requested and checked here rather than by node:tls,
 * so that CONFIG SET tls-auth-clients applies to the next connection.
 */
export function createTlsListener(config: Config, accept: (socket: TLSSocket) => void): Server {
  const server = createServer(
    { ...secureContextOptions(config), requestCert: true, rejectUnauthorized: false },
    (socket) => {
      if (clientCertificateAccepted(socket, config.get('tls-auth-clients'))) accept(socket);
      else socket.destroy();
    },
  );
  // A failed handshake only concerns that client.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  return server;
}
