import { ENV } from '../contract.ts';
import { ConfigurationError } from '../errors.ts';

/** A consumer's settings, read once at cold start from the environment the stack sets. */
export interface ConsumerConfig {
  /** Logical consumer name (subscriber or queue worker). */
  readonly consumerName: string;
  /** The pipeline table (idempotency, delivery status, effects). */
  readonly tableName: string;
  /** URL of the queue the consumer drains. */
  readonly sourceQueueUrl: string;
  /** URL of that queue's dead-letter queue. */
  readonly deadLetterQueueUrl: string;
  /** Whether the source queue (and so its dead-letter queue) is FIFO. */
  readonly fifo: boolean;
  /** The source queue's maxReceiveCount: the attempt with this receive count is the last. */
  readonly maxReceiveCount: number;
  /** First retry delay of the exponential backoff, in seconds. */
  readonly backoffBaseSeconds: number;
  /** Cap of any single backoff delay, in seconds. */
  readonly backoffMaxSeconds: number;
  /** How long idempotency records are kept, in seconds. */
  readonly idempotencyTtlSeconds: number;
  /** How long delivery status records are kept, in seconds. */
  readonly statusTtlSeconds: number;
  /** Whether the `testfault` CloudEvents extension is honoured. */
  readonly testHooks: boolean;
}

/** Longest visibility timeout SQS accepts (12 hours), the hard cap of any backoff delay. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/**
 * Reads the consumer's settings from the environment; throws at cold start when one is missing.
 *
 * {@link ENV.TEST_HOOKS} is optional and off unless it is exactly `true`, so that a stack which
 * forgets it never honours injected faults.
 *
 * @param env - the environment to read (defaults to `process.env`)
 */
export function readConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  return {
    consumerName: requireString(env, ENV.CONSUMER_NAME),
    tableName: requireString(env, ENV.TABLE_NAME),
    sourceQueueUrl: requireString(env, ENV.SOURCE_QUEUE_URL),
    deadLetterQueueUrl: requireString(env, ENV.DEAD_LETTER_QUEUE_URL),
    fifo: requireBoolean(env, ENV.SOURCE_QUEUE_FIFO),
    maxReceiveCount: requireInteger(env, ENV.MAX_RECEIVE_COUNT, 1, 1000),
    backoffBaseSeconds: requireInteger(
      env,
      ENV.BACKOFF_BASE_SECONDS,
      0,
      MAX_VISIBILITY_TIMEOUT_SECONDS
    ),
    backoffMaxSeconds: requireInteger(
      env,
      ENV.BACKOFF_MAX_SECONDS,
      0,
      MAX_VISIBILITY_TIMEOUT_SECONDS
    ),
    idempotencyTtlSeconds: requireInteger(
      env,
      ENV.IDEMPOTENCY_TTL_SECONDS,
      1,
      Number.MAX_SAFE_INTEGER
    ),
    statusTtlSeconds: requireInteger(env, ENV.STATUS_TTL_SECONDS, 1, Number.MAX_SAFE_INTEGER),
    testHooks: env[ENV.TEST_HOOKS] === 'true',
  };
}

function requireString(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`${name} environment variable is not set`);
  }
  return value;
}

function requireBoolean(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = requireString(env, name);
  if (value !== 'true' && value !== 'false') {
    throw new ConfigurationError(
      `${name} environment variable must be true or false, but "${value}" was provided`
    );
  }
  return value === 'true';
}

function requireInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number {
  const value = requireString(env, name);
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigurationError(
      `${name} environment variable must be an integer between ${min} and ${max}, but "${value}" was provided`
    );
  }
  return parsed;
}
