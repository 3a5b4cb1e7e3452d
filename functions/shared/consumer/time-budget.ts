import { RetryableError } from '../errors.ts';

/** The most time a batch keeps in reserve at the end of an invocation, in milliseconds. */
export const MAX_TIME_RESERVE_MS = 5_000;

/**
 * The time an invocation keeps in reserve: it starts no record once less than this is left.
 *
 * A third of the invocation's time, at most {@link MAX_TIME_RESERVE_MS}: enough for a typical
 * record's effect and idempotency writes, so that a batch running long is cut between records
 * instead of inside one (a record cut after its effect but before its idempotency record is
 * completed is applied again on redelivery, once its in-progress lease has expired).
 *
 * @param remainingAtStartMs - `getRemainingTimeInMillis()` when the invocation started
 */
export function timeReserveMs(remainingAtStartMs: number): number {
  return Math.min(MAX_TIME_RESERVE_MS, Math.max(0, remainingAtStartMs) / 3);
}

/** A record was not started because the invocation was running out of time; it is retried. */
export class OutOfTimeError extends RetryableError {
  constructor(remainingMs: number, options?: ErrorOptions) {
    super(`not started: ${remainingMs} ms left in the invocation, under its time reserve`, options);
    this.name = 'OutOfTimeError';
  }
}
