import { BadRequestError } from '../shared/http/http-errors.ts';

/** The request header carrying the idempotency key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Longest idempotency key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const QUOTED = /^"((?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\["\\])*)"$/;
const BARE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;

/**
 * Reads the `Idempotency-Key` header.
 *
 * The IETF draft makes it a Structured Field String (`Idempotency-Key: "8e03978e-…"`, RFC 8941
 * § 3.3.3); a bare token of visible ASCII (`Idempotency-Key: 8e03978e-…`), which many clients
 * send, is accepted too. The key is 1 to {@link MAX_IDEMPOTENCY_KEY_LENGTH} characters.
 *
 * @param values every value of the header in the request
 * @returns the key, or `undefined` when the header is absent
 * @throws BadRequestError when the header is repeated, empty, too long or malformed
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
 */
export function parseIdempotencyKey(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    throw invalid(
      `the ${IDEMPOTENCY_KEY_HEADER} header must appear once, but ${values.length} were sent`
    );
  }
  const raw = (values[0] ?? '').trim();
  const quoted = QUOTED.exec(raw);
  let key: string;
  if (quoted) key = (quoted[1] ?? '').replace(/\\(["\\])/g, '$1');
  else if (BARE.test(raw)) key = raw;
  else {
    throw invalid(
      `the ${IDEMPOTENCY_KEY_HEADER} header must be a quoted string of printable ASCII (e.g. "4f1c…"), but '${raw}' was sent`
    );
  }
  if (key.length === 0) throw invalid(`the ${IDEMPOTENCY_KEY_HEADER} header is empty`);
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalid(
      `the ${IDEMPOTENCY_KEY_HEADER} header must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, but ${key.length} were sent`
    );
  }
  return key;
}

function invalid(detail: string): BadRequestError {
  return new BadRequestError('invalid-idempotency-key', 'Invalid Idempotency-Key', detail, {
    errors: [{ header: IDEMPOTENCY_KEY_HEADER.toLowerCase(), detail }],
  });
}
