import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { FAILURE_ATTRIBUTES } from '../../functions/shared/contract.ts';

/** A dead-letter queue and its depth. */
export interface DeadLetterQueueDepth {
  readonly consumer: string;
  readonly deadLetterQueueUrl: string;
  /** Messages waiting (ApproximateNumberOfMessages). */
  readonly depth: number;
  /** Messages being looked at by someone (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /**
   * Age in seconds of the oldest of the messages sampled by {@link oldestSampledAgeSeconds}
   * (SQS reports no oldest age through its API; CloudWatch's ApproximateAgeOfOldestMessage is the
   * exact figure on AWS).
   */
  readonly oldestAgeSeconds?: number;
}

/** A dead-lettered message, with why it is there. */
export interface DeadLetter {
  readonly messageId: string;
  /** The CloudEvent id, when the body is a CloudEvent. */
  readonly eventId?: string;
  readonly type?: string;
  /** `permanent`, `exhausted`, or `max-receive-count` when SQS moved it without a reason. */
  readonly kind: string;
  readonly reason?: string;
  /** Attempts before it was dead-lettered. */
  readonly attempts?: number;
  readonly failedAt?: string;
  /** ISO 8601 time the message was sent to the queue it is in. */
  readonly sentAt?: string;
  readonly body: string;
}

