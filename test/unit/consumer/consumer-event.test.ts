import { describe, expect, it } from 'vitest';
import {
  parseCloudEvent,
  validateEventData,
} from '../../../functions/shared/consumer/consumer-event.ts';
import { parseTestFault } from '../../../functions/shared/consumer/test-fault.ts';
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
