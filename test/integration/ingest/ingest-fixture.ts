/**
 * A small pipeline on the real emulators for the ingest tests: the shop's `orders` stream and its
 * subscribers, a FIFO `tracking` stream, a `metrics` stream filtered on an extension, the
 * `payments` queue and a FIFO `ledger` queue, plus the pipeline table.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  createIngestHandler,
  type IngestHandler,
  type IngestHandlerProps,
} from '../../../functions/ingest/ingest.ts';
import type { IngestRoutes, IngestSubscriberRoute } from '../../../functions/shared/contract.ts';
import { TABLE_KEYS } from '../../../functions/shared/contract.ts';
import { DynamoDbDeliveryStatusStore } from '../../../functions/shared/status/dynamodb-delivery-status-store.ts';
import { shopEventSchemas } from '../../../functions/shop/schemas.ts';
import { createPipelineTable, type Emulators, startEmulators } from '../../helpers/emulators.ts';

/** Names of the queues the fixture creates. */
export type FixtureQueue =
  | 'inventory'
  | 'shipping'
  | 'audit'
  | 'tracker'
  | 'pager'
  | 'payments'
  | 'ledger';

/** The running fixture. */
export interface IngestFixture {
  readonly emulators: Emulators;
  readonly tableName: string;
  readonly routes: IngestRoutes;
  readonly queueUrls: Readonly<Record<FixtureQueue, string>>;
  readonly store: DynamoDbDeliveryStatusStore;
  /** The ingest with the fixture's clients; `overrides` replace any dependency. */
  handler(overrides?: Partial<IngestHandlerProps>): IngestHandler;
  /** Receives (and removes) every message waiting in a queue. */
  drain(queue: FixtureQueue): Promise<Message[]>;
  /** Drains every queue; returns the queues that held messages. */
  drainAll(): Promise<Partial<Record<FixtureQueue, Message[]>>>;
  stop(): Promise<void>;
}

/** Default request size limit of the fixture's ingest. */
export const FIXTURE_MAX_REQUEST_BYTES = 1_048_576;

