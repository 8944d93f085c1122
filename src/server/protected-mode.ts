// Protected mode: while the default user needs no password, only loopback clients may connect
// (Redis 7: any bind address, any listener). Kept as a pure decision so it can be tested without
// connecting from another interface.

/** What Redis 7.0 sends a refused client before closing, byte for byte. */
export const PROTECTED_MODE_DENIAL =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a dual-stack listener reports ::ffff:127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const lowered = address.toLowerCase();
  if (lowered === '::1') return true;
  const v4 = lowered.startsWith('::ffff:') ? lowered.slice(7) : lowered;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Whether a new connection from `remoteAddress` must be refused with PROTECTED_MODE_DENIAL. */
export function refusedByProtectedMode(
  protectedMode: boolean,
  defaultUserNeedsNoPassword: boolean,
  remoteAddress: string | undefined,
): boolean {
  return protectedMode && defaultUserNeedsNoPassword && !isLoopbackAddress(remoteAddress);
}
