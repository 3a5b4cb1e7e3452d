import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { deduplicationIdOf, messageGroupOf } from '../../../functions/shared/cloudevents/fifo.ts';
import {
  extensionsOf,
  messageSizeBytes,
  toMessageAttributes,
} from '../../../functions/shared/cloudevents/message-attributes.ts';

const event = (extra: Record<string, unknown> = {}) =>
  new CloudEvent<unknown>({
    specversion: '1.0',
    id: 'e-1',
    source: '/shop',
    type: 'com.example.order.placed',
    ...extra,
  });

describe('CloudEvent → message attributes', () => {
  it('maps type, source, subject, id and extensions as String attributes', () => {
    // Act
    const { attributes, dropped } = toMessageAttributes(
      event({ subject: 'order/1', tenant: 'acme', priority: 3, urgent: false, data: { a: 1 } })
    );
    // Assess
    expect(attributes).toEqual({
      type: { DataType: 'String', StringValue: 'com.example.order.placed' },
      source: { DataType: 'String', StringValue: '/shop' },
      subject: { DataType: 'String', StringValue: 'order/1' },
      id: { DataType: 'String', StringValue: 'e-1' },
      tenant: { DataType: 'String', StringValue: 'acme' },
      priority: { DataType: 'String', StringValue: '3' },
      urgent: { DataType: 'String', StringValue: 'false' },
    });
    expect(dropped).toEqual([]);
  });

  it('never maps data, time or other context attributes', () => {
    const { attributes } = toMessageAttributes(
      event({ time: '2026-01-01T00:00:00Z', datacontenttype: 'application/json', data: 1 })
    );
    expect(Object.keys(attributes).sort()).toEqual(['id', 'source', 'type']);
  });

  it('keeps the standard attributes, then preferred extensions, then the rest by name', () => {
    // Prepare: 4 standard + 8 extensions
    const extensions = Object.fromEntries(
      ['h', 'g', 'f', 'e', 'd', 'c', 'b', 'a'].map((letter) => [`x${letter}`, letter])
    );
    // Act
    const { attributes, dropped } = toMessageAttributes(event({ subject: 's', ...extensions }), {
      preferred: ['xh', 'xunknown'],
    });
    // Assess
    expect(Object.keys(attributes)).toEqual([
      'type',
      'source',
      'subject',
      'id',
      'xh',
      'xa',
      'xb',
      'xc',
      'xd',
      'xe',
    ]);
    expect(dropped).toEqual([
      { name: 'xf', reason: 'limit' },
      { name: 'xg', reason: 'limit' },
    ]);
  });

  it('reports values SNS would reject instead of sending them', () => {
    // Act
    const { attributes, dropped } = toMessageAttributes(
      event({ empty: '', control: 'a\u0001b', fine: 'ok' })
    );
    // Assess
    expect(attributes.fine).toEqual({ DataType: 'String', StringValue: 'ok' });
    expect(dropped).toEqual([
      { name: 'control', reason: 'characters' },
      { name: 'empty', reason: 'empty' },
    ]);
  });

  it('lists extensions only', () => {
    expect(extensionsOf(event({ subject: 's', tenant: 'acme', n: 1 }))).toEqual({
      tenant: 'acme',
      n: 1,
    });
  });

  it('counts body and attribute names, types and values in UTF-8 bytes', () => {
    expect(messageSizeBytes('é', { ab: { DataType: 'String', StringValue: 'xyz' } })).toBe(
      2 + 2 + 6 + 3
    );
  });
});

describe('FIFO group and deduplication', () => {
  it('takes the message group from the partitionkey extension', () => {
    expect(messageGroupOf(event({ partitionkey: 'order-1' }))).toEqual({ groupId: 'order-1' });
  });

  it('fails if the partitionkey is missing', () => {
    expect(messageGroupOf(event()).problem).toMatch(
      /^missing extension 'partitionkey', which a FIFO destination needs as the message group$/
    );
  });

  it('fails if the partitionkey has characters a message group cannot have', () => {
    expect(messageGroupOf(event({ partitionkey: 'order 1' })).problem).toMatch(
      /must be 1 to 128 letters, digits or punctuation characters .* but 'order 1' was provided/
    );
  });

  it('derives the deduplication id from source and id, unambiguously', () => {
    // Act
    const a = deduplicationIdOf({ source: 'a|b', id: 'c' });
    const b = deduplicationIdOf({ source: 'a', id: 'b|c' });
    // Assess
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(deduplicationIdOf({ source: 'a|b', id: 'c' })).toBe(a);
  });
});