/** Starts the emulators and creates the fixture's topics, queues, subscriptions and table. */
export async function startIngestFixture(): Promise<IngestFixture> {
  const emulators = await startEmulators();
  const { sns, sqs } = emulators;
  const tableName = 'pipeline';
  await createPipelineTable(emulators.dynamoDb, tableName);

  const createQueue = async (name: string, fifo = false) => {
    const { QueueUrl = '' } = await sqs.send(
      new CreateQueueCommand({
        QueueName: fifo ? `${name}.fifo` : name,
        Attributes: fifo ? { FifoQueue: 'true' } : {},
      })
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })
    );
    return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
  };
  const createStream = async (
    name: string,
    fifo: boolean,
    subscribers: ReadonlyArray<IngestSubscriberRoute & { queue: { arn: string } }>
  ) => {
    const { TopicArn = '' } = await sns.send(
      new CreateTopicCommand({
        Name: fifo ? `${name}.fifo` : name,
        Attributes: fifo ? { FifoTopic: 'true' } : {},
      })
    );
    for (const subscriber of subscribers) {
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: subscriber.queue.arn,
          Attributes: {
            RawMessageDelivery: 'true',
            ...(subscriber.filterPolicy
              ? {
                  FilterPolicy: JSON.stringify(subscriber.filterPolicy),
                  FilterPolicyScope: subscriber.filterPolicyScope ?? 'MessageAttributes',
                }
              : {}),
          },
        })
      );
    }
    return {
      topicArn: TopicArn,
      fifo,
      subscribers: subscribers.map(({ name, filterPolicy, filterPolicyScope }) => ({
        name,
        filterPolicy,
        filterPolicyScope,
      })),
    };
  };

  const queues = {
    inventory: await createQueue('inventory'),
    shipping: await createQueue('shipping'),
    audit: await createQueue('audit'),
    tracker: await createQueue('tracker', true),
    pager: await createQueue('pager'),
    payments: await createQueue('payments'),
    ledger: await createQueue('ledger', true),
  };
  const routes: IngestRoutes = {
    streams: {
      orders: await createStream('orders', false, [
        {
          name: 'inventory',
          queue: queues.inventory,
          filterPolicy: { type: ['com.example.order.placed', 'com.example.order.cancelled'] },
        },
        {
          name: 'shipping',
          queue: queues.shipping,
          filterPolicy: { type: ['com.example.order.paid'] },
          filterPolicyScope: 'MessageBody',
        },
        { name: 'audit', queue: queues.audit },
      ]),
      tracking: await createStream('tracking', true, [{ name: 'tracker', queue: queues.tracker }]),
      metrics: await createStream('metrics', false, [
        { name: 'pager', queue: queues.pager, filterPolicy: { zseverity: ['high'] } },
      ]),
    },
    queues: {
      payments: { queueUrl: queues.payments.url, fifo: false, worker: 'payments' },
      ledger: { queueUrl: queues.ledger.url, fifo: true, worker: 'bookkeeper' },
    },
  };
  const queueUrls = Object.fromEntries(
    Object.entries(queues).map(([name, queue]) => [name, queue.url])
  ) as Record<FixtureQueue, string>;
  const store = new DynamoDbDeliveryStatusStore({
    tableName,
    client: emulators.dynamoDb,
    ttlSeconds: 3600,
  });

  const drain = async (queue: FixtureQueue): Promise<Message[]> => {
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrls[queue],
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        })
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages);
      // Deleting frees the next message of a FIFO group.
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrls[queue],
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        })
      );
    }
  };

  return {
    emulators,
    tableName,
    routes,
    queueUrls,
    store,
    handler: (overrides = {}) =>
      createIngestHandler({
        routes,
        schemas: shopEventSchemas,
        clients: { sns, sqs },
        statusStore: store,
        idempotencyStore: new DynamoDBPersistenceLayer({
          tableName,
          keyAttr: TABLE_KEYS.partitionKey,
          expiryAttr: TABLE_KEYS.timeToLive,
          awsSdkV3Client: emulators.dynamoDb,
        }),
        idempotencyTtlSeconds: 3600,
        maxRequestBytes: FIXTURE_MAX_REQUEST_BYTES,
        logger: new Logger({ serviceName: 'ingest', logLevel: 'SILENT' }),
        ...overrides,
      }),
    drain,
    async drainAll() {
      const result: Partial<Record<FixtureQueue, Message[]>> = {};
      for (const queue of Object.keys(queueUrls) as FixtureQueue[]) {
        const messages = await drain(queue);
        if (messages.length > 0) result[queue] = messages;
      }
      return result;
    },
    stop: () => emulators.stop(),
  };
}

/** A CloudEvent of the shop, valid against its schema, with optional overrides. */
export function orderPlaced(id: string, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id,
    source: '/shop/web',
    type: 'com.example.order.placed',
    subject: `order/${id}`,
    datacontenttype: 'application/json',
    time: '2026-11-25T10:00:00Z',
    data: {
      orderId: `o-${id}`,
      customerId: 'c-1',
      items: [{ sku: 'sku-1', quantity: 2 }],
      total: { amount: 1999, currency: 'EUR' },
    },
    ...overrides,
  };
}

/** A paid-order CloudEvent. */
export function orderPaid(id: string, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id,
    source: '/shop/payments',
    type: 'com.example.order.paid',
    data: { orderId: `o-${id}`, paymentId: `p-${id}`, total: { amount: 1999, currency: 'EUR' } },
    ...overrides,
  };
}

/** A cancelled-order CloudEvent. */
export function orderCancelled(id: string, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id,
    source: '/shop/web',
    type: 'com.example.order.cancelled',
    data: { orderId: `o-${id}`, reason: 'changed mind' },
    ...overrides,
  };
}

/** The parsed JSON body of a result. */
export function jsonBody<T = Record<string, unknown>>(result: APIGatewayProxyResult): T {
  return JSON.parse(result.body) as T;
}

/** The JSON bodies of received messages. */
export function bodies(messages: readonly Message[] = []): Array<Record<string, unknown>> {
  return messages.map((message) => JSON.parse(message.Body ?? 'null') as Record<string, unknown>);
}

/** The string message attributes of a received message, as a plain map. */
export function attributesOf(message: Message | undefined): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(message?.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      value.StringValue,
    ])
  );
}
