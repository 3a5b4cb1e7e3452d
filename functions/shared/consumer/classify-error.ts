import { IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { PermanentError } from '../errors.ts';
import * as z from '../zod.ts';

/** How the runtime treats a failed record. */
export type FailureClass = 'permanent' | 'retryable';

/**
 * Classifies a record's failure.
 *
 * Permanent: a {@link PermanentError} (bad body, schema violation, unsupported type, or thrown by
 * the consumer), a zod error thrown by the consumer's own parsing (`zod`'s `ZodError` and
 * `zod/mini`'s, both zod core `$ZodError`s), and an
 * `IdempotencyValidationError` (the same `source` + `id` arrived with another payload, which
 * CloudEvents forbids). Everything else is retryable: an unknown error is retried until the
 * queue's maxReceiveCount and then dead-lettered, so nothing is dropped on a guess.
 */
export function classifyError(error: unknown): FailureClass {
  if (error instanceof PermanentError) return 'permanent';
  if (error instanceof z.$ZodError) return 'permanent';
  if (error instanceof IdempotencyValidationError) return 'permanent';
  return 'retryable';
}

/** Longest failure reason kept in status records and dead-letter attributes. */
export const MAX_REASON_LENGTH = 1000;

/**
 * A one-line, bounded description of an error for status records and dead-letter attributes:
 * `<name>: <message>`, truncated to {@link MAX_REASON_LENGTH} characters.
 */
export function describeError(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : `non-error thrown: ${String(error)}`;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_REASON_LENGTH
    ? `${oneLine.slice(0, MAX_REASON_LENGTH - 1)}…`
    : oneLine;
}
