import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryState } from '../contract.ts';
import { KEY_PREFIX, TABLE_KEYS } from '../contract.ts';
import {
  type ConsumerCompletion,
  type IConsumerCompletions,
  PowertoolsConsumerCompletions,
} from './consumer-completions.ts';
import {
  type AcceptedEvent,
  type DeliveryOutcome,
  type DeliveryView,
  type EventStatusView,
  FINAL_STATES,
  type IDeliveryStatusStore,
} from './delivery-status.ts';

/** Options of {@link DynamoDbDeliveryStatusStore}. */
export interface DynamoDbDeliveryStatusStoreProps {
  /** The pipeline table. */
  readonly tableName: string;
  /** A DynamoDB client, built once per Lambda container. */
  readonly client: DynamoDBClient;
  /** How long records are kept, in seconds. */
  readonly ttlSeconds: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Where `getStatus` reads the consumers' completions.
   *
   * @default - the consumers' Powertools idempotency records in the same table
   */
  readonly completions?: IConsumerCompletions;
}

const ACCEPTED = 'accepted|';
const DELIVERY = 'delivery|';
const SEPARATOR = '|';

/**
 * Delivery status in the pipeline table: one item per event id (`event#<id>`), so that every
 * writer does a single UpdateItem.
 *
 * A delivery that succeeds at its first attempt writes no status: the consumer's completed
 * idempotency record (which it writes anyway) says so, and `getStatus` reads it for every
 * consumer not already reported `succeeded` — one more GetItem per such consumer, on reads only.
 * This saves a write per delivery, the most frequent write of the pipeline.
 *
 * Each writer sets only its own top-level attributes (`accepted|<source>`,
 * `delivery|<source>|<consumer>`), so the ingest and the consumers never overwrite each other
 * whichever writes first. Sources are URI-encoded in attribute names so `|` cannot collide.
 */
export class DynamoDbDeliveryStatusStore implements IDeliveryStatusStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly now: () => number;
  private readonly completions: IConsumerCompletions;

  constructor(private readonly props: DynamoDbDeliveryStatusStoreProps) {
    this.documents = DynamoDBDocumentClient.from(props.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.now = props.now ?? Date.now;
    this.completions =
      props.completions ??
      new PowertoolsConsumerCompletions({ tableName: props.tableName, client: props.client });
  }

  async recordAccepted(events: readonly AcceptedEvent[]): Promise<void> {
    await Promise.all(
      events.map((event) =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.props.tableName,
            Key: { [TABLE_KEYS.partitionKey]: eventKey(event.id) },
            UpdateExpression: 'ADD #sources :source SET #accepted = :accepted, #ttl = :ttl',
            ExpressionAttributeNames: {
              '#sources': 'sources',
              '#accepted': ACCEPTED + encodeURIComponent(event.source),
              '#ttl': TABLE_KEYS.timeToLive,
            },
            ExpressionAttributeValues: {
              ':source': new Set([event.source]),
              ':accepted': {
                type: event.type,
                destination: event.destination,
                consumers: [...event.consumers],
                acceptedAt: event.acceptedAt,
              },
              ':ttl': this.expiry(),
            },
          })
        )
      )
    );
  }

  async recordOutcome(outcome: DeliveryOutcome): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: { [TABLE_KEYS.partitionKey]: eventKey(outcome.id) },
          UpdateExpression: 'ADD #sources :source SET #delivery = :delivery, #ttl = :ttl',
          // A succeeded delivery stays succeeded: a late or duplicate attempt must not report
          // `retrying` over it. A dead-lettered one may change again (DLQ redrive).
          ConditionExpression:
            'attribute_not_exists(#delivery) OR #delivery.#state <> :succeeded OR :state = :succeeded',
          ExpressionAttributeNames: {
            '#sources': 'sources',
            '#delivery': deliveryAttribute(outcome.source, outcome.consumer),
            '#state': 'state',
            '#ttl': TABLE_KEYS.timeToLive,
          },
          ExpressionAttributeValues: {
            ':source': new Set([outcome.source]),
            ':delivery': {
              state: outcome.state,
              attempts: outcome.attempts,
              lastError: outcome.lastError,
              updatedAt: new Date(this.now()).toISOString(),
            },
            ':succeeded': 'succeeded',
            ':state': outcome.state,
            ':ttl': this.expiry(),
          },
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  async getStatus(id: string, source?: string): Promise<EventStatusView[]> {
    const { Item: item } = await this.documents.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { [TABLE_KEYS.partitionKey]: eventKey(id) },
        ConsistentRead: true,
      })
    );
    // Past its TTL the item is gone as far as the contract goes (DynamoDB deletes it later).
    if (!item || isExpired(item, this.now())) return [];
    const sources = [...((item.sources as Set<string> | undefined) ?? [])].sort();
    return Promise.all(
      sources
        .filter((candidate) => source === undefined || candidate === source)
        .map((candidate) => this.withCompletions(toView(id, candidate, item)))
    );
  }

  /** Marks `succeeded` each consumer whose idempotency record says it applied the event. */
  private async withCompletions(view: EventStatusView): Promise<EventStatusView> {
    const subscribers = await Promise.all(
      view.subscribers.map(async (subscriber) => {
        if (subscriber.status === 'succeeded') return subscriber;
        const completion = await this.completions.read(subscriber.name, view.source, view.id);
        return completion ? succeededFrom(subscriber, completion) : subscriber;
      })
    );
    return {
      ...view,
      done: subscribers.every((subscriber) => FINAL_STATES.has(subscriber.status)),
      subscribers,
    };
  }

  private expiry(): number {
    return Math.floor(this.now() / 1000) + this.props.ttlSeconds;
  }
}

