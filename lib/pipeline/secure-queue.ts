import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_DLQ_RETENTION,
  DEFAULT_FUNCTION_TIMEOUT,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_QUEUE_RETENTION,
  DEFAULT_REMOVAL_POLICY,
  VISIBILITY_TIMEOUT_MULTIPLIER,
} from '../defaults.ts';

/** Props of {@link SecureQueue}. */
export interface SecureQueueProps {
  /** Logical name of the queue's owner, used in the key's description. */
  readonly ownerName: string;
  /** FIFO queue (and FIFO dead-letter queue). @default false */
  readonly fifo?: boolean;
  /** Receives before SQS moves a message to the DLQ. @default DEFAULT_MAX_RECEIVE_COUNT */
  readonly maxReceiveCount?: number;
  /**
   * Visibility timeout of the source queue.
   *
   * @default - VISIBILITY_TIMEOUT_MULTIPLIER × `functionTimeout`
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Timeout of the function draining the queue; sets the default visibility timeout.
   *
   * @default DEFAULT_FUNCTION_TIMEOUT
   */
  readonly functionTimeout?: Duration;
  /** Removal policy of the KMS key. @default DEFAULT_REMOVAL_POLICY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An SQS queue with its dead-letter queue, secure by default: both encrypted with a
 * customer-managed KMS key of their own (rotated yearly), both with a queue policy denying
 * requests not made over TLS, the DLQ keeping messages 14 days (`DEFAULT_DLQ_RETENTION`).
 */
export class SecureQueue extends Construct {
  /** The source queue. */
  public readonly queue: Queue;
  /** Its dead-letter queue. */
  public readonly deadLetterQueue: Queue;
  /** The key encrypting both queues. */
  public readonly key: Key;
  /** Receives before SQS moves a message to the DLQ. */
  public readonly maxReceiveCount: number;
  /** Whether the queues are FIFO. */
  public readonly fifo: boolean;

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    super(scope, id);
    this.fifo = props.fifo ?? false;
    this.maxReceiveCount = props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    this.key = new Key(this, 'Key', {
      description: `Encrypts the ${props.ownerName} queue and its dead-letter queue`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    // A DLQ must be of the same type as its source queue (FIFO or standard).
    const fifo = this.fifo ? { fifo: true } : {};
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...fifo,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: DEFAULT_DLQ_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const functionTimeout = props.functionTimeout ?? DEFAULT_FUNCTION_TIMEOUT;
    this.queue = new Queue(this, 'Resource', {
      ...fifo,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: DEFAULT_QUEUE_RETENTION,
      visibilityTimeout:
        props.visibilityTimeout ??
        Duration.millis(functionTimeout.toMilliseconds() * VISIBILITY_TIMEOUT_MULTIPLIER),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Lets `grantee` send to the source queue (`SendMessage`, `SendMessageBatch`). */
  public grantSendMessages(grantee: IGrantable): void {
    grantSendEncrypted(this.queue, this.key, grantee);
  }

  /** Lets `grantee` send to the dead-letter queue. */
  public grantSendDeadLetters(grantee: IGrantable): void {
    grantSendEncrypted(this.deadLetterQueue, this.key, grantee);
  }
}

/**
 * `sqs:SendMessage` on an SSE-KMS queue, with only the two key actions SQS needs for it
 * (GenerateDataKey, Decrypt), usable only through SQS. `Queue.grantSendMessages` would grant
 * `kms:ReEncrypt*` and `kms:GenerateDataKey*` for any service.
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 */
function grantSendEncrypted(queue: IQueue, key: Key, grantee: IGrantable): Grant {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${Aws.REGION}.amazonaws.com` } },
    })
  );
  return queue.grant(grantee, 'sqs:SendMessage');
}
