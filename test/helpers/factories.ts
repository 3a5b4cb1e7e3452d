/**
 * Typed factories for the events the tests send and the Lambda inputs they build, so that no
 * test pastes JSON by hand.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  MAX_MESSAGE_ATTRIBUTES,
  MESSAGE_ATTRIBUTES,
  PARTITION_KEY_EXTENSION,
} from '../../functions/shared/contract.ts';
import {
  type OrderCancelled,
  type OrderPaid,
  type OrderPlaced,
  type PaymentRequested,
  SHOP_EVENT_TYPES,
  type ShipmentTracked,
} from '../../functions/shop/schemas.ts';

/** A structured-mode CloudEvent (JSON) as the ingest publishes it. */
export interface StructuredCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly data?: unknown;
  /** Extensions, by their lowercase names. */
  readonly [extension: string]: unknown;
}

/** A `com.example.order.placed` data payload. */
export function orderPlacedFactory(overrides: Partial<OrderPlaced> = {}): OrderPlaced {
  return {
    orderId: `order-${randomUUID()}`,
    customerId: 'customer-1',
    items: [
      { sku: `sku-${randomUUID()}`, quantity: 2 },
      { sku: `sku-${randomUUID()}`, quantity: 1 },
    ],
    total: { amount: 4999, currency: 'EUR' },
    ...overrides,
  };
}

/** A `com.example.order.paid` data payload. */
export function orderPaidFactory(overrides: Partial<OrderPaid> = {}): OrderPaid {
  return {
    orderId: `order-${randomUUID()}`,
    paymentId: `payment-${randomUUID()}`,
    total: { amount: 4999, currency: 'EUR' },
    ...overrides,
  };
}

/** A `com.example.order.cancelled` data payload. */
export function orderCancelledFactory(overrides: Partial<OrderCancelled> = {}): OrderCancelled {
  return { orderId: `order-${randomUUID()}`, reason: 'changed my mind', ...overrides };
}

/** A `com.example.shipment.tracked` data payload. */
export function shipmentTrackedFactory(overrides: Partial<ShipmentTracked> = {}): ShipmentTracked {
  return { orderId: `order-${randomUUID()}`, sequence: 0, location: 'warehouse', ...overrides };
}

/** A `com.example.payment.requested` data payload. */
export function paymentRequestedFactory(
  overrides: Partial<PaymentRequested> = {}
): PaymentRequested {
  return {
    paymentId: `payment-${randomUUID()}`,
    orderId: `order-${randomUUID()}`,
    total: { amount: 4999, currency: 'EUR' },
    ...overrides,
  };
}

/**
 * A structured-mode CloudEvent; by default an `order.placed` from `/test/shop` with a fresh id.
 */
export function cloudEventFactory(
  overrides: Partial<StructuredCloudEvent> = {}
): StructuredCloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/test/shop',
    type: SHOP_EVENT_TYPES.orderPlaced,
    time: '2026-11-25T12:00:00.000Z',
    datacontenttype: 'application/json',
    data: orderPlacedFactory(),
    ...overrides,
  };
}

const CONTEXT_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
]);

/**
 * The SNS/SQS message attributes the ingest sets for an event: `type`, `source`, `subject`,
 * `id` and the string extensions, at most {@link MAX_MESSAGE_ATTRIBUTES}.
 */
export function messageAttributesFor(
  event: StructuredCloudEvent
): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  const add = (name: string, value: unknown) => {
    if (typeof value !== 'string' || value === '') return;
    if (Object.keys(attributes).length >= MAX_MESSAGE_ATTRIBUTES) return;
    attributes[name] = { DataType: 'String', StringValue: value };
  };
  add(MESSAGE_ATTRIBUTES.type, event.type);
  add(MESSAGE_ATTRIBUTES.source, event.source);
  add(MESSAGE_ATTRIBUTES.subject, event.subject);
  add(MESSAGE_ATTRIBUTES.id, event.id);
  for (const [name, value] of Object.entries(event)) {
    if (!CONTEXT_ATTRIBUTES.has(name)) add(name, value);
  }
  return attributes;
}

/**
 * The SendMessage request the ingest makes for an event on a queue: the structured CloudEvent
 * as body, its message attributes, and for FIFO queues the `partitionkey` as message group and
 * `source` + `id` as deduplication id.
 */
export function cloudEventMessage(
  event: StructuredCloudEvent,
  queueUrl: string,
  options: { readonly fifo?: boolean } = {}
): SendMessageCommandInput {
  const message: SendMessageCommandInput = {
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify(event),
    MessageAttributes: messageAttributesFor(event),
  };
  if (options.fifo) {
    const group = event[PARTITION_KEY_EXTENSION];
    message.MessageGroupId = typeof group === 'string' ? group : 'default';
    message.MessageDeduplicationId = `${event.source}#${event.id}`.slice(0, 128);
  }
  return message;
}

/** An SQS record as Lambda delivers it, with the given body. */
export function sqsRecordFactory(body: string, overrides: Partial<SQSRecord> = {}): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `receipt-${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'AIDATEST',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test-queue',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

/** An SQS event for the given records. */
export function sqsEventFactory(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Options of {@link lambdaContextFactory}. */
export interface LambdaContextOptions {
  /** @default 'test-function' */
  readonly functionName?: string;
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it. @default 30000 */
  readonly timeoutMs?: number;
}

/** A Lambda-like context whose `getRemainingTimeInMillis` counts down from the timeout. */
export function lambdaContextFactory(options: LambdaContextOptions = {}): Context {
  const functionName = options.functionName ?? 'test-function';
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/11/25/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
