import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from '../../../functions/ingest/idempotency-key.ts';
import { requestFingerprint } from '../../../functions/ingest/idempotent-section.ts';

describe('Idempotency-Key header', () => {
  it('reads a structured-field string, unescaping quotes', () => {
    expect(parseIdempotencyKey(['"8e03978e-40d5"'])).toBe('8e03978e-40d5');
    expect(parseIdempotencyKey([' "a \\"b\\" c" '])).toBe('a "b" c');
  });

  it('reads a bare token', () => {
    expect(parseIdempotencyKey(['8e03978e-40d5'])).toBe('8e03978e-40d5');
  });

  it('is absent without the header', () => {
    expect(parseIdempotencyKey([])).toBeUndefined();
  });

  it('fails if the header is empty', () => {
    expect(() => parseIdempotencyKey(['""'])).toThrow(/^the Idempotency-Key header is empty$/);
  });

  it('fails if the key is too long', () => {
    expect(() => parseIdempotencyKey([`"${'k'.repeat(256)}"`])).toThrow(
      /must be at most 255 characters, but 256 were sent/
    );
  });

  it('fails if the value is a list or has spaces', () => {
    expect(() => parseIdempotencyKey(['"a", "b"'])).toThrow(/must be a quoted string/);
    expect(() => parseIdempotencyKey(['a b'])).toThrow(/must be a quoted string/);
  });
});

describe('request fingerprint', () => {
  it('changes with the body, the media type and the ce-* headers, not other headers', () => {
    // Prepare
    const body = Buffer.from('{"a":1}');
    const headers = { 'content-type': 'application/json', 'ce-id': '1', 'user-agent': 'x' };
    const fingerprint = requestFingerprint(headers, body);
    // Act / Assess
    expect(requestFingerprint({ ...headers, 'user-agent': 'y' }, body)).toBe(fingerprint);
    expect(requestFingerprint(headers, Buffer.from('{"a":2}'))).not.toBe(fingerprint);
    expect(requestFingerprint({ ...headers, 'ce-id': '2' }, body)).not.toBe(fingerprint);
    expect(
      requestFingerprint({ ...headers, 'content-type': 'application/cloudevents+json' }, body)
    ).not.toBe(fingerprint);
  });
});
