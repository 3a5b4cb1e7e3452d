/**
 * The soak's plan, drawn from the seed alone: which requests to send, with which events, faults
 * and duplicates. The same seed and options give the same plan.
 */
import { TEST_FAULT_EXTENSION } from '../../functions/shared/contract.ts';
import { SHOP_EVENT_TYPES } from '../../functions/shop/schemas.ts';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../defaults.ts';
import type { PipelineDefinition } from '../definition/types.ts';
import { createRandom, type Random } from './random.ts';

/** Where a request goes: a stream (`POST /topics/…/events`) or a queue (`POST /queues/…/messages`). */
export interface Route {
  readonly kind: 'topic' | 'queue';
  readonly name: string;
}

/** A structured-mode CloudEvent as the soak sends it. */
export type SoakEvent = Readonly<Record<string, unknown>> & {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
};

/** How a request is sent twice, if it is. */
export type DuplicateMode =
  /** The same request again after the first answered, no `Idempotency-Key`. */
  | 'resend'
  /** Both at once, no `Idempotency-Key`. */
  | 'concurrent'
  /** Again after the first answered, same `Idempotency-Key` (the ingest replays its answer). */
  | 'key-resend'
  /** Both at once with the same `Idempotency-Key` (one may be told to retry later: 409). */
  | 'key-concurrent';

/** One planned HTTP request. */
export interface PlannedRequest {
  readonly index: number;
  readonly route: Route;
  /** One event (structured mode) or several (`batch`). */
  readonly events: readonly SoakEvent[];
  readonly batch: boolean;
  readonly duplicate?: DuplicateMode;
  readonly idempotencyKey?: string;
  /**
   * Send only once inventory has applied this order's `placed` (its reservation exists):
   * inventory retries a cancellation without a reservation until it is exhausted, by design.
   */
  readonly afterReservationOf?: string;
}

/** The kinds of fault the plan injects through the `testfault` extension. */
export type FaultKind = 'transient' | 'exhausting' | 'permanent' | 'crash' | 'hang';

/** Relative weights of the fault kinds among faulty events. */
export const FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  transient: 45,
  exhausting: 15,
  permanent: 15,
  crash: 12,
  hang: 13,
};

/** Relative weights of the event kinds. */
const EVENT_WEIGHTS = {
  placed: 25,
  paid: 12,
  cancelled: 8,
  shipped: 5,
  tracked: 25,
  payment: 25,
} as const;

type EventKind = keyof typeof EVENT_WEIGHTS;

/** Share of requests that are batches (2–10 events). */
const BATCH_SHARE = 0.3;

/** The plan of a run. */
export interface SoakPlan {
  readonly source: string;
  readonly requests: readonly PlannedRequest[];
  /** Events planned (each once, however often it is sent). */
  readonly eventCount: number;
  /** The fault of each faulty event, by id. */
  readonly faults: ReadonlyMap<string, string>;
}

/** Inputs of {@link planSoak}. */
export interface PlanProps {
  readonly seed: number;
  readonly events: number;
  readonly faultShare: number;
  readonly duplicateShare: number;
  /** Include `crash` and `hang` faults (each holds its batch for a visibility timeout). */
  readonly slowFaults: boolean;
  readonly definition: PipelineDefinition;
}

/**
 * Draws the plan: a mix of orders (placed, paid, cancelled, shipped) on the `orders` stream,
 * tracking updates on the FIFO `tracking` stream (grouped by order through `partitionkey`) and
 * payment requests on the `payments` queue, single and batched, with faults and duplicates.
 *
 * Faults: `transient:<k>` with k ≤ maxReceiveCount − 2 (it must succeed; one receive is left
 * spare for a batch-mate's crash or hang, which costs every record of the batch a receive),
 * `transient:<maxReceiveCount>` (it must end exhausted in the DLQ), `permanent`, `crash:1` and
 * `hang:1`. Duplicated requests carry no fault, so that the two effects are not mixed up.
 */
