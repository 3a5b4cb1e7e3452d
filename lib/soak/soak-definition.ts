/**
 * The pipeline the soak runs: the shop's definition with short function timeouts, so that the
 * `hang:<n>` and `crash:<n>` faults come back within seconds instead of minutes.
 *
 * Only the timeout changes (and with it the visibility timeout, still six times the timeout,
 * as the definition requires): filters, batch sizes, concurrency, maxReceiveCount and backoff
 * are the shop's own, and the production defaults are untouched.
 */
import { Duration } from 'aws-cdk-lib';
import type { ConsumerDefinition, PipelineDefinition } from '../definition/types.ts';

/**
 * Function timeout of every soak consumer. With the default 30 s (and a 180 s visibility
 * timeout) each hang or crash would hold its batch for 3.5 minutes. 3 s was tried and is too
 * short on a loaded 2-core machine: cold invocations timed out after applying their effect, so
 * the retry applied it again.
 */
export const SOAK_FUNCTION_TIMEOUT = Duration.seconds(10);

/** Name of the soak's stack (and API stage `soak`), so it never collides with `npm start`'s. */
export const SOAK_STACK_NAME = 'EventPipeline-soak';

/** Stage of the soak's ingest API. */
export const SOAK_STAGE_NAME = 'soak';

/** `definition` with every consumer's timeout set to `timeout`. */
export function withTimeout(
  definition: PipelineDefinition,
  timeout: Duration = SOAK_FUNCTION_TIMEOUT
): PipelineDefinition {
  const shorten = <T extends ConsumerDefinition>(consumer: T): T => ({ ...consumer, timeout });
  return {
    streams: definition.streams,
    subscribers: definition.subscribers.map(shorten),
    queues: definition.queues.map(shorten),
  };
}
