/**
 * The local runtime's SQS event source mapping, against real fauxqs queues and real worker
 * threads running the hand-written bundles in test/fixtures/functions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatDeliveryLog } from '../../../lib/local/delivery-log.ts';
import { FunctionHost } from '../../../lib/local/function-host.ts';
import type { LocalEventSourceMapping, LocalFunction } from '../../../lib/local/model.ts';
import { type BatchReport, SqsPoller } from '../../../lib/local/sqs-poller.ts';
import {
  fixtureFunction,
  hostOptions,
  maxInFlight,
  tempDir,
  waitFor,
} from '../../fixtures/functions/local-function.ts';
import { type Emulators, startEmulators } from '../../helpers/emulators.ts';

describe('SqsPoller', () => {
  let emulators: Emulators;
  let queueCount = 0;
  const pollers: SqsPoller[] = [];
  const hosts: FunctionHost[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
  });

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
    await Promise.all(hosts.splice(0).map((host) => host.close()));
  });

  afterAll(async () => {
    await emulators.stop();
  });

  /** Creates a fresh queue; `visibilityTimeoutSeconds` short so that failures come back fast. */
  async function createQueue(
    options: { fifo?: boolean; visibilityTimeoutSeconds?: number } = {}
  ): Promise<{ url: string; arn: string }> {
    queueCount += 1;
    const name = `poller-${queueCount}${options.fifo ? '.fifo' : ''}`;
    const { QueueUrl: url = '' } = await emulators.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
          ...(options.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {}),
        },
      })
    );
    const { Attributes } = await emulators.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })
    );
    return { url, arn: Attributes?.QueueArn ?? '' };
  }

  /** Starts a host for `fn` and a poller on `queue`, collecting the batch reports. */
  function run(
    fn: LocalFunction,
    queue: { url: string; arn: string },
    mapping: Partial<LocalEventSourceMapping> = {}
  ): { reports: BatchReport[]; poller: SqsPoller } {
    const host = new FunctionHost(
      fn,
      hostOptions({ messaging: emulators.messagingEndpoint, dynamoDb: emulators.dynamoDbEndpoint })
    );
    hosts.push(host);
    const reports: BatchReport[] = [];
    const poller = new SqsPoller(
      {
        logicalId: 'Mapping',
        functionLogicalId: fn.logicalId,
        queueUrl: queue.url,
        queueArn: queue.arn,
        batchSize: 10,
        maximumBatchingWindowSeconds: 0,
        reportBatchItemFailures: true,
        enabled: true,
        ...mapping,
      },
      host,
      emulators.sqs,
      { onBatch: (report) => reports.push(report) }
    );
    pollers.push(poller);
    poller.start();
    return { reports, poller };
  }

  async function send(queueUrl: string, bodies: readonly unknown[], groupId?: string) {
    for (let index = 0; index < bodies.length; index += 10) {
      await emulators.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(index, index + 10).map((body, offset) => ({
            Id: String(index + offset),
            MessageBody: JSON.stringify(body),
            ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
          })),
        })
      );
    }
  }

  async function queueCounts(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const { Attributes } = await emulators.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      })
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async function queueDepth(queueUrl: string): Promise<number> {
    const { visible, inFlight } = await queueCounts(queueUrl);
    return visible + inFlight;
  }

  const succeeded = (reports: readonly BatchReport[]) =>
    reports.flatMap((report) => report.records).filter((record) => record.outcome === 'succeeded');

  it('invokes with at most batchSize records and fills batches across receives', async () => {
    // Prepare
    const queue = await createQueue();
    await send(
      queue.url,
      Array.from({ length: 10 }, (_, n) => ({ n }))
    );

    // Act
    const { reports } = run(fixtureFunction('partial-failure'), queue, {
      batchSize: 4,
      maximumBatchingWindowSeconds: 1,
      maximumConcurrency: 2,
    });
    await waitFor(() => succeeded(reports).length === 10, { what: 'ten records' });

    // Assess
    const sizes = reports.map((report) => report.records.length);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(10);
    await waitFor(async () => (await queueDepth(queue.url)) === 0, { what: 'an empty queue' });
  });

  it('gathers more than ten records into one batch within the batching window', async () => {
    // Prepare
    const queue = await createQueue();
    await send(
      queue.url,
      Array.from({ length: 15 }, (_, n) => ({ n }))
    );

    // Act
    const { reports } = run(fixtureFunction('partial-failure'), queue, {
      batchSize: 15,
      maximumBatchingWindowSeconds: 2,
      maximumConcurrency: 1,
    });
    await waitFor(() => succeeded(reports).length === 15, { what: 'fifteen records' });

    // Assess
    expect(reports.map((report) => report.records.length)).toEqual([15]);
  });

  it('keeps collecting messages that arrive during the batching window, then invokes a partial batch', async () => {
    // Prepare
    const queue = await createQueue();
    const { reports } = run(fixtureFunction('partial-failure'), queue, {
      batchSize: 10,
      maximumBatchingWindowSeconds: 3,
      // One poller, so that no idle poller takes the late messages into a batch of its own.
      maximumConcurrency: 1,
    });

    // Act
    await send(queue.url, [{ n: 0 }]);
    await waitFor(async () => (await queueCounts(queue.url)).inFlight === 1, {
      what: 'the first message to be received',
    });
    expect(reports).toHaveLength(0);
    await send(queue.url, [{ n: 1 }, { n: 2 }]);
    await waitFor(() => succeeded(reports).length === 3, { what: 'three records' });

    // Assess
    expect(reports.map((report) => report.records.length)).toEqual([3]);
  });

  it('invokes with what one receive returned when there is no batching window', async () => {
    // Prepare
    const queue = await createQueue();
    const { reports } = run(fixtureFunction('partial-failure'), queue, {
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 2,
    });

    // Act
    await send(queue.url, [{ n: 0 }]);
    await waitFor(() => reports.length === 1, { what: 'the first batch' });

    // Assess
    expect(reports[0]?.records).toHaveLength(1);
  });

  it('never runs more batches at once than the maximum concurrency', async () => {
    // Prepare
    const dir = tempDir('poller-concurrency');
    const counterFile = join(dir, 'counter.log');
    const releaseFile = join(dir, 'release');
    writeFileSync(counterFile, '');
    const queue = await createQueue();
    await send(
      queue.url,
      Array.from({ length: 6 }, (_, n) => ({ n }))
    );
    const fn = fixtureFunction('concurrency-counter', {
      environment: { COUNTER_FILE: counterFile, RELEASE_FILE: releaseFile, HOLD_MS: '50' },
    });

    // Act
    const { reports, poller } = run(fn, queue, { batchSize: 1, maximumConcurrency: 2 });
    await waitFor(() => maxInFlight(readFileSync(counterFile, 'utf8')).started >= 2, {
      what: 'two batches to start',
    });
    writeFileSync(releaseFile, '');
    await waitFor(() => succeeded(reports).length === 6, { what: 'six records' });

    // Assess
    expect(poller.concurrency).toBe(2);
    expect(maxInFlight(readFileSync(counterFile, 'utf8'))).toEqual({ max: 2, started: 6 });
  });

  it('never polls with more concurrency than the function host allows', async () => {
    // Prepare
    const queue = await createQueue();
    const fn = fixtureFunction('partial-failure', { reservedConcurrency: 1 });

    // Act
    const { poller } = run(fn, queue, { maximumConcurrency: 5 });

    // Assess
    expect(poller.concurrency).toBe(1);
  });

  it('deletes only the records the function did not report as failed', async () => {
    // Prepare
    const queue = await createQueue({ visibilityTimeoutSeconds: 2 });
    await send(queue.url, [{ id: 'a', fail: true }, { id: 'b' }, { id: 'c' }]);

    // Act
    const { reports, poller } = run(fixtureFunction('partial-failure'), queue, {
      maximumConcurrency: 2,
    });
    await waitFor(
      () =>
        reports.some((report) =>
          report.records.some((record) => record.eventId === 'a' && record.attempt === 2)
        ),
      { what: 'the failed record to come back' }
    );
    await poller.stop();

    // Assess
    const records = reports.flatMap((report) => report.records);
    expect(records.filter((record) => record.eventId === 'b')).toEqual([
      expect.objectContaining({ outcome: 'succeeded', attempt: 1 }),
    ]);
    expect(records.filter((record) => record.eventId === 'c')).toEqual([
      expect.objectContaining({ outcome: 'succeeded', attempt: 1 }),
    ]);
    expect(records.filter((record) => record.eventId === 'a').map((r) => r.outcome)).not.toContain(
      'succeeded'
    );
    expect(reports[0]?.outcome).toBe(reports[0]?.records.length === 1 ? 'failed' : 'partial');
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a wrongly named key', { batchItemFailures: [{ ItemIdentifier: 'x' }] }],
    ['an unknown message id', { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }],
    ['batchItemFailures that is not a list', { batchItemFailures: 'all' }],
    ['a response that is not an object', 'done'],
  ])('fails the whole batch if the batch response has %s', async (_case, respond) => {
    // Prepare
    const queue = await createQueue({ visibilityTimeoutSeconds: 2 });
    await send(queue.url, [
      { id: 'first', respond },
      { id: 'second', respond },
    ]);

    // Act
    const { reports } = run(fixtureFunction('malformed-response'), queue, {
      maximumConcurrency: 2,
    });
    await waitFor(() => succeeded(reports).length === 2, { what: 'both records to succeed' });

    // Assess
    const firstAttempts = reports.flatMap((report) =>
      report.records.filter((record) => record.attempt === 1)
    );
    expect(firstAttempts.map((record) => record.outcome)).toEqual(['failed', 'failed']);
    expect(reports[0]).toMatchObject({
      outcome: 'failed',
      error: { name: 'MalformedBatchResponse' },
    });
    expect(succeeded(reports).map((record) => record.attempt)).toEqual([2, 2]);
    await waitFor(async () => (await queueDepth(queue.url)) === 0, { what: 'an empty queue' });
  });

  it.each([
    ['null', null],
    ['an empty object', {}],
    ['an empty batchItemFailures', { batchItemFailures: [] }],
  ])('treats a batch response of %s as complete success', async (_case, respond) => {
    // Prepare
    const queue = await createQueue({ visibilityTimeoutSeconds: 1 });
    await send(queue.url, [{ id: 'only', respond }]);

    // Act
    const { reports } = run(fixtureFunction('malformed-response'), queue);
    await waitFor(() => reports.length === 1, { what: 'one batch' });

    // Assess
    expect(reports[0]).toMatchObject({
      outcome: 'succeeded',
      records: [{ eventId: 'only', outcome: 'succeeded', attempt: 1 }],
    });
    await waitFor(async () => (await queueDepth(queue.url)) === 0, { what: 'an empty queue' });
  });

  it('leaves a timed-out batch in the queue, so that it comes back after the visibility timeout', async () => {
    // Prepare
    const queue = await createQueue({ visibilityTimeoutSeconds: 2 });
    await send(queue.url, [{ id: 'slow', firstAttemptMs: 30_000 }]);

    // Act
    const { reports } = run(fixtureFunction('sleep', { timeoutSeconds: 1 }), queue);
    await waitFor(() => succeeded(reports).length === 1, {
      what: 'the retried record to succeed',
    });

    // Assess
    expect(reports.flatMap(formatDeliveryLog)).toEqual([
      'slow  fixture-sleep  failed  attempt 1  (timed out: Task timed out after 1.00 seconds)',
      'slow  fixture-sleep  succeeded  attempt 2',
    ]);
    expect(reports).toMatchObject([
      {
        outcome: 'failed',
        timedOut: true,
        error: { name: 'Sandbox.Timedout' },
        records: [{ eventId: 'slow', outcome: 'failed', attempt: 1 }],
      },
      { outcome: 'succeeded', records: [{ eventId: 'slow', outcome: 'succeeded', attempt: 2 }] },
    ]);
    await waitFor(async () => (await queueDepth(queue.url)) === 0, { what: 'an empty queue' });
  });

  it("builds Lambda's SQS event, with message attributes and FIFO attributes", async () => {
    // Prepare
    const captureFile = join(tempDir('poller-shape'), 'events.jsonl');
    writeFileSync(captureFile, '');
    const queue = await createQueue({ fifo: true });
    const sent = await emulators.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify({ id: 'evt-1' }),
        MessageGroupId: 'order-1',
        MessageAttributes: {
          type: { DataType: 'String', StringValue: 'com.example.order.placed' },
          count: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      })
    );
    const fn = fixtureFunction('capture', { environment: { CAPTURE_FILE: captureFile } });

    // Act
    const { reports } = run(fn, queue);
    await waitFor(() => reports.length === 1, { what: 'one batch' });

    // Assess
    const [line] = readFileSync(captureFile, 'utf8').trim().split('\n');
    const event = JSON.parse(line ?? '{}') as SQSEvent;
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toEqual({
      messageId: sent.MessageId,
      receiptHandle: expect.any(String),
      body: '{"id":"evt-1"}',
      attributes: expect.objectContaining({
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
        MessageGroupId: 'order-1',
        MessageDeduplicationId: expect.any(String),
        SequenceNumber: expect.any(String),
      }),
      messageAttributes: {
        type: {
          stringValue: 'com.example.order.placed',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
        count: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        blob: {
          binaryValue: Buffer.from([1, 2, 3]).toString('base64'),
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Binary',
        },
      },
      md5OfBody: sent.MD5OfMessageBody,
      md5OfMessageAttributes: sent.MD5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    });
    expect(reports[0]?.records[0]).toMatchObject({ eventId: 'evt-1', attempt: 1 });
  });

  it('omits md5OfMessageAttributes when the message has no attributes', async () => {
    // Prepare
    const captureFile = join(tempDir('poller-no-attributes'), 'events.jsonl');
    writeFileSync(captureFile, '');
    const queue = await createQueue();
    await send(queue.url, [{ id: 'plain' }]);
    const fn = fixtureFunction('capture', { environment: { CAPTURE_FILE: captureFile } });

    // Act
    const { reports } = run(fn, queue);
    await waitFor(() => reports.length === 1, { what: 'one batch' });

    // Assess
    const event = JSON.parse(readFileSync(captureFile, 'utf8').trim()) as SQSEvent;
    expect(event.Records[0]?.messageAttributes).toEqual({});
    expect(event.Records[0]).not.toHaveProperty('md5OfMessageAttributes');
  });

  it('keeps the order of a FIFO message group across concurrent pollers', async () => {
    // Prepare
    const captureFile = join(tempDir('poller-fifo'), 'events.jsonl');
    writeFileSync(captureFile, '');
    const queue = await createQueue({ fifo: true });
    await send(
      queue.url,
      Array.from({ length: 8 }, (_, n) => ({ id: `evt-${n}`, n })),
      'order-7'
    );
    const fn = fixtureFunction('capture', { environment: { CAPTURE_FILE: captureFile } });

    // Act
    const { reports } = run(fn, queue, { batchSize: 1, maximumConcurrency: 5 });
    await waitFor(() => succeeded(reports).length === 8, { what: 'eight records' });

    // Assess
    const bodies = readFileSync(captureFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse((JSON.parse(line) as SQSEvent).Records[0]?.body ?? '{}').n);
    expect(bodies).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
