import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import {
  BatchTooLargeError,
  InvalidCloudEventError,
  MalformedBodyError,
  UnsupportedContentTypeError,
} from '../shared/cloudevents/errors.ts';
import {
  BadRequestError,
  ConflictError,
  HttpError,
  PayloadTooLargeError,
  UnprocessableContentError,
  UnsupportedMediaTypeError,
} from '../shared/http/http-errors.ts';
import type { ProblemDetails } from '../shared/http/problem-details.ts';
import { problemType } from '../shared/http/problem-details.ts';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency-key.ts';

/** An accepted event as the responses list it. */
export interface AcceptedEntry {
  /** CloudEvents `id`. */
  readonly id: string;
  /** CloudEvents `source`. */
  readonly source: string;
  /** Where to read the event's delivery status. */
  readonly statusUrl: string;
  /** Event attributes that could not be message attributes (absent when none). */
  readonly droppedAttributes?: readonly { readonly name: string; readonly reason: string }[];
}

/** An event that was not published, as the 503 response lists it. */
export interface FailedEntry {
  /** Position of the event in the request. */
  readonly index: number;
  /** CloudEvents `id`. */
  readonly id: string;
  /** CloudEvents `source`. */
  readonly source: string;
}

/**
 * 503: SNS or SQS did not take some (or all) events of a validated request.
 *
 * The problem says exactly which events were published (`accepted`, with status URLs) and which
 * were not (`failed`), so a client never takes an unpublished event for accepted; resending the
 * failed ones, or the whole request, is safe (consumers are idempotent per source + id, FIFO
 * destinations deduplicate on them). AWS error codes are logged, not returned. The status store
 * may already hold an `accepted` record of a failed event; a resend overwrites it.
 *
 * It is thrown (not returned) from the idempotent section so that Powertools deletes the
 * in-progress record and a retry with the same `Idempotency-Key` publishes again.
 */
export class PublishFailedError extends HttpError {
  constructor(
    public readonly accepted: readonly AcceptedEntry[],
    public readonly failed: readonly FailedEntry[]
  ) {
    super(
      503,
      'publish-failed',
      'Some events were not published',
      `${failed.length} of ${accepted.length + failed.length} events were not published; the events in 'accepted' were, resend those in 'failed'`,
      { headers: { 'Retry-After': '1' } }
    );
    this.name = 'PublishFailedError';
  }

  override toProblem(): ProblemDetails {
    return {
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      detail: this.message,
      accepted: this.accepted,
      failed: this.failed,
    };
  }
}

/** What the error mapping needs to name the request in messages. */
export interface ErrorContext {
  /** `POST /topics/orders/events`, … */
  readonly scope?: string;
  /** The request's idempotency key, when it has one. */
  readonly idempotencyKey?: string;
}

/**
 * Maps a domain or library error to an {@link HttpError}; `undefined` for an unexpected error
 * (rendered as a generic 500 and logged).
 */
export function toHttpError(error: unknown, context: ErrorContext = {}): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof UnsupportedContentTypeError) {
    return new UnsupportedMediaTypeError(error.message, { cause: error });
  }
  if (error instanceof BatchTooLargeError) {
    return new PayloadTooLargeError('batch-too-large', 'Batch too large', error.message, {
      cause: error,
    });
  }
  if (error instanceof MalformedBodyError) {
    return new BadRequestError('malformed-body', 'Malformed request body', error.message, {
      cause: error,
    });
  }
  if (error instanceof InvalidCloudEventError) {
    return new BadRequestError('invalid-cloudevent', 'Invalid CloudEvent', error.message, {
      cause: error,
      errors: error.issues,
    });
  }
  if (error instanceof IdempotencyValidationError) {
    return new UnprocessableContentError(
      'idempotency-key-reused',
      'Idempotency key reused',
      `${IDEMPOTENCY_KEY_HEADER} '${context.idempotencyKey}' was already used on ${context.scope} with a different request; use a new key for a new request`,
      { cause: error }
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return new ConflictError(
      'request-in-progress',
      'Request in progress',
      `a request with ${IDEMPOTENCY_KEY_HEADER} '${context.idempotencyKey}' on ${context.scope} is still being processed; retry later to get its response`,
      { cause: error, headers: { 'Retry-After': '1' } }
    );
  }
  return undefined;
}
