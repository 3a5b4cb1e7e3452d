/**
 * `pipeline start`: runs the synthesized pipeline locally until Ctrl-C or SIGTERM.
 */
import { CliError, EXIT, type ExitCode } from '../cli/cli-error.ts';
import type { Command, CommandArgs, CommandIo } from '../cli/command.ts';
import { DYNAMODB_ENGINES, type DynamoDbEngine } from './emulators.ts';
import type { LocalRuntime } from './runtime.ts';

/** Port the REST API listens on when `--port` is not given. */
export const DEFAULT_API_PORT = 3000;

/** The `start` command of the `pipeline` CLI. */
export const startCommand: Command = {
  name: 'start',
  summary: 'run the pipeline locally (emulators, functions from cdk.out, REST API)',
  help: `Usage: pipeline start [flags]

Synthesizes the CDK app (skipped when bin/, lib/, functions/, cdk.json and
package-lock.json are unchanged), starts fauxqs (SNS + SQS) and dynalite or
Amazon DynamoDB Local on loopback, provisions the template on them, hosts every
Lambda function from its bundle in cdk.out, polls the SQS event sources, serves
the REST API and writes outputs/local.json. Ctrl-C stops everything.

Flags:
  --dynamodb <dynalite|local>  DynamoDB emulator (default: dynalite); local runs
                               Amazon DynamoDB Local (needs Java 17+)
  --port <n>                   REST API port (default: ${DEFAULT_API_PORT}; 0 picks a free one)
  --persist <dir>              keep queues, messages and tables in <dir> across restarts
  --no-watch                   do not watch functions/ and lib/ for changes
  --force-synth                synthesize even when nothing changed

Examples:
  npm start
  npm start -- --port 0 --dynamodb local
  npm start -- --persist .state`,
  options: {
    dynamodb: { type: 'string' },
    port: { type: 'string' },
    persist: { type: 'string' },
    watch: { type: 'boolean', default: true },
    'no-watch': { type: 'boolean' },
    'force-synth': { type: 'boolean' },
  },
  run: runStart,
};

async function runStart(args: CommandArgs, io: CommandIo): Promise<ExitCode> {
  const dynamodb = stringValue(args, 'dynamodb') ?? 'dynalite';
  if (!DYNAMODB_ENGINES.includes(dynamodb as DynamoDbEngine)) {
    throw new CliError(
      `--dynamodb must be one of ${DYNAMODB_ENGINES.join(', ')}, but "${dynamodb}" was given`,
      EXIT.USAGE
    );
  }
  const portText = stringValue(args, 'port') ?? String(DEFAULT_API_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(
      `--port must be between 0 and 65535, but "${portText}" was given`,
      EXIT.USAGE
    );
  }
  let runtime: LocalRuntime;
  try {
    // Loaded here, not at the top: the emulators need Node.js 22+ (node:sqlite), and the
    // CLI's other commands must not pay for (or fail on) them.
    const { LocalRuntime } = await import('./runtime.ts');
    runtime = await LocalRuntime.start({
      dynamodb: dynamodb as DynamoDbEngine,
      port,
      persistDir: stringValue(args, 'persist'),
      watch: args.values['no-watch'] !== true && args.values.watch !== false,
      forceSynth: args.values['force-synth'] === true,
      log: (line) => io.out(line),
    });
  } catch (error) {
    // Synth, emulator and provisioning errors already say what is wrong and what to do.
    throw new CliError((error as Error).message, EXIT.FAILED, { cause: error });
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.err(`${signal}: stopping…`);
  // A second signal while stopping leaves at once.
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await runtime.stop();
  io.err('stopped');
  return EXIT.OK;
}

function stringValue(args: CommandArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}
