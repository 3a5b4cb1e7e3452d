/**
 * The contract shared by the CDK stack (`lib/`), the Lambda functions (`functions/`) and the
 * local runtime: environment variable names, message attribute names, table key layout and the
 * routing document handed to the ingest function.
 *
 * Both sides import these constants so that a renamed variable or attribute cannot drift
 * between the code that sets it and the code that reads it.
 *
 * This module must stay free of runtime dependencies: it is bundled into every function.
 */

/** Environment variable names set by the stack and read by the functions. */
export const ENV = {
  /** Name of the pipeline table (idempotency records, delivery status, example effects). */
  TABLE_NAME: 'PIPELINE_TABLE_NAME',
  /** JSON {@link IngestRoutes} document: streams, their topics and subscribers, and queues. */
  ROUTES: 'PIPELINE_ROUTES',
  /** Logical name of the consumer a function runs (subscriber or queue worker name). */
  CONSUMER_NAME: 'CONSUMER_NAME',
  /** URL of the SQS queue the consumer drains. */
  SOURCE_QUEUE_URL: 'SOURCE_QUEUE_URL',
  /** URL of the dead-letter queue of the consumer's source queue. */
  DEAD_LETTER_QUEUE_URL: 'DEAD_LETTER_QUEUE_URL',
  /** `true` when the source queue is FIFO. */
  SOURCE_QUEUE_FIFO: 'SOURCE_QUEUE_FIFO',
  /** The source queue's maxReceiveCount (the consumer dead-letters on the last attempt). */
  MAX_RECEIVE_COUNT: 'MAX_RECEIVE_COUNT',
  /** First retry delay of the exponential backoff, in seconds. */
  BACKOFF_BASE_SECONDS: 'BACKOFF_BASE_SECONDS',
  /** Cap of the exponential backoff, in seconds. */
  BACKOFF_MAX_SECONDS: 'BACKOFF_MAX_SECONDS',
  /** How long idempotency records are kept, in seconds. */
  IDEMPOTENCY_TTL_SECONDS: 'IDEMPOTENCY_TTL_SECONDS',
  /** How long delivery status records are kept, in seconds. */
  STATUS_TTL_SECONDS: 'STATUS_TTL_SECONDS',
  /** `true` to honour the {@link TEST_FAULT_EXTENSION} test hook in consumers. */
  TEST_HOOKS: 'PIPELINE_TEST_HOOKS',
  /** Largest accepted ingest request body, in bytes. */
  MAX_REQUEST_BYTES: 'MAX_REQUEST_BYTES',
} as const;

/** Names of the table's key and TTL attributes. The table has a partition key only. */
export const TABLE_KEYS = {
  /** Partition key attribute (string). */
  partitionKey: 'pk',
  /** TTL attribute, epoch seconds. Used by idempotency and status records alike. */
  timeToLive: 'expiresAt',
} as const;

/**
 * Key prefixes in the pipeline table, so that records of different kinds never collide.
 */
export const KEY_PREFIX = {
  /** Delivery status of one event id, all sources: `event#<id>`. */
  event: 'event#',
  /** Idempotency records of consumers (Powertools writes the rest of the key). */
  consumerIdempotency: 'consumer#',
  /** Idempotency records of ingest requests carrying an `Idempotency-Key` header. */
  ingestIdempotency: 'ingest#',
  /** Effects of the example shop. */
  shop: 'shop#',
  /** Attempt counters of the `testfault` hook, per consumer and event. */
  testFault: 'testfault#',
} as const;

/**
 * SNS/SQS message attribute names the ingest sets from the CloudEvent, so that filter policies
 * can select on them. CloudEvents extensions are copied under their own (lowercase) names.
 *
 * SNS and SQS allow at most 10 message attributes per message.
 */
export const MESSAGE_ATTRIBUTES = {
  type: 'type',
  source: 'source',
  subject: 'subject',
  id: 'id',
} as const;

/** The most message attributes SNS and SQS accept on one message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * Message attributes the consumer runtime sets on a message it moves to the dead-letter queue
 * itself, recording why. Messages moved by SQS after maxReceiveCount carry none of these.
 */
export const FAILURE_ATTRIBUTES = {
  /** `permanent` (bad data, PermanentError) or `exhausted` (transient failures, last attempt). */
  kind: 'failure-kind',
  /** Human readable reason (error name and message, truncated). */
  reason: 'failure-reason',
  /** Consumer that failed. */
  consumer: 'failure-consumer',
  /** Receive count of the attempt that failed. */
  attempts: 'failure-attempts',
  /** ISO 8601 time of the failure. */
  failedAt: 'failure-at',
} as const;

/** The CloudEvents extension carrying the FIFO message group (CloudEvents partitioning). */
export const PARTITION_KEY_EXTENSION = 'partitionkey';

/**
 * The CloudEvents extension read by the consumer runtime's test hook, when {@link ENV.TEST_HOOKS}
 * is `true`. Values: `transient:<n>` (fail the first n attempts, counted in the pipeline table
 * across redeliveries and DLQ redrives), `permanent`, `sleep:<ms>`.
 */
export const TEST_FAULT_EXTENSION = 'testfault';

/** The per-subscriber delivery states `GET /events/{id}` reports. */
export const DELIVERY_STATES = ['in_progress', 'retrying', 'succeeded', 'dead_lettered'] as const;

/** One of {@link DELIVERY_STATES}. */
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A subscriber of a stream as the ingest function sees it. */
export interface IngestSubscriberRoute {
  /** Subscriber name. */
  readonly name: string;
  /** SNS filter policy, or absent when the subscriber receives everything. */
  readonly filterPolicy?: Record<string, unknown>;
  /** Where the filter policy applies. */
  readonly filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
}

/** A stream (SNS topic) as the ingest function sees it. */
export interface IngestStreamRoute {
  /** ARN of the stream's topic. */
  readonly topicArn: string;
  /** Whether the topic is FIFO. */
  readonly fifo: boolean;
  /** The stream's subscribers, with their filter policies. */
  readonly subscribers: readonly IngestSubscriberRoute[];
}

/** A point-to-point queue as the ingest function sees it. */
export interface IngestQueueRoute {
  /** URL of the queue. */
  readonly queueUrl: string;
  /** Whether the queue is FIFO. */
  readonly fifo: boolean;
  /** Name of the worker (consumer) draining the queue. */
  readonly worker: string;
}

/** The routing document passed to the ingest function in {@link ENV.ROUTES}. */
export interface IngestRoutes {
  /** Streams by name. */
  readonly streams: Readonly<Record<string, IngestStreamRoute>>;
  /** Point-to-point queues by name. */
  readonly queues: Readonly<Record<string, IngestQueueRoute>>;
}

/** Names of the stack outputs every target writes to its outputs file. */
export const OUTPUT_KEYS = {
  /** Base URL of the ingest API, stage included, with a trailing slash. */
  apiUrl: 'ApiUrl',
  /** Name of the pipeline table. */
  tableName: 'TableName',
  /** Region of the deployment. */
  region: 'Region',
  /** JSON map of consumer name → { queueUrl, deadLetterQueueUrl, functionName, logGroupName }. */
  consumers: 'Consumers',
} as const;
