/**
 * The end of a soak: wait until the queues are quiet, then check every accepted event at every
 * consumer it should reach, against the effects in the table and the dead-letter queues.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { FAILURE_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../../functions/shared/contract.ts';
import { SHOP_EVENT_TYPES } from '../../functions/shop/schemas.ts';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { queueBacklog } from '../cli/dead-letter-queues.ts';
import type { AcceptedEvent } from './driver.ts';
import type { ExpectationModel, ExpectedOutcome } from './expectations.ts';
import type { SoakClient } from './soak-client.ts';

/** How an event ended at one consumer. */
export type ObservedOutcome =
  | 'applied-once'
  | 'applied-more-than-once'
  | 'dead-lettered'
  | 'applied-and-dead-lettered'
  | 'lost';

/** The counts the soak reports, per consumer and in total. */
export interface ReconcileCounts {
  /** (event, consumer) pairs expected. */
  expected: number;
  processedOnce: number;
  processedMoreThanOnce: number;
  /** Dead-lettered as expected, by kind. */
  expectedDeadLetters: Record<string, number>;
  /** Dead-lettered although expected otherwise (or with another kind), by kind. */
  unexpectedDeadLetters: Record<string, number>;
  /** Applied although a DLQ entry was expected. */
  unexpectedlyApplied: number;
  /**
   * Extra DLQ copies of an event already counted in a DLQ, by kind: information, not a failure
   * (a record dead-lettered by the consumer comes back when its batch then fails as a whole,
   * and is dead-lettered again; the event is still in the DLQ, once as far as the count goes).
   */
  duplicateDeadLetterCopies: Record<string, number>;
  lost: number;
}

/** The reconciliation's result. */
export interface Reconciliation {
  readonly total: ReconcileCounts;
  readonly byConsumer: Record<string, ReconcileCounts>;
  /** DLQ entries of events the soak never accepted, or for consumers they should not reach. */
  readonly strayDeadLetters: number;
  /** Tracking updates applied out of order within an order (FIFO violations). */
  readonly outOfOrder: number;
  /** A few examples of each problem, for the report. */
  readonly examples: Record<string, string[]>;
}

/** A message found in a dead-letter queue. */
export interface FoundDeadLetter {
  readonly consumer: string;
  readonly eventId?: string;
  /** `permanent`, `exhausted`, or `max-receive-count` (moved by SQS's redrive policy). */
  readonly kind: string;
  readonly reason?: string;
}

/** The backlog of every consumer's source queue. */
export async function backlogs(client: SoakClient): Promise<Record<string, number>> {
  const entries = await Promise.all(
    Object.entries(client.outputs.consumers).map(
      async ([consumer, queues]) =>
        [consumer, await queueBacklog(client.sqs, queues.queueUrl)] as const
    )
  );
  return Object.fromEntries(entries);
}

/**
 * Waits until every source queue has been empty (nothing waiting, in flight or delayed) for
 * `quietChecks` checks in a row, one second apart.
 *
 * @returns `true` when quiet, `false` when the deadline passed first
 */
