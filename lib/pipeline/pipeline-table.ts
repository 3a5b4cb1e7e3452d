import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../functions/shared/contract.ts';
import { DEFAULT_REMOVAL_POLICY } from '../defaults.ts';

/** Props of {@link PipelineTable}. */
export interface PipelineTableProps {
  /** @default DEFAULT_REMOVAL_POLICY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one table of the pipeline: idempotency records, delivery status and the shop's effects,
 * kept apart by key prefix. Partition key only, on-demand, point-in-time recovery, TTL.
 */
export class PipelineTable extends Construct {
  /** The table. */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: PipelineTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Resource', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: TABLE_KEYS.timeToLive,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
  }
}
