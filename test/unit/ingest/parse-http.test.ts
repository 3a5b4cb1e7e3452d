import { describe, expect, it } from 'vitest';
import {
  BatchTooLargeError,
  InvalidCloudEventError,
  MalformedBodyError,
  UnsupportedContentTypeError,
} from '../../../functions/shared/cloudevents/errors.ts';
import {
  detectMode,
  MAX_BATCH_EVENTS,
  MAX_JSON_DEPTH,
  parseCloudEvents,
  parseContentType,
} from '../../../functions/shared/cloudevents/parse-http.ts';

const structured = (event: unknown) => ({
  headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
  body: JSON.stringify(event),
});
const base = { specversion: '1.0', id: 'e-1', source: '/shop', type: 't' };

function issuesOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidCloudEventError) return error.issues;
    throw error;
  }
  throw new Error('expected InvalidCloudEventError');
}

describe('CloudEvents HTTP parsing', () => {
  it('tells the mode from the content type and ce-* headers', () => {
    expect(detectMode({ 'content-type': 'application/cloudevents+json' })).toBe('structured');
    expect(detectMode({ 'content-type': 'Application/CloudEvents-Batch+JSON' })).toBe('batch');
    expect(detectMode({ 'content-type': 'application/vnd.acme+json', 'ce-id': '1' })).toBe(
      'binary'
    );
  });

  it('fails if the charset is not UTF-8', () => {
    expect(() =>
      detectMode({ 'content-type': 'application/cloudevents+json; charset=latin1' })
    ).toThrow(UnsupportedContentTypeError);
  });

  it('fails if there is no content type and no ce-* header', () => {
    expect(() => detectMode({})).toThrow(/^content type none is not supported; send /);
  });

  it('parses content type parameters', () => {
    expect(parseContentType('application/json; Charset="UTF-8"')).toEqual({
      mediaType: 'application/json',
      parameters: { charset: 'UTF-8' },
    });
  });

  it('keeps time as sent and adds none when absent (the SDK would)', () => {
    // Act
    const [withTime] = parseCloudEvents(
      structured({ ...base, time: '2026-01-01T00:00:00+02:00' })
    ).events;
    const [withoutTime] = parseCloudEvents(structured(base)).events;
    // Assess
    expect(JSON.parse(withTime?.structured ?? '').time).toBe('2026-01-01T00:00:00+02:00');
    expect(JSON.parse(withoutTime?.structured ?? '')).not.toHaveProperty('time');
  });

  it('treats null attributes as unset', () => {
    const [received] = parseCloudEvents(
      structured({ ...base, subject: null, tenant: null })
    ).events;
    expect(JSON.parse(received?.structured ?? '')).toEqual(base);
  });

  it('fails if a required attribute is empty instead of inventing one (the SDK would)', () => {
    expect(issuesOf(() => parseCloudEvents(structured({ ...base, id: '' })))).toEqual([
      { pointer: '/id', detail: "attribute 'id' must be a non-empty string, but '' was provided" },
    ]);
  });

  it('fails if source is not a URI reference, with the SDK schema error made readable', () => {
    expect(issuesOf(() => parseCloudEvents(structured({ ...base, source: 'a b%' })))).toEqual([
      { pointer: '/source', detail: 'attribute \'source\' must match format "uri-reference"' },
    ]);
  });

  it('reports every bad entry of a batch', () => {
    // Act
    const issues = issuesOf(() =>
      parseCloudEvents({
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify([base, 'nope', { ...base, id: undefined }]),
      })
    );
    // Assess
    expect(issues).toEqual([
      {
        index: 1,
        pointer: '/1',
        detail: 'entry 1 must be a JSON object, but a string was provided',
      },
      { index: 2, pointer: '/2/id', detail: "missing required attribute 'id'" },
    ]);
  });

  it('maps binary ce-* headers (any case) to attributes and extensions', () => {
    // Act
    const [received] = parseCloudEvents({
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'b-1',
        'ce-source': '/shop',
        'ce-type': 't',
        'ce-tenant': 'acme',
      },
      body: '{"a":1}',
    }).events;
    // Assess
    expect(JSON.parse(received?.structured ?? '')).toEqual({
      ...base,
      id: 'b-1',
      datacontenttype: 'application/json',
      tenant: 'acme',
      data: { a: 1 },
    });
  });

  it('fails if a binary ce-time is not RFC 3339 (the SDK would replace it with now)', () => {
    expect(
      issuesOf(() =>
        parseCloudEvents({
          headers: {
            'content-type': 'application/json',
            'ce-specversion': '1.0',
            'ce-id': 'b-1',
            'ce-source': '/shop',
            'ce-type': 't',
            'ce-time': 'tomorrow',
          },
          body: '{}',
        })
      )
    ).toEqual([
      {
        header: 'ce-time',
        detail: "header 'ce-time' must be an RFC 3339 timestamp, but 'tomorrow' was provided",
      },
    ]);
  });

  it('fails if a batch body is not an array', () => {
    expect(() =>
      parseCloudEvents({
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(base),
      })
    ).toThrow(MalformedBodyError);
  });
});