export async function waitForQuiet(
  client: SoakClient,
  deadline: number,
  log: (line: string) => void,
  quietChecks = 3
): Promise<boolean> {
  let quiet = 0;
  let lastLog = 0;
  while (Date.now() < deadline) {
    const current = await backlogs(client);
    const total = Object.values(current).reduce((sum, count) => sum + count, 0);
    quiet = total === 0 ? quiet + 1 : 0;
    if (quiet >= quietChecks) return true;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`draining: ${total} messages left (${JSON.stringify(current)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return false;
}

/**
 * Reads every dead-letter queue to the end. The messages are deleted as they are read: a FIFO
 * queue returns no more of a message group while one of it is in flight, so peeking could not
 * see them all.
 */
export async function drainDeadLetters(client: SoakClient): Promise<FoundDeadLetter[]> {
  const found: FoundDeadLetter[] = [];
  for (const [consumer, queues] of Object.entries(client.outputs.consumers)) {
    let empty = 0;
    // Two empty receives in a row: fauxqs answers at once, so one may race a late send.
    while (empty < 2) {
      const { Messages: messages = [] } = await client.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queues.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        })
      );
      if (messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      for (const message of messages) {
        const attributes = message.MessageAttributes ?? {};
        const kind = attributes[FAILURE_ATTRIBUTES.kind]?.StringValue ?? 'max-receive-count';
        const reason = attributes[FAILURE_ATTRIBUTES.reason]?.StringValue;
        found.push({
          consumer,
          eventId: eventIdOf(message.Body) ?? attributes[MESSAGE_ATTRIBUTES.id]?.StringValue,
          kind,
          ...(reason ? { reason } : {}),
        });
      }
      await client.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queues.deadLetterQueueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        })
      );
    }
  }
  return found;
}

/** The effect item an event leaves at a consumer, and how to count its applications there. */
function effectOf(
  consumer: string,
  accepted: AcceptedEvent
): { key: string; count: (item: Record<string, unknown> | undefined) => number } {
  const { event } = accepted;
  const data = event.data as Record<string, string>;
  const applications = (item: Record<string, unknown> | undefined) =>
    Number(item?.applications ?? 0);
  switch (consumer) {
    case 'audit':
      return { key: shopKeys.audit(event.source, event.id), count: applications };
    case 'shipping':
      return { key: shopKeys.shipment(String(data.orderId)), count: applications };
    case 'payments':
      return { key: shopKeys.payment(String(data.paymentId)), count: applications };
    case 'inventory':
      return event.type === SHOP_EVENT_TYPES.orderCancelled
        ? { key: shopKeys.release(String(data.orderId)), count: applications }
        : { key: shopKeys.reservation(String(data.orderId)), count: applications };
    case 'tracker':
      // Several updates share an order's item: count this event's entries in its list.
      return {
        key: shopKeys.tracking(String(data.orderId)),
        count: (item) =>
          ((item?.updates ?? []) as { eventId?: string }[]).filter(
            (update) => update.eventId === event.id
          ).length,
      };
    default:
      throw new Error(`the soak does not know the effect of consumer ${consumer}`);
  }
}

const emptyCounts = (): ReconcileCounts => ({
  expected: 0,
  processedOnce: 0,
  processedMoreThanOnce: 0,
  expectedDeadLetters: {},
  unexpectedDeadLetters: {},
  unexpectedlyApplied: 0,
  duplicateDeadLetterCopies: {},
  lost: 0,
});

/**
 * Checks every accepted event at every consumer the definition says it reaches: applied once,
 * more than once, dead-lettered (expected or not, by kind), or lost.
 */
export async function reconcile(
  client: SoakClient,
  accepted: ReadonlyMap<string, AcceptedEvent>,
  model: ExpectationModel,
  deadLetters: readonly FoundDeadLetter[]
): Promise<Reconciliation> {
  const pairs = [...accepted.values()].flatMap((entry) =>
    model.expect(entry.route, entry.event).map((expectation) => ({
      entry,
      ...expectation,
      effect: effectOf(expectation.consumer, entry),
    }))
  );
  const items = await client.items([...new Set(pairs.map((pair) => pair.effect.key))]);
  const dlq = new Map<string, FoundDeadLetter[]>();
  for (const letter of deadLetters) {
    const key = `${letter.consumer}#${letter.eventId}`;
    dlq.set(key, [...(dlq.get(key) ?? []), letter]);
  }
  const total = emptyCounts();
  const byConsumer: Record<string, ReconcileCounts> = {};
  const examples: Record<string, string[]> = {};
  const example = (kind: string, line: string) => {
    const list = examples[kind] ?? [];
    if (list.length < 5) list.push(line);
    examples[kind] = list;
  };
  const bump = (consumer: string, update: (counts: ReconcileCounts) => void) => {
    update(total);
    const counts = byConsumer[consumer] ?? emptyCounts();
    byConsumer[consumer] = counts;
    update(counts);
  };
  const matched = new Set<string>();
  for (const pair of pairs) {
    const { consumer, outcome, entry, effect } = pair;
    const id = entry.event.id;
    const applied = effect.count(items.get(effect.key));
    const letterKey = `${consumer}#${id}`;
    const letters = dlq.get(letterKey) ?? [];
    matched.add(letterKey);
    bump(consumer, (counts) => {
      counts.expected += 1;
    });
    if (applied > 1) {
      bump(consumer, (counts) => {
        counts.processedMoreThanOnce += 1;
      });
      example('processedMoreThanOnce', `${consumer} ${id} applied ${applied} times`);
    } else if (applied === 1) {
      bump(consumer, (counts) => {
        counts.processedOnce += 1;
      });
      if (outcome !== 'applied') {
        bump(consumer, (counts) => {
          counts.unexpectedlyApplied += 1;
        });
        example('unexpectedlyApplied', `${consumer} ${id} applied, expected ${outcome}`);
      }
    }
    // An event counts in a DLQ once: the copy that matches the expected outcome if there is
    // one, else the first; further copies are counted apart, as duplicate copies.
    const counted =
      letters.find((letter) => applied === 0 && kindMatches(outcome, letter.kind)) ?? letters[0];
    for (const letter of letters) {
      if (letter !== counted) {
        bump(consumer, (counts) => {
          const bucket = counts.duplicateDeadLetterCopies;
          bucket[letter.kind] = (bucket[letter.kind] ?? 0) + 1;
        });
        continue;
      }
      const expected = applied === 0 && kindMatches(outcome, letter.kind);
      bump(consumer, (counts) => {
        const bucket = expected ? counts.expectedDeadLetters : counts.unexpectedDeadLetters;
        bucket[letter.kind] = (bucket[letter.kind] ?? 0) + 1;
      });
      if (!expected) {
        example(
          'unexpectedDeadLetters',
          `${consumer} ${id} (${String(entry.event.testfault ?? 'no fault')}, expected ${outcome}, applied ${applied}): ${letter.kind} ${letter.reason ?? ''}`
        );
      }
    }
    if (applied === 0 && letters.length === 0) {
      bump(consumer, (counts) => {
        counts.lost += 1;
      });
      example('lost', `${consumer} ${id} (${String(entry.event.testfault ?? 'no fault')})`);
    }
  }
  const strays = deadLetters.filter(
    (letter) => !matched.has(`${letter.consumer}#${letter.eventId}`)
  );
  for (const stray of strays.slice(0, 5)) {
    example(
      'strayDeadLetters',
      `${stray.consumer} ${stray.eventId}: ${stray.kind} ${stray.reason ?? ''}`
    );
  }
  return {
    total,
    byConsumer,
    strayDeadLetters: strays.length,
    outOfOrder: countOutOfOrder(
      pairs.filter((pair) => pair.consumer === 'tracker').map((pair) => items.get(pair.effect.key)),
      example
    ),
    examples,
  };
}

