import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV, OUTPUT_KEYS, TABLE_KEYS } from '../../../functions/shared/contract.ts';
import { DEFAULT_DLQ_RETENTION, DEFAULT_MAX_RECEIVE_COUNT } from '../../../lib/defaults.ts';
import { renderIntrinsics, synthPipelineStack } from './synth-stack.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

describe('PipelineStack built from the shop definition', () => {
  // Prepare / Act: synthesize once for the whole describe.
  const { stack, template } = synthPipelineStack();
  const resources = template.toJSON().Resources as Resources;
  const logicalIdOf = (construct: { node: { defaultChild?: unknown } }): string =>
    stack.getLogicalId(construct.node.defaultChild as never);
  const functionEnv = (functionLogicalId: string): Record<string, unknown> => {
    const environment = resources[functionLogicalId]?.Properties?.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    return environment?.Variables ?? {};
  };

  it('creates one topic per stream, one queue and DLQ per consumer, one function per consumer plus ingest', () => {
    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.resourceCountIs('AWS::SQS::Queue', 10);
    template.resourceCountIs('AWS::SNS::Subscription', 4);
    template.resourceCountIs('AWS::Lambda::Function', 6);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('has no Custom:: resources (they break LocalStack and the local runtime)', () => {
    // Assess
    const types = Object.values(resources).map((resource) => resource.Type);
    expect(types.filter((type) => type.startsWith('Custom::'))).toEqual([]);
    expect(types).not.toContain('AWS::CloudFormation::CustomResource');
  });

  it('attaches no AWS-managed policy to any role', () => {
    // Assess
    for (const resource of Object.values(resources)) {
      if (resource.Type === 'AWS::IAM::Role') {
        expect(resource.Properties?.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('encrypts every topic with its customer-managed key and makes the tracking topic FIFO', () => {
    // Assess
    const orders = stack.streams.get('orders');
    const tracking = stack.streams.get('tracking');
    expect(orders && tracking).toBeTruthy();
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(orders?.key as never), 'Arn'] },
      FifoTopic: Match.absent(),
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(tracking?.key as never), 'Arn'] },
      FifoTopic: true,
    });
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('denies non-TLS access to every topic and queue', () => {
    // Assess
    const denyInsecure = Match.objectLike({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    template.resourceCountIs('AWS::SNS::TopicPolicy', 2);
    template.allResourcesProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure]) },
    });
    // Every queue, source and DLQ alike, has a policy with the deny statement.
    template.resourceCountIs('AWS::SQS::QueuePolicy', 10);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure]) },
    });
  });

  it('gives each source queue a DLQ with maxReceiveCount, 14-day DLQ retention and KMS', () => {
    // Assess
    const payments = stack.queues.get('payments')?.queue;
    const inventory = stack.subscribers.get('inventory')?.queue;
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalIdOf(payments?.deadLetterQueue as never), 'Arn'],
        },
        maxReceiveCount: 4,
      },
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(payments?.key as never), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalIdOf(inventory?.deadLetterQueue as never), 'Arn'],
        },
        maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
      },
    });
    expect(resources[logicalIdOf(inventory?.deadLetterQueue as never)]?.Properties).toMatchObject({
      MessageRetentionPeriod: DEFAULT_DLQ_RETENTION.toSeconds(),
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(inventory?.key as never), 'Arn'] },
    });
  });

  it('sets the visibility timeout to six times the function timeout by default', () => {
    // Assess: default function timeout 30 s.
    const inventory = stack.subscribers.get('inventory')?.queue;
    expect(resources[logicalIdOf(inventory?.queue as never)]?.Properties?.VisibilityTimeout).toBe(
      180
    );
  });

  it('makes the queues of a FIFO stream FIFO', () => {
    // Assess
    const tracker = stack.subscribers.get('tracker')?.queue;
    expect(resources[logicalIdOf(tracker?.queue as never)]?.Properties?.FifoQueue).toBe(true);
    expect(resources[logicalIdOf(tracker?.deadLetterQueue as never)]?.Properties?.FifoQueue).toBe(
      true
    );
  });

  it('subscribes with raw delivery and the definition filter policy as raw JSON', () => {
    // Assess
    template.allResourcesProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { type: ['com.example.order.paid'] },
      FilterPolicyScope: 'MessageBody',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { type: ['com.example.order.placed', 'com.example.order.cancelled'] },
      FilterPolicyScope: 'MessageAttributes',
    });
    const audit = stack.subscribers.get('audit');
    const cfn = audit?.subscription.node.defaultChild as never;
    expect(resources[stack.getLogicalId(cfn)]?.Properties?.FilterPolicy).toBeUndefined();
  });

  it('lets sns.amazonaws.com use the key of each subscriber queue', () => {
    // Assess
    const key = stack.subscribers.get('shipping')?.queue.key;
    const policy = resources[logicalIdOf(key as never)]?.Properties?.KeyPolicy as {
      Statement: unknown[];
    };
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      })
    );
  });

  it('runs every function on nodejs24.x arm64 with its own log group', () => {
    // Assess
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('LogGroup') } },
    });
    // One per function, one for the API access log.
    template.resourceCountIs('AWS::Logs::LogGroup', 7);
  });

  it('wires each consumer to its queue with partial batch responses and the definition settings', () => {
    // Assess
    const inventory = stack.subscribers.get('inventory');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(inventory?.queue.queue as never), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(inventory?.consumer.handler.function as never) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives each consumer the environment contract', () => {
    // Assess
    const tracker = stack.subscribers.get('tracker');
    const queue = tracker?.queue;
    const env = functionEnv(logicalIdOf(tracker?.consumer.handler.function as never));
    expect(env).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      [ENV.CONSUMER_NAME]: 'tracker',
      [ENV.TABLE_NAME]: { Ref: logicalIdOf(stack.table.table as never) },
      [ENV.SOURCE_QUEUE_URL]: { Ref: logicalIdOf(queue?.queue as never) },
      [ENV.DEAD_LETTER_QUEUE_URL]: { Ref: logicalIdOf(queue?.deadLetterQueue as never) },
      [ENV.SOURCE_QUEUE_FIFO]: 'true',
      [ENV.MAX_RECEIVE_COUNT]: '5',
      [ENV.BACKOFF_BASE_SECONDS]: '2',
      [ENV.BACKOFF_MAX_SECONDS]: '300',
      [ENV.IDEMPOTENCY_TTL_SECONDS]: '1209600',
      [ENV.STATUS_TTL_SECONDS]: '1209600',
      [ENV.TEST_HOOKS]: 'true',
    });
    const payments = stack.queues.get('payments');
    const paymentsEnv = functionEnv(logicalIdOf(payments?.worker.handler.function as never));
    expect(paymentsEnv).toMatchObject({
      [ENV.CONSUMER_NAME]: 'payments',
      [ENV.SOURCE_QUEUE_FIFO]: 'false',
      [ENV.MAX_RECEIVE_COUNT]: '4',
    });
  });

  it('gives the ingest function the routes document, table and limits', () => {
    // Assess
    const env = functionEnv(logicalIdOf(stack.ingest.handler.function as never));
    expect(Object.keys(env).sort()).toEqual(
      [
        'NODE_OPTIONS',
        ENV.ROUTES,
        ENV.TABLE_NAME,
        ENV.MAX_REQUEST_BYTES,
        ENV.IDEMPOTENCY_TTL_SECONDS,
        ENV.STATUS_TTL_SECONDS,
      ].sort()
    );
    expect(env[ENV.MAX_REQUEST_BYTES]).toBe('1048576');
    const orders = logicalIdOf(stack.streams.get('orders')?.topic as never);
    const tracking = logicalIdOf(stack.streams.get('tracking')?.topic as never);
    const payments = logicalIdOf(stack.queues.get('payments')?.queue.queue as never);
    expect(JSON.parse(renderIntrinsics(env[ENV.ROUTES]))).toEqual({
      streams: {
        orders: {
          topicArn: `<Ref:${orders}>`,
          fifo: false,
          subscribers: [
            {
              name: 'inventory',
              filterPolicy: { type: ['com.example.order.placed', 'com.example.order.cancelled'] },
              filterPolicyScope: 'MessageAttributes',
            },
            {
              name: 'shipping',
              filterPolicy: { type: ['com.example.order.paid'] },
              filterPolicyScope: 'MessageBody',
            },
            { name: 'audit' },
          ],
        },
        tracking: { topicArn: `<Ref:${tracking}>`, fifo: true, subscribers: [{ name: 'tracker' }] },
      },
      queues: { payments: { queueUrl: `<Ref:${payments}>`, fifo: false, worker: 'payments' } },
    });
  });

  it('creates the table with a string partition key only, TTL, on-demand billing and PITR', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.timeToLive, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('requires IAM (SigV4) authorization on every method of the REST API', () => {
    // Assess
    template.resourceCountIs('AWS::ApiGateway::Method', 3);
    template.allResourcesProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'AWS_IAM',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.path.topic': true },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.path.queue': true },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.path.id': true },
    });
    const paths = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::ApiGateway::Resource')
      .map((resource) => resource.Properties?.PathPart);
    expect(paths.sort()).toEqual(
      ['topics', '{topic}', 'events', 'queues', '{queue}', 'messages', 'events', '{id}'].sort()
    );
  });

  it('logs access and throttles the stage', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      AccessLogSetting: {
        DestinationArn: {
          'Fn::GetAtt': [logicalIdOf(stack.ingest.accessLogGroup as never), 'Arn'],
        },
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          LoggingLevel: 'ERROR',
        }),
      ],
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('alarms on dead letters, oldest message age, consumer errors and API 5xx', () => {
    // Assess: 5 consumers × 3 alarms + 1 API alarm.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 16);
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
      5
    );
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 },
      5
    );
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'Errors', Namespace: 'AWS/Lambda' },
      5
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Namespace: 'AWS/ApiGateway',
    });
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { TreatMissingData: 'notBreaching' });
  });

  it('outputs the API URL, table name, region and consumers map', () => {
    // Assess
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[OUTPUT_KEYS.tableName]?.Value).toEqual({
      Ref: logicalIdOf(stack.table.table as never),
    });
    expect(outputs[OUTPUT_KEYS.region]?.Value).toEqual({ Ref: 'AWS::Region' });
    expect(renderIntrinsics(outputs[OUTPUT_KEYS.apiUrl]?.Value)).toMatch(
      /^https:\/\/<Ref:.+>\.execute-api\.<Ref:AWS::Region>\.<Ref:AWS::URLSuffix>\/<Ref:.+Stage.+>\/$/
    );
    const consumers = JSON.parse(renderIntrinsics(outputs[OUTPUT_KEYS.consumers]?.Value)) as Record<
      string,
      Record<string, string>
    >;
    expect(Object.keys(consumers).sort()).toEqual(
      ['audit', 'inventory', 'payments', 'shipping', 'tracker'].sort()
    );
    const inventory = stack.subscribers.get('inventory');
    expect(consumers.inventory).toEqual({
      queueUrl: `<Ref:${logicalIdOf(inventory?.queue.queue as never)}>`,
      deadLetterQueueUrl: `<Ref:${logicalIdOf(inventory?.queue.deadLetterQueue as never)}>`,
      functionName: `<Ref:${logicalIdOf(inventory?.consumer.handler.function as never)}>`,
      logGroupName: `<Ref:${logicalIdOf(inventory?.consumer.handler.logGroup as never)}>`,
    });
  });
});

