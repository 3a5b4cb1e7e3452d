import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ConsumerConfig,
  type ConsumerRuntime,
  createConsumer,
  createConsumerRuntime,
  type SqsConsumerHandler,
} from '../../../functions/shared/consumer/index.ts';
import { FAILURE_ATTRIBUTES, TABLE_KEYS } from '../../../functions/shared/contract.ts';
import { DynamoDbDeliveryStatusStore } from '../../../functions/shared/status/dynamodb-delivery-status-store.ts';
import { createPipelineTable, type Emulators, startEmulators } from '../../helpers/emulators.ts';
import {
  cloudEventFactory,
  cloudEventMessage,
  lambdaContextFactory,
  type StructuredCloudEvent,
  sqsEventFactory,
  sqsRecordFactory,
} from '../../helpers/factories.ts';
import { SqsLambdaDriver } from '../../helpers/sqs-lambda-driver.ts';
import {
  createTestQueues,
  documentClient,
  expireVisibility,
  getItem,
  receiveAll,
  scanByPrefix,
  type TestQueues,
  testConsumerConfig,
  waitFor,
} from './fixture.ts';

const TABLE = 'pipeline';
const COUNTED = 'com.example.test.counted';
const schemas = {
  [COUNTED]: z.object({ key: z.string().min(1), sequence: z.number().int().optional() }),
} as const;

/** A counted event: its effect adds 1 to `test#counter#<key>` and appends its sequence. */
function countedEvent(
  key: string,
  overrides: Partial<StructuredCloudEvent> = {},
  sequence?: number
): StructuredCloudEvent {
  return cloudEventFactory({ type: COUNTED, data: { key, sequence }, ...overrides });
}