function kindMatches(outcome: ExpectedOutcome, kind: string): boolean {
  // SQS's redrive moves a message after maxReceiveCount without a reason: exhausted as well.
  return outcome === 'permanent'
    ? kind === 'permanent'
    : outcome === 'exhausted' && (kind === 'exhausted' || kind === 'max-receive-count');
}

/** Orders whose tracking updates were applied out of sequence order. */
function countOutOfOrder(
  items: readonly (Record<string, unknown> | undefined)[],
  example: (kind: string, line: string) => void
): number {
  const seen = new Set<unknown>();
  let outOfOrder = 0;
  for (const item of items) {
    if (!item || seen.has(item)) continue;
    seen.add(item);
    const sequences = ((item.updates ?? []) as { sequence?: number }[]).map((update) =>
      Number(update.sequence)
    );
    if (sequences.some((sequence, index) => index > 0 && sequence <= (sequences[index - 1] ?? 0))) {
      outOfOrder += 1;
      example('outOfOrder', `${String(item.orderId)}: ${sequences.join(',')}`);
    }
  }
  return outOfOrder;
}

function eventIdOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { id?: unknown; Message?: unknown };
    if (typeof parsed.id === 'string') return parsed.id;
    if (typeof parsed.Message === 'string') return eventIdOf(parsed.Message);
  } catch {
    // not JSON
  }
  return undefined;
}
