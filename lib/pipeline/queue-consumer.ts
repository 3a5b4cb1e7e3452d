import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/contract.ts';
import {
  DEFAULT_BACKOFF_BASE,
  DEFAULT_BACKOFF_MAX,
  DEFAULT_BATCH_SIZE,
  DEFAULT_TEST_HOOKS,
} from '../defaults.ts';
import type { ConsumerDefinition } from '../definition/types.ts';
import { BundledFunction } from './bundled-function.ts';
import { resolveRetention } from './retention.ts';
import type { SecureQueue } from './secure-queue.ts';

/** Table actions of the consumer runtime: idempotency records, status records, effects. */
export const TABLE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** Props of {@link QueueConsumer}. */
export interface QueueConsumerProps {
  /** Consumer name (subscriber or queue worker name), passed as {@link ENV.CONSUMER_NAME}. */
  readonly consumerName: string;
  /** How the consumer runs and retries, from the definition. */
  readonly definition: ConsumerDefinition;
  /** The queue it drains, with the DLQ it dead-letters permanent failures to. */
  readonly source: SecureQueue;
  /** The pipeline table. */
  readonly table: ITable;
  /** At least `statusTtl` (see `resolveRetention`). @default - `statusTtl` */
  readonly idempotencyTtl?: Duration;
  /** @default DEFAULT_STATUS_TTL */
  readonly statusTtl?: Duration;
  /** Honour the test-fault CloudEvents extension. @default DEFAULT_TEST_HOOKS */
  readonly testHooks?: boolean;
  /** Removal policy of the log group. @default DEFAULT_REMOVAL_POLICY */
  readonly removalPolicy?: RemovalPolicy;
  /** Directory the definition's `entry` is relative to. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

/** What every consumer of a pipeline shares: the table and the runtime settings. */
export type QueueConsumerSettings = Omit<
  QueueConsumerProps,
  'consumerName' | 'definition' | 'source'
>;

/**
 * A consumer function draining one SQS queue: the definition's code bundled into a function,
 * the consumer runtime's environment, an SQS event source with partial batch responses, and
 * only the permissions the runtime uses (consume and change visibility on its queue, send to its
 * DLQ, item actions on the table).
 */
export class QueueConsumer extends Construct {
  /** The consumer function and its log group and role. */
  public readonly handler: BundledFunction;
  /** The SQS event source. */
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    const { definition, source } = props;
    const backoffBase = definition.backoff?.base ?? DEFAULT_BACKOFF_BASE;
    const backoffMax = definition.backoff?.max ?? DEFAULT_BACKOFF_MAX;
    const retention = resolveRetention(props);
    this.handler = new BundledFunction(this, 'Function', {
      entry: definition.entry,
      timeout: definition.timeout,
      memorySizeMb: definition.memorySizeMb,
      removalPolicy: props.removalPolicy,
      projectRoot: props.projectRoot,
      environment: {
        [ENV.CONSUMER_NAME]: props.consumerName,
        [ENV.TABLE_NAME]: props.table.tableName,
        [ENV.SOURCE_QUEUE_URL]: source.queue.queueUrl,
        [ENV.DEAD_LETTER_QUEUE_URL]: source.deadLetterQueue.queueUrl,
        [ENV.SOURCE_QUEUE_FIFO]: String(source.fifo),
        [ENV.MAX_RECEIVE_COUNT]: String(source.maxReceiveCount),
        [ENV.BACKOFF_BASE_SECONDS]: String(backoffBase.toSeconds()),
        [ENV.BACKOFF_MAX_SECONDS]: String(backoffMax.toSeconds()),
        [ENV.IDEMPOTENCY_TTL_SECONDS]: String(retention.idempotencyTtl.toSeconds()),
        [ENV.STATUS_TTL_SECONDS]: String(retention.statusTtl.toSeconds()),
        [ENV.TEST_HOOKS]: String(props.testHooks ?? DEFAULT_TEST_HOOKS),
      },
    });
    const fn = this.handler.function;

    // Partial batch responses: only the failed records return to the queue.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
    this.eventSource = new SqsEventSource(source.queue, {
      batchSize: definition.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBatchingWindow: definition.maxBatchingWindow,
      maxConcurrency: definition.maxConcurrency,
      reportBatchItemFailures: true,
    });
    fn.addEventSource(this.eventSource);

    // The runtime sets each failed message's visibility itself (exponential backoff); the event
    // source's grant covers it today, this keeps the runtime's need explicit.
    source.queue.grant(fn, 'sqs:ChangeMessageVisibility');
    // Permanent failures go straight to the DLQ, with their reason as message attributes.
    source.grantSendDeadLetters(fn);
    props.table.grant(fn, ...TABLE_ITEM_ACTIONS);
  }
}
