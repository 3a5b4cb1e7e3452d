import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { ApiCallCounter } from '../../../lib/local/api-call-counter.ts';
import { EmulatorError, startLocalEmulators } from '../../../lib/local/emulators.ts';

const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, host);
  });
}

function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

describe('startLocalEmulators', () => {
  it('serves SNS + SQS and DynamoDB on loopback only, with queue URLs on the endpoint it reports', async () => {
    // Prepare
    const emulators = await startLocalEmulators();
    const sqs = new SQSClient({ ...LOCAL, endpoint: emulators.endpoints.sqs });
    try {
      // Act
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'probe' }));
      const messagingPort = Number(new URL(emulators.endpoints.sqs).port);
      const dynamoPort = Number(new URL(emulators.endpoints.dynamodb).port);
      const outside = nonLoopbackAddress();

      // Assess
      expect(emulators.endpoints.sqs).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulators.endpoints.sns).toBe(emulators.endpoints.sqs);
      expect(emulators.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(QueueUrl).toBe(`${emulators.endpoints.sqs}/000000000000/probe`);
      if (outside) {
        expect(await connects(outside, messagingPort)).toBe(false);
        expect(await connects(outside, dynamoPort)).toBe(false);
      }
    } finally {
      sqs.destroy();
      await emulators.stop();
    }
  });

  it('counts DynamoDB calls served by dynalite (in its worker thread) only while counting is on', async () => {
    // Prepare
    const counter = new ApiCallCounter();
    const emulators = await startLocalEmulators({ counter });
    const dynamoDb = new DynamoDBClient({ ...LOCAL, endpoint: emulators.endpoints.dynamodb });
    try {
      await dynamoDb.send(new ListTablesCommand({}));
      // Act
      counter.start();
      await dynamoDb.send(new ListTablesCommand({}));
      await dynamoDb.send(new ListTablesCommand({}));
      await vi.waitFor(() => expect(counter.snapshot().aws.dynamodb?.ListTables?.calls).toBe(2));
      counter.stop();
      await dynamoDb.send(new ListTablesCommand({}));
      // Assess: the call after stop() is not counted (a started count would have arrived by now,
      // as the next call's round trip shows)
      await dynamoDb.send(new ListTablesCommand({}));
      expect(counter.snapshot().aws.dynamodb?.ListTables?.calls).toBe(2);
    } finally {
      dynamoDb.destroy();
      await emulators.stop();
    }
  });

  it('keeps queues, messages and tables across restarts with a persistence directory, on the same ports', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'persist-'));
    const first = await startLocalEmulators({ persistDir: dir });
    const firstSqs = new SQSClient({ ...LOCAL, endpoint: first.endpoints.sqs });
    const firstDynamo = new DynamoDBClient({ ...LOCAL, endpoint: first.endpoints.dynamodb });
    const { QueueUrl } = await firstSqs.send(new CreateQueueCommand({ QueueName: 'kept' }));
    await firstSqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'still here' }));
    await firstDynamo.send(
      new CreateTableCommand({
        TableName: 'kept',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      })
    );
    firstSqs.destroy();
    firstDynamo.destroy();
    await first.stop();

    // Act
    const second = await startLocalEmulators({ persistDir: dir });
    const sqs = new SQSClient({ ...LOCAL, endpoint: second.endpoints.sqs });
    const dynamo = new DynamoDBClient({ ...LOCAL, endpoint: second.endpoints.dynamodb });
    try {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 })
      );
      const { TableNames } = await dynamo.send(new ListTablesCommand({}));

      // Assess
      expect(second.endpoints).toEqual(first.endpoints);
      expect(Messages?.map((message) => message.Body)).toEqual(['still here']);
      expect(TableNames).toEqual(['kept']);
    } finally {
      sqs.destroy();
      dynamo.destroy();
      await second.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('makes a message visible again at once with persistence on (fauxqs 2.4.1 lost it)', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'persist-'));
    const emulators = await startLocalEmulators({ persistDir: dir });
    const sqs = new SQSClient({ ...LOCAL, endpoint: emulators.endpoints.sqs });
    try {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: 'released', Attributes: { VisibilityTimeout: '600' } })
      );
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'back at once' }));
      const { Messages: first } = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));

      // Act
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: first?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        })
      );
      const { Messages: again } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'] })
      );

      // Assess
      expect(again?.map((message) => message.Body)).toEqual(['back at once']);
      expect(again?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    } finally {
      sqs.destroy();
      await emulators.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs Amazon DynamoDB Local, which supports TTL, with dynamodb: local', {
    timeout: 60_000,
  }, async () => {
    // Prepare
    const emulators = await startLocalEmulators({ dynamodb: 'local' });
    const dynamo = new DynamoDBClient({ ...LOCAL, endpoint: emulators.endpoints.dynamodb });
    try {
      await dynamo.send(
        new CreateTableCommand({
          TableName: 'ttl',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        })
      );

      // Act
      await dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName: 'ttl',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        })
      );
      const { TimeToLiveDescription } = await dynamo.send(
        new DescribeTimeToLiveCommand({ TableName: 'ttl' })
      );

      // Assess
      expect(emulators.dynamodb).toBe('local');
      expect(emulators.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(TimeToLiveDescription).toMatchObject({
        AttributeName: 'expiresAt',
        TimeToLiveStatus: 'ENABLED',
      });
    } finally {
      dynamo.destroy();
      await emulators.stop();
    }
  });

  it('fails if the messaging port is taken', async () => {
    // Prepare
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    // Act & Assess
    try {
      const attempt = startLocalEmulators({ messagingPort: port });
      await expect(attempt).rejects.toThrow(EmulatorError);
      await expect(startLocalEmulators({ messagingPort: port })).rejects.toThrow(
        new RegExp(`fauxqs \\(SNS \\+ SQS\\) cannot listen on 127\\.0\\.0\\.1:${port}`)
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
