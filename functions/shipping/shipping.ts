import type { EventOf } from '../shared/consumer/index.ts';
import type { shippingEventSchemas } from '../shop/events.ts';
import type { IShopStore } from '../shop/shop-store.ts';

/** An event `shipping` handles. */
export type ShippingEvent = EventOf<typeof shippingEventSchemas>;

/** Creates the shipment of a paid order (the subscription's filter sends only paid orders). */
export async function createShipment(event: ShippingEvent, store: IShopStore): Promise<void> {
  await store.createShipment({
    orderId: event.data.orderId,
    paymentId: event.data.paymentId,
    total: event.data.total,
    eventId: event.id,
  });
}
