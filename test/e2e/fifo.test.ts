/** FIFO streams keep order per partition key (the CloudEvents `partitionkey` extension). */
import { beforeAll, describe, expect, it } from 'vitest';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { connectPipeline, type Pipeline } from './support/pipeline-client.ts';
import { newOrderId, shipmentTracked } from './support/shop-events.ts';

describe('FIFO order per partition key', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await connectPipeline();
  });

  it('applies each order’s tracking updates in the order they were published', async () => {
    // GIVEN two orders' updates, interleaved
    const orders = [newOrderId(), newOrderId()];
    const events = Array.from({ length: 12 }, (_, index) =>
      shipmentTracked(orders[index % 2] ?? '', Math.floor(index / 2))
    );
    // WHEN published in two batches
    expect((await pipeline.publish('tracking', events.slice(0, 6))).status).toBe(202);
    expect((await pipeline.publish('tracking', events.slice(6))).status).toBe(202);
    // THEN
    for (const event of events) await pipeline.waitUntilDone(event);
    for (const orderId of orders) {
      const item = (await pipeline.item(shopKeys.tracking(orderId))) as {
        updates: { sequence: number }[];
      };
      expect(item.updates.map((update) => update.sequence)).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('fails with 400 when a FIFO event has no partitionkey', async () => {
    // GIVEN
    const event = shipmentTracked(newOrderId(), 0);
    delete event.partitionkey;
    // WHEN
    const response = await pipeline.publish('tracking', event);
    // THEN
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/partitionkey/);
    expect(await pipeline.status(event)).toBeUndefined();
  });
});
