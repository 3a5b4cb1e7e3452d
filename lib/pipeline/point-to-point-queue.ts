import { Construct } from 'constructs';
import type { QueueDefinition } from '../definition/types.ts';
import { QueueConsumer, type QueueConsumerSettings } from './queue-consumer.ts';
import { SecureQueue } from './secure-queue.ts';

/** Props of {@link PointToPointQueue}. */
export interface PointToPointQueueProps extends QueueConsumerSettings {
  /** The queue, from the definition. */
  readonly definition: QueueDefinition;
}

/**
 * A point-to-point queue written by the ingest API and drained by one worker: competing
 * consumers, scaled by Lambda up to the definition's maximum concurrency.
 */
export class PointToPointQueue extends Construct {
  /** Queue, DLQ and key. */
  public readonly queue: SecureQueue;
  /** The worker function and its event source. */
  public readonly worker: QueueConsumer;

  constructor(scope: Construct, id: string, props: PointToPointQueueProps) {
    super(scope, id);
    const { definition } = props;
    this.queue = new SecureQueue(this, 'Queue', {
      ownerName: definition.name,
      fifo: definition.fifo,
      maxReceiveCount: definition.maxReceiveCount,
      visibilityTimeout: definition.visibilityTimeout,
      functionTimeout: definition.timeout,
      removalPolicy: props.removalPolicy,
    });
    this.worker = new QueueConsumer(this, 'Worker', {
      ...props,
      consumerName: definition.name,
      source: this.queue,
    });
  }
}
