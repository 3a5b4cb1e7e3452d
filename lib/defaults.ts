/**
 * Every default of the pipeline, in one place.
 *
 * The definition types (`lib/definition/types.ts`), the constructs (`lib/pipeline/`) and the
 * README refer to these names, so that documentation and behaviour cannot disagree.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Receives before SQS moves a message to its dead-letter queue. */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

/** Timeout of a consumer function. */
export const DEFAULT_FUNCTION_TIMEOUT = Duration.seconds(30);

/** Memory of every function, in MB (arm64; more memory also means more CPU). */
export const DEFAULT_MEMORY_SIZE_MB = 256;

/** Records per consumer invocation (Lambda's own default for SQS). */
export const DEFAULT_BATCH_SIZE = 10;

/** Delay before the first retry of a transient failure. */
export const DEFAULT_BACKOFF_BASE = Duration.seconds(2);

/** Cap of any single retry delay. */
export const DEFAULT_BACKOFF_MAX = Duration.minutes(5);

/**
 * Visibility timeout of a source queue, as a multiple of its function's timeout, when the
 * definition sets none. AWS recommends at least six times the function timeout for SQS event
 * sources, so that a throttled batch is not redelivered while it is still being retried.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const VISIBILITY_TIMEOUT_MULTIPLIER = 6;

/** How long a source queue keeps a message (SQS's own default). */
export const DEFAULT_QUEUE_RETENTION = Duration.days(4);

/** How long a dead-letter queue keeps a message (the SQS maximum). */
export const DEFAULT_DLQ_RETENTION = Duration.days(14);

/**
 * How long delivery status records are kept: as long as a message can sit in a dead-letter
 * queue ({@link DEFAULT_DLQ_RETENTION}), so `GET /events/{id}` still reports it there.
 */
export const DEFAULT_STATUS_TTL = DEFAULT_DLQ_RETENTION;

/** Largest ingest request body, in bytes (1 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

/** Steady-state requests per second the ingest API stage allows. */
export const DEFAULT_API_THROTTLING_RATE_LIMIT = 100;

/** Burst of requests the ingest API stage allows above the steady rate. */
export const DEFAULT_API_THROTTLING_BURST_LIMIT = 200;

/** Name of the ingest API's stage (also the default `stage` context of `bin/app.ts`). */
export const DEFAULT_STAGE_NAME = 'dev';

/** Retention of every function's log group and of the API access log. */
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Removal policy of stateful resources (the table, KMS keys, log groups). Retained by default so
 * that deleting the stack never deletes data; examples and tests pass `DESTROY`.
 */
export const DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/**
 * Alarm threshold on a source queue's `ApproximateAgeOfOldestMessage`: older than three maximum
 * backoff delays means the consumer is not keeping up (or is stuck), not just retrying.
 */
export const DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD = Duration.minutes(15);

/** Period of every alarm's metric. */
export const DEFAULT_ALARM_PERIOD = Duration.minutes(1);

/** Consecutive breaching periods before an alarm fires. */
export const DEFAULT_ALARM_EVALUATION_PERIODS = 1;

/** Whether consumers honour the test-fault hook: on for this example app, off in production. */
export const DEFAULT_TEST_HOOKS = true;

/**
 * The largest total size of a function's environment variables (keys and values) that Lambda
 * accepts, in bytes.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4 * 1024;
