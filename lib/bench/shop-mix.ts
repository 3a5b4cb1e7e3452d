/**
 * The shop traffic the benchmark sends: a fixed mix of the example shop's CloudEvents across
 * the `orders` stream, the `tracking` FIFO stream and the `payments` queue, each with the
 * subscribers that must finish it (from the definition's filter policies).
 */
import { randomUUID } from 'node:crypto';
import {
  compileFilterPolicy,
  type FilterableAttribute,
  filterableMessage,
} from '../../functions/shared/filter-policy.ts';
import { SHOP_EVENT_TYPES } from '../../functions/shop/schemas.ts';
import { shopPipeline } from '../definition/shop.ts';

/** One request the load generator sends. */
export interface ShopRequest {
  /** Path relative to the API stage. */
  readonly path: string;
  /** The structured-mode CloudEvent. */
  readonly event: Record<string, unknown> & { id: string; source: string; type: string };
  /** Subscribers (consumer names) that must report success before the event is done. */
  readonly subscribers: readonly string[];
}

/** Share of each kind of event in the mix (sums to 1). */
export const SHOP_MIX = [
  { kind: 'placed', share: 0.35 },
  { kind: 'paid', share: 0.25 },
  { kind: 'cancelled', share: 0.1 },
  { kind: 'shipped', share: 0.1 },
  { kind: 'tracked', share: 0.1 },
  { kind: 'payment', share: 0.1 },
] as const;

/**
 * A cancellation names an order placed at least this long before (ms), so that the inventory
 * has usually reserved its stock already; cancelling an unknown order is retried until it is
 * dead-lettered, which is a fault, not traffic.
 */
export const CANCEL_AFTER_MS = 5_000;

/** The source of every benchmark event. */
export const BENCH_SOURCE = 'urn:bench:shop';

const total = { amount: 4200, currency: 'EUR' };

/** A deterministic uniform random generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Builds the mix's requests, in an order drawn from `random`. */
export class ShopMix {
  readonly #random: () => number;
  readonly #orders = shopPipeline.subscribers
    .filter((subscriber) => subscriber.stream === 'orders')
    .map((subscriber) => ({
      name: subscriber.name,
      matches: subscriber.filterPolicy
        ? compileFilterPolicy(
            subscriber.filterPolicy as Record<string, unknown>,
            subscriber.filterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes'
          )
        : () => true,
    }));

  /** Orders placed and not cancelled yet, oldest first. */
  readonly #placed: Array<{ readonly orderId: string; readonly at: number }> = [];

  constructor(seed = 1) {
    this.#random = seededRandom(seed);
  }

  /**
   * The next request of the mix. A cancellation takes the oldest order placed at least
   * {@link CANCEL_AFTER_MS} before `nowMs`; with none old enough, an order is placed instead.
   */
  next(nowMs = Date.now()): ShopRequest {
    let draw = this.#random();
    let kind: (typeof SHOP_MIX)[number]['kind'] = 'placed';
    for (const entry of SHOP_MIX) {
      kind = entry.kind;
      draw -= entry.share;
      if (draw < 0) break;
    }
    let orderId = `o-${randomUUID()}`;
    if (kind === 'cancelled') {
      const oldest = this.#placed[0];
      if (oldest && oldest.at <= nowMs - CANCEL_AFTER_MS) {
        this.#placed.shift();
        orderId = oldest.orderId;
      } else kind = 'placed';
    }
    if (kind === 'placed') this.#placed.push({ orderId, at: nowMs });
    switch (kind) {
      case 'placed':
        return this.#order(SHOP_EVENT_TYPES.orderPlaced, {
          orderId,
          customerId: 'c-1',
          items: [{ sku: `sku-${randomUUID()}`, quantity: 1 }],
          total,
        });
      case 'paid':
        return this.#order(SHOP_EVENT_TYPES.orderPaid, {
          orderId,
          paymentId: `p-${orderId}`,
          total,
        });
      case 'cancelled':
        return this.#order(SHOP_EVENT_TYPES.orderCancelled, { orderId, reason: 'changed mind' });
      case 'shipped':
        return this.#order(SHOP_EVENT_TYPES.orderShipped, {
          orderId,
          carrier: 'dhl',
          trackingNumber: 't-1',
        });
      case 'tracked':
        return {
          path: 'topics/tracking/events',
          event: cloudEvent(
            SHOP_EVENT_TYPES.shipmentTracked,
            { orderId, sequence: 1, location: 'hub-1' },
            { partitionkey: orderId }
          ),
          subscribers: ['tracker'],
        };
      default:
        return {
          path: 'queues/payments/messages',
          event: cloudEvent(SHOP_EVENT_TYPES.paymentRequested, {
            paymentId: `p-${randomUUID()}`,
            orderId,
            total,
          }),
          subscribers: ['payments'],
        };
    }
  }

  #order(type: string, data: Record<string, unknown>): ShopRequest {
    const event = cloudEvent(type, data);
    const attributes: Record<string, FilterableAttribute> = {
      type: { DataType: 'String', StringValue: event.type },
      source: { DataType: 'String', StringValue: event.source },
      id: { DataType: 'String', StringValue: event.id },
    };
    const message = filterableMessage(attributes, JSON.stringify(event));
    return {
      path: 'topics/orders/events',
      event,
      subscribers: this.#orders
        .filter((entry) => entry.matches(message))
        .map((entry) => entry.name),
    };
  }
}

function cloudEvent(
  type: string,
  data: unknown,
  extensions: Record<string, string> = {}
): ShopRequest['event'] {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: BENCH_SOURCE,
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
    ...extensions,
  };
}