export function planSoak(props: PlanProps): SoakPlan {
  const random = createRandom(props.seed, 'soak-plan');
  const kinds = random.fork('kinds');
  const faultsRandom = random.fork('faults');
  const shapes = random.fork('shapes');
  const data = random.fork('data');
  const source = `urn:soak:seed-${props.seed}`;
  const maxReceive = (consumer: string) => maxReceiveCountOf(props.definition, consumer);
  const ordersMax = Math.min(
    ...props.definition.subscribers
      .filter((subscriber) => subscriber.stream === 'orders')
      .map((subscriber) => maxReceive(subscriber.name))
  );
  const routeMax = {
    orders: ordersMax,
    tracking: maxReceive('tracker'),
    payments: maxReceive('payments'),
  };
  const faults = new Map<string, string>();
  const requests: PlannedRequest[] = [];
  let eventIndex = 0;
  const nextId = () => `soak-${props.seed}-${String(eventIndex++).padStart(7, '0')}`;

  // Orders whose `placed` will be applied by inventory, not yet cancelled / paid.
  const cancellable: string[] = [];
  const unpaid: string[] = [];
  const trackingGroups: { orderId: string; next: number }[] = [];
  let orderCounter = 0;
  const newOrderId = () => `o-${props.seed}-${orderCounter++}`;

  const drawFault = (max: number): string | undefined => {
    if (!faultsRandom.chance(props.faultShare)) return undefined;
    const weights = props.slowFaults ? FAULT_WEIGHTS : { ...FAULT_WEIGHTS, crash: 0, hang: 0 };
    switch (faultsRandom.weighted(weights)) {
      case 'transient':
        return `transient:${faultsRandom.int(1, Math.max(1, max - 2))}`;
      case 'exhausting':
        return `transient:${max}`;
      case 'permanent':
        return 'permanent';
      case 'crash':
        return 'crash:1';
      case 'hang':
        return 'hang:1';
    }
  };

  const build = (kind: EventKind, allowFault: boolean): { route: Route; event: SoakEvent } => {
    const id = nextId();
    const base = { specversion: '1.0', id, source, datacontenttype: 'application/json' };
    const withFault = (event: SoakEvent, max: number): SoakEvent => {
      const fault = allowFault ? drawFault(max) : undefined;
      if (!fault) return event;
      faults.set(id, fault);
      return { ...event, [TEST_FAULT_EXTENSION]: fault };
    };
    const total = { amount: data.int(100, 99_999), currency: data.pick(['EUR', 'USD', 'GBP']) };
    switch (kind) {
      case 'placed': {
        const orderId = newOrderId();
        const items = Array.from({ length: data.int(1, 3) }, () => ({
          sku: `sku-${data.int(1, 50)}`,
          quantity: data.int(1, 5),
        }));
        const event = withFault(
          {
            ...base,
            type: SHOP_EVENT_TYPES.orderPlaced,
            data: { orderId, customerId: `c-${data.int(1, 500)}`, items, total },
          },
          routeMax.orders
        );
        // A placed order that inventory will not apply can never be cancelled cleanly.
        if (!deadLetters(event, routeMax.orders)) cancellable.push(orderId);
        unpaid.push(orderId);
        return { route: { kind: 'topic', name: 'orders' }, event };
      }
      case 'paid': {
        // One payment per order: shipping's effect is keyed by order.
        const orderId = takeRandom(unpaid, data) ?? newOrderId();
        const event = withFault(
          {
            ...base,
            type: SHOP_EVENT_TYPES.orderPaid,
            data: { orderId, paymentId: `p-${orderId}`, total },
          },
          routeMax.orders
        );
        return { route: { kind: 'topic', name: 'orders' }, event };
      }
      case 'cancelled': {
        throw new Error('cancellations are planned on their own');
      }
      case 'shipped': {
        const event = withFault(
          {
            ...base,
            type: SHOP_EVENT_TYPES.orderShipped,
            data: {
              orderId: newOrderId(),
              carrier: data.pick(['dhl', 'ups', 'fedex']),
              trackingNumber: `t-${data.int(1, 1_000_000)}`,
            },
          },
          routeMax.orders
        );
        return { route: { kind: 'topic', name: 'orders' }, event };
      }
      case 'tracked': {
        let group =
          trackingGroups.length > 0 && !data.chance(0.3) ? data.pick(trackingGroups) : undefined;
        if (!group) {
          group = { orderId: newOrderId(), next: 1 };
          trackingGroups.push(group);
        }
        const sequence = group.next++;
        if (group.next > 5) trackingGroups.splice(trackingGroups.indexOf(group), 1);
        const event = withFault(
          {
            ...base,
            type: SHOP_EVENT_TYPES.shipmentTracked,
            partitionkey: group.orderId,
            data: { orderId: group.orderId, sequence, location: `hub-${data.int(1, 99)}` },
          },
          routeMax.tracking
        );
        return { route: { kind: 'topic', name: 'tracking' }, event };
      }
      case 'payment': {
        const paymentNumber = eventIndex;
        const event = withFault(
          {
            ...base,
            type: SHOP_EVENT_TYPES.paymentRequested,
            data: { paymentId: `pay-${props.seed}-${paymentNumber}`, orderId: newOrderId(), total },
          },
          routeMax.payments
        );
        return { route: { kind: 'queue', name: 'payments' }, event };
      }
    }
  };

  while (eventIndex < props.events) {
    const index = requests.length;
    let kind = kinds.weighted(EVENT_WEIGHTS);
    if (kind === 'cancelled') {
      const orderId = takeRandom(cancellable, data);
      if (orderId === undefined) {
        kind = 'placed';
      } else {
        const id = nextId();
        const event: SoakEvent = {
          specversion: '1.0',
          id,
          source,
          datacontenttype: 'application/json',
          type: SHOP_EVENT_TYPES.orderCancelled,
          data: { orderId, reason: 'changed mind' },
        };
        const fault = drawFault(routeMax.orders);
        if (fault) faults.set(id, fault);
        requests.push({
          index,
          route: { kind: 'topic', name: 'orders' },
          events: [fault ? { ...event, [TEST_FAULT_EXTENSION]: fault } : event],
          batch: false,
          afterReservationOf: orderId,
        });
        continue;
      }
    }
    const duplicate = shapes.chance(props.duplicateShare)
      ? shapes.pick<DuplicateMode>(['resend', 'concurrent', 'key-resend', 'key-concurrent'])
      : undefined;
    const batchSize = shapes.chance(BATCH_SHARE)
      ? Math.min(shapes.int(2, 10), props.events - eventIndex)
      : 1;
    const first = build(kind, duplicate === undefined);
    const events = [first.event];
    while (events.length < batchSize) {
      let next = kinds.weighted(EVENT_WEIGHTS);
      if (next === 'cancelled') next = 'placed';
      const candidate = sameRoute(next, first.route);
      events.push(build(candidate, duplicate === undefined).event);
    }
    requests.push({
      index,
      route: first.route,
      events,
      batch: events.length > 1,
      ...(duplicate ? { duplicate } : {}),
      ...(duplicate?.startsWith('key-')
        ? { idempotencyKey: `soak-${props.seed}-request-${index}` }
        : {}),
    });
  }
  return { source, requests, eventCount: eventIndex, faults };
}