describe('PipelineStack settings', () => {
  it('turns the test hooks off and destroys stateful resources when asked', () => {
    // Prepare / Act
    const { stack, template } = synthPipelineStack({
      testHooks: false,
      removalPolicy: RemovalPolicy.DESTROY,
      stageName: 'prod',
      configureApiGatewayAccount: false,
    });

    // Assess
    const fn = stack.subscribers.get('audit')?.consumer.handler.function;
    const variables = (
      template.toJSON().Resources[stack.getLogicalId(fn?.node.defaultChild as never)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(variables[ENV.TEST_HOOKS]).toBe('false');
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod' });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('fails if idempotency records would expire before the status they stand for', () => {
    // Prepare / Act / Assess
    expect(() =>
      synthPipelineStack({ idempotencyTtl: Duration.days(4), statusTtl: Duration.days(14) })
    ).toThrow(
      /idempotencyTtl must be at least statusTtl \(1209600 seconds\).*but 345600 seconds was provided/
    );
  });

  it('keeps idempotency records as long as a longer status by default', () => {
    // Prepare / Act
    const { stack, template } = synthPipelineStack({ statusTtl: Duration.days(30) });

    // Assess
    const fn = stack.subscribers.get('audit')?.consumer.handler.function;
    const variables = (
      template.toJSON().Resources[stack.getLogicalId(fn?.node.defaultChild as never)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(variables[ENV.IDEMPOTENCY_TTL_SECONDS]).toBe('2592000');
    expect(variables[ENV.STATUS_TTL_SECONDS]).toBe('2592000');
  });
});
