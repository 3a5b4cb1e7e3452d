import { Duration } from 'aws-cdk-lib';
import { FilterPolicyScope, type PipelineDefinition } from './types.ts';

/**
 * The example online shop.
 *
 * - `orders` stream, fanned out to `inventory` (placed and cancelled orders, by attribute
 *   filter), `shipping` (paid orders only, by a filter on the message body) and `audit`
 *   (everything).
 * - `tracking` FIFO stream (ordered per order through the `partitionkey` extension), read by
 *   `tracker`.
 * - `payments` point-to-point queue, drained by the `payments` worker.
 */
export const shopPipeline: PipelineDefinition = {
  streams: [{ name: 'orders' }, { name: 'tracking', fifo: true }],
  subscribers: [
    {
      name: 'inventory',
      stream: 'orders',
      entry: 'functions/inventory/handler.ts',
      filterPolicy: { type: ['com.example.order.placed', 'com.example.order.cancelled'] },
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(0),
      maxConcurrency: 5,
    },
    {
      name: 'shipping',
      stream: 'orders',
      entry: 'functions/shipping/handler.ts',
      filterPolicy: { type: ['com.example.order.paid'] },
      filterPolicyScope: FilterPolicyScope.MESSAGE_BODY,
    },
    {
      name: 'audit',
      stream: 'orders',
      entry: 'functions/audit/handler.ts',
      batchSize: 25,
      maxBatchingWindow: Duration.seconds(1),
    },
    {
      name: 'tracker',
      stream: 'tracking',
      entry: 'functions/tracker/handler.ts',
      batchSize: 10,
    },
  ],
  queues: [
    {
      name: 'payments',
      entry: 'functions/payments/handler.ts',
      batchSize: 5,
      maxConcurrency: 2,
      maxReceiveCount: 4,
    },
  ],
};
