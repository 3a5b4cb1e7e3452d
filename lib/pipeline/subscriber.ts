import type { CfnSubscription, Subscription } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { SubscriberDefinition } from '../definition/types.ts';
import type { EncryptedStream } from './encrypted-stream.ts';
import { QueueConsumer, type QueueConsumerSettings } from './queue-consumer.ts';
import { SecureQueue } from './secure-queue.ts';

/** Props of {@link Subscriber}. */
export interface SubscriberProps extends QueueConsumerSettings {
  /** The subscriber, from the definition. */
  readonly definition: SubscriberDefinition;
  /** The stream it subscribes to. */
  readonly stream: EncryptedStream;
}

/**
 * A subscriber of a stream: its own queue and DLQ (FIFO when the stream is), an SNS subscription
 * with raw message delivery and the definition's filter policy, and its consumer function.
 *
 * Raw delivery puts the structured-mode CloudEvent in the SQS body as published, and the SNS
 * message attributes become SQS message attributes.
 */
export class Subscriber extends Construct {
  /** Queue, DLQ and key. */
  public readonly queue: SecureQueue;
  /** The SNS subscription. */
  public readonly subscription: Subscription;
  /** The consumer function and its event source. */
  public readonly consumer: QueueConsumer;

  constructor(scope: Construct, id: string, props: SubscriberProps) {
    super(scope, id);
    const { definition, stream } = props;
    this.queue = new SecureQueue(this, 'Queue', {
      ownerName: definition.name,
      fifo: stream.fifo,
      maxReceiveCount: definition.maxReceiveCount,
      visibilityTimeout: definition.visibilityTimeout,
      functionTimeout: definition.timeout,
      removalPolicy: props.removalPolicy,
    });
    // SqsSubscription also lets sns.amazonaws.com use the queue's key (kms:GenerateDataKey,
    // kms:Decrypt) so that SNS can deliver to the encrypted queue, and adds the queue policy
    // allowing this topic to send.
    this.subscription = stream.topic.addSubscription(
      new SqsSubscription(this.queue.queue, { rawMessageDelivery: true })
    );
    if (definition.filterPolicy !== undefined) {
      // Escape hatch: the L2 filter types cannot express every SNS rule (e.g. `$or`, nested
      // body policies as plain JSON), and the definition already holds the raw policy.
      const cfn = this.subscription.node.defaultChild as CfnSubscription;
      cfn.addPropertyOverride('FilterPolicy', definition.filterPolicy);
      cfn.addPropertyOverride(
        'FilterPolicyScope',
        definition.filterPolicyScope ?? 'MessageAttributes'
      );
    }
    this.consumer = new QueueConsumer(this, 'Consumer', {
      ...props,
      consumerName: definition.name,
      source: this.queue,
    });
  }
}
