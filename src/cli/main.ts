// The `shoal` command: dispatches to its subcommands.

import { check } from './check.js';
import { group } from './group.js';
import { serve } from './serve.js';
import { UsageError } from './config-file.js';

const HELP = `Usage: shoal <command> [options]

Shoal: a Redis-compatible, durable key-value store for Node.js.

Commands:
  serve [options]   start a server (default 127.0.0.1:6379, data in ./data)
                    see 'shoal serve --help' for every option
  check --dir DIR   verify a data directory (snapshots and log), report damage
  group <command>   run a local Raft replica group (group start --nodes 3), or ask a
                    group's member: group status|add|remove|transfer --host H --port P
                    see 'shoal group --help'
  help              show this help

Options:
  --help            show this help
  --version         print the version
`;

export async function main(argv: string[]): Promise<number> {
  const [commandName, ...rest] = argv;
  if (
    commandName === undefined ||
    commandName === '--help' ||
    commandName === '-h' ||
    commandName === 'help'
  ) {
    process.stdout.write(HELP);
    return commandName === undefined ? 1 : 0;
  }
  if (commandName === '--version' || commandName === '-v') {
    process.stdout.write('shoal 0.1.0\n');
    return 0;
  }
  try {
    if (commandName === 'serve') return await serve(rest);
    if (commandName === 'check') return await check(rest, (text) => process.stdout.write(text));
    if (commandName === 'group') return await group(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`shoal: ${error.message}\n(see 'shoal ${commandName} --help')\n`);
      return 2;
    }
    throw error;
  }
  process.stderr.write(`shoal: unknown command '${commandName}'\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`shoal: fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
