import type { ParseArgsOptionsConfig } from 'node:util';
import type { ExitCode } from './cli-error.ts';

/** Where a command writes: text for people, or one JSON document with `--json`. */
export interface CommandIo {
  /** `true` with `--json`: print one JSON document and nothing else on stdout. */
  readonly json: boolean;
  /** Writes a line (or a JSON document) to stdout. */
  out(text: string): void;
  /** Writes a line to stderr (progress, hints). */
  err(text: string): void;
  /** Redraws one progress line on stderr (terminals only; a no-op otherwise). */
  progress(text: string): void;
  /** `true` when stderr is a terminal (progress is drawn only then). */
  readonly interactive: boolean;
}

/** Parsed arguments of a command. */
export interface CommandArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
}

/** One `pipeline` subcommand. */
export interface Command {
  /** Name, possibly two words (`dlq list`). */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage and examples, shown by `--help`. */
  readonly help: string;
  /** Flags besides the global ones. */
  readonly options: ParseArgsOptionsConfig;
  /** Runs the command and returns its exit code; throws CliError for expected failures. */
  run(args: CommandArgs, io: CommandIo): Promise<ExitCode>;
}

/** Flags every command takes. */
export const GLOBAL_OPTIONS = {
  target: { type: 'string', short: 't' },
  outputs: { type: 'string' },
  stack: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/** Help text of the global flags. */
export const GLOBAL_HELP = `Global flags:
  -t, --target <local|localstack|aws>  which deployment to talk to (default: local)
      --outputs <file>                 outputs file (default: outputs/<target>.json)
      --stack <name>                   stack to use when the outputs file holds several
      --endpoint <url>                 AWS endpoint for SDK calls (default: AWS_ENDPOINT_URL or the local runtime's)
      --json                           print one JSON document (for scripts)
  -h, --help                           this help`;

/** Reads a string flag. */
export function stringFlag(args: CommandArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}
