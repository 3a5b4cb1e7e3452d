/** The soak's options and its command-line flags. */
import { parseArgs } from 'node:util';

/** Options of a soak run. */
export interface SoakOptions {
  /** Events to accept (duplicates not counted). @default 10000 */
  readonly events: number;
  /** Events per second the driver sends. @default 100 */
  readonly rate: number;
  /** Seed of every random choice: the same seed gives the same events and faults. @default 1 */
  readonly seed: number;
  /**
   * Fraction of the events after which the runtime is stopped and started again on the same
   * persisted state; `undefined` for no restart.
   *
   * @default 0.5
   */
  readonly restartAt: number | undefined;
  /** Share of events that carry a fault. @default 0.15 */
  readonly faultShare: number;
  /** Share of requests sent twice (with or without `Idempotency-Key`, some concurrently). @default 0.05 */
  readonly duplicateShare: number;
  /** Inject `crash:1` and `hang:1` (each holds its batch for a visibility timeout). @default true */
  readonly slowFaults: boolean;
  /** Requests in flight at once. @default 16 */
  readonly concurrency: number;
  /** How long to wait for the queues to drain after the last event. @default 600000 */
  readonly drainTimeoutMs: number;
  /** Write the report as JSON to this file. @default - no file */
  readonly jsonFile: string | undefined;
  /** Keep the persisted state directory. @default false */
  readonly keepState: boolean;
  /** Print the runtime's log lines. @default false */
  readonly verbose: boolean;
  /** Project root. @default process.cwd() */
  readonly projectDir: string;
  /** Receives progress lines. @default console.log */
  readonly log: (line: string) => void;
}

/** The defaults, one place. */
export const SOAK_DEFAULTS: SoakOptions = {
  events: 10_000,
  rate: 100,
  seed: 1,
  restartAt: 0.5,
  faultShare: 0.15,
  duplicateShare: 0.05,
  slowFaults: true,
  concurrency: 16,
  drainTimeoutMs: 600_000,
  jsonFile: undefined,
  keepState: false,
  verbose: false,
  projectDir: process.cwd(),
  log: (line) => console.log(line),
};

/** A flag was wrong; the message says which and why. */
export class SoakOptionsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SoakOptionsError';
  }
}

/** Usage text of `npm run soak`. */
export const SOAK_USAGE = `usage: npm run soak -- [options]
  --events <n>          events to accept (default ${SOAK_DEFAULTS.events})
  --rate <n>            events per second (default ${SOAK_DEFAULTS.rate})
  --seed <n>            seed of events and faults (default ${SOAK_DEFAULTS.seed})
  --restart-at <f>      stop and restart the runtime after this fraction of the events (default ${SOAK_DEFAULTS.restartAt})
  --no-restart          do not restart the runtime
  --fault-share <f>     share of events with a fault (default ${SOAK_DEFAULTS.faultShare})
  --duplicate-share <f> share of requests sent twice (default ${SOAK_DEFAULTS.duplicateShare})
  --no-slow-faults      no crash:1 and hang:1 faults
  --concurrency <n>     requests in flight (default ${SOAK_DEFAULTS.concurrency})
  --drain-timeout <s>   seconds to wait for the queues to drain (default ${SOAK_DEFAULTS.drainTimeoutMs / 1000})
  --json <file>         write the report as JSON
  --keep-state          keep the persisted emulator state
  --verbose             print the runtime's log lines`;

/**
 * Parses the soak's flags over {@link SOAK_DEFAULTS}.
 *
 * @throws SoakOptionsError on an unknown flag or a value out of range
 */
export function parseSoakArgs(args: readonly string[]): SoakOptions {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(args);
  } catch (error) {
    throw new SoakOptionsError((error as Error).message, { cause: error });
  }
  const number = (name: string, value: string | undefined, min: number, max: number) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw new SoakOptionsError(`--${name} must be between ${min} and ${max} (given ${value})`);
    }
    return parsed;
  };
  const integer = (name: string, value: string | undefined, min: number, max: number) => {
    const parsed = number(name, value, min, max);
    if (parsed !== undefined && !Number.isInteger(parsed)) {
      throw new SoakOptionsError(`--${name} must be a whole number (given ${value})`);
    }
    return parsed;
  };
  if (values['no-restart'] && values['restart-at'] !== undefined) {
    throw new SoakOptionsError('--restart-at and --no-restart cannot be used together');
  }
  const drainSeconds = number('drain-timeout', values['drain-timeout'], 1, 86_400);
  return {
    ...SOAK_DEFAULTS,
    ...defined({
      events: integer('events', values.events, 1, 10_000_000),
      rate: number('rate', values.rate, 0.1, 100_000),
      seed: integer('seed', values.seed, 0, 4_294_967_295),
      faultShare: number('fault-share', values['fault-share'], 0, 1),
      duplicateShare: number('duplicate-share', values['duplicate-share'], 0, 1),
      concurrency: integer('concurrency', values.concurrency, 1, 1000),
      drainTimeoutMs: drainSeconds === undefined ? undefined : drainSeconds * 1000,
      jsonFile: values.json,
      keepState: values['keep-state'],
      verbose: values.verbose,
      slowFaults: values['no-slow-faults'] ? false : undefined,
    }),
    restartAt: values['no-restart']
      ? undefined
      : (number('restart-at', values['restart-at'], 0.01, 0.99) ?? SOAK_DEFAULTS.restartAt),
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      events: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'restart-at': { type: 'string' },
      'no-restart': { type: 'boolean' },
      'fault-share': { type: 'string' },
      'duplicate-share': { type: 'string' },
      concurrency: { type: 'string' },
      'drain-timeout': { type: 'string' },
      json: { type: 'string' },
      'keep-state': { type: 'boolean' },
      verbose: { type: 'boolean' },
      'no-slow-faults': { type: 'boolean' },
    },
  }).values;
}

function defined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
