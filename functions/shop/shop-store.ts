import { KEY_PREFIX } from '../shared/contract.ts';
import type { OrderPlaced } from './schemas.ts';

/**
 * Keys of the shop's effect items in the pipeline table (all under {@link KEY_PREFIX.shop}).
 * Tests and the soak read effects through these.
 */
export const shopKeys = {
  /** Stock counter of a SKU: `reserved` (net units reserved). */
  stock: (sku: string) => `${KEY_PREFIX.shop}stock#${sku}`,
  /** What an order reserved (written on `order.placed`). */
  reservation: (orderId: string) => `${KEY_PREFIX.shop}reservation#${orderId}`,
  /** The release of an order's reservation (written on `order.cancelled`). */
  release: (orderId: string) => `${KEY_PREFIX.shop}release#${orderId}`,
  /** The shipment of a paid order. */
  shipment: (orderId: string) => `${KEY_PREFIX.shop}shipment#${orderId}`,
  /** One audit entry per event (source URI-encoded so `#` cannot collide). */
  audit: (source: string, id: string) =>
    `${KEY_PREFIX.shop}audit#${encodeURIComponent(source)}#${id}`,
  /** Tracking updates of an order, in the order they were applied. */
  tracking: (orderId: string) => `${KEY_PREFIX.shop}tracking#${orderId}`,
  /** A captured payment. */
  payment: (paymentId: string) => `${KEY_PREFIX.shop}payment#${paymentId}`,
} as const;

/** A line of a reservation. */
export type ReservedItem = OrderPlaced['items'][number];

/** A reservation as stored. */
export interface Reservation {
  readonly orderId: string;
  readonly items: readonly ReservedItem[];
  /** `reserved`, or `released` once a cancellation released it. */
  readonly state: 'reserved' | 'released';
}

/** One tracking update as stored, in application order. */
export interface TrackingUpdate {
  readonly sequence: number;
  readonly location: string;
  readonly eventId: string;
}

/** An amount of money in minor units. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/**
 * Port for the shop's effects. Every write increments the touched item's `applications`
 * counter, so that an effect applied twice is visible: the writes deliberately do not
 * deduplicate themselves, the consumer runtime's idempotency does.
 */
export interface IShopStore {
  /** Records the order's reservation and adds each item's quantity to its SKU's `reserved`. */
  reserve(props: {
    readonly orderId: string;
    readonly customerId: string;
    readonly items: readonly ReservedItem[];
    readonly eventId: string;
  }): Promise<void>;
  /** Reads an order's reservation, or `undefined`. */
  getReservation(orderId: string): Promise<Reservation | undefined>;
  /** Records the release of a reservation (counted on `shop#release#<orderId>`). */
  recordRelease(props: { readonly orderId: string; readonly eventId: string }): Promise<void>;
  /** Subtracts the items from their SKUs' `reserved` and marks the reservation released. */
  releaseStock(reservation: Reservation): Promise<void>;
  /** Creates (or counts again) the shipment of a paid order. */
  createShipment(props: {
    readonly orderId: string;
    readonly paymentId: string;
    readonly total: Money;
    readonly eventId: string;
  }): Promise<void>;
  /** Records one audit entry for an event. */
  recordAudit(props: {
    readonly id: string;
    readonly source: string;
    readonly type: string;
    readonly subject?: string;
    readonly time?: string;
    readonly recordedAt: string;
  }): Promise<void>;
  /** Appends a tracking update to the order's list, in application order. */
  appendTracking(props: { readonly orderId: string } & TrackingUpdate): Promise<void>;
  /** Records a captured payment. */
  capturePayment(props: {
    readonly paymentId: string;
    readonly orderId: string;
    readonly total: Money;
    readonly eventId: string;
    readonly capturedAt: string;
  }): Promise<void>;
}
