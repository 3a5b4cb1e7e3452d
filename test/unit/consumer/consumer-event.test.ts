import { CloudEvent } from 'cloudevents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConsumerEvent,
  parseCloudEvent,
  validateEventData,
} from '../../../functions/shared/consumer/consumer-event.ts';
import { parseTestFault } from '../../../functions/shared/consumer/test-fault.ts';
import { MalformedMessageError } from '../../../functions/shared/errors.ts';
import { orderEventSchemas } from '../../../functions/shop/events.ts';
import { SHOP_EVENT_TYPES } from '../../../functions/shop/schemas.ts';
import { cloudEventFactory } from '../../helpers/factories.ts';

describe('parseCloudEvent', () => {
  it('keeps context attributes, data and extensions, and makes up no time', () => {
    // Prepare
    const { time: _time, ...event } = cloudEventFactory({ partitionkey: 'p-1' });
    // Act
    const parsed = parseCloudEvent(JSON.stringify(event));
    // Assess
    expect(parsed).toMatchObject({ id: event.id, source: event.source, data: event.data });
    expect(parsed.time).toBeUndefined();
    expect(parsed.extensions).toEqual({ partitionkey: 'p-1' });
  });

  it('fails if the body is not JSON', () => {
    expect(() => parseCloudEvent('{')).toThrow(/^message body is not JSON$/);
  });

  it('fails if a required attribute is missing', () => {
    const { source: _source, ...event } = cloudEventFactory();
    expect(() => parseCloudEvent(JSON.stringify(event))).toThrow(
      /message body is not a valid CloudEvent: .*source/
    );
  });
});

describe('parseCloudEvent checks an event as the CloudEvents SDK does', () => {
  const valid = () => cloudEventFactory({ data: { any: 'thing' } });
  const parse = (event: Record<string, unknown>) => () => parseCloudEvent(JSON.stringify(event));

  it.each([
    [
      'source is no URI reference',
      { source: 'a b%' },
      /\/source must match format "uri-reference"/,
    ],
    ['dataschema is no URI', { dataschema: 'not a uri' }, /\/dataschema must match format "uri"/],
    [
      'time is no date-time',
      { time: '2026-02-30T00:00:00Z' },
      /\/time must match format "date-time"/,
    ],
    ['type is empty', { type: '' }, /\/type must NOT have fewer than 1 characters/],
    ['subject is not a string', { subject: 5 }, /\/subject must be string,null/],
    [
      'an extension name has capitals',
      { partitionKey: 'p' },
      /invalid attribute name "partitionKey"/,
    ],
    ['an extension name has a dash', { 'trace-id': 't' }, /invalid attribute name "trace-id"/],
    [
      'an extension value is a fraction',
      { weight: 1.5 },
      /\/weight must be a value of the CloudEvents type system/,
    ],
    [
      'a 1.0 event has schemaurl',
      { schemaurl: 'https://example.com/s' },
      /\/schemaurl is not a CloudEvents 1\.0 attribute/,
    ],
    [
      'data_base64 is not base64',
      { data: undefined, data_base64: 'abc$' },
      /\/data_base64 is not valid base64/,
    ],
  ])('rejects an event whose %s, as the SDK does', (_case, overrides, message) => {
    // Prepare
    const event = { ...valid(), ...overrides };
    expect(() => new CloudEvent(event as never)).toThrow();
    // Act / Assess
    expect(parse(event)).toThrow(MalformedMessageError);
    expect(parse(event)).toThrow(message);
  });

  it.each([
    [
      'has no id (the SDK makes up a random one)',
      { id: undefined },
      /must have required property 'id'/,
    ],
    [
      'has an empty id (the SDK makes up a random one)',
      { id: '' },
      /\/id must NOT have fewer than 1 characters/,
    ],
    [
      'has no specversion (the SDK assumes 1.0)',
      { specversion: undefined },
      /must have required property 'specversion'/,
    ],
    [
      'is CloudEvents 0.3 (the SDK validates nothing)',
      { specversion: '0.3' },
      /\/specversion must be '1\.0', but "0\.3"/,
    ],
    [
      'has an empty time (the SDK uses the current time)',
      { time: '' },
      /\/time must NOT have fewer than 1 characters/,
    ],
  ])('rejects an event that %s, where the SDK accepts it', (_case, overrides, message) => {
    // Prepare
    const event = { ...valid(), ...overrides };
    expect(() => new CloudEvent(event as never)).not.toThrow();
    // Act / Assess
    expect(parse(event)).toThrow(message);
  });

  it('decodes data_base64 into bytes, and takes null optional attributes as unset', () => {
    // Prepare
    const { data: _data, ...event } = valid();
    // Act
    const parsed = parseCloudEvent(
      JSON.stringify({ ...event, data_base64: 'Zm9vYg==', subject: null, time: null })
    );
    // Assess
    expect(parsed.data).toEqual(new Uint8Array([0x66, 0x6f, 0x6f, 0x62]));
    expect(parsed.subject).toBeUndefined();
    expect(parsed.time).toBeUndefined();
  });

  it('accepts what the SDK accepts and rejects what it rejects, with the same result', () => {
    // Each attribute mostly valid (or absent, when optional), sometimes one of a few invalid
    // values; plus extensions with valid and invalid names and values.
    const value = <T, U>(valid: readonly T[], invalid: readonly U[]): fc.Arbitrary<T | U> =>
      fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...valid) },
        { weight: 1, arbitrary: fc.constantFrom(...invalid) }
      );
    const attributes = fc.record({
      specversion: value(['1.0'], [undefined, '0.3', '', 1, null]),
      id: value(['e-1', 'a'], [undefined, '', 5, null]),
      source: value(
        ['/orders', 'https://example.com/x', 'urn:uuid:6e8bc430'],
        [undefined, 'a b%', '', 3]
      ),
      type: value(['com.example.x'], [undefined, '', 4]),
      subject: value([undefined, 's', null], ['', 5]),
      datacontenttype: value([undefined, 'application/json', null], ['', 7]),
      dataschema: value([undefined, 'https://example.com/s', null], ['not a uri', 'relative/path']),
      time: value(
        [undefined, '2026-01-01T00:00:00Z', '2026-01-01t00:00:00.5+01:00', null],
        ['2026-02-30T00:00:00Z', '2026-01-01T25:00:00Z', 'yesterday', '', 0, false]
      ),
      data: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
      data_base64: value([undefined, 'Zm9vYg==', '', null], ['abc$', 12]),
      schemaurl: value([undefined, '', null], ['https://example.com/s']),
      datacontentencoding: value([undefined, 'base64'], [1.5]),
    });
    // `validate` is left out: the SDK assigns extensions onto the event object, so one named
    // `validate` replaces its validate() method and makes its constructor throw (a TypeError).
    const extensions = fc.dictionary(
      value(['partitionkey', 'testfault', 'x1'], ['Upper', 'with-dash', '__proto__']),
      value(['v', 1, -3, true, null, { a: 1 }, [1]], [1.5]),
      { maxKeys: 3 }
    );
    fc.assert(
      fc.property(attributes, extensions, (given, extra) => {
        const json = JSON.parse(JSON.stringify({ ...extra, ...given })) as Record<string, unknown>;
        const body = JSON.stringify(json);
        const sdk = sdkParse(json);
        const ours = attempt(() => parseCloudEvent(body));
        if (sdk === undefined || stricterOnPurpose(json)) {
          // Rejected, as permanent failures.
          return ours instanceof MalformedMessageError;
        }
        expect(ours).toEqual(sdk);
        return true;
      }),
      { numRuns: 3000 }
    );
  });
});

