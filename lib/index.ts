/** Public API of the pipeline's CDK code: the definition, its validation and the constructs. */
export * from './defaults.ts';
export * from './definition/types.ts';
export * from './definition/validate.ts';
export * from './pipeline/api-gateway-account-logging.ts';
export * from './pipeline/bundle-hash.ts';
export * from './pipeline/bundled-function.ts';
export * from './pipeline/construct-id.ts';
export * from './pipeline/encrypted-stream.ts';
export * from './pipeline/environment-size.ts';
export * from './pipeline/ingest-api.ts';
export * from './pipeline/pipeline-monitoring.ts';
export * from './pipeline/pipeline-stack.ts';
export * from './pipeline/pipeline-table.ts';
export * from './pipeline/point-to-point-queue.ts';
export * from './pipeline/queue-consumer.ts';
export * from './pipeline/secure-queue.ts';
export * from './pipeline/subscriber.ts';
