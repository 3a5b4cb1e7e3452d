import type { EventOf } from '../shared/consumer/index.ts';
import type { paymentEventSchemas } from '../shop/events.ts';
import type { IShopStore } from '../shop/shop-store.ts';

/** An event the `payments` worker handles. */
export type PaymentEvent = EventOf<typeof paymentEventSchemas>;

/** Captures a requested payment (the example records it as captured). */
export async function capturePayment(
  event: PaymentEvent,
  store: IShopStore,
  now: () => Date
): Promise<void> {
  await store.capturePayment({
    paymentId: event.data.paymentId,
    orderId: event.data.orderId,
    total: event.data.total,
    eventId: event.id,
    capturedAt: now().toISOString(),
  });
}
