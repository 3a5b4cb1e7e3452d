import { describe, expect, it } from 'vitest';
import { buildDeadLetterMessage } from '../../../functions/shared/consumer/dead-letter.ts';
import { FAILURE_ATTRIBUTES } from '../../../functions/shared/contract.ts';
import { sqsRecordFactory } from '../../helpers/factories.ts';

const failedAt = new Date('2026-11-25T12:00:00.000Z');

describe('buildDeadLetterMessage', () => {
  it('keeps the body, adds the failure attributes and fills the rest with the originals by priority', () => {
    // Prepare: 9 original attributes (plus a stale failure attribute from an earlier redrive)
    const text = (value: string) => ({ dataType: 'String', stringValue: value });
    const record = sqsRecordFactory('{"x":1}', {
      messageAttributes: {
        zeta: text('z'),
        alpha: text('a'),
        beta: text('b'),
        subject: text('s'),
        id: text('e-1'),
        source: text('/shop'),
        type: text('t'),
        gamma: text('g'),
        delta: text('d'),
        [FAILURE_ATTRIBUTES.kind]: text('exhausted'),
      },
    });
    // Act
    const message = buildDeadLetterMessage({
      record,
      deadLetterQueueUrl: 'http://dlq',
      fifo: false,
      kind: 'permanent',
      reason: 'PermanentError: no',
      consumer: 'audit',
      attempts: 1,
      failedAt,
    });
    // Assess
    expect(message.MessageBody).toBe('{"x":1}');
    expect(Object.keys(message.MessageAttributes ?? {}).sort()).toEqual(
      ['type', 'source', 'id', 'subject', 'alpha', ...Object.values(FAILURE_ATTRIBUTES)].sort()
    );
    expect(message.MessageAttributes?.[FAILURE_ATTRIBUTES.kind]?.StringValue).toBe('permanent');
    expect(message.MessageAttributes?.[FAILURE_ATTRIBUTES.failedAt]?.StringValue).toBe(
      '2026-11-25T12:00:00.000Z'
    );
    expect(message.MessageGroupId).toBeUndefined();
  });

  it('sets the message group and deduplication id for a FIFO dead-letter queue', () => {
    // Prepare
    const record = sqsRecordFactory('{}', {
      messageId: 'm-1',
      attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: '0',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '0',
        MessageGroupId: 'order-1',
      },
    });
    // Act
    const message = buildDeadLetterMessage({
      record,
      deadLetterQueueUrl: 'http://dlq.fifo',
      fifo: true,
      kind: 'exhausted',
      reason: 'Error: boom',
      consumer: 'tracker',
      attempts: 3,
      failedAt,
    });
    // Assess
    expect(message.MessageGroupId).toBe('order-1');
    expect(message.MessageDeduplicationId).toBe('m-1');
  });
});
