import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyRecordStatus,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  type DeliveryState,
  KEY_PREFIX,
  MESSAGE_ATTRIBUTES,
  TABLE_KEYS,
  TEST_FAULT_EXTENSION,
} from '../contract.ts';
import { DeadLetterSendError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import {
  CONSUMER_IDEMPOTENCY_KEY_JMESPATH,
  type ConsumerCompletion,
  consumerIdempotencyKeyPrefix,
} from '../status/consumer-completions.ts';
import type { IDeliveryStatusStore } from '../status/delivery-status.ts';
import { DynamoDbDeliveryStatusStore } from '../status/dynamodb-delivery-status-store.ts';
import { computeBackoffSeconds } from './backoff.ts';
import { classifyError, describeError } from './classify-error.ts';
import {
  type ConsumerConfig,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  readConsumerConfig,
} from './consumer-config.ts';
import {
  type ConsumerEvent,
  type ConsumerSchemas,
  type EventIdentity,
  type EventOf,
  parseCloudEvent,
  validateEventData,
} from './consumer-event.ts';
import { buildDeadLetterMessage, type DeadLetterKind } from './dead-letter.ts';
import { CRASH_EXIT_CODE, injectTestFault, parseTestFault } from './test-fault.ts';
import { OutOfTimeError, timeReserveMs } from './time-budget.ts';

/** What a consumer's `handle` gets next to the event. */
export interface ConsumerContext {
  /** Consumer name. */
  readonly consumer: string;
  /** This attempt's number: the message's ApproximateReceiveCount, 1 for the first. */
  readonly attempt: number;
  /** The runtime's structured logger. */
  readonly logger: Logger;
  /** The Lambda invocation's context. */
  readonly lambdaContext: Context;
}

/** A consumer that only takes the types it has schemas for; others are permanent failures. */
export interface TypedConsumerOptions<TSchemas extends ConsumerSchemas> {
  /** zod schemas of `data` by CloudEvents `type`; key the object with literal types. */
  readonly schemas: TSchemas;
  /**
   * Accept events whose type has no schema (their data passes unchecked).
   *
   * @default false
   */
  readonly acceptOtherTypes?: false;
  /** Applies the event's effects. Throw {@link PermanentError} when retrying cannot help. */
  handle(event: EventOf<TSchemas>, context: ConsumerContext): Promise<void>;
}

/** A consumer that takes every type; those with a schema are still validated and typed. */
export interface OpenConsumerOptions<TSchemas extends ConsumerSchemas> {
  /** zod schemas of `data` by CloudEvents `type`. */
  readonly schemas: TSchemas;
  /** Accept events whose type has no schema (their data passes unchecked). */
  readonly acceptOtherTypes: true;
  /** Applies the event's effects. Throw {@link PermanentError} when retrying cannot help. */
  handle(event: EventOf<TSchemas> | ConsumerEvent, context: ConsumerContext): Promise<void>;
}

/** Options of {@link createConsumer}. */
export type ConsumerOptions<TSchemas extends ConsumerSchemas> =
  | TypedConsumerOptions<TSchemas>
  | OpenConsumerOptions<TSchemas>;

/** The Lambda handler of an SQS event source mapping with `ReportBatchItemFailures`. */
export type SqsConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Everything the runtime talks to, built once per Lambda container. */
export interface ConsumerRuntime {
  readonly config: ConsumerConfig;
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
  readonly logger: Logger;
  readonly statusStore: IDeliveryStatusStore;
  /** Uniform random number in [0, 1), for the backoff's jitter. */
  readonly random: () => number;
  /** Waits, for the `sleep:<ms>` and `hang:<n>` test faults. */
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** Ends the execution environment, for the `crash:<n>` test fault. */
  readonly crash: () => never;
  /** Clock. */
  readonly now: () => Date;
}

/** Options of {@link createConsumerRuntime}: the config, plus overrides for tests. */
export interface ConsumerRuntimeProps {
  readonly config: ConsumerConfig;
  /** @default - a client with the default configuration (AWS_ENDPOINT_URL_SQS is honoured) */
  readonly sqs?: SQSClient;
  /** @default - a client with the default configuration (AWS_ENDPOINT_URL_DYNAMODB is honoured) */
  readonly dynamoDb?: DynamoDBClient;
  /** @default - a Powertools Logger named after the consumer */
  readonly logger?: Logger;
  /** @default - DynamoDbDeliveryStatusStore on the pipeline table */
  readonly statusStore?: IDeliveryStatusStore;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default - setTimeout */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /**
   * @default - `process.exit(CRASH_EXIT_CODE)`: on Lambda it ends the execution environment; in
   * the local runtime's worker threads it ends only the worker (the environment)
   */
  readonly crash?: () => never;
  /** @default - new Date() */
  readonly now?: () => Date;
}

/** Builds a {@link ConsumerRuntime}, filling what the props leave out with production defaults. */
export function createConsumerRuntime(props: ConsumerRuntimeProps): ConsumerRuntime {
  const { config } = props;
  const dynamoDb = props.dynamoDb ?? new DynamoDBClient({});
  return {
    config,
    sqs: props.sqs ?? new SQSClient({}),
    dynamoDb,
    logger: props.logger ?? createLogger(config.consumerName),
    statusStore:
      props.statusStore ??
      new DynamoDbDeliveryStatusStore({
        tableName: config.tableName,
        client: dynamoDb,
        ttlSeconds: config.statusTtlSeconds,
      }),
    random: props.random ?? Math.random,
    sleep: props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    crash: props.crash ?? (() => process.exit(CRASH_EXIT_CODE)),
    now: props.now ?? (() => new Date()),
  };
}

/**
 * The runtime of a deployed consumer: config from the environment (throws at cold start when a
 * variable is missing), SDK clients with the default configuration.
 */
export function consumerRuntimeFromEnvironment(
  env: NodeJS.ProcessEnv = process.env
): ConsumerRuntime {
  return createConsumerRuntime({ config: readConsumerConfig(env) });
}

/** How the idempotent step ran: `applied` is false when an earlier delivery already had. */
interface Invocation extends ConsumerContext {
  applied: boolean;
}

/**
 * Builds the Lambda handler of a consumer: a typed CloudEvent in, effects out.
 *
 * For every record of the batch the runtime:
 * 1. parses the structured-mode CloudEvent in the body and validates `data` with the schema of
 *    its `type` (a bad body or data is a permanent failure);
 * 2. runs `handle` at most once per consumer + event `source` + `id` (Powertools idempotency on
 *    the pipeline table, with an in-progress lease bound to the invocation's remaining time,
 *    and a payload check on `type`, `subject` and `data`). A duplicate that finds the event
 *    done succeeds without effect; one that finds it in progress is retried later;
 * 3. on a retryable failure, sets the message's visibility to an exponential backoff with full
 *    jitter and reports a batch item failure, except on the last attempt (receive count ≥
 *    maxReceiveCount), where it sends the message to the DLQ itself (kind `exhausted`);
 * 4. on a permanent failure, sends the message to the DLQ at once (kind `permanent`) and
 *    reports success so that the source deletes it; if that send fails, it reports a batch item
 *    failure instead, so nothing is lost;
 * 5. records the delivery status of each failed attempt (`retrying`, `dead_lettered`) and of a
 *    success after a first attempt (`succeeded`); a first attempt that succeeds writes none, as
 *    its completed idempotency record (with time and attempt) is what the status store reads;
 * 6. starts no record once less than the invocation's time reserve ({@link timeReserveMs}) is
 *    left: those are reported failed and made visible again at once, so that a batch running
 *    long is cut between records rather than by the timeout inside one.
 *
 * A delivery that finds its event in progress elsewhere is kept invisible until that delivery's
 * in-progress lease ends (or its backoff, if longer).
 *
 * On a FIFO queue, records are processed in order and a failure in a message group fails the
 * group's later records of the batch (they are released at once, behind the failed one, which
 * keeps the group blocked until its backoff ends); other groups go on.
 *
 * @example
 * export const handler = createConsumer(
 *   { schemas: { [SHOP_EVENT_TYPES.orderPaid]: orderPaidSchema }, handle: (event) => ship(event.data) },
 *   consumerRuntimeFromEnvironment()
 * );
 */
export function createConsumer<TSchemas extends ConsumerSchemas>(
  options: ConsumerOptions<TSchemas>,
  runtime: ConsumerRuntime
): SqsConsumerHandler {
  const { config, logger } = runtime;
  const consumer = config.consumerName;
  const acceptOtherTypes = options.acceptOtherTypes === true;
  const handle = options.handle as (
    event: ConsumerEvent,
    context: ConsumerContext
  ) => Promise<void>;

  const idempotencyConfig = new IdempotencyConfig({
    // CloudEvents: `source` + `id` identify an event.
    eventKeyJmesPath: CONSUMER_IDEMPOTENCY_KEY_JMESPATH,
    // The same identity with another payload is a producer bug, not a duplicate.
    payloadValidationJmesPath: '[type, subject, data]',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: config.idempotencyTtlSeconds,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: config.tableName,
    keyAttr: TABLE_KEYS.partitionKey,
    expiryAttr: TABLE_KEYS.timeToLive,
    awsSdkV3Client: runtime.dynamoDb,
  });
  const applyOnce = makeIdempotent(
    async (event: ConsumerEvent, invocation: Invocation): Promise<ConsumerCompletion> => {
      const fault = config.testHooks
        ? parseTestFault(event.extensions[TEST_FAULT_EXTENSION])
        : undefined;
      if (fault) {
        await injectTestFault(
          fault,
          () => countFaultAttempt(runtime, consumer, event),
          runtime.sleep,
          runtime.crash
        );
      }
      invocation.applied = true;
      await handle(event, invocation);
      // Stored in the completed record: `GET /events/{id}` reads it (see processRecord).
      return { completedAt: runtime.now().toISOString(), attempt: invocation.attempt };
    },
    {
      persistenceStore,
      config: idempotencyConfig,
      keyPrefix: consumerIdempotencyKeyPrefix(consumer),
      dataIndexArgument: 0,
    }
  );

  async function report(
    identity: EventIdentity | undefined,
    state: DeliveryState,
    attempt: number,
    lastError?: string
  ): Promise<void> {
    if (!identity) return;
    await runtime.statusStore.recordOutcome({
      id: identity.id,
      source: identity.source,
      consumer,
      state,
      attempts: attempt,
      lastError,
    });
  }

  /** Status writes on failure paths must not hide the failure being handled. */
  async function reportQuietly(
    identity: EventIdentity | undefined,
    state: DeliveryState,
    attempt: number,
    lastError: string
  ): Promise<void> {
    try {
      await report(identity, state, attempt, lastError);
    } catch (error) {
      logger.error('delivery status write failed', { eventId: identity?.id, attempt, error });
    }
  }

  async function deadLetter(
    record: SQSRecord,
    kind: DeadLetterKind,
    reason: string,
    attempt: number
  ): Promise<void> {
    try {
      await runtime.sqs.send(
        new SendMessageCommand(
          buildDeadLetterMessage({
            record,
            deadLetterQueueUrl: config.deadLetterQueueUrl,
            fifo: config.fifo,
            kind,
            reason,
            consumer,
            attempts: attempt,
            failedAt: runtime.now(),
          })
        )
      );
    } catch (error) {
      throw new DeadLetterSendError(`sending the message to the dead-letter queue failed`, {
        cause: error,
      });
    }
  }

  /**
   * Sets the message's visibility to the backoff delay of `attempt`, or to `minimumSeconds`
   * when that is longer, and returns the delay.
   */
  async function backOff(record: SQSRecord, attempt: number, minimumSeconds = 0): Promise<number> {
    const delaySeconds = Math.max(
      computeBackoffSeconds({
        attempt,
        baseSeconds: config.backoffBaseSeconds,
        maxSeconds: config.backoffMaxSeconds,
        random: runtime.random,
      }),
      minimumSeconds
    );
    try {
      await runtime.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.sourceQueueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: delaySeconds,
        })
      );
    } catch (error) {
      // The message still comes back, after the queue's visibility timeout instead.
      logger.warn('backoff not applied', { messageId: record.messageId, attempt, error });
    }
    return delaySeconds;
  }

  /**
   * Seconds until the in-progress lease another delivery holds on `event` ends (plus one, for
   * rounding and clock skew), 0 when there is none any more.
   *
   * A delivery that finds its event in progress must not come back before the lease ends: the
   * backoff alone (full jitter, from 0 s) can spend every receive of the message inside one
   * lease, which dead-letters an event that the lease holder may never apply (it crashed or
   * timed out: its lease stays until the end of its invocation's time).
   */
  async function leaseRemainingSeconds(event: ConsumerEvent): Promise<number> {
    try {
      const existing = await persistenceStore.getRecord(
        event as unknown as Parameters<typeof persistenceStore.getRecord>[0]
      );
      const expiresAt = existing.inProgressExpiryTimestamp;
      if (existing.getStatus() !== IdempotencyRecordStatus.INPROGRESS || expiresAt === undefined) {
        return 0;
      }
      const seconds = Math.ceil((expiresAt - runtime.now().getTime()) / 1000) + 1;
      return Math.min(Math.max(seconds, 0), MAX_VISIBILITY_TIMEOUT_SECONDS);
    } catch (error) {
      // Gone (completed and expired, or deleted by a failed holder): retry on the backoff.
      logger.debug('in-progress lease not read', { eventId: event.id, error });
      return 0;
    }
  }

  /**
   * Handles a failed record: returns when the message may be deleted (it is in the DLQ), throws
   * to report a batch item failure (it is retried).
   */
  async function handleFailure(
    record: SQSRecord,
    identity: EventIdentity | undefined,
    attempt: number,
    error: unknown,
    event: ConsumerEvent | undefined
  ): Promise<void> {
    const failureClass = classifyError(error);
    const reason = describeError(error);
    const keys = { eventId: identity?.id, source: identity?.source, messageId: record.messageId };
    if (failureClass === 'retryable' && attempt < config.maxReceiveCount) {
      const leaseSeconds =
        error instanceof IdempotencyAlreadyInProgressError && event
          ? await leaseRemainingSeconds(event)
          : 0;
      const delaySeconds = await backOff(record, attempt, leaseSeconds);
      // A concurrent duplicate found the event in progress: the lease holder reports it.
      if (!(error instanceof IdempotencyAlreadyInProgressError)) {
        await reportQuietly(identity, 'retrying', attempt, reason);
      }
      logger.warn('attempt failed, retrying', { ...keys, attempt, delaySeconds, reason });
      throw error;
    }
    const kind: DeadLetterKind = failureClass === 'permanent' ? 'permanent' : 'exhausted';
    try {
      await deadLetter(record, kind, reason, attempt);
    } catch (sendError) {
      logger.error('dead-letter send failed, message stays in the source queue', {
        ...keys,
        attempt,
        reason,
        error: sendError,
      });
      if (kind === 'exhausted') {
        // The receive count is at maxReceiveCount: SQS's redrive policy moves it on the next
        // receive, so it is dead-lettered either way.
        await reportQuietly(identity, 'dead_lettered', attempt, `${kind}: ${reason}`);
      } else {
        await backOff(record, attempt);
        await reportQuietly(identity, 'retrying', attempt, describeError(sendError));
      }
      throw sendError;
    }
    await reportQuietly(identity, 'dead_lettered', attempt, `${kind}: ${reason}`);
    logger.error('dead-lettered', { ...keys, attempt, kind, reason });
  }

  async function processRecord(record: SQSRecord, lambdaContext: Context): Promise<void> {
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    const invocation: Invocation = { consumer, attempt, logger, lambdaContext, applied: false };
    // Until the body parses, the ingest's message attributes are the best identity there is.
    let known: EventIdentity | undefined = identityFromAttributes(record);
    let identity: EventIdentity;
    let event: ConsumerEvent | undefined;
    try {
      const parsed = parseCloudEvent(record.body);
      known = { id: parsed.id, source: parsed.source };
      event = validateEventData(parsed, options.schemas, acceptOtherTypes);
      await applyOnce(event, invocation);
      identity = known;
    } catch (error) {
      await handleFailure(record, known, attempt, error, event);
      return;
    }
    // At the first attempt, the completed idempotency record is the status: the status store
    // reads it, and no earlier attempt of this message left a `retrying` to overwrite. Later
    // attempts report, so the status keeps their count. A failed status write fails the record:
    // the retry finds the effect done and reports again.
    if (attempt > 1) await report(identity, 'succeeded', attempt);
    logger.info(
      invocation.applied ? 'event processed' : 'duplicate delivery, effect already applied',
      {
        eventId: identity.id,
        source: identity.source,
        messageId: record.messageId,
        attempt,
      }
    );
  }

  /** Makes a record visible again at once (it was not attempted, so it has no backoff). */
  async function releaseNow(record: SQSRecord): Promise<void> {
    try {
      await runtime.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.sourceQueueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: 0,
        })
      );
    } catch (error) {
      // It comes back after the queue's visibility timeout instead.
      logger.warn('record not released', { messageId: record.messageId, error });
    }
  }

  async function releaseSkipped(
    event: SQSEvent,
    response: SQSBatchResponse,
    failedByHandler: ReadonlySet<string>
  ): Promise<void> {
    const skipped = new Set(
      response.batchItemFailures
        .map((failure) => failure.itemIdentifier)
        .filter((id) => !failedByHandler.has(id))
    );
    const entries = event.Records.filter((record) => skipped.has(record.messageId)).map(
      (record, index) => ({
        Id: String(index),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 0,
      })
    );
    // SQS FIFO returns no message of a group while one of it is in flight, so releasing the
    // skipped records cannot overtake the failed one: they come back right behind it.
    for (let start = 0; start < entries.length; start += 10) {
      try {
        await runtime.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: config.sourceQueueUrl,
            Entries: entries.slice(start, start + 10),
          })
        );
      } catch (error) {
        logger.warn('skipped records not released', { error });
      }
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Binds the in-progress lease to this invocation's remaining time.
    idempotencyConfig.registerLambdaContext(context);
    logger.addContext(context);
    const failedByHandler = new Set<string>();
    const reserveMs = timeReserveMs(context.getRemainingTimeInMillis());
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const remainingMs = context.getRemainingTimeInMillis();
      if (remainingMs < reserveMs) {
        // Cut the batch between records, not inside one: the rest comes back at once.
        failedByHandler.add(record.messageId);
        await releaseNow(record);
        logger.warn('record not started, invocation out of time', {
          messageId: record.messageId,
          remainingMs,
        });
        throw new OutOfTimeError(remainingMs);
      }
      try {
        await processRecord(record, context);
      } catch (error) {
        failedByHandler.add(record.messageId);
        throw error;
      }
    };
    if (config.fifo) {
      const response = await processPartialResponse(
        event,
        recordHandler,
        new SqsFifoPartialProcessorAsync(),
        // Report item failures even when all fail: each failed message already has its backoff.
        { context, skipGroupOnError: true, throwOnFullBatchFailure: false }
      );
      await releaseSkipped(event, response, failedByHandler);
      return response;
    }
    // One processor per invocation: it holds the batch's state.
    return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
      // One record at a time: if the execution environment dies mid-batch (crash, out of
      // memory, timeout), at most the record in flight has applied its effect without completing
      // its idempotency record. Processed in parallel, every record in flight could, and each
      // would apply its effect again on redelivery once its in-progress lease expired (seen in
      // the soak with crash and hang faults).
      processInParallel: false,
    });
  };
}

