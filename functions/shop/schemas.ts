import type { EventSchemaRegistry } from '../shared/event-schemas.ts';
import * as z from '../shared/zod.ts';

/** CloudEvents types of the example shop. */
export const SHOP_EVENT_TYPES = {
  orderPlaced: 'com.example.order.placed',
  orderPaid: 'com.example.order.paid',
  orderCancelled: 'com.example.order.cancelled',
  orderShipped: 'com.example.order.shipped',
  shipmentTracked: 'com.example.shipment.tracked',
  paymentRequested: 'com.example.payment.requested',
} as const;

// zod/mini (see ../shared/zod.ts): `.check(...)` instead of `.min()`, `.int()` and the like; the
// checks and their messages are zod's.
const identifier = z.string().check(z.minLength(1), z.maxLength(128));
const money = z.object({
  /** Amount in minor units (cents). */
  amount: z.number().check(z.int(), z.nonnegative()),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
});

/** `com.example.order.placed`: a customer placed an order. */
export const orderPlacedSchema = z.object({
  orderId: identifier,
  customerId: identifier,
  items: z
    .array(
      z.object({ sku: identifier, quantity: z.number().check(z.int(), z.positive(), z.lte(1000)) })
    )
    .check(z.minLength(1), z.maxLength(100)),
  total: money,
});

/** `com.example.order.paid`: the order's payment was captured. */
export const orderPaidSchema = z.object({
  orderId: identifier,
  paymentId: identifier,
  total: money,
});

/** `com.example.order.cancelled`: the order was cancelled; its stock is released. */
export const orderCancelledSchema = z.object({
  orderId: identifier,
  reason: z.optional(z.string().check(z.maxLength(500))),
});

/** `com.example.order.shipped`: the order left the warehouse. */
export const orderShippedSchema = z.object({
  orderId: identifier,
  carrier: identifier,
  trackingNumber: identifier,
});

/** `com.example.shipment.tracked`: a tracking update, ordered per order (FIFO stream). */
export const shipmentTrackedSchema = z.object({
  orderId: identifier,
  sequence: z.number().check(z.int(), z.nonnegative()),
  location: z.string().check(z.minLength(1), z.maxLength(200)),
});

/** `com.example.payment.requested`: capture a payment (point-to-point `payments` queue). */
export const paymentRequestedSchema = z.object({
  paymentId: identifier,
  orderId: identifier,
  total: money,
});

/** Every shop schema by type; the ingest and the consumers both use it. */
export const shopEventSchemas: EventSchemaRegistry = {
  [SHOP_EVENT_TYPES.orderPlaced]: orderPlacedSchema,
  [SHOP_EVENT_TYPES.orderPaid]: orderPaidSchema,
  [SHOP_EVENT_TYPES.orderCancelled]: orderCancelledSchema,
  [SHOP_EVENT_TYPES.orderShipped]: orderShippedSchema,
  [SHOP_EVENT_TYPES.shipmentTracked]: shipmentTrackedSchema,
  [SHOP_EVENT_TYPES.paymentRequested]: paymentRequestedSchema,
};

export type OrderPlaced = z.infer<typeof orderPlacedSchema>;
export type OrderPaid = z.infer<typeof orderPaidSchema>;
export type OrderCancelled = z.infer<typeof orderCancelledSchema>;
export type OrderShipped = z.infer<typeof orderShippedSchema>;
export type ShipmentTracked = z.infer<typeof shipmentTrackedSchema>;
export type PaymentRequested = z.infer<typeof paymentRequestedSchema>;
