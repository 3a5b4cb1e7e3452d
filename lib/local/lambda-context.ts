/**
 * The invocation context the local runtime hands to a handler, shaped like the one AWS Lambda's
 * Node.js runtime builds.
 *
 * This module runs inside the function's worker thread as well as in the host, so it is written
 * in erasable TypeScript only (no enums, no parameter properties): Node strips the types itself.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
 */
import { randomUUID } from 'node:crypto';

/** The account id the local runtime reports everywhere an AWS account id appears. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The version every locally hosted function runs as (no published versions locally). */
export const LOCAL_FUNCTION_VERSION = '$LATEST';

/** The fields of a context that stay the same for every invocation of one worker. */
export interface LambdaContextFields {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  /** A string, as Lambda gives it. */
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

/**
 * The context object a handler receives.
 *
 * Structurally the `Context` of `@types/aws-lambda` minus `done`/`succeed`/`fail`, which the
 * Node.js 24 runtime no longer provides.
 */
export interface LambdaContext extends LambdaContextFields {
  readonly awsRequestId: string;
  /**
   * Ignored for async handlers; for callback handlers, whether the response waits for the event
   * loop to drain (the local host answers as soon as the callback is called either way).
   */
  callbackWaitsForEmptyEventLoop: boolean;
  /** Milliseconds left before the invocation times out; never negative. */
  getRemainingTimeInMillis(): number;
}

/**
 * Builds the context of one invocation.
 *
 * @param fields - the per-function fields ({@link lambdaContextFields})
 * @param awsRequestId - the invocation's request id (a UUID)
 * @param deadlineEpochMs - when the invocation times out, in epoch milliseconds
 * @param now - clock, for tests
 */
export function createLambdaContext(
  fields: LambdaContextFields,
  awsRequestId: string,
  deadlineEpochMs: number,
  now: () => number = Date.now
): LambdaContext {
  return {
    ...fields,
    awsRequestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineEpochMs - now()),
  };
}

/**
 * The per-function context fields, derived as Lambda derives them from the function's name,
 * region and memory size.
 *
 * @param functionName - the function's physical name
 * @param region - the region the runtime pretends to run in
 * @param memorySizeMb - the configured memory size
 * @param startedAt - when the execution environment started (names the log stream)
 */
export function lambdaContextFields(
  functionName: string,
  region: string,
  memorySizeMb: number,
  startedAt: Date = new Date()
): LambdaContextFields {
  return {
    functionName,
    functionVersion: LOCAL_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memorySizeMb),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: logStreamName(startedAt),
  };
}

/** A log stream name in Lambda's format: `YYYY/MM/DD/[$LATEST]<32 hex>`. */
function logStreamName(startedAt: Date): string {
  const day = startedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  const suffix = randomUUID().replaceAll('-', '');
  return `${day}/[${LOCAL_FUNCTION_VERSION}]${suffix}`;
}
