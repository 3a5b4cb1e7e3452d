import type { Duration } from 'aws-cdk-lib';

/**
 * The whole pipeline, declared once. The CDK stack is built from it and everything else (the
 * local runtime, the CLI, the tests) reads the synthesized template, never this a second time.
 */
export interface PipelineDefinition {
  /** Publish/subscribe streams, one SNS topic each. */
  readonly streams: readonly StreamDefinition[];
  /** Subscribers of streams: one SQS queue, DLQ and consumer function each. */
  readonly subscribers: readonly SubscriberDefinition[];
  /** Point-to-point queues written by the ingest API, each drained by one worker function. */
  readonly queues: readonly QueueDefinition[];
}

/** A publish/subscribe stream (an SNS topic). */
export interface StreamDefinition {
  /** Stream name: lowercase letters, digits and dashes; used in `POST /topics/{name}/events`. */
  readonly name: string;
  /**
   * FIFO topic: ordered per message group (the CloudEvents `partitionkey` extension) and
   * deduplicated on `source` + `id`. Every subscriber of a FIFO stream gets a FIFO queue.
   *
   * @default false
   */
  readonly fifo?: boolean;
}

/** An SNS filter policy: attribute name → list of rules, or nested policies for body scope. */
export type FilterPolicy = { readonly [key: string]: readonly unknown[] | FilterPolicy };

/** Which part of the message an SNS filter policy applies to. */
export enum FilterPolicyScope {
  /** Message attributes (type, source, subject, id and CloudEvents extensions). */
  MESSAGE_ATTRIBUTES = 'MessageAttributes',
  /** The message body: the structured-mode CloudEvent JSON (`data.*`, `type`, …). */
  MESSAGE_BODY = 'MessageBody',
}

/** Exponential backoff with full jitter between retries of a transient failure. */
export interface BackoffDefinition {
  /**
   * Delay before the first retry; attempt n waits a random time in [0, base × 2^(n-1)].
   *
   * @default DEFAULT_BACKOFF_BASE
   */
  readonly base?: Duration;
  /**
   * Upper bound of any single delay (SQS allows at most 12 hours).
   *
   * @default DEFAULT_BACKOFF_MAX
   */
  readonly max?: Duration;
}

/** How a consumer function runs and retries. Shared by subscribers and queue workers. */
export interface ConsumerDefinition {
  /** Path of the consumer's `handler.ts`, relative to the project root. */
  readonly entry: string;
  /** @default DEFAULT_FUNCTION_TIMEOUT */
  readonly timeout?: Duration;
  /** @default DEFAULT_MEMORY_SIZE_MB */
  readonly memorySizeMb?: number;
  /** Records per invocation, 1–10 000 (1–10 for FIFO). @default DEFAULT_BATCH_SIZE */
  readonly batchSize?: number;
  /** How long Lambda gathers records before invoking, 0–300 s. @default - no batching window */
  readonly maxBatchingWindow?: Duration;
  /** Most concurrent invocations from the queue, 2–1000. @default - no limit */
  readonly maxConcurrency?: number;
  /** Receives before SQS moves a message to the DLQ. @default DEFAULT_MAX_RECEIVE_COUNT */
  readonly maxReceiveCount?: number;
  /**
   * Queue visibility timeout; at least six times the function timeout, as AWS recommends for
   * SQS event sources.
   *
   * @default - six times the function timeout
   */
  readonly visibilityTimeout?: Duration;
  /** @default - DEFAULT_BACKOFF_BASE doubling up to DEFAULT_BACKOFF_MAX */
  readonly backoff?: BackoffDefinition;
}

/** A subscriber of a stream: its own queue, DLQ, filter and consumer function. */
export interface SubscriberDefinition extends ConsumerDefinition {
  /** Subscriber name: lowercase letters, digits and dashes; unique across consumers. */
  readonly name: string;
  /** Name of the stream it subscribes to. */
  readonly stream: string;
  /**
   * Whether the subscriber's queue is FIFO. It must match the stream: SNS delivers a FIFO topic
   * only to FIFO queues, and a standard topic only to standard queues.
   *
   * @default - the stream's `fifo`
   */
  readonly fifo?: boolean;
  /** SNS filter policy. @default - every message of the stream */
  readonly filterPolicy?: FilterPolicy;
  /** @default FilterPolicyScope.MESSAGE_ATTRIBUTES */
  readonly filterPolicyScope?: FilterPolicyScope;
}

/** A point-to-point queue, written by `POST /queues/{name}/messages`, drained by one worker. */
export interface QueueDefinition extends ConsumerDefinition {
  /** Queue name (also the worker's name): lowercase letters, digits and dashes; unique. */
  readonly name: string;
  /** FIFO queue, grouped by the `partitionkey` extension. @default false */
  readonly fifo?: boolean;
}
