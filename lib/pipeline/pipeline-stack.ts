import {
  Aws,
  CfnOutput,
  type Duration,
  type RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OUTPUT_KEYS } from '../../functions/shared/contract.ts';
import { DEFAULT_REMOVAL_POLICY, DEFAULT_STAGE_NAME, DEFAULT_TEST_HOOKS } from '../defaults.ts';
import type { PipelineDefinition } from '../definition/types.ts';
import { validateDefinition } from '../definition/validate.ts';
import { ApiGatewayAccountLogging } from './api-gateway-account-logging.ts';
import { constructIdFor } from './construct-id.ts';
import { EncryptedStream } from './encrypted-stream.ts';
import { IngestApi } from './ingest-api.ts';
import { PipelineMonitoring } from './pipeline-monitoring.ts';
import { PipelineTable } from './pipeline-table.ts';
import { PointToPointQueue } from './point-to-point-queue.ts';
import type { QueueConsumerSettings } from './queue-consumer.ts';
import { Subscriber } from './subscriber.ts';

/** Props of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The pipeline to build; validated first (see `validateDefinition`). */
  readonly definition: PipelineDefinition;
  /** Stage of the ingest API, the first segment of its URL path. @default DEFAULT_STAGE_NAME */
  readonly stageName?: string;
  /**
   * Removal policy of stateful resources: the table, KMS keys and log groups.
   *
   * @default DEFAULT_REMOVAL_POLICY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Let consumers honour the test-fault CloudEvents extension (`ENV.TEST_HOOKS`). On for this
   * example app so the end-to-end tests can provoke failures; turn it off in production.
   *
   * @default DEFAULT_TEST_HOOKS
   */
  readonly testHooks?: boolean;
  /**
   * How long idempotency records are kept; at least `statusTtl`, since a consumer's completed
   * record is the status of a delivery that succeeded at its first attempt (see
   * `resolveRetention`).
   *
   * @default - `statusTtl`
   */
  readonly idempotencyTtl?: Duration;
  /** How long delivery status records are kept. @default DEFAULT_STATUS_TTL */
  readonly statusTtl?: Duration;
  /** Largest ingest request body, in bytes. @default DEFAULT_MAX_REQUEST_BYTES */
  readonly maxRequestBytes?: number;
  /** Create the CloudWatch dashboard (LocalStack deploys none). @default true */
  readonly dashboard?: boolean;
  /** @default DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD */
  readonly oldestMessageAgeAlarmThreshold?: Duration;
  /**
   * Register the role API Gateway needs to write logs (`AWS::ApiGateway::Account`). Set to
   * `false` when the account and region already have one.
   *
   * @default true
   */
  readonly configureApiGatewayAccount?: boolean;
  /** Directory the definition's `entry` paths are relative to. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

/**
 * The whole pipeline, built from its definition and nothing else: one encrypted topic per
 * stream, one queue, DLQ and consumer per subscriber, point-to-point queues with their workers,
 * the pipeline table, the ingest API, alarms and a dashboard.
 *
 * Outputs (`OUTPUT_KEYS`): the API stage URL, the table name, the region and a JSON map of the
 * consumers' queues and functions, the shape every target's outputs file has.
 */
export class PipelineStack extends Stack {
  /** The pipeline table. */
  public readonly table: PipelineTable;
  /** Streams by name. */
  public readonly streams: ReadonlyMap<string, EncryptedStream>;
  /** Subscribers by name. */
  public readonly subscribers: ReadonlyMap<string, Subscriber>;
  /** Point-to-point queues by name. */
  public readonly queues: ReadonlyMap<string, PointToPointQueue>;
  /** The ingest API. */
  public readonly ingest: IngestApi;
  /** Alarms and dashboard. */
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { definition } = props;
    validateDefinition(definition);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;

    this.table = new PipelineTable(this, 'Table', { removalPolicy });
    const settings: QueueConsumerSettings = {
      table: this.table.table,
      idempotencyTtl: props.idempotencyTtl,
      statusTtl: props.statusTtl,
      testHooks: props.testHooks ?? DEFAULT_TEST_HOOKS,
      removalPolicy,
      projectRoot: props.projectRoot,
    };

