/**
 * Duplicates: a retried ingest with the same Idempotency-Key is accepted once, and an event
 * delivered twice has its effect once.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { connectPipeline, type Pipeline } from './support/pipeline-client.ts';
import { waitUntilDrained } from './support/queues.ts';
import { orderPlaced } from './support/shop-events.ts';

describe('duplicates', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await connectPipeline();
  });

  it('replays the stored response for a retry with the same Idempotency-Key and body', async () => {
    // GIVEN
    const event = orderPlaced();
    const headers = { 'idempotency-key': `"${randomUUID()}"` };
    // WHEN
    const first = await pipeline.publish('orders', event, headers);
    const retry = await pipeline.publish('orders', event, headers);
    // THEN
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.json).toEqual(first.json);
    await pipeline.waitUntilDone(event);
    expect(await pipeline.item(shopKeys.audit(event.source, event.id))).toMatchObject({
      applications: 1,
    });
  });

  it('fails with 422 when the same Idempotency-Key comes with another body', async () => {
    // GIVEN
    const headers = { 'idempotency-key': `"${randomUUID()}"` };
    const first = orderPlaced();
    expect((await pipeline.publish('orders', first, headers)).status).toBe(202);
    // WHEN
    const other = orderPlaced();
    const response = await pipeline.publish('orders', other, headers);
    // THEN
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await pipeline.status(other)).toBeUndefined();
  });

  it('applies an event delivered twice once, for every subscriber', async () => {
    // GIVEN the same event (same source and id) published twice without an Idempotency-Key
    const event = orderPlaced();
    // WHEN
    expect((await pipeline.publish('orders', event)).status).toBe(202);
    expect((await pipeline.publish('orders', event)).status).toBe(202);
    // THEN once both copies have left the queues, each effect was applied once
    await pipeline.waitUntilDone(event);
    await waitUntilDrained(pipeline.sqs, pipeline.outputs.consumers.audit?.queueUrl ?? '');
    await waitUntilDrained(pipeline.sqs, pipeline.outputs.consumers.inventory?.queueUrl ?? '');
    const { orderId, items } = event.data as {
      orderId: string;
      items: { sku: string; quantity: number }[];
    };
    expect(await pipeline.item(shopKeys.audit(event.source, event.id))).toMatchObject({
      applications: 1,
    });
    expect(await pipeline.item(shopKeys.reservation(orderId))).toMatchObject({ applications: 1 });
    expect(await pipeline.item(shopKeys.stock(items[0]?.sku ?? ''))).toMatchObject({
      reserved: items[0]?.quantity,
    });
  });
});
