import { parseArgs } from 'node:util';
import { CliError, EXIT, type ExitCode } from './cli-error.ts';
import { type Command, type CommandIo, GLOBAL_HELP, GLOBAL_OPTIONS } from './command.ts';
import { dlqListCommand, dlqPeekCommand, dlqRedriveCommand } from './commands/dlq.ts';
import { sendCommand } from './commands/send.ts';
import { statusCommand } from './commands/status.ts';
import { tailCommand } from './commands/tail.ts';

/** Every subcommand, in the order `pipeline --help` lists them. */
export const COMMANDS: readonly Command[] = [
  sendCommand,
  statusCommand,
  dlqListCommand,
  dlqPeekCommand,
  dlqRedriveCommand,
  tailCommand,
];

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: pipeline <command> [arguments] [flags]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    GLOBAL_HELP,
    '',
    'Run `pipeline <command> --help` for a command’s flags and examples.',
  ].join('\n');
}

/** A {@link CommandIo} on the process's stdout and stderr. */
export function processIo(json: boolean): CommandIo {
  const interactive = Boolean(process.stderr.isTTY);
  let drawn = false;
  return {
    json,
    interactive,
    out: (text) => {
      if (drawn) process.stderr.write('\n');
      drawn = false;
      process.stdout.write(`${text}\n`);
    },
    err: (text) => process.stderr.write(`${text}\n`),
    progress: (text) => {
      if (!interactive || json) return;
      process.stderr.write(`\r\u001b[2K${text}`);
      drawn = true;
    },
  };
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code.
 *
 * @param extraCommands commands defined elsewhere (e.g. `start`, which lives with the runtime)
 */
export async function runCli(
  argv: readonly string[],
  extraCommands: readonly Command[] = [],
  makeIo: (json: boolean) => CommandIo = processIo
): Promise<ExitCode> {
  const commands = [...extraCommands, ...COMMANDS];
  const io = makeIo(argv.includes('--json'));
  const command =
    commands.find(
      (candidate) => candidate.name.includes(' ') && argv.slice(0, 2).join(' ') === candidate.name
    ) ?? commands.find((candidate) => candidate.name === argv[0]);
  if (!command) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(usage(commands));
      return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
    }
    io.err(`unknown command: ${argv.slice(0, 2).join(' ')}\n\n${usage(commands)}`);
    return EXIT.USAGE;
  }
  const rest = argv.slice(command.name.split(' ').length);
  try {
    const parsed = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      io.out(`${command.help}\n\n${GLOBAL_HELP}`);
      return EXIT.OK;
    }
    return await command.run({ positionals: parsed.positionals, values: parsed.values }, io);
  } catch (error) {
    if (error instanceof CliError) {
      if (io.json) io.out(JSON.stringify({ error: error.message, exitCode: error.exitCode }));
      else io.err(`error: ${error.message}`);
      return error.exitCode;
    }
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.err(
        `error: ${(error as Error).message}\nRun \`pipeline ${command.name} --help\` for its flags.`
      );
      return EXIT.USAGE;
    }
    throw error;
  }
}