function identityFromAttributes(record: SQSRecord): EventIdentity | undefined {
  const id = record.messageAttributes?.[MESSAGE_ATTRIBUTES.id]?.stringValue;
  const source = record.messageAttributes?.[MESSAGE_ATTRIBUTES.source]?.stringValue;
  return id && source ? { id, source } : undefined;
}

/**
 * Counts an attempt of the `testfault` hook in the pipeline table (one item per consumer and
 * event, expiring with the status records) and returns its number, starting at 1.
 */
async function countFaultAttempt(
  runtime: ConsumerRuntime,
  consumer: string,
  event: ConsumerEvent
): Promise<number> {
  const { Attributes: attributes } = await runtime.dynamoDb.send(
    new UpdateItemCommand({
      TableName: runtime.config.tableName,
      Key: {
        [TABLE_KEYS.partitionKey]: {
          S: `${KEY_PREFIX.testFault}${consumer}#${encodeURIComponent(event.source)}#${event.id}`,
        },
      },
      UpdateExpression: 'ADD attempts :one SET #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': TABLE_KEYS.timeToLive },
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ':ttl': {
          N: String(Math.floor(runtime.now().getTime() / 1000) + runtime.config.statusTtlSeconds),
        },
      },
      ReturnValues: 'UPDATED_NEW',
    })
  );
  return Number(attributes?.attempts?.N ?? 1);
}