describe('createConsumer (fauxqs + dynalite)', () => {
  let emulators: Emulators;
  let status: DynamoDbDeliveryStatusStore;

  beforeAll(async () => {
    emulators = await startEmulators();
    await createPipelineTable(emulators.dynamoDb, TABLE);
    status = new DynamoDbDeliveryStatusStore({
      tableName: TABLE,
      client: emulators.dynamoDb,
      ttlSeconds: 3600,
    });
  });
  afterAll(() => emulators?.stop());

  /** A consumer whose effect is a counter in DynamoDB, with the given runtime overrides. */
  function counterConsumer(
    config: ConsumerConfig,
    overrides: Partial<Pick<ConsumerRuntime, 'random' | 'sleep'>> = {}
  ): SqsConsumerHandler {
    const runtime = createConsumerRuntime({
      config,
      sqs: emulators.sqs,
      dynamoDb: emulators.dynamoDb,
      logger: new Logger({
        serviceName: config.consumerName,
        logLevel: (process.env.TEST_LOG_LEVEL as 'SILENT' | undefined) ?? 'SILENT',
      }),
      // Deterministic jitter: every delay is its cap, so growth is visible.
      random: () => 0.999_999,
      ...overrides,
    });
    const documents = documentClient(emulators.dynamoDb);
    return createConsumer(
      {
        schemas,
        handle: async (event) => {
          await documents.send(
            new UpdateCommand({
              TableName: TABLE,
              Key: { [TABLE_KEYS.partitionKey]: `test#counter#${event.data.key}` },
              UpdateExpression:
                'SET sequences = list_append(if_not_exists(sequences, :empty), :sequence) ADD applications :one',
              ExpressionAttributeValues: {
                ':one': 1,
                ':empty': [],
                ':sequence': [event.data.sequence ?? -1],
              },
            })
          );
        },
      },
      runtime
    );
  }

  /** Consumer of the test's setUp: `send` records the event accepted for it, as the ingest does. */
  let expectedConsumer = '';

  async function setUp(options: { fifo?: boolean; maxReceiveCount?: number } = {}) {
    const queues = await createTestQueues(emulators.sqs, `q-${randomUUID().slice(0, 8)}`, options);
    const config = testConsumerConfig(queues, {
      consumerName: `consumer-${randomUUID().slice(0, 8)}`,
      fifo: options.fifo ?? false,
      maxReceiveCount: options.maxReceiveCount ?? 3,
    });
    expectedConsumer = config.consumerName;
    return { queues, config };
  }

  async function send(queues: TestQueues, event: StructuredCloudEvent, fifo = false) {
    await status.recordAccepted([
      {
        id: event.id,
        source: event.source,
        type: event.type,
        destination: `queue:${queues.queueName}`,
        consumers: [expectedConsumer],
        acceptedAt: new Date().toISOString(),
      },
    ]);
    await emulators.sqs.send(
      new SendMessageCommand(cloudEventMessage(event, queues.queueUrl, { fifo }))
    );
  }

  async function applications(key: string): Promise<number | undefined> {
    const item = await getItem(emulators.dynamoDb, TABLE, `test#counter#${key}`);
    return item ? Number(item.applications) : undefined;
  }

  async function deliveryOf(event: StructuredCloudEvent, consumer: string) {
    const [view] = await status.getStatus(event.id, event.source);
    return view?.subscribers.find((subscriber) => subscriber.name === consumer);
  }

  function inspect(queueName: string) {
    const queue = emulators.fauxqs.inspectQueue(queueName);
    if (!queue) throw new Error(`queue ${queueName} does not exist`);
    return queue;
  }

  function queueIsEmpty(queueName: string): boolean {
    const { messages } = inspect(queueName);
    return messages.ready.length + messages.inflight.length + messages.delayed.length === 0;
  }

  it('applies the effect, deletes the message and records succeeded', async () => {
    // Prepare
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    const key = randomUUID();
    const event = countedEvent(key);
    await send(queues, event);
    // Act
    const invocation = await driver.pollOnce();
    // Assess
    expect(invocation?.response).toEqual({ batchItemFailures: [] });
    expect(await applications(key)).toBe(1);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // A first attempt's success is read from the idempotency record: no status write.
    const statusItem = await getItem(emulators.dynamoDb, TABLE, `event#${event.id}`);
    expect(Object.keys(statusItem ?? {}).filter((name) => name.startsWith('delivery|'))).toEqual(
      []
    );
  });

  it('applies a duplicate delivery (the same event sent twice) once', async () => {
    // Prepare
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
      batchSize: 1,
    });
    const key = randomUUID();
    const event = countedEvent(key);
    await send(queues, event);
    await send(queues, event);
    // Act
    const first = await driver.pollOnce();
    const second = await driver.pollOnce();
    // Assess
    expect(first?.deleted).toHaveLength(1);
    expect(second?.deleted).toHaveLength(1);
    expect(await applications(key)).toBe(1);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({ status: 'succeeded' });
  });

  it('retries a concurrent duplicate that finds the event in progress, and applies it once', async () => {
    // Prepare: two "containers" of the same consumer; the first holds the lease until released.
    const { queues, config } = await setUp();
    let entered!: () => void;
    const leaseTaken = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder = counterConsumer(config, {
      sleep: () => {
        entered();
        return gate;
      },
    });
    const duplicate = counterConsumer(config);
    const holderDriver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: holder,
    });
    const duplicateDriver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: duplicate,
    });
    const key = randomUUID();
    const event = countedEvent(key, { testfault: 'sleep:1' });
    await send(queues, event);
    await send(queues, event);
    const [firstMessage] = await holderDriver.receive(1);
    const [secondMessage] = await duplicateDriver.receive(1);
    if (!firstMessage || !secondMessage) throw new Error('expected two messages');
    // Act
    const holding = holderDriver.invoke([firstMessage]);
    await leaseTaken;
    const concurrent = await duplicateDriver.invoke([secondMessage]);
    release();
    const held = await holding;
    // Assess: the duplicate was reported failed (kept for a retry), not applied, not lost.
    expect(concurrent.failed).toEqual([secondMessage.MessageId]);
    expect(held.deleted).toEqual([firstMessage.MessageId]);
    expect(await applications(key)).toBe(1);
    // The retry finds the event done and succeeds without applying it again.
    await expireVisibility(emulators.sqs, queues.queueUrl, secondMessage.ReceiptHandle ?? '');
    const retried = await duplicateDriver.pollOnce();
    expect(retried?.deleted).toEqual([secondMessage.MessageId]);
    expect(await applications(key)).toBe(1);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({ status: 'succeeded' });
  });

  it('keeps a duplicate that finds the event in progress away until the lease ends', async () => {
    // Prepare: the holder's lease is bound to its 20 s of remaining time; the duplicate's
    // backoff alone would be 0 s (jitter 0), which could spend every receive inside the lease.
    const { queues, config } = await setUp({ maxReceiveCount: 5 });
    let entered!: () => void;
    const leaseTaken = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holderDriver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      functionTimeoutMs: 20_000,
      handler: counterConsumer(config, {
        sleep: () => {
          entered();
          return gate;
        },
      }),
    });
    const duplicateDriver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config, { random: () => 0 }),
    });
    const key = randomUUID();
    const event = countedEvent(key, { testfault: 'sleep:1' });
    await send(queues, event);
    await send(queues, event);
    const [firstMessage] = await holderDriver.receive(1);
    const [secondMessage] = await duplicateDriver.receive(1);
    if (!firstMessage || !secondMessage) throw new Error('expected two messages');
    const holding = holderDriver.invoke([firstMessage]);
    await leaseTaken;
    const leaseEndsBy = Date.now() + 20_000;
    // Act
    const concurrent = await duplicateDriver.invoke([secondMessage]);
    release();
    await holding;
    // Assess: the duplicate stays invisible until (about) the lease's end, not 0 s.
    expect(concurrent.failed).toEqual([secondMessage.MessageId]);
    const inflight = inspect(queues.queueName).messages.inflight.find(
      (entry) => entry.message.messageId === secondMessage.MessageId
    );
    expect(inflight?.visibilityDeadline).toBeGreaterThanOrEqual(leaseEndsBy - 2_000);
    expect(inflight?.visibilityDeadline).toBeLessThanOrEqual(leaseEndsBy + 2_000);
    expect(await applications(key)).toBe(1);
  });

  it('starts no record once the invocation is under its time reserve, and releases it at once', async () => {
    // Prepare: a 300 ms invocation keeps 100 ms in reserve; the first record takes 250 ms.
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      functionTimeoutMs: 300,
      handler: counterConsumer(config),
    });
    const slowKey = randomUUID();
    const nextKey = randomUUID();
    await send(queues, countedEvent(slowKey, { testfault: 'sleep:250' }));
    await send(queues, countedEvent(nextKey));
    const messages = await driver.receive(2);
    expect(messages).toHaveLength(2);
    // Act
    const invocation = await driver.invoke(messages);
    // Assess: the slow one is done; the next was not started and is visible again.
    expect(invocation.deleted).toHaveLength(1);
    expect(invocation.failed).toHaveLength(1);
    expect(await applications(slowKey)).toBe(1);
    expect(await applications(nextKey)).toBeUndefined();
    const { messages: state } = inspect(queues.queueName);
    expect(state.inflight).toHaveLength(0);
    expect(state.ready).toHaveLength(1);
  });

  it('retries a transient failure with growing visibility, then succeeds', async () => {
    // Prepare
    const { queues, config } = await setUp({ maxReceiveCount: 5 });
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    const key = randomUUID();
    const event = countedEvent(key, { testfault: 'transient:2' });
    await send(queues, event);
    const delaysMs: number[] = [];
    // Act: two failing attempts, checking each backoff on the visibility deadline
    for (const attempt of [1, 2]) {
      const messages = await driver.receive();
      const before = Date.now();
      const invocation = await driver.invoke(messages);
      const after = Date.now();
      expect(invocation.failed).toHaveLength(1);
      const [inflight] = inspect(queues.queueName).messages.inflight;
      const cap = config.backoffBaseSeconds * 2 ** (attempt - 1) * 1000;
      expect(inflight?.visibilityDeadline).toBeGreaterThanOrEqual(before + cap);
      expect(inflight?.visibilityDeadline).toBeLessThanOrEqual(after + cap);
      delaysMs.push((inflight?.visibilityDeadline ?? 0) - before);
      expect(await deliveryOf(event, config.consumerName)).toMatchObject({
        status: 'retrying',
        attempts: attempt,
        lastError: expect.stringMatching(/^InjectedFaultError: injected transient fault/),
      });
      await expireVisibility(emulators.sqs, queues.queueUrl, messages[0]?.ReceiptHandle ?? '');
    }
    const third = await driver.pollOnce();
    // Assess
    expect(delaysMs[1]).toBeGreaterThan(delaysMs[0] ?? Number.POSITIVE_INFINITY);
    expect(third?.deleted).toHaveLength(1);
    expect(await applications(key)).toBe(1);
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({
      status: 'succeeded',
      attempts: 3,
    });
  });

  it('dead-letters on the last attempt with reason exhausted', async () => {
    // Prepare
    const { queues, config } = await setUp({ maxReceiveCount: 2 });
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    const key = randomUUID();
    const event = countedEvent(key, { testfault: 'transient:9' });
    await send(queues, event);
    const first = await driver.pollOnce();
    const receipt = first?.event.Records[0]?.receiptHandle ?? '';
    await expireVisibility(emulators.sqs, queues.queueUrl, receipt);
    // Act
    const last = await driver.pollOnce();
    // Assess
    expect(last?.deleted).toHaveLength(1);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
    const [dead] = await receiveAll(emulators.sqs, queues.deadLetterQueueUrl);
    expect(dead?.Body).toBe(JSON.stringify(event));
    expect(dead?.MessageAttributes?.[FAILURE_ATTRIBUTES.kind]?.StringValue).toBe('exhausted');
    expect(dead?.MessageAttributes?.[FAILURE_ATTRIBUTES.attempts]?.StringValue).toBe('2');
    expect(dead?.MessageAttributes?.[FAILURE_ATTRIBUTES.consumer]?.StringValue).toBe(
      config.consumerName
    );
    expect(await applications(key)).toBeUndefined();
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({
      status: 'dead_lettered',
      attempts: 2,
      lastError: expect.stringMatching(/^exhausted: InjectedFaultError/),
    });
  });

  it('dead-letters a schema violation at once, with its reason and original attributes', async () => {
    // Prepare
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    const event = cloudEventFactory({ type: COUNTED, data: { key: '' }, subject: 'counter' });
    await send(queues, event);
    // Act
    const invocation = await driver.pollOnce();
    // Assess
    expect(invocation?.deleted).toHaveLength(1);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
    const [dead] = await receiveAll(emulators.sqs, queues.deadLetterQueueUrl);
    const attributes = dead?.MessageAttributes ?? {};
    expect(dead?.Body).toBe(JSON.stringify(event));
    expect(attributes[FAILURE_ATTRIBUTES.kind]?.StringValue).toBe('permanent');
    expect(attributes[FAILURE_ATTRIBUTES.reason]?.StringValue).toMatch(
      /^SchemaViolationError: data of com\.example\.test\.counted is invalid: key: /
    );
    expect(attributes[FAILURE_ATTRIBUTES.attempts]?.StringValue).toBe('1');
    expect(attributes.type?.StringValue).toBe(COUNTED);
    expect(attributes.source?.StringValue).toBe(event.source);
    expect(attributes.id?.StringValue).toBe(event.id);
    expect(attributes.subject?.StringValue).toBe('counter');
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({
      status: 'dead_lettered',
      attempts: 1,
      lastError: expect.stringMatching(/^permanent: SchemaViolationError/),
    });
  });

  it.each([
    [
      'a PermanentError',
      JSON.stringify(countedEvent('x', { testfault: 'permanent' })),
      /^PermanentError: injected permanent fault$/,
    ],
    ['an unparseable body', 'not json', /^MalformedMessageError: message body is not JSON$/],
    [
      'a body that is no CloudEvent',
      JSON.stringify({ hello: 'world' }),
      /^MalformedMessageError: message body is not a valid CloudEvent/,
    ],
    [
      'an unsupported type',
      JSON.stringify(cloudEventFactory({ type: 'com.example.other' })),
      /^UnsupportedEventTypeError: event type com\.example\.other is not handled/,
    ],
  ])('dead-letters %s at once and removes it from the source', async (_name, body, reason) => {
    // Prepare
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    await emulators.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: body })
    );
    // Act
    const invocation = await driver.pollOnce();
    // Assess
    expect(invocation?.deleted).toHaveLength(1);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
    const [dead] = await receiveAll(emulators.sqs, queues.deadLetterQueueUrl);
    expect(dead?.Body).toBe(body);
    expect(dead?.MessageAttributes?.[FAILURE_ATTRIBUTES.kind]?.StringValue).toBe('permanent');
    expect(dead?.MessageAttributes?.[FAILURE_ATTRIBUTES.reason]?.StringValue).toMatch(reason);
  });

  it('keeps a permanent failure in the source queue when the DLQ send fails', async () => {
    // Prepare: a dead-letter queue URL that fauxqs does not know
    const { queues, config } = await setUp();
    const broken = { ...config, deadLetterQueueUrl: `${queues.deadLetterQueueUrl}-missing` };
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(broken),
    });
    const event = countedEvent(randomUUID(), { testfault: 'permanent' });
    await send(queues, event);
    // Act
    const invocation = await driver.pollOnce();
    // Assess
    expect(invocation?.failed).toHaveLength(1);
    expect(inspect(queues.queueName).messages.inflight).toHaveLength(1);
    expect(await deliveryOf(event, config.consumerName)).toMatchObject({
      status: 'retrying',
      lastError: expect.stringMatching(/^DeadLetterSendError/),
    });
  });

  it('retries only the bad record of a batch', async () => {
    // Prepare
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    const good = [randomUUID(), randomUUID(), randomUUID()];
    for (const key of good) await send(queues, countedEvent(key));
    const badKey = randomUUID();
    await send(queues, countedEvent(badKey, { testfault: 'transient:1' }));
    const messages = await waitFor(async () => {
      const received = await driver.receive();
      return received.length === 4 ? received : undefined;
    }, 'four messages in one receive');
    // Act
    const invocation = await driver.invoke(messages);
    // Assess
    const bad = invocation.event.Records.find((record) => record.body.includes(badKey));
    expect(invocation.response).toEqual({
      batchItemFailures: [{ itemIdentifier: bad?.messageId }],
    });
    expect(invocation.deleted).toHaveLength(3);
    for (const key of good) expect(await applications(key)).toBe(1);
    expect(await applications(badKey)).toBeUndefined();
    expect(inspect(queues.queueName).messages.inflight.map((m) => m.message.messageId)).toEqual([
      bad?.messageId,
    ]);
  });

  it('FIFO: a failure in a batch stops the later records of its group but not other groups', async () => {
    // Prepare: fauxqs returns one message per group per receive, so this batch of two groups
    // with two records each is built as Lambda would deliver it from SQS.
    const { config } = await setUp({ fifo: true });
    const handler = counterConsumer(config);
    const groupA = randomUUID();
    const groupB = randomUUID();
    const record = (group: string, sequence: number, extra: Partial<StructuredCloudEvent> = {}) =>
      sqsRecordFactory(
        JSON.stringify(countedEvent(group, { partitionkey: group, ...extra }, sequence)),
        {
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '0',
            SenderId: 'test',
            ApproximateFirstReceiveTimestamp: '0',
            MessageGroupId: group,
          },
        }
      );
    const a1 = record(groupA, 1, { testfault: 'transient:1' });
    const a2 = record(groupA, 2);
    const b1 = record(groupB, 1);
    const b2 = record(groupB, 2);
    // Act
    const response = await handler(sqsEventFactory([a1, b1, a2, b2]), lambdaContextFactory());
    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: a1.messageId },
      { itemIdentifier: a2.messageId },
    ]);
    const b = await getItem(emulators.dynamoDb, TABLE, `test#counter#${groupB}`);
    expect(b?.sequences).toEqual([1, 2]);
    expect(await applications(groupA)).toBeUndefined();
  });

  it('FIFO: a failed record holds back its group on the queue, in order, while others go on', async () => {
    // Prepare
    const { queues, config } = await setUp({ fifo: true });
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    const groupA = randomUUID();
    const groupB = randomUUID();
    await send(
      queues,
      countedEvent(groupA, { partitionkey: groupA, testfault: 'transient:1' }, 1),
      true
    );
    await send(queues, countedEvent(groupA, { partitionkey: groupA }, 2), true);
    await send(queues, countedEvent(groupB, { partitionkey: groupB }, 1), true);
    await send(queues, countedEvent(groupB, { partitionkey: groupB }, 2), true);
    // Act
    const first = await driver.pollOnce();
    const second = await driver.pollOnce();
    // Assess: group B went on, group A waits behind its failed first record
    expect(first?.failed).toHaveLength(1);
    expect(second?.event.Records.map((r) => JSON.parse(r.body).data)).toEqual([
      { key: groupB, sequence: 2 },
    ]);
    expect(await driver.receive()).toEqual([]);
    const failed = first?.event.Records.find((r) => r.body.includes('transient'));
    await expireVisibility(emulators.sqs, queues.queueUrl, failed?.receiptHandle ?? '');
    await waitFor(async () => ((await driver.pollOnce()) ? undefined : true), 'an empty queue');
    const a = await getItem(emulators.dynamoDb, TABLE, `test#counter#${groupA}`);
    const b = await getItem(emulators.dynamoDb, TABLE, `test#counter#${groupB}`);
    expect(a?.sequences).toEqual([1, 2]);
    expect(b?.sequences).toEqual([1, 2]);
    expect(queueIsEmpty(queues.queueName)).toBe(true);
  });

  it('keeps idempotency records under the consumer prefix, keyed by source and id', async () => {
    // Prepare
    const { queues, config } = await setUp();
    const driver = new SqsLambdaDriver({
      sqs: emulators.sqs,
      queueUrl: queues.queueUrl,
      handler: counterConsumer(config),
    });
    await send(queues, countedEvent(randomUUID(), { id: 'same-id', source: '/a' }));
    await send(queues, countedEvent(randomUUID(), { id: 'same-id', source: '/b' }));
    // Act
    await waitFor(async () => ((await driver.pollOnce()) ? undefined : true), 'an empty queue');
    // Assess: one COMPLETED record per source, both under consumer#<name>#
    const records = await scanByPrefix(
      emulators.dynamoDb,
      TABLE,
      `consumer#${config.consumerName}#`
    );
    expect(records.map((record) => record.status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(records.every((record) => Number(record.expiresAt) > Date.now() / 1000)).toBe(true);
  });
});
