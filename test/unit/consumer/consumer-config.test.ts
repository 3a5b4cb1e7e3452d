import { describe, expect, it } from 'vitest';
import { readConsumerConfig } from '../../../functions/shared/consumer/consumer-config.ts';
import { ENV } from '../../../functions/shared/contract.ts';

const complete = {
  [ENV.CONSUMER_NAME]: 'audit',
  [ENV.TABLE_NAME]: 'pipeline',
  [ENV.SOURCE_QUEUE_URL]: 'http://q',
  [ENV.DEAD_LETTER_QUEUE_URL]: 'http://dlq',
  [ENV.SOURCE_QUEUE_FIFO]: 'false',
  [ENV.MAX_RECEIVE_COUNT]: '5',
  [ENV.BACKOFF_BASE_SECONDS]: '2',
  [ENV.BACKOFF_MAX_SECONDS]: '300',
  [ENV.IDEMPOTENCY_TTL_SECONDS]: '3600',
  [ENV.STATUS_TTL_SECONDS]: '3600',
};

describe('readConsumerConfig', () => {
  it('reads every setting, with test hooks off unless exactly true', () => {
    expect(readConsumerConfig(complete)).toEqual({
      consumerName: 'audit',
      tableName: 'pipeline',
      sourceQueueUrl: 'http://q',
      deadLetterQueueUrl: 'http://dlq',
      fifo: false,
      maxReceiveCount: 5,
      backoffBaseSeconds: 2,
      backoffMaxSeconds: 300,
      idempotencyTtlSeconds: 3600,
      statusTtlSeconds: 3600,
      testHooks: false,
    });
  });

  it.each(Object.keys(complete))('fails if %s is not set', (name) => {
    const env: Record<string, string> = { ...complete };
    delete env[name];
    expect(() => readConsumerConfig(env)).toThrow(`${name} environment variable is not set`);
  });

  it('fails if a number is not an integer in range', () => {
    expect(() => readConsumerConfig({ ...complete, [ENV.MAX_RECEIVE_COUNT]: '0' })).toThrow(
      /MAX_RECEIVE_COUNT environment variable must be an integer between 1 and 1000, but "0" was provided/
    );
  });
});
