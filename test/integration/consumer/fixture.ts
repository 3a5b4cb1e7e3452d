/**
 * Shared setup of the consumer runtime's integration tests: queues with a DLQ on fauxqs, a
 * consumer config, DynamoDB reads and bounded polling.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsumerConfig } from '../../../functions/shared/consumer/index.ts';
import { TABLE_KEYS } from '../../../functions/shared/contract.ts';

/** A source queue and its DLQ. */
export interface TestQueues {
  readonly queueName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueName: string;
  readonly deadLetterQueueUrl: string;
}

/** Creates a queue and its DLQ, with a redrive policy like the stack's. */
export async function createTestQueues(
  sqs: SQSClient,
  name: string,
  options: { readonly fifo?: boolean; readonly maxReceiveCount?: number } = {}
): Promise<TestQueues> {
  const suffix = options.fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = options.fifo
    ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' }
    : {};
  const deadLetterQueueName = `${name}-dlq${suffix}`;
  const { QueueUrl: deadLetterQueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: deadLetterQueueName, Attributes: fifoAttributes })
  );
  const { Attributes: dlqAttributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] })
  );
  const queueName = `${name}${suffix}`;
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueName,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? 3,
        }),
      },
    })
  );
  if (!queueUrl || !deadLetterQueueUrl) throw new Error('fauxqs returned no queue URL');
  return { queueName, queueUrl, deadLetterQueueName, deadLetterQueueUrl };
}

/** A consumer config for the test queues; tests override what they exercise. */
export function testConsumerConfig(
  queues: TestQueues,
  overrides: Partial<ConsumerConfig> = {}
): ConsumerConfig {
  return {
    consumerName: 'test-consumer',
    tableName: 'pipeline',
    sourceQueueUrl: queues.queueUrl,
    deadLetterQueueUrl: queues.deadLetterQueueUrl,
    fifo: false,
    maxReceiveCount: 3,
    backoffBaseSeconds: 2,
    backoffMaxSeconds: 60,
    idempotencyTtlSeconds: 3600,
    statusTtlSeconds: 3600,
    testHooks: true,
    ...overrides,
  };
}

/**
 * A document client on a shared DynamoDB client. `DynamoDBDocumentClient.from` writes its
 * translate options into the shared client's config, so every document client on one client
 * must use the same options as the production stores (removeUndefinedValues).
 */
export function documentClient(dynamoDb: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Reads one item of the pipeline table (consistent read). */
export async function getItem(
  dynamoDb: DynamoDBClient,
  tableName: string,
  key: string
): Promise<Record<string, unknown> | undefined> {
  const documents = documentClient(dynamoDb);
  const { Item: item } = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: { [TABLE_KEYS.partitionKey]: key },
      ConsistentRead: true,
    })
  );
  return item;
}

/** Every item of the table whose key starts with a prefix. */
export async function scanByPrefix(
  dynamoDb: DynamoDBClient,
  tableName: string,
  prefix: string
): Promise<Record<string, unknown>[]> {
  const documents = documentClient(dynamoDb);
  const { Items: items = [] } = await documents.send(
    new ScanCommand({
      TableName: tableName,
      FilterExpression: 'begins_with(#pk, :prefix)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      ExpressionAttributeValues: { ':prefix': prefix },
      ConsistentRead: true,
    })
  );
  return items;
}

/** Polls until `check` returns a value, or fails after the deadline. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  description: string,
  timeoutMs = 10_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Makes an in-flight message visible now, standing in for its backoff running out (the test
 * checked the backoff on the visibility deadline, it need not wait it out).
 */
export async function expireVisibility(
  sqs: SQSClient,
  queueUrl: string,
  receiptHandle: string
): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: 0,
    })
  );
}

/** Receives up to 10 messages with all attributes (no long poll). */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const { Messages: messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    })
  );
  return messages;
}
