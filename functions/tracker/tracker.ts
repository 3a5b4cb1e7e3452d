import type { EventOf } from '../shared/consumer/index.ts';
import type { trackingEventSchemas } from '../shop/events.ts';
import type { IShopStore } from '../shop/shop-store.ts';

/** An event `tracker` handles. */
export type TrackerEvent = EventOf<typeof trackingEventSchemas>;

/**
 * Appends a tracking update to its order. The `tracking` stream is FIFO with the order as
 * message group, so the stored list shows the order the updates were applied in.
 */
export async function appendTrackingUpdate(event: TrackerEvent, store: IShopStore): Promise<void> {
  await store.appendTracking({
    orderId: event.data.orderId,
    sequence: event.data.sequence,
    location: event.data.location,
    eventId: event.id,
  });
}
