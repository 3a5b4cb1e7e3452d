/**
 * The provisioner against the real emulators the runtime starts (fauxqs and dynalite, through
 * lib/local/emulators.ts, so queue URLs are the ones the runtime hands out). Every check goes
 * through the AWS SDK, not through the provisioner's own records.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AssemblyStack, readAssembly, type Template } from '../../../lib/local/assembly.ts';
import { type LocalEmulators, startLocalEmulators } from '../../../lib/local/emulators.ts';
import { IntrinsicError } from '../../../lib/local/intrinsics.ts';
import {
  ProvisionError,
  type ProvisionerClients,
  type ProvisionResult,
  provisionStack,
} from '../../../lib/local/provisioner.ts';

const FIXTURE = new URL('../../fixtures/assemblies/shop-like/assembly', import.meta.url).pathname;
const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

let emulators: LocalEmulators;
let clients: ProvisionerClients & { sqs: SQSClient; sns: SNSClient; dynamodb: DynamoDBClient };
let fixture: AssemblyStack;
let result: ProvisionResult;

beforeAll(async () => {
  emulators = await startLocalEmulators();
  clients = {
    sqs: new SQSClient({ ...LOCAL, endpoint: emulators.endpoints.sqs }),
    sns: new SNSClient({ ...LOCAL, endpoint: emulators.endpoints.sns }),
    dynamodb: new DynamoDBClient({ ...LOCAL, endpoint: emulators.endpoints.dynamodb }),
  };
  const assembly = await readAssembly(FIXTURE);
  const [stack] = assembly.stacks;
  if (!stack) throw new Error('the fixture has no stack');
  fixture = stack;
  result = await provisionStack(fixture, clients);
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await emulators?.stop();
});

function withTemplate(
  change: (template: Template & { Resources: Record<string, unknown> }) => void
): AssemblyStack {
  const template = structuredClone(fixture.template) as Template & {
    Resources: Record<string, unknown>;
  };
  change(template);
  return { ...fixture, stackName: 'Variant', template };
}

async function queueUrl(name: string): Promise<string> {
  const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`no queue ${name}`);
  return QueueUrl;
}

async function queueAttributes(name: string): Promise<Record<string, string>> {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['All'] })
  );
  return Attributes ?? {};
}

async function receiveAll(url: string): Promise<Message[]> {
  const { Messages } = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    })
  );
  return Messages ?? [];
}

describe('provisionStack on the fixture', () => {
  it('creates queues with their attributes and the redrive policy naming the DLQ ARN', async () => {
    // Act
    const work = await queueAttributes('ShopLike-WorkQueue94013F35');
    const dlq = await queueAttributes('ShopLike-WorkDlqEFF57BC6');

    // Assess
    expect(work.VisibilityTimeout).toBe('45');
    expect(work.ReceiveMessageWaitTimeSeconds).toBe('2');
    expect(JSON.parse(work.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.QueueArn,
      maxReceiveCount: 3,
    });
    expect(dlq.MessageRetentionPeriod).toBe('1209600');
  });

  it('creates FIFO queues with a .fifo name, content-based deduplication and their DLQ', async () => {
    // Act
    const ordered = await queueAttributes('ShopLike-OrderedQueueED50A061.fifo');
    const dlq = await queueAttributes('ShopLike-OrderedDlq80FAA697.fifo');

    // Assess
    expect(ordered.FifoQueue).toBe('true');
    expect(ordered.ContentBasedDeduplication).toBe('true');
    expect(JSON.parse(ordered.RedrivePolicy ?? '{}').deadLetterTargetArn).toBe(dlq.QueueArn);
  });

  it('uses the template name of a queue when it gives one, and skips resources whose condition is false', async () => {
    // Act
    const { QueueUrls } = await clients.sqs.send(new ListQueuesCommand({}));
    const names = (QueueUrls ?? []).map((url) => url.split('/').pop());

    // Assess
    expect(names).toContain('fixture-named-queue');
    expect(names.some((name) => name?.includes('OnlyElsewhere'))).toBe(false);
    expect(result.notes).toContain(
      'OnlyElsewhereF6F34DA3 (AWS::SQS::Queue) is not created: its condition IsElsewhere is false'
    );
  });

  it('moves a message to the DLQ after maxReceiveCount receives', async () => {
    // Prepare
    const url = await queueUrl('ShopLike-WorkQueue94013F35');
    const dlqUrl = await queueUrl('ShopLike-WorkDlqEFF57BC6');
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'exhausted' }));

    // Act: three receives, each made visible again at once, then a fourth.
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const [message] = await receiveAll(url);
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(attempt));
      await clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        })
      );
    }
    const fourth = await receiveAll(url);

    // Assess
    expect(fourth).toEqual([]);
    expect((await receiveAll(dlqUrl)).map((message) => message.Body)).toEqual(['exhausted']);
  });

  it('creates a FIFO topic with content-based deduplication', async () => {
    // Prepare
    const topicArn = result.resources.find(
      (r) => r.logicalId === 'OrderedTopic303D7727'
    )?.physicalId;

    // Act
    const { Attributes } = await clients.sns.send(
      new GetTopicAttributesCommand({ TopicArn: topicArn })
    );

    // Assess
    expect(topicArn).toMatch(/:ShopLike-OrderedTopic-C12376C7\.fifo$/);
    expect(Attributes?.FifoTopic).toBe('true');
    expect(Attributes?.ContentBasedDeduplication).toBe('true');
  });

  it('subscribes queues with raw delivery and filter policies that filter on attributes and on the body', async () => {
    // Prepare
    const topicArn = result.resources.find((r) => r.logicalId === 'OrdersA9B65338')?.physicalId;
    const work = await queueUrl('ShopLike-WorkQueue94013F35');
    const named = await queueUrl('fixture-named-queue');
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: work }));
    const publish = (type: string, total: number) =>
      clients.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify({ type, data: { total } }),
          MessageAttributes: { type: { DataType: 'String', StringValue: type } },
        })
      );

    // Act: fauxqs fans out synchronously, so the queues hold the result when Publish returns.
    await publish('order.paid', 10);
    await publish('order.placed', 150);
    await publish('order.placed', 50);

    // Assess
    const toWork = (await receiveAll(work)).map((m) => JSON.parse(m.Body ?? '{}'));
    const toNamed = (await receiveAll(named)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(toWork).toEqual([{ type: 'order.paid', data: { total: 10 } }]);
    expect(toNamed).toEqual([{ type: 'order.placed', data: { total: 150 } }]);
  });

  it('creates the table with its keys and billing mode, and notes the TTL and stream it cannot set', async () => {
    // Act
    const { Table } = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: 'ShopLike-TableCD117FA1' })
    );

    // Assess
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(result.notes).toContain(
      'DynamoDB Streams are not supported by this DynamoDB emulator: stream ARNs are made up and nothing is streamed'
    );
    expect(
      result.notes.some((note) => /^TTL on TableCD117FA1 \(expiresAt\) is not supported/.test(note))
    ).toBe(true);
  });

  it('records the function with its environment resolved to the emulators\u2019 physical ids', async () => {
    // Prepare
    const [fn] = result.stack.functions;
    const { Table } = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: 'ShopLike-TableCD117FA1' })
    );
    const work = await queueUrl('ShopLike-WorkQueue94013F35');

    // Assess
    expect(fn).toMatchObject({
      logicalId: 'Worker11F36D0F',
      functionName: 'ShopLike-Worker11F36D0F',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 7,
      memorySizeMb: 256,
      reservedConcurrency: 4,
    });
    expect(fn?.bundleDir).toMatch(/asset\.[0-9a-f]{64}$/);
    expect(fn?.environment).toEqual({
      FIXTURE_MARKER: 'worker',
      TABLE: 'ShopLike-TableCD117FA1',
      TABLE_ARN: Table?.TableArn,
      QUEUE_URL: work,
      TOPIC_ARN: result.resources.find((r) => r.logicalId === 'OrdersA9B65338')?.physicalId,
      REGION_LABEL: 'home',
      JOINED: 'ShopLike-WorkQueue94013F35|ShopLike-OrderedQueueED50A061.fifo',
      SUBBED: `ShopLike/fixture/${Table?.TableArn}`,
    });
  });

  it('records the SQS event source mappings with their settings and the queue URL', async () => {
    // Prepare
    const work = await queueAttributes('ShopLike-WorkQueue94013F35');

    // Assess
    expect(result.stack.eventSourceMappings).toEqual([
      {
        logicalId: 'WorkerSqsEventSourceShopLikeWorkQueue0363A1C42703C858',
        functionLogicalId: 'Worker11F36D0F',
        queueUrl: await queueUrl('ShopLike-WorkQueue94013F35'),
        queueArn: work.QueueArn,
        batchSize: 5,
        maximumBatchingWindowSeconds: 2,
        maximumConcurrency: 3,
        reportBatchItemFailures: true,
        enabled: true,
      },
      expect.objectContaining({
        logicalId: 'WorkerSqsEventSourceShopLikeOrderedQueueFF6CAEBCFD9814F0',
        queueUrl: await queueUrl('ShopLike-OrderedQueueED50A061.fifo'),
        batchSize: 1,
        maximumBatchingWindowSeconds: 0,
        reportBatchItemFailures: false,
      }),
    ]);
  });

  it('records the REST API with its stage, routes, authorization and functions', () => {
    // Assess
    const [api] = result.stack.restApis;
    expect(api?.apiId).toMatch(/^[0-9a-z]{10}$/);
    expect(api?.stageName).toBe('live');
    expect(api?.routes).toEqual(
      expect.arrayContaining([
        {
          httpMethod: 'POST',
          resourcePath: '/topics/{topic}/events',
          authorizationType: 'AWS_IAM',
          functionLogicalId: 'Worker11F36D0F',
        },
        {
          httpMethod: 'GET',
          resourcePath: '/events/{id}',
          authorizationType: 'AWS_IAM',
          functionLogicalId: 'Worker11F36D0F',
        },
        {
          httpMethod: 'GET',
          resourcePath: '/health',
          authorizationType: 'NONE',
          functionLogicalId: 'Worker11F36D0F',
        },
      ])
    );
    expect(api?.routes).toHaveLength(3);
  });

  it('resolves the outputs, API URL in its AWS form', async () => {
    // Assess
    const [api] = result.stack.restApis;
    expect(result.stack.outputs).toMatchObject({
      ApiUrl: `https://${api?.apiId}.execute-api.us-east-1.amazonaws.com/live/`,
      TableName: 'ShopLike-TableCD117FA1',
      WorkQueueArn: (await queueAttributes('ShopLike-WorkQueue94013F35')).QueueArn,
    });
    expect(JSON.parse(result.stack.outputs.Consumers ?? '{}')).toEqual({
      worker: {
        queueUrl: await queueUrl('ShopLike-WorkQueue94013F35'),
        functionName: 'ShopLike-Worker11F36D0F',
      },
    });
  });

  it('lists every resource it does not run, and warns about none it knows', () => {
    // Assess
    const types = new Set(result.stack.skipped.map((skipped) => skipped.type));
    expect([...types].sort()).toEqual([
      'AWS::CloudWatch::Alarm',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::KMS::Key',
      'AWS::Lambda::Permission',
      'AWS::Logs::LogGroup',
      'AWS::SQS::QueuePolicy',
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('provisions again idempotently, keeping queued messages and the same physical ids', async () => {
    // Prepare
    const url = await queueUrl('ShopLike-OrderedQueueED50A061.fifo');
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'kept', MessageGroupId: 'g' })
    );

    // Act
    const again = await provisionStack(fixture, clients);

    // Assess
    expect(again.resources).toEqual(
      result.resources.map((resource) =>
        resource.type === 'AWS::SNS::Subscription'
          ? { ...resource, physicalId: expect.any(String) }
          : resource
      )
    );
    expect((await receiveAll(url)).map((message) => message.Body)).toEqual(['kept']);
  });

  it('updates attributes that changed since the last run', async () => {
    // Prepare
    const changed = {
      ...withTemplate((template) => {
        const queue = template.Resources.WorkQueue94013F35 as {
          Properties: Record<string, unknown>;
        };
        queue.Properties.VisibilityTimeout = 60;
      }),
      stackName: 'ShopLike',
    };

    // Act
    await provisionStack(changed, clients);

    // Assess
    expect((await queueAttributes('ShopLike-WorkQueue94013F35')).VisibilityTimeout).toBe('60');
  });
});

describe('provisionStack failures', () => {
  it('fails if a property uses Fn::ImportValue, naming the resource and the property', async () => {
    // Prepare
    const stack = withTemplate((template) => {
      template.Resources.Imported = {
        Type: 'AWS::SQS::Queue',
        Properties: { VisibilityTimeout: { 'Fn::ImportValue': 'OtherStack:Timeout' } },
      };
    });

    // Act & Assess
    await expect(provisionStack(stack, clients)).rejects.toThrow(IntrinsicError);
    await expect(provisionStack(stack, clients)).rejects.toThrow(
      /cannot resolve Imported\.Properties\.VisibilityTimeout\.Fn::ImportValue: Fn::ImportValue of "OtherStack:Timeout" is not supported locally/
    );
  });

  it('fails if a GetAtt asks for an attribute the runtime does not provide', async () => {
    // Prepare
    const stack = withTemplate((template) => {
      template.Resources.Reader = {
        Type: 'AWS::SQS::Queue',
        Properties: { QueueName: { 'Fn::GetAtt': ['TableCD117FA1', 'LatestStreamLabel'] } },
      };
    });

    // Act & Assess
    await expect(provisionStack(stack, clients)).rejects.toThrow(
      /cannot resolve Reader\.Properties\.QueueName\.Fn::GetAtt: Fn::GetAtt TableCD117FA1\.LatestStreamLabel: the local runtime does not provide attribute LatestStreamLabel of AWS::DynamoDB::Table/
    );
  });

  it('fails if a function runs something other than Node.js', async () => {
    // Prepare
    const stack = withTemplate((template) => {
      const fn = template.Resources.Worker11F36D0F as { Properties: Record<string, unknown> };
      fn.Properties.Runtime = 'python3.13';
    });

    // Act & Assess
    await expect(provisionStack(stack, clients)).rejects.toThrow(ProvisionError);
    await expect(provisionStack(stack, clients)).rejects.toThrow(
      /cannot provision Worker11F36D0F \(AWS::Lambda::Function\): runtime "python3\.13" is not supported locally/
    );
  });

  it('records the REST API gateway responses by type, header mappings without their prefix', async () => {
    // Prepare
    const apiId = Object.entries(fixture.template.Resources ?? {}).find(
      ([, resource]) => resource.Type === 'AWS::ApiGateway::RestApi'
    )?.[0];
    const stack = withTemplate((template) => {
      template.Resources.Default4xx = {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: {
          RestApiId: { Ref: apiId },
          ResponseType: 'DEFAULT_4XX',
          StatusCode: '400',
          ResponseParameters: {
            'gatewayresponse.header.Content-Type': "'application/problem+json'",
          },
          ResponseTemplates: { 'application/json': '{"detail":$context.error.messageString}' },
        },
      };
    });

    // Act
    const variant = await provisionStack(stack, clients);

    // Assess
    expect(variant.stack.restApis[0]?.gatewayResponses).toEqual({
      DEFAULT_4XX: {
        responseType: 'DEFAULT_4XX',
        statusCode: 400,
        responseHeaders: { 'Content-Type': "'application/problem+json'" },
        responseTemplates: { 'application/json': '{"detail":$context.error.messageString}' },
      },
    });
    expect(variant.stack.skipped.map((resource) => resource.logicalId)).not.toContain('Default4xx');
    expect(variant.warnings).toEqual([]);
  });

  it('lists an unknown resource type as skipped and warns about it', async () => {
    // Prepare
    const stack = withTemplate((template) => {
      template.Resources.Uploads = { Type: 'AWS::S3::Bucket' };
    });

    // Act
    const variant = await provisionStack(stack, clients);

    // Assess
    expect(variant.stack.skipped).toContainEqual({ logicalId: 'Uploads', type: 'AWS::S3::Bucket' });
    expect(variant.warnings).toEqual([
      'Uploads: AWS::S3::Bucket is not emulated locally; anything that uses it will fail',
    ]);
  });

  it('gives generated names the <stackName>-<logicalId> form, trimmed to the AWS limit with .fifo kept', async () => {
    // Prepare
    const longId = `Queue${'X'.repeat(90)}`;
    const stack = withTemplate((template) => {
      template.Resources[longId] = { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } };
    });

    // Act
    const variant = await provisionStack(stack, clients);

    // Assess
    const url =
      variant.resources.find((resource) => resource.logicalId === longId)?.physicalId ?? '';
    const name = url.split('/').pop() ?? '';
    expect(name).toHaveLength(80);
    expect(name).toMatch(/^Variant-QueueX+-[0-9a-f]{8}\.fifo$/);
    expect((await queueAttributes(name)).FifoQueue).toBe('true');
  });
});
