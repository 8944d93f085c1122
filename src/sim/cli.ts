// Command line for the simulator.
//   node dist/src/sim/cli.js --seeds N [--from S] [--ticks T] [--inject-bug NAME]
//   node dist/src/sim/cli.js --seed S [--ticks T] [--inject-bug NAME] [--verbose]
import { runSeed, type BugName, type RunResult } from './run.js';

interface Arguments {
  seeds: number | null;
  seed: number | null;
  from: number;
  ticks: number | undefined;
  bug: BugName | undefined;
  verbose: boolean;
  trace: boolean;
  stopOnFailure: boolean;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: sim --seeds N [--from S] [--ticks T] [--inject-bug double-vote|commit-old-term] [--stop]\n` +
      `       sim --seed S [--ticks T] [--inject-bug NAME] [--verbose] [--trace]\n`,
  );
  process.exit(2);
}

function parse(argv: readonly string[]): Arguments {
  const args: Arguments = {
    seeds: null,
    seed: null,
    from: 1,
    ticks: undefined,
    bug: undefined,
    verbose: false,
    trace: false,
    stopOnFailure: false,
  };
  const integer = (value: string | undefined, name: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < 0) usage(`${name} needs a non-negative integer`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--seeds':
        args.seeds = integer(argv[++i], arg);
        break;
      case '--seed':
        args.seed = integer(argv[++i], arg);
        break;
      case '--from':
        args.from = integer(argv[++i], arg);
        break;
      case '--ticks':
        args.ticks = integer(argv[++i], arg);
        break;
      case '--inject-bug': {
        const name = argv[++i];
        if (name !== 'double-vote' && name !== 'commit-old-term') usage(`unknown bug ${name}`);
        args.bug = name;
        break;
      }
      case '--verbose':
        args.verbose = true;
        break;
      case '--trace':
        args.trace = true;
        break;
      case '--stop':
        args.stopOnFailure = true;
        break;
      default:
        usage(`unknown argument ${String(arg)}`);
    }
  }
  if ((args.seeds === null) === (args.seed === null))
    usage('give exactly one of --seeds or --seed');
  return args;
}

function describeFailure(result: RunResult): string {
  return `seed ${result.seed}: FAILED ${result.failure ?? ''}\n  scenario: ${result.description}`;
}

function main(): void {
  // `sim ... | head` closes the pipe early: stop quietly instead of crashing.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const args = parse(process.argv.slice(2));
  const log = args.trace ? (line: string) => void process.stdout.write(line + '\n') : undefined;
  const options = { safetyTicks: args.ticks, injectBug: args.bug, log };
  if (args.seed !== null) {
    const started = process.hrtime.bigint();
    const result = runSeed(args.seed, options);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!result.ok) process.stdout.write(describeFailure(result) + '\n');
    else if (args.verbose) process.stdout.write(`  scenario: ${result.description}\n`);
    if (args.verbose) {
      process.stdout.write(
        `  ticks ${result.ticks}, deliveries ${result.deliveries}, operations ${result.operations}, ` +
          `elections ${result.elections}, ${seconds.toFixed(2)} s\n`,
      );
    }
    process.stdout.write(`seed ${result.seed}: digest ${result.digest}\n`);
    process.exitCode = result.ok ? 0 : 1;
    return;
  }
  const count = args.seeds as number;
  let failed = 0;
  let ran = 0;
  let ticks = 0;
  let deliveries = 0;
  const started = process.hrtime.bigint();
  for (let seed = args.from; seed < args.from + count; seed++) {
    const result = runSeed(seed, options);
    ran++;
    ticks += result.ticks;
    deliveries += result.deliveries;
    if (!result.ok) {
      failed++;
      process.stdout.write(describeFailure(result) + '\n');
      if (args.stopOnFailure) break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `rate: ${Math.round(ticks / seconds)} ticks/s, ${Math.round(deliveries / seconds)} deliveries/s ` +
      `(${ticks} ticks, ${deliveries} deliveries in ${seconds.toFixed(1)} s)\n`,
  );
  process.stdout.write(`sim: ${ran} seeds, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
