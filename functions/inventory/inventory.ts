import type { ConsumerContext, EventOf } from '../shared/consumer/index.ts';
import { RetryableError } from '../shared/errors.ts';
import type { inventoryEventSchemas } from '../shop/events.ts';
import { SHOP_EVENT_TYPES } from '../shop/schemas.ts';
import type { IShopStore } from '../shop/shop-store.ts';

/** An event `inventory` handles. */
export type InventoryEvent = EventOf<typeof inventoryEventSchemas>;

/** A cancellation arrived before the order's reservation (standard queues do not order). */
export class ReservationNotFoundError extends RetryableError {
  constructor(orderId: string, options?: ErrorOptions) {
    super(`order ${orderId} has no reservation yet`, options);
    this.name = 'ReservationNotFoundError';
  }
}

/**
 * Reserves stock when an order is placed and releases what it reserved when it is cancelled.
 *
 * A cancellation that finds no reservation is retried (the `placed` event may still be on its
 * way) and, if none ever comes, dead-lettered as exhausted. A second cancellation of an order
 * already released is recorded but leaves the stock alone.
 */
export async function applyInventoryEvent(
  event: InventoryEvent,
  store: IShopStore,
  context: Pick<ConsumerContext, 'logger'>
): Promise<void> {
  switch (event.type) {
    case SHOP_EVENT_TYPES.orderPlaced:
      await store.reserve({
        orderId: event.data.orderId,
        customerId: event.data.customerId,
        items: event.data.items,
        eventId: event.id,
      });
      return;
    case SHOP_EVENT_TYPES.orderCancelled: {
      const { orderId } = event.data;
      const reservation = await store.getReservation(orderId);
      if (!reservation) throw new ReservationNotFoundError(orderId);
      await store.recordRelease({ orderId, eventId: event.id });
      if (reservation.state === 'released') {
        context.logger.warn('order already released, stock left alone', { orderId });
        return;
      }
      await store.releaseStock(reservation);
      return;
    }
  }
}
