import { type Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IWidget,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  DEFAULT_ALARM_EVALUATION_PERIODS,
  DEFAULT_ALARM_PERIOD,
  DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD,
} from '../defaults.ts';
import { constructIdFor } from './construct-id.ts';
import type { SecureQueue } from './secure-queue.ts';

/** A consumer to watch: its queues and its function. */
export interface MonitoredConsumer {
  /** Consumer name, used in alarm descriptions and widget titles. */
  readonly name: string;
  /** Its source queue and DLQ. */
  readonly queue: SecureQueue;
  /** Its function. */
  readonly function: IFunction;
}

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** Consumers (subscribers and queue workers). */
  readonly consumers: readonly MonitoredConsumer[];
  /** The ingest API. */
  readonly api: RestApi;
  /** @default DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * Create the CloudWatch dashboard. LocalStack deploys no `AWS::CloudWatch::Dashboard` (on any
   * plan), so `npm run deploy:localstack` turns it off.
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

/** The alarms of one consumer. */
export interface ConsumerAlarms {
  /** The DLQ has visible messages: something failed for good and waits for a redrive. */
  readonly deadLetters: Alarm;
  /** The oldest message of the source queue is older than the threshold. */
  readonly oldestMessageAge: Alarm;
  /** The function reported errors (whole-batch failures, timeouts, crashes). */
  readonly errors: Alarm;
}

/**
 * CloudWatch alarms and one dashboard for the pipeline: per consumer, dead letters, oldest
 * message age and function errors; for the ingest API, 5xx responses. Missing data (no traffic)
 * never alarms.
 */
export class PipelineMonitoring extends Construct {
  /** Alarms by consumer name. */
  public readonly consumerAlarms: ReadonlyMap<string, ConsumerAlarms>;
  /** The ingest API returned server errors. */
  public readonly apiServerErrors: Alarm;
  /** The dashboard, unless turned off. */
  public readonly dashboard?: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const period = DEFAULT_ALARM_PERIOD;
    const evaluationPeriods = DEFAULT_ALARM_EVALUATION_PERIODS;
    const threshold = props.oldestMessageAgeThreshold ?? DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD;
    const alarms = new Map<string, ConsumerAlarms>();
    const widgets: IWidget[][] = [];

    for (const consumer of props.consumers) {
      const deadLetterMetric =
        consumer.queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: Stats.MAXIMUM,
        });
      const ageMetric = consumer.queue.queue.metricApproximateAgeOfOldestMessage({
        period,
        statistic: Stats.MAXIMUM,
      });
      const errorMetric = consumer.function.metricErrors({ period, statistic: Stats.SUM });
      const title = constructIdFor(consumer.name);
      alarms.set(consumer.name, {
        deadLetters: new Alarm(this, `${title}DeadLetters`, {
          alarmDescription: `${consumer.name}: messages in the dead-letter queue`,
          metric: deadLetterMetric,
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        oldestMessageAge: new Alarm(this, `${title}OldestMessageAge`, {
          alarmDescription: `${consumer.name}: oldest message older than ${threshold.toHumanString()}`,
          metric: ageMetric,
          threshold: threshold.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        errors: new Alarm(this, `${title}Errors`, {
          alarmDescription: `${consumer.name}: consumer function errors`,
          metric: errorMetric,
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      });
      widgets.push([
        new GraphWidget({
          title: `${consumer.name}: queue`,
          left: [
            consumer.queue.queue.metricApproximateNumberOfMessagesVisible({ period }),
            deadLetterMetric,
          ],
          right: [ageMetric],
          width: 12,
        }),
        new GraphWidget({
          title: `${consumer.name}: function`,
          left: [consumer.function.metricInvocations({ period }), errorMetric],
          right: [consumer.function.metricDuration({ period })],
          width: 12,
        }),
      ]);
    }
    this.consumerAlarms = alarms;

    const api5xx = props.api.metricServerError({ period, statistic: Stats.SUM });
    this.apiServerErrors = new Alarm(this, 'ApiServerErrors', {
      alarmDescription: 'ingest API: 5XX responses',
      metric: api5xx,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    if (props.dashboard === false) return;
    this.dashboard = new Dashboard(this, 'Resource', {
      widgets: [
        [
          new TextWidget({
            markdown: `# Event pipeline ${Stack.of(this).stackName}`,
            width: 24,
            height: 1,
          }),
        ],
        [
          new GraphWidget({
            title: 'ingest API',
            left: [
              props.api.metricCount({ period }),
              api5xx,
              props.api.metricClientError({ period }),
            ],
            right: [props.api.metricLatency({ period })],
            width: 24,
          }),
        ],
        ...widgets,
      ],
    });
  }
}