/** The consumer's maxReceiveCount in the definition. */
export function maxReceiveCountOf(definition: PipelineDefinition, consumer: string): number {
  const found =
    definition.subscribers.find((subscriber) => subscriber.name === consumer) ??
    definition.queues.find((queue) => queue.name === consumer);
  if (!found) throw new Error(`no consumer named ${consumer} in the definition`);
  return found.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
}

/** Whether an event's fault makes a consumer with this maxReceiveCount dead-letter it. */
function deadLetters(event: SoakEvent, maxReceiveCount: number): boolean {
  const fault = event[TEST_FAULT_EXTENSION];
  if (fault === 'permanent') return true;
  const transient = typeof fault === 'string' ? /^transient:(\d+)$/.exec(fault) : null;
  return transient !== null && Number(transient[1]) >= maxReceiveCount;
}

/** An event kind that goes to `route` (a batch goes to one route). */
function sameRoute(kind: EventKind, route: Route): EventKind {
  if (route.name === 'tracking') return 'tracked';
  if (route.name === 'payments') return 'payment';
  return kind === 'tracked' || kind === 'payment' ? 'placed' : kind;
}

function takeRandom(items: string[], random: Random): string | undefined {
  if (items.length === 0) return undefined;
  const index = random.int(0, items.length - 1);
  const [item] = items.splice(index, 1);
  return item;
}
