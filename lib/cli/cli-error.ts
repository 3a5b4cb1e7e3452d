/**
 * Exit codes of the `pipeline` CLI, for scripts.
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The command ran and the answer is negative (e.g. the API rejected the event). */
  FAILED: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** The thing asked about does not exist (unknown event, consumer, outputs file). */
  NOT_FOUND: 3,
  /** The target cannot be reached (runtime not started, no credentials, network). */
  UNREACHABLE: 4,
  /** `--wait` gave up before the answer was final. */
  TIMEOUT: 5,
} as const;

/** One of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line, with the exit code scripts rely on and a next step. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
