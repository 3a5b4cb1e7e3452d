import type { ConsumerEvent } from '../shared/consumer/index.ts';
import type { IShopStore } from '../shop/shop-store.ts';

/** Records one audit entry for any event of the `orders` stream. */
export async function recordAuditEntry(
  event: ConsumerEvent,
  store: IShopStore,
  now: () => Date
): Promise<void> {
  await store.recordAudit({
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time,
    recordedAt: now().toISOString(),
  });
}
