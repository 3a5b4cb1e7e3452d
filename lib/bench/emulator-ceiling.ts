/**
 * The emulators' own ceiling, measured in the same run as the pipeline, with no pipeline on
 * them: fresh fauxqs and dynalite instances driven straight through the AWS SDK (the same
 * clients the functions use), a few requests in flight at once.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startLocalEmulators } from '../local/emulators.ts';

/** Operations per second of each raw operation. */
export interface EmulatorCeiling {
  /** Messages per second sent with SendMessageBatch (10 per call). */
  readonly sqsSendPerSecond: number;
  /** Messages per second received (10 per call) and deleted (DeleteMessageBatch). */
  readonly sqsReceiveDeletePerSecond: number;
  /** Publishes per second to a topic with 3 subscribed queues (raw delivery). */
  readonly snsPublishTo3QueuesPerSecond: number;
  /** Conditional PutItem (attribute_not_exists) per second on dynalite. */
  readonly dynamoConditionalPutPerSecond: number;
  /** Messages the measurement used per operation. */
  readonly sampleSize: number;
}

const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const CONCURRENCY = 8;
const body = JSON.stringify({
  specversion: '1.0',
  id: 'x',
  source: 'urn:bench',
  type: 't',
  data: { pad: 'x'.repeat(600) },
});

/** Measures the raw ceilings; `messages` per operation. */
export async function measureEmulatorCeiling(messages: number): Promise<EmulatorCeiling> {
  const emulators = await startLocalEmulators();
  const sqs = new SQSClient({ region, credentials, endpoint: emulators.endpoints.sqs });
  const sns = new SNSClient({ region, credentials, endpoint: emulators.endpoints.sns });
  const dynamodb = new DynamoDBClient({
    region,
    credentials,
    endpoint: emulators.endpoints.dynamodb,
  });
  try {
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'raw' })
    );
    const sqsSendPerSecond = await rate(
      messages,
      async (count) => {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: count }, (_, index) => ({
              Id: String(index),
              MessageBody: body,
            })),
          })
        );
      },
      10
    );
    const sqsReceiveDeletePerSecond = await drainRate(sqs, queueUrl, messages);

    const { TopicArn: topicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'raw' }));
    for (const name of ['fan-1', 'fan-2', 'fan-3']) {
      const { QueueUrl: url = '' } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: Attributes?.QueueArn,
          Attributes: { RawMessageDelivery: 'true' },
        })
      );
    }
    const snsCount = Math.max(100, Math.round(messages / 4));
    const snsPublishTo3QueuesPerSecond = await rate(
      snsCount,
      async () => {
        await sns.send(new PublishCommand({ TopicArn: topicArn, Message: body }));
      },
      1
    );

    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'raw',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      })
    );
    let next = 0;
    const dynamoConditionalPutPerSecond = await rate(
      Math.max(200, Math.round(messages / 2)),
      async () => {
        next += 1;
        try {
          await dynamodb.send(
            new PutItemCommand({
              TableName: 'raw',
              Item: { pk: { S: `item#${next}` }, payload: { S: body } },
              ConditionExpression: 'attribute_not_exists(pk)',
            })
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      },
      1
    );
    return {
      sqsSendPerSecond,
      sqsReceiveDeletePerSecond,
      snsPublishTo3QueuesPerSecond,
      dynamoConditionalPutPerSecond,
      sampleSize: messages,
    };
  } finally {
    sqs.destroy();
    sns.destroy();
    dynamodb.destroy();
    await emulators.stop();
  }
}

/** Runs `operation` with CONCURRENCY callers until `total` units are done; units per second. */
async function rate(
  total: number,
  operation: (units: number) => Promise<void>,
  unitsPerCall: number
): Promise<number> {
  let remaining = total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining > 0) {
        const units = Math.min(unitsPerCall, remaining);
        remaining -= units;
        await operation(units);
      }
    })
  );
  return (total * 1000) / (performance.now() - started);
}

/** Receives (10 at a time) and deletes every message of the queue; messages per second. */
async function drainRate(sqs: SQSClient, queueUrl: string, total: number): Promise<number> {
  let received = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (received < total) {
        const { Messages: batch = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          })
        );
        if (batch.length === 0) continue;
        received += batch.length;
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          })
        );
      }
    })
  );
  return (received * 1000) / (performance.now() - started);
}