describe('CloudEvents HTTP parsing of hostile input (found by test/e2e/ingest-fuzz.test.ts)', () => {
  it('fails if the body nests JSON deeper than the limit, instead of overflowing the stack', () => {
    // Prepare: 100 000 levels serialize with a RangeError (was a 500).
    const depth = 100_000;
    const body = JSON.stringify({ ...base, data: '@' }).replace(
      '"@"',
      `${'['.repeat(depth)}${']'.repeat(depth)}`
    );

    // Act / Assess
    expect(() =>
      parseCloudEvents({ headers: { 'content-type': 'application/cloudevents+json' }, body })
    ).toThrow(
      new MalformedBodyError(
        `the request body nests JSON more than ${MAX_JSON_DEPTH} levels deep (structured mode); flatten the data`
      )
    );
  });

  it('accepts data nested exactly to the limit', () => {
    // Prepare: the event object is level 1, so data may nest MAX_JSON_DEPTH - 1 levels.
    const inner = MAX_JSON_DEPTH - 1;
    const body = JSON.stringify({ ...base, data: '@' }).replace(
      '"@"',
      `${'['.repeat(inner)}${']'.repeat(inner)}`
    );

    // Act
    const { events } = parseCloudEvents({
      headers: { 'content-type': 'application/cloudevents+json' },
      body,
    });

    // Assess
    expect(events).toHaveLength(1);
  });

  it('fails if a batch has more events than the limit', () => {
    // Prepare
    const batch = Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => ({ ...base, id: `${i}` }));

    // Act / Assess
    expect(() =>
      parseCloudEvents({
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(batch),
      })
    ).toThrow(
      new BatchTooLargeError(
        `the batch has ${MAX_BATCH_EVENTS + 1} events, over the limit of ${MAX_BATCH_EVENTS}; send it in several requests`
      )
    );
  });

  it.each([
    ['a NUL', 'id', 'a\u0000b'],
    ['a newline', 'source', '/shop\n'],
    ['a C1 control', 'subject', 'x\u0085'],
    ['an unpaired surrogate', 'type', 't\ud800'],
    ['a noncharacter', 'id', 'x\uffff'],
    ['a noncharacter in an extension', 'tenant', '\ufdd0'],
  ])('fails if a string attribute holds %s (not a CloudEvents String)', (_case, name, value) => {
    // Act
    const issues = issuesOf(() => parseCloudEvents(structured({ ...base, [name]: value })));

    // Assess
    expect(issues).toEqual([
      {
        pointer: `/${name}`,
        detail: `attribute '${name}' must be a CloudEvents String (no control characters, noncharacters or unpaired surrogates), but ${JSON.stringify(value)} was provided`,
      },
    ]);
  });

  it('fails if a binary ce-* header holds a control character', () => {
    // Act
    const issues = issuesOf(() =>
      parseCloudEvents({
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'e-1',
          'ce-source': '/shop',
          'ce-type': 't',
          'ce-subject': 'tab\there',
        },
        body: '{}',
      })
    );

    // Assess
    expect(issues).toEqual([
      {
        header: 'ce-subject',
        detail: `attribute 'subject' must be a CloudEvents String (no control characters, noncharacters or unpaired surrogates), but "tab\\there" was provided`,
      },
    ]);
  });

  it('escapes U+FFFE and U+FFFF of data in the forwarded event, which SQS would refuse', () => {
    // Act
    const [received] = parseCloudEvents(
      structured({ ...base, data: { note: 'a\uffffb\ufffe' } })
    ).events;

    // Assess
    expect(received?.structured).toContain('"a\\uFFFFb\\uFFFE"');
    expect(received?.structured).not.toMatch(/[\ufffe\uffff]/);
    expect(JSON.parse(received?.structured ?? '{}').data).toEqual({ note: 'a\uffffb\ufffe' });
  });
});
