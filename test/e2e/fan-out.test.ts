/**
 * Publish/subscribe: each subscriber gets exactly what its filter policy selects, and
 * `GET /events/{id}` follows every event through to done.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { connectPipeline, type Pipeline } from './support/pipeline-client.ts';
import {
  newOrderId,
  orderCancelled,
  orderPaid,
  orderPlaced,
  orderShipped,
} from './support/shop-events.ts';

describe('fan-out with filter policies', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await connectPipeline();
  });

  it('accepts an event with 202, its id and a status URL', async () => {
    // GIVEN
    const event = orderPlaced();
    // WHEN
    const response = await pipeline.publish('orders', event);
    // THEN
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({
      accepted: [
        {
          id: event.id,
          source: event.source,
          statusUrl: expect.stringContaining(`/events/${event.id}`),
        },
      ],
    });
    const status = await pipeline.waitUntilDone(event);
    expect(status.subscribers.map((subscriber) => [subscriber.name, subscriber.status])).toEqual([
      ['audit', 'succeeded'],
      ['inventory', 'succeeded'],
    ]);
  });

  it.each([
    ['placed', orderPlaced, ['audit', 'inventory']],
    ['paid', orderPaid, ['audit', 'shipping']],
    ['cancelled', orderCancelled, ['audit', 'inventory']],
    ['shipped', orderShipped, ['audit']],
  ] as const)(
    'delivers order.%s to exactly the subscribers its filters select',
    async (name, make, expected) => {
      // GIVEN an order (placed first when it is to be cancelled: inventory releases what it reserved)
      const orderId = newOrderId();
      if (name === 'cancelled') {
        const placed = orderPlaced(orderId);
        expect((await pipeline.publish('orders', placed)).status).toBe(202);
        await pipeline.waitUntilDone(placed);
      }
      const event = make(orderId);
      // WHEN
      expect((await pipeline.publish('orders', event)).status).toBe(202);
      const status = await pipeline.waitUntilDone(event);
      // THEN every expected subscriber succeeded, and no other subscriber saw it
      expect(status.subscribers.map((subscriber) => subscriber.name)).toEqual(expected);
      expect(status.subscribers.every((subscriber) => subscriber.status === 'succeeded')).toBe(
        true
      );
      expect(await pipeline.item(shopKeys.audit(event.source, event.id))).toMatchObject({
        applications: 1,
      });
    }
  );

  it('lands each subscriber’s effect in DynamoDB', async () => {
    // GIVEN an order placed, then paid
    const orderId = newOrderId();
    const placed = orderPlaced(orderId);
    const paid = orderPaid(orderId);
    // WHEN
    expect((await pipeline.publish('orders', placed)).status).toBe(202);
    await pipeline.waitUntilDone(placed);
    expect((await pipeline.publish('orders', paid)).status).toBe(202);
    await pipeline.waitUntilDone(paid);
    // THEN
    const sku = (placed.data as { items: { sku: string }[] }).items[0]?.sku ?? '';
    expect(await pipeline.item(shopKeys.reservation(orderId))).toMatchObject({
      orderId,
      applications: 1,
    });
    expect(await pipeline.item(shopKeys.stock(sku))).toMatchObject({ reserved: 2 });
    expect(await pipeline.item(shopKeys.shipment(orderId))).toMatchObject({
      orderId,
      applications: 1,
    });
  });

  it('reports the status of an event whose id and source need URL encoding', async () => {
    // GIVEN an id with a space, a slash and non-ASCII characters (signed as sent, like AWS does)
    const event = {
      ...orderPlaced(),
      id: `order 1/ä ${Date.now()}`,
      source: 'urn:e2e:shop/eu-west?x=1',
    };
    // WHEN
    expect((await pipeline.publish('orders', event)).status).toBe(202);
    // THEN
    const status = await pipeline.waitUntilDone(event);
    expect(status).toMatchObject({ id: event.id, source: event.source, done: true });
  });

  it('publishes a batch and reports every event', async () => {
    // GIVEN
    const events = [orderPlaced(), orderPaid(), orderShipped()];
    // WHEN
    const response = await pipeline.publish('orders', events);
    // THEN
    expect(response.status).toBe(202);
    expect(
      (response.json as { accepted: { id: string }[] }).accepted.map((entry) => entry.id)
    ).toEqual(events.map((event) => event.id));
    for (const event of events) expect((await pipeline.waitUntilDone(event)).done).toBe(true);
  });
});
