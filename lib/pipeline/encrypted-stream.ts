import { Aws, type RemovalPolicy } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_REMOVAL_POLICY } from '../defaults.ts';

/** Props of {@link EncryptedStream}. */
export interface EncryptedStreamProps {
  /** Logical stream name, used in the key's description. */
  readonly streamName: string;
  /**
   * FIFO topic (ordered per message group, deduplicated). CDK adds the `.fifo` name suffix.
   *
   * @default false
   */
  readonly fifo?: boolean;
  /** Removal policy of the KMS key. @default DEFAULT_REMOVAL_POLICY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A stream: an SNS topic encrypted with its own customer-managed KMS key (rotated yearly) and a
 * topic policy that denies any request not made over TLS (`aws:SecureTransport` = `false`).
 */
export class EncryptedStream extends Construct {
  /** The stream's topic. */
  public readonly topic: Topic;
  /** The key encrypting the topic. */
  public readonly key: Key;
  /** Whether the topic is FIFO. */
  public readonly fifo: boolean;

  constructor(scope: Construct, id: string, props: EncryptedStreamProps) {
    super(scope, id);
    this.fifo = props.fifo ?? false;
    this.key = new Key(this, 'Key', {
      description: `Encrypts the ${props.streamName} stream`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    this.topic = new Topic(this, 'Resource', {
      masterKey: this.key,
      enforceSSL: true,
      // Only set for FIFO: `FifoTopic: false` is rejected by some emulators and is the default.
      ...(this.fifo ? { fifo: true, contentBasedDeduplication: false } : {}),
    });
  }

  /**
   * Lets `grantee` publish (`Publish`, `PublishBatch`), with only the key actions SNS needs for
   * an encrypted topic (GenerateDataKey, Decrypt), usable only through SNS. `Topic.grantPublish`
   * would grant `kms:GenerateDataKey*` for any service.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   */
  public grantPublish(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] })
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Aws.REGION}.amazonaws.com` } },
      })
    );
  }
}
