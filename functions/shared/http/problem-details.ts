import type { APIGatewayProxyResult } from 'aws-lambda';

/** Media type of an RFC 9457 problem details document. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Prefix of the problem `type` URIs this project uses.
 *
 * RFC 9457 § 3.1.1 allows non-resolvable URIs; a `tag:` URI (RFC 4151) names the problem type
 * without promising a web page that does not exist.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457#section-4
 */
export const PROBLEM_TYPE_PREFIX = 'tag:event-pipeline,2026:problem/';

/** One entry of a problem's `errors` member: what is wrong with one part of the request. */
export interface ProblemError {
  /** Index of the entry in a batch request, when the request is a batch. */
  readonly index?: number;
  /** JSON Pointer (RFC 6901) into the request body, when the problem is in the body. */
  readonly pointer?: string;
  /** Name of the request header at fault, when the problem is in a header. */
  readonly header?: string;
  /** What is wrong, for a human. */
  readonly detail: string;
}

/**
 * An RFC 9457 problem details document.
 *
 * Extension members (`errors`, `sources`, `accepted`, …) are allowed next to the standard ones.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
export interface ProblemDetails {
  /** URI reference naming the problem type. */
  readonly type: string;
  /** Short summary of the problem type; the same for every occurrence. */
  readonly title: string;
  /** The HTTP status code. */
  readonly status: number;
  /** Explanation of this occurrence. */
  readonly detail: string;
  /** Per-part errors (batch entries, attributes). */
  readonly errors?: readonly ProblemError[];
  /** Further extension members. */
  readonly [extension: string]: unknown;
}

/** Builds a problem `type` URI from a short slug such as `bad-json`. */
export function problemType(slug: string): string {
  return PROBLEM_TYPE_PREFIX + slug;
}

/**
 * Renders a problem as an API Gateway proxy result with `Content-Type: application/problem+json`.
 *
 * @param problem the problem document; its `status` becomes the HTTP status
 * @param headers extra response headers (e.g. `Allow` on a 405)
 */
export function problemResult(
  problem: ProblemDetails,
  headers: Readonly<Record<string, string>> = {}
): APIGatewayProxyResult {
  return {
    statusCode: problem.status,
    headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problem),
  };
}
