/** Shop CloudEvents for the e2e suite, valid against functions/shop/schemas.ts. */
import { randomUUID } from 'node:crypto';
import { SHOP_EVENT_TYPES } from '../../../functions/shop/schemas.ts';
import { cloudEvent, type TestEvent } from './pipeline-client.ts';

const total = { amount: 4200, currency: 'EUR' };

/** A fresh order id. */
export const newOrderId = (): string => `o-${randomUUID()}`;

/** `com.example.order.placed`. */
export const orderPlaced = (
  orderId = newOrderId(),
  extensions: Record<string, string> = {},
  sku = `sku-${randomUUID()}`
): TestEvent =>
  cloudEvent(
    SHOP_EVENT_TYPES.orderPlaced,
    { orderId, customerId: 'c-1', items: [{ sku, quantity: 2 }], total },
    extensions
  );

/** `com.example.order.paid`. */
export const orderPaid = (
  orderId = newOrderId(),
  extensions: Record<string, string> = {}
): TestEvent =>
  cloudEvent(SHOP_EVENT_TYPES.orderPaid, { orderId, paymentId: `p-${orderId}`, total }, extensions);

/** `com.example.order.cancelled`. */
export const orderCancelled = (
  orderId = newOrderId(),
  extensions: Record<string, string> = {}
): TestEvent =>
  cloudEvent(SHOP_EVENT_TYPES.orderCancelled, { orderId, reason: 'changed mind' }, extensions);

/** `com.example.order.shipped`. */
export const orderShipped = (
  orderId = newOrderId(),
  extensions: Record<string, string> = {}
): TestEvent =>
  cloudEvent(
    SHOP_EVENT_TYPES.orderShipped,
    { orderId, carrier: 'dhl', trackingNumber: 't-1' },
    extensions
  );

/** `com.example.shipment.tracked`, grouped by order on the FIFO `tracking` stream. */
export const shipmentTracked = (orderId: string, sequence: number): TestEvent =>
  cloudEvent(
    SHOP_EVENT_TYPES.shipmentTracked,
    { orderId, sequence, location: `hub-${sequence}` },
    { partitionkey: orderId }
  );

/** `com.example.payment.requested`, for the point-to-point `payments` queue. */
export const paymentRequested = (extensions: Record<string, string> = {}): TestEvent => {
  const orderId = newOrderId();
  return cloudEvent(
    SHOP_EVENT_TYPES.paymentRequested,
    { paymentId: `p-${randomUUID()}`, orderId, total },
    extensions
  );
};
