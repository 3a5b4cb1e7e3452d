import { MAX_VISIBILITY_TIMEOUT_SECONDS } from './consumer-config.ts';

/** Inputs of {@link computeBackoffSeconds}. */
export interface BackoffInput {
  /** The attempt that failed: the message's ApproximateReceiveCount, 1 for the first. */
  readonly attempt: number;
  /** Cap of the first retry's delay, in seconds. */
  readonly baseSeconds: number;
  /** Cap of any delay, in seconds. */
  readonly maxSeconds: number;
  /**
   * Uniform random number in [0, 1).
   *
   * @default Math.random
   */
  readonly random?: () => number;
}

/**
 * The delay before the next attempt, in whole seconds: exponential backoff with full jitter.
 *
 * Attempt n waits a uniformly random whole number of seconds in
 * [0, min(max, base × 2^(n-1))]. Full jitter spreads the retries of many failing messages
 * instead of bunching them (AWS Architecture Blog, "Exponential Backoff And Jitter"). The result
 * is a visibility timeout, so it is an integer and never over SQS's 12-hour limit.
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function computeBackoffSeconds(input: BackoffInput): number {
  const random = input.random ?? Math.random;
  const cap = backoffCapSeconds(input);
  // floor(r × (cap + 1)) is uniform over the integers 0..cap for r in [0, 1).
  const delay = Math.floor(random() * (cap + 1));
  return Math.min(Math.max(delay, 0), cap);
}

/**
 * The upper bound of the delay after a failed attempt: min(max, base × 2^(attempt-1)), in whole
 * seconds, at most SQS's 12-hour visibility limit.
 */
export function backoffCapSeconds(input: Omit<BackoffInput, 'random'>): number {
  // 2^32 already exceeds any cap (≥ 1 s × 2^32 > 12 h), and a bounded exponent keeps
  // base × 2^n finite (0 × Infinity would be NaN).
  const exponent = Math.min(Math.max(0, Math.floor(input.attempt) - 1), 32);
  const exponential = input.baseSeconds * 2 ** exponent;
  return Math.floor(Math.min(exponential, input.maxSeconds, MAX_VISIBILITY_TIMEOUT_SECONDS));
}