    const streams = new Map<string, EncryptedStream>();
    for (const stream of definition.streams) {
      streams.set(
        stream.name,
        new EncryptedStream(this, `${constructIdFor(stream.name)}Stream`, {
          streamName: stream.name,
          fifo: stream.fifo,
          removalPolicy,
        })
      );
    }
    this.streams = streams;

    const subscribers = new Map<string, Subscriber>();
    for (const subscriber of definition.subscribers) {
      const stream = streams.get(subscriber.stream);
      // validateDefinition has rejected unknown streams; this keeps the type checker honest.
      if (stream === undefined) {
        throw new Error(`subscribers[${subscriber.name}].stream is unknown`);
      }
      subscribers.set(
        subscriber.name,
        new Subscriber(this, `${constructIdFor(subscriber.name)}Subscriber`, {
          ...settings,
          definition: subscriber,
          stream,
        })
      );
    }
    this.subscribers = subscribers;

    const queues = new Map<string, PointToPointQueue>();
    for (const queue of definition.queues) {
      queues.set(
        queue.name,
        new PointToPointQueue(this, `${constructIdFor(queue.name)}Queue`, {
          ...settings,
          definition: queue,
        })
      );
    }
    this.queues = queues;

    this.ingest = new IngestApi(this, 'Ingest', {
      streams: definition.streams.map((stream) => ({
        name: stream.name,
        stream: streams.get(stream.name) as EncryptedStream,
        subscribers: definition.subscribers.filter((s) => s.stream === stream.name),
      })),
      queues: [...queues].map(([name, queue]) => ({ name, queue: queue.queue })),
      table: this.table.table,
      stageName: props.stageName ?? DEFAULT_STAGE_NAME,
      maxRequestBytes: props.maxRequestBytes,
      idempotencyTtl: props.idempotencyTtl,
      statusTtl: props.statusTtl,
      removalPolicy,
      projectRoot: props.projectRoot,
    });
    if (props.configureApiGatewayAccount ?? true) {
      const logging = new ApiGatewayAccountLogging(this, 'ApiGatewayAccount');
      // A stage that logs can only be created once the account has a logging role.
      this.ingest.api.deploymentStage.node.addDependency(logging.account);
    }

    const consumers = [
      ...[...subscribers].map(([name, s]) => ({ name, queue: s.queue, consumer: s.consumer })),
      ...[...queues].map(([name, q]) => ({ name, queue: q.queue, consumer: q.worker })),
    ];
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      consumers: consumers.map(({ name, queue, consumer }) => ({
        name,
        queue,
        function: consumer.handler.function,
      })),
      api: this.ingest.api,
      oldestMessageAgeThreshold: props.oldestMessageAgeAlarmThreshold,
      dashboard: props.dashboard,
    });

    new CfnOutput(this, OUTPUT_KEYS.apiUrl, {
      description: 'Base URL of the ingest API, stage included',
      value: this.ingest.api.url,
    });
    new CfnOutput(this, OUTPUT_KEYS.tableName, {
      description: 'Pipeline table',
      value: this.table.table.tableName,
    });
    new CfnOutput(this, OUTPUT_KEYS.region, { description: 'Region', value: Aws.REGION });
    new CfnOutput(this, OUTPUT_KEYS.consumers, {
      description: 'Consumer name → { queueUrl, deadLetterQueueUrl, functionName, logGroupName }',
      value: this.toJsonString(
        Object.fromEntries(
          consumers.map(({ name, queue, consumer }) => [
            name,
            {
              queueUrl: queue.queue.queueUrl,
              deadLetterQueueUrl: queue.deadLetterQueue.queueUrl,
              functionName: consumer.handler.function.functionName,
              logGroupName: consumer.handler.logGroup.logGroupName,
            },
          ])
        )
      ),
    });
  }
}
