/** Point-to-point: the ingest writes the payments queue directly; one worker drains it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { connectPipeline, type Pipeline } from './support/pipeline-client.ts';
import { paymentRequested } from './support/shop-events.ts';

describe('point-to-point queue', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await connectPipeline();
  });

  it('delivers a message to its one worker and records the payment', async () => {
    // GIVEN
    const event = paymentRequested();
    // WHEN
    const response = await pipeline.send('payments', event);
    // THEN
    expect(response.status).toBe(202);
    const status = await pipeline.waitUntilDone(event);
    expect(status.subscribers).toEqual([
      expect.objectContaining({ name: 'payments', status: 'succeeded', attempts: 1 }),
    ]);
    const { paymentId } = event.data as { paymentId: string };
    expect(await pipeline.item(shopKeys.payment(paymentId))).toMatchObject({
      paymentId,
      applications: 1,
    });
  });

  it('spreads many messages over competing invocations and processes each once', async () => {
    // GIVEN
    const events = Array.from({ length: 20 }, () => paymentRequested());
    // WHEN
    const responses = await Promise.all(events.map((event) => pipeline.send('payments', event)));
    // THEN
    expect(responses.map((response) => response.status)).toEqual(events.map(() => 202));
    for (const event of events) {
      await pipeline.waitUntilDone(event);
      const { paymentId } = event.data as { paymentId: string };
      expect(await pipeline.item(shopKeys.payment(paymentId))).toMatchObject({ applications: 1 });
    }
  });
});
