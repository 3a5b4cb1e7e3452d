import {
  orderCancelledSchema,
  orderPaidSchema,
  orderPlacedSchema,
  orderShippedSchema,
  paymentRequestedSchema,
  SHOP_EVENT_TYPES,
  shipmentTrackedSchema,
} from './schemas.ts';

/**
 * The shop's schemas keyed by literal CloudEvents types, one map per consumer, so that the
 * consumer runtime hands each consumer a typed union it can narrow on `type`.
 */

/** Events of the `orders` stream. */
export const orderEventSchemas = {
  [SHOP_EVENT_TYPES.orderPlaced]: orderPlacedSchema,
  [SHOP_EVENT_TYPES.orderPaid]: orderPaidSchema,
  [SHOP_EVENT_TYPES.orderCancelled]: orderCancelledSchema,
  [SHOP_EVENT_TYPES.orderShipped]: orderShippedSchema,
} as const;

/** What `inventory` handles: placed (reserve) and cancelled (release) orders. */
export const inventoryEventSchemas = {
  [SHOP_EVENT_TYPES.orderPlaced]: orderPlacedSchema,
  [SHOP_EVENT_TYPES.orderCancelled]: orderCancelledSchema,
} as const;

/** What `shipping` handles: paid orders. */
export const shippingEventSchemas = {
  [SHOP_EVENT_TYPES.orderPaid]: orderPaidSchema,
} as const;

/** What `tracker` handles: shipment tracking updates (FIFO stream `tracking`). */
export const trackingEventSchemas = {
  [SHOP_EVENT_TYPES.shipmentTracked]: shipmentTrackedSchema,
} as const;

/** What the `payments` worker handles: payment requests. */
export const paymentEventSchemas = {
  [SHOP_EVENT_TYPES.paymentRequested]: paymentRequestedSchema,
} as const;
