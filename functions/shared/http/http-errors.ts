import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  type ProblemDetails,
  type ProblemError,
  problemResult,
  problemType,
} from './problem-details.ts';

/** Options every {@link HttpError} takes. */
export interface HttpErrorOptions extends ErrorOptions {
  /** Per-part errors, rendered as the problem's `errors` member. */
  readonly errors?: readonly ProblemError[];
  /** Extra problem members (e.g. `sources` on an ambiguous event id). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `Allow`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An error that maps to an HTTP status and an RFC 9457 problem.
 *
 * The message is the problem's `detail` and is shown to the client only when the status is below
 * 500 (`expose`); a 5xx renders as a generic problem so that internals never leak.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
export class HttpError extends Error {
  /** `true` when the message may be shown to the client (status below 500). */
  public readonly expose: boolean;
  /** Per-part errors. */
  public readonly errors?: readonly ProblemError[];
  /** Extra problem members. */
  public readonly extensions: Readonly<Record<string, unknown>>;
  /** Extra response headers. */
  public readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status HTTP status code
   * @param slug last segment of the problem `type` URI, e.g. `bad-json`
   * @param title short, occurrence-independent summary
   * @param detail what is wrong with this request, precisely
   */
  constructor(
    public readonly status: number,
    public readonly slug: string,
    public readonly title: string,
    detail: string,
    options: HttpErrorOptions = {}
  ) {
    super(detail, options);
    this.name = 'HttpError';
    this.expose = status < 500;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  /** The problem document for this error (generic for a 5xx). */
  toProblem(): ProblemDetails {
    if (!this.expose) return internalProblem(this.status);
    return {
      ...this.extensions,
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }

  /** The API Gateway proxy result for this error. */
  toResult(): APIGatewayProxyResult {
    return problemResult(this.toProblem(), this.headers);
  }
}

/** 400: the request is malformed (bad JSON, missing or invalid attribute, data off its schema). */
export class BadRequestError extends HttpError {
  constructor(slug: string, title: string, detail: string, options?: HttpErrorOptions) {
    super(400, slug, title, detail, options);
    this.name = 'BadRequestError';
  }
}

/** 404: the stream, queue, event or route does not exist. */
export class NotFoundError extends HttpError {
  constructor(slug: string, title: string, detail: string, options?: HttpErrorOptions) {
    super(404, slug, title, detail, options);
    this.name = 'NotFoundError';
  }
}

/** 405: the route exists but not with this method; carries the `Allow` header. */
export class MethodNotAllowedError extends HttpError {
  constructor(method: string, resource: string, allowed: readonly string[]) {
    super(
      405,
      'method-not-allowed',
      'Method not allowed',
      `method ${method} is not allowed on ${resource}; allowed: ${allowed.join(', ')}`,
      { headers: { Allow: allowed.join(', ') } }
    );
    this.name = 'MethodNotAllowedError';
  }
}

/** 409: the request conflicts with the current state (request in progress, ambiguous id). */
export class ConflictError extends HttpError {
  constructor(slug: string, title: string, detail: string, options?: HttpErrorOptions) {
    super(409, slug, title, detail, options);
    this.name = 'ConflictError';
  }
}

/** 413: the request body, or one event in it, is too large. */
export class PayloadTooLargeError extends HttpError {
  constructor(slug: string, title: string, detail: string, options?: HttpErrorOptions) {
    super(413, slug, title, detail, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** 415: the content type is not one the endpoint accepts. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(415, 'unsupported-media-type', 'Unsupported media type', detail, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** 422: the request is well-formed but cannot be processed (idempotency key reused). */
export class UnprocessableContentError extends HttpError {
  constructor(slug: string, title: string, detail: string, options?: HttpErrorOptions) {
    super(422, slug, title, detail, options);
    this.name = 'UnprocessableContentError';
  }
}

/** The generic problem of a server-side failure: no detail beyond the status. */
export function internalProblem(status = 500): ProblemDetails {
  return {
    type: problemType('internal-error'),
    title: 'Internal server error',
    status,
    detail: 'the request could not be processed; try again later',
  };
}