function isExpired(item: Record<string, unknown>, nowMs: number): boolean {
  const expiresAt = Number(item[TABLE_KEYS.timeToLive]);
  return Number.isFinite(expiresAt) && expiresAt * 1000 <= nowMs;
}

function eventKey(id: string): string {
  return `${KEY_PREFIX.event}${id}`;
}

function deliveryAttribute(source: string, consumer: string): string {
  return DELIVERY + encodeURIComponent(source) + SEPARATOR + consumer;
}

interface StoredAccepted {
  type?: string;
  destination?: string;
  consumers?: string[];
  acceptedAt?: string;
}

interface StoredDelivery {
  state: DeliveryState;
  attempts: number;
  lastError?: string;
  updatedAt?: string;
}

/**
 * A delivery the consumer completed without reporting it (first attempt), or after reporting a
 * failure of an earlier attempt or copy (a duplicate message, a redriven one).
 */
function succeededFrom(reported: DeliveryView, completion: ConsumerCompletion): DeliveryView {
  return {
    name: reported.name,
    status: 'succeeded',
    attempts: Math.max(reported.attempts, completion.attempt),
    lastError: reported.lastError,
    updatedAt: completion.completedAt ?? reported.updatedAt,
  };
}

function toView(id: string, source: string, item: Record<string, unknown>): EventStatusView {
  const accepted = item[ACCEPTED + encodeURIComponent(source)] as StoredAccepted | undefined;
  const prefix = DELIVERY + encodeURIComponent(source) + SEPARATOR;
  const reported = new Map<string, StoredDelivery>();
  for (const [attribute, value] of Object.entries(item)) {
    if (attribute.startsWith(prefix)) {
      reported.set(attribute.slice(prefix.length), value as StoredDelivery);
    }
  }
  const names = [...new Set([...(accepted?.consumers ?? []), ...reported.keys()])].sort();
  const subscribers: DeliveryView[] = names.map((name) => {
    const delivery = reported.get(name);
    if (!delivery) return { name, status: 'in_progress', attempts: 0 };
    return {
      name,
      status: delivery.state,
      attempts: Number(delivery.attempts),
      lastError: delivery.lastError,
      updatedAt: delivery.updatedAt,
    };
  });
  return {
    id,
    source,
    type: accepted?.type,
    destination: accepted?.destination,
    acceptedAt: accepted?.acceptedAt,
    done: subscribers.every((subscriber) => FINAL_STATES.has(subscriber.status)),
    subscribers,
  };
}