/**
 * What `parseCloudEvent` returned when it built the event with the SDK's validating constructor
 * (`new CloudEvent(json)`); `undefined` when the SDK rejects the event.
 */
function sdkParse(json: Record<string, unknown>): ConsumerEvent | undefined {
  let validated: CloudEvent<unknown>;
  try {
    validated = new CloudEvent<unknown>(json as never);
  } catch {
    return undefined;
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const contextAttributes = new Set([
    ...['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype'],
    ...['dataschema', 'data', 'data_base64'],
  ]);
  return {
    specversion: validated.specversion,
    id: validated.id,
    source: validated.source,
    type: validated.type,
    subject: text(json.subject),
    time: text(json.time),
    datacontenttype: text(json.datacontenttype),
    dataschema: text(json.dataschema),
    data: 'data' in json ? json.data : validated.data,
    extensions: Object.fromEntries(
      Object.entries(json).filter(([name]) => !contextAttributes.has(name))
    ),
  };
}

/** Where `parseCloudEvent` is stricter than the SDK on purpose (see its documentation). */
function stricterOnPurpose(json: Record<string, unknown>): boolean {
  return (
    !json.id ||
    json.specversion !== '1.0' ||
    json.time === '' ||
    json.time === 0 ||
    json.time === false
  );
}

function attempt<T>(run: () => T): T | unknown {
  try {
    return run();
  } catch (error) {
    return error;
  }
}

describe('validateEventData', () => {
  it('fails if data violates the schema of its type, naming the field', () => {
    const event = parseCloudEvent(
      JSON.stringify(
        cloudEventFactory({ type: SHOP_EVENT_TYPES.orderPaid, data: { orderId: 'o' } })
      )
    );
    expect(() => validateEventData(event, orderEventSchemas, false)).toThrow(
      /data of com\.example\.order\.paid is invalid: paymentId: /
    );
  });

  it('fails if the type has no schema, unless other types are accepted', () => {
    const event = parseCloudEvent(JSON.stringify(cloudEventFactory({ type: 'x.y' })));
    expect(() => validateEventData(event, orderEventSchemas, false)).toThrow(
      /event type x\.y is not handled by this consumer/
    );
    expect(validateEventData(event, orderEventSchemas, true)).toBe(event);
  });
});

describe('parseTestFault', () => {
  it.each([
    ['transient:3', { kind: 'transient', failedAttempts: 3 }],
    ['permanent', { kind: 'permanent' }],
    ['sleep:250', { kind: 'sleep', milliseconds: 250 }],
    ['transient:', undefined],
    ['explode', undefined],
    [42, undefined],
  ])('parses %s', (value, expected) => {
    expect(parseTestFault(value)).toEqual(expected);
  });
});