/** Messages in a queue: waiting, in flight and delayed (0 once everything was deleted). */
export async function queueBacklog(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    })
  );
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Reads the depth of a queue. */
export async function queueDepth(
  sqs: SQSClient,
  consumer: string,
  deadLetterQueueUrl: string
): Promise<DeadLetterQueueDepth> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    })
  );
  return {
    consumer,
    deadLetterQueueUrl,
    depth: Number(attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** How many messages {@link oldestSampledAgeSeconds} looks at. */
export const OLDEST_AGE_SAMPLE = 10;

/**
 * Age in seconds of the oldest of up to {@link OLDEST_AGE_SAMPLE} messages of a queue, looked at
 * without consuming them; `undefined` for an empty queue.
 */
export async function oldestSampledAgeSeconds(
  sqs: SQSClient,
  queueUrl: string,
  now = Date.now()
): Promise<number | undefined> {
  const sentTimes = (await peekDeadLetters(sqs, queueUrl, OLDEST_AGE_SAMPLE))
    .map((letter) => (letter.sentAt ? Date.parse(letter.sentAt) : Number.NaN))
    .filter((time) => Number.isFinite(time));
  if (sentTimes.length === 0) return undefined;
  return Math.max(0, Math.round((now - Math.min(...sentTimes)) / 1000));
}

/**
 * Looks at up to `max` dead-lettered messages without consuming them: they are received with a
 * short visibility timeout (so one look sees each message once) and made visible again at once.
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  max = 10
): Promise<DeadLetter[]> {
  const seen = new Map<string, Message>();
  const receiptHandles: string[] = [];
  try {
    while (seen.size < max) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        })
      );
      if (messages.length === 0) break;
      for (const message of messages) {
        if (message.ReceiptHandle) receiptHandles.push(message.ReceiptHandle);
        if (message.MessageId && !seen.has(message.MessageId)) seen.set(message.MessageId, message);
      }
    }
  } finally {
    await releaseMessages(sqs, deadLetterQueueUrl, receiptHandles);
  }
  return [...seen.values()].map(toDeadLetter);
}

/** Progress of a redrive. */
export interface RedriveProgress {
  readonly moved: number;
  /** Messages left to move, when known. */
  readonly total?: number;
}

/** Result of a redrive. */
export interface RedriveResult {
  /** `move-task` (SQS StartMessageMoveTask) or `receive-send-delete` (emulators without it). */
  readonly method: 'move-task' | 'receive-send-delete';
  readonly moved: number;
}

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrl: string;
  readonly sourceQueueUrl: string;
  /** Move at most this many messages. @default - all of them */
  readonly max?: number;
  readonly onProgress?: (progress: RedriveProgress) => void;
}

/**
 * Moves dead-lettered messages back to their source queue.
 *
 * Uses SQS's own StartMessageMoveTask where the target supports it (AWS, LocalStack). Emulators
 * without it (fauxqs) get an equivalent move: receive, send to the source with the same body and
 * attributes, then delete from the DLQ only what was sent, so a failure part-way loses nothing
 * (at worst a message is in both queues, and consumers are idempotent).
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs } = options;
  if (options.max === undefined) {
    try {
      const [sourceArn, destinationArn] = await Promise.all([
        queueArn(sqs, options.deadLetterQueueUrl),
        queueArn(sqs, options.sourceQueueUrl),
      ]);
      const { TaskHandle: handle } = await sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn })
      );
      return {
        method: 'move-task',
        moved: await waitForMoveTask(sqs, sourceArn, handle, options.onProgress),
      };
    } catch (error) {
      if (!isUnsupported(error)) throw error;
    }
  }
  return { method: 'receive-send-delete', moved: await moveByHand(options) };
}

async function moveByHand(options: RedriveOptions): Promise<number> {
  const { sqs } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const total = (await queueDepth(sqs, '', options.deadLetterQueueUrl)).depth;
  const fifo = options.sourceQueueUrl.endsWith('.fifo');
  let moved = 0;
  while (moved < max) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MaxNumberOfMessages: Math.min(10, max - moved),
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      })
    );
    if (messages.length === 0) break;
    const entries: SendMessageBatchRequestEntry[] = messages.map((message, index) => ({
      Id: String(index),
      MessageBody: message.Body ?? '',
      MessageAttributes: message.MessageAttributes,
      ...(fifo
        ? {
            MessageGroupId: message.Attributes?.MessageGroupId,
            MessageDeduplicationId: `redrive-${message.MessageId}`.slice(0, 128),
          }
        : {}),
    }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: options.sourceQueueUrl, Entries: entries })
    );
    const sentIds = new Set((sent.Successful ?? []).map((entry) => entry.Id));
    const toDelete = messages
      .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' }))
      .filter((entry) => sentIds.has(entry.Id));
    if (toDelete.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: options.deadLetterQueueUrl, Entries: toDelete })
      );
    }
    moved += toDelete.length;
    options.onProgress?.({ moved, total: Math.min(total, max) });
    if ((sent.Failed ?? []).length > 0) {
      const first = sent.Failed?.[0];
      throw new Error(
        `redrive stopped after ${moved} messages: sending to the source queue failed (${first?.Code}: ${first?.Message}); the rest are still in the dead-letter queue`
      );
    }
  }
  return moved;
}

async function waitForMoveTask(
  sqs: SQSClient,
  sourceArn: string,
  handle: string | undefined,
  onProgress?: (progress: RedriveProgress) => void
): Promise<number> {
  for (;;) {
    const { Results: results = [] } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 })
    );
    const task = results.find((candidate) => candidate.TaskHandle === handle) ?? results[0];
    const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    const total = task?.ApproximateNumberOfMessagesToMove;
    onProgress?.({ moved, total: total === undefined ? undefined : Number(total) });
    if (task?.Status !== 'RUNNING') {
      if (task?.Status === 'FAILED')
        throw new Error(`message move task failed: ${task.FailureReason}`);
      return moved;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes: attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })
  );
  const arn = attributes?.QueueArn;
  if (!arn) throw new Error(`${queueUrl} did not report its QueueArn`);
  return arn;
}

async function releaseMessages(sqs: SQSClient, queueUrl: string, receiptHandles: string[]) {
  for (let start = 0; start < receiptHandles.length; start += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: receiptHandles.slice(start, start + 10).map((handle, index) => ({
          Id: String(index),
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        })),
      })
    );
  }
}

function isUnsupported(error: unknown): boolean {
  const name = (error as { name?: string; Code?: string })?.name ?? '';
  const message = String((error as Error)?.message ?? '');
  return (
    /UnsupportedOperation|InvalidAction|UnknownOperation|NotImplemented/i.test(name) ||
    /not (supported|implemented)|unknown (action|operation)|is not valid for this endpoint/i.test(
      message
    )
  );
}

function toDeadLetter(message: Message): DeadLetter {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  let eventId: string | undefined;
  let type: string | undefined;
  try {
    const event = JSON.parse(message.Body ?? '');
    eventId = typeof event?.id === 'string' ? event.id : undefined;
    type = typeof event?.type === 'string' ? event.type : undefined;
  } catch {
    // Not a CloudEvent: shown as it is.
  }
  const attempts =
    attribute(FAILURE_ATTRIBUTES.attempts) ?? message.Attributes?.ApproximateReceiveCount;
  return {
    messageId: message.MessageId ?? '',
    eventId,
    type,
    kind: attribute(FAILURE_ATTRIBUTES.kind) ?? 'max-receive-count',
    reason: attribute(FAILURE_ATTRIBUTES.reason),
    attempts: attempts === undefined ? undefined : Number(attempts),
    failedAt: attribute(FAILURE_ATTRIBUTES.failedAt),
    sentAt: message.Attributes?.SentTimestamp
      ? new Date(Number(message.Attributes.SentTimestamp)).toISOString()
      : undefined,
    body: message.Body ?? '',
  };
}
