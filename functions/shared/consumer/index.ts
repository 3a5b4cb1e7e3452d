/**
 * The consumer runtime: one way to write an SQS-fed consumer (a typed CloudEvent in, effects
 * out) with idempotency, partial batch responses, backoff, dead-lettering and status records.
 */
export { backoffCapSeconds, computeBackoffSeconds } from './backoff.ts';
export { classifyError, describeError, type FailureClass } from './classify-error.ts';
export { type ConsumerConfig, readConsumerConfig } from './consumer-config.ts';
export type { ConsumerEvent, ConsumerSchemas, EventOf } from './consumer-event.ts';
export {
  type ConsumerContext,
  type ConsumerOptions,
  type ConsumerRuntime,
  type ConsumerRuntimeProps,
  consumerRuntimeFromEnvironment,
  createConsumer,
  createConsumerRuntime,
  type OpenConsumerOptions,
  type SqsConsumerHandler,
  type TypedConsumerOptions,
} from './create-consumer.ts';
