/**
 * Retry semantics: backoff then success, poison straight to the DLQ with its reason,
 * exhaustion after maxReceiveCount, and a DLQ redrive back to the source.
 *
 * The tests in this file run one after another: they read and move dead-letter queues.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_ATTRIBUTES } from '../../functions/shared/contract.ts';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { peekDeadLetters, redriveDeadLetters } from '../../lib/cli/dead-letter-queues.ts';
import { connectPipeline, eventually, type Pipeline } from './support/pipeline-client.ts';
import { orderPlaced, paymentRequested } from './support/shop-events.ts';

/** The payments queue's maxReceiveCount (lib/definition/shop.ts). */
const PAYMENTS_MAX_RECEIVE_COUNT = 4;

describe('retries and dead letters', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await connectPipeline();
  });

  it('retries a transient failure with backoff, then succeeds', async () => {
    // GIVEN an event whose first two attempts fail at every subscriber
    const event = orderPlaced(undefined, { testfault: 'transient:2' });
    // WHEN
    expect((await pipeline.publish('orders', event)).status).toBe(202);
    // THEN it is reported as retrying with its error, then succeeds on the third attempt
    const retrying = await eventually(
      () => pipeline.status(event),
      (status) =>
        status?.subscribers.some((subscriber) => subscriber.status === 'retrying') ?? false,
      'a subscriber reports retrying'
    );
    expect(
      retrying?.subscribers.find((subscriber) => subscriber.status === 'retrying')?.lastError
    ).toMatch(/injected transient fault/);
    const done = await pipeline.waitUntilDone(event);
    expect(
      done.subscribers.map((subscriber) => [
        subscriber.name,
        subscriber.status,
        subscriber.attempts,
      ])
    ).toEqual([
      ['audit', 'succeeded', 3],
      ['inventory', 'succeeded', 3],
    ]);
    expect(await pipeline.item(shopKeys.audit(event.source, event.id))).toMatchObject({
      applications: 1,
    });
  });

  it('sends a poison event to the DLQ at once, with its reason', async () => {
    // GIVEN
    const event = orderPlaced(undefined, { testfault: 'permanent' });
    // WHEN
    expect((await pipeline.publish('orders', event)).status).toBe(202);
    // THEN
    const status = await pipeline.waitUntilDone(event);
    for (const subscriber of status.subscribers) {
      expect(subscriber).toMatchObject({
        status: 'dead_lettered',
        attempts: 1,
        lastError: expect.stringMatching(/^permanent: /),
      });
    }
    const letters = await peekDeadLetters(
      pipeline.sqs,
      pipeline.outputs.consumers.audit?.deadLetterQueueUrl ?? '',
      100
    );
    expect(letters.find((letter) => letter.eventId === event.id)).toMatchObject({
      kind: 'permanent',
      attempts: 1,
      reason: expect.stringMatching(/injected permanent fault/),
    });
    expect(await pipeline.item(shopKeys.audit(event.source, event.id))).toBeUndefined();
    expect(FAILURE_ATTRIBUTES.kind).toBe('failure-kind');
  });

  it('dead-letters after maxReceiveCount attempts, and a redrive processes it', async () => {
    // GIVEN a payment that fails on each of its maxReceiveCount attempts
    const event = paymentRequested({ testfault: `transient:${PAYMENTS_MAX_RECEIVE_COUNT}` });
    const payments = pipeline.outputs.consumers.payments;
    if (!payments) throw new Error('the outputs list no payments consumer');
    expect((await pipeline.send('payments', event)).status).toBe(202);
    // WHEN it is exhausted
    const exhausted = await pipeline.waitUntilDone(event, 90_000);
    // THEN it sits in the DLQ with its reason
    expect(exhausted.subscribers).toEqual([
      expect.objectContaining({
        name: 'payments',
        status: 'dead_lettered',
        attempts: PAYMENTS_MAX_RECEIVE_COUNT,
        lastError: expect.stringMatching(/^exhausted: /),
      }),
    ]);
    const letters = await peekDeadLetters(pipeline.sqs, payments.deadLetterQueueUrl, 100);
    expect(letters.find((letter) => letter.eventId === event.id)).toMatchObject({
      kind: 'exhausted',
    });
    // WHEN the DLQ is redriven to the source queue
    const result = await redriveDeadLetters({
      sqs: pipeline.sqs,
      deadLetterQueueUrl: payments.deadLetterQueueUrl,
      sourceQueueUrl: payments.queueUrl,
    });
    // THEN it is processed: succeeded, with its effect applied once
    expect(result.moved).toBeGreaterThanOrEqual(1);
    const redriven = await eventually(
      () => pipeline.status(event),
      (status) => status?.subscribers[0]?.status === 'succeeded',
      'the redriven payment succeeds'
    );
    expect(redriven?.done).toBe(true);
    const { paymentId } = event.data as { paymentId: string };
    expect(await pipeline.item(shopKeys.payment(paymentId))).toMatchObject({ applications: 1 });
  });
});
