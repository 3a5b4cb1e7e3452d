import {
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Destination } from './destinations.ts';
import { MAX_MESSAGE_BYTES, type OutboundMessage } from './plan.ts';

/** Most entries in one PublishBatch or SendMessageBatch call. */
export const MAX_BATCH_ENTRIES = 10;

/**
 * Most bytes in one PublishBatch or SendMessageBatch call: the sum of its messages (256 KiB, the
 * same as one message).
 */
export const MAX_BATCH_BYTES = MAX_MESSAGE_BYTES;

/** A message SNS or SQS did not take. */
export interface FailedMessage {
  /** Position of the event in the request. */
  readonly index: number;
  /** Error code from AWS (`Failed[].Code`), the SDK error name, or `NotAttempted`. */
  readonly code: string;
  /** Message from AWS or the SDK (logged, never returned to the client). */
  readonly message: string;
}

/** What happened to each message of a request. */
export interface PublishOutcome {
  /** Indexes of the messages SNS or SQS confirmed, in request order. */
  readonly published: readonly number[];
  /** Messages that were not confirmed, in request order. */
  readonly failed: readonly FailedMessage[];
}

/** The SNS and SQS clients the publisher uses. */
export interface PublisherClients {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
}

/**
 * Publishes messages to a stream (SNS PublishBatch) or a queue (SQS SendMessageBatch), in chunks
 * of at most {@link MAX_BATCH_ENTRIES} entries and {@link MAX_BATCH_BYTES} bytes, one chunk after
 * the other so that order is kept.
 *
 * Only entries AWS lists as `Successful` count as published; `Failed` entries, entries of a call
 * that threw, and entries missing from the response are failures. On a FIFO destination, the
 * chunks after a failure are not sent (reported as `NotAttempted`), so that a later event of a
 * message group cannot overtake an earlier one that failed.
 */
export async function publishMessages(
  clients: PublisherClients,
  destination: Destination,
  messages: readonly OutboundMessage[]
): Promise<PublishOutcome> {
  const published: number[] = [];
  const failed: FailedMessage[] = [];
  let stopped = false;
  for (const chunk of chunkMessages(messages)) {
    if (stopped) {
      for (const message of chunk) {
        failed.push({
          index: message.index,
          code: 'NotAttempted',
          message: 'an earlier entry of this FIFO request failed',
        });
      }
      continue;
    }
    const result = await sendChunk(clients, destination, chunk);
    published.push(...result.published);
    failed.push(...result.failed);
    if (destination.fifo && result.failed.length > 0) stopped = true;
  }
  return { published, failed };
}

/** Splits messages into chunks that fit one batch call (entries and bytes). */
export function chunkMessages(messages: readonly OutboundMessage[]): OutboundMessage[][] {
  const chunks: OutboundMessage[][] = [];
  let current: OutboundMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (current.length === MAX_BATCH_ENTRIES || bytes + message.sizeBytes > MAX_BATCH_BYTES) {
      if (current.length > 0) chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += message.sizeBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

async function sendChunk(
  clients: PublisherClients,
  destination: Destination,
  chunk: readonly OutboundMessage[]
): Promise<PublishOutcome> {
  let successful: readonly { Id?: string }[] = [];
  let reported: readonly { Id?: string; Code?: string; Message?: string }[] = [];
  try {
    if (destination.kind === 'stream') {
      const response = await clients.sns.send(
        new PublishBatchCommand({
          TopicArn: destination.address,
          PublishBatchRequestEntries: chunk.map(snsEntry),
        })
      );
      successful = response.Successful ?? [];
      reported = response.Failed ?? [];
    } else {
      const response = await clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: destination.address,
          Entries: chunk.map(sqsEntry),
        })
      );
      successful = response.Successful ?? [];
      reported = response.Failed ?? [];
    }
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return {
      published: [],
      failed: chunk.map((entry) => ({ index: entry.index, code: name, message })),
    };
  }
  const ok = new Set(successful.map((entry) => entry.Id));
  const failures = new Map(reported.map((entry) => [entry.Id, entry]));
  const published: number[] = [];
  const failed: FailedMessage[] = [];
  for (const message of chunk) {
    const id = entryId(message);
    const failure = failures.get(id);
    if (ok.has(id) && !failure) published.push(message.index);
    else {
      failed.push({
        index: message.index,
        code: failure?.Code ?? 'Unconfirmed',
        message: failure?.Message ?? 'the batch response did not list this entry as successful',
      });
    }
  }
  return { published, failed };
}

function entryId(message: OutboundMessage): string {
  return `e${message.index}`;
}

function snsEntry(message: OutboundMessage): PublishBatchRequestEntry {
  return {
    Id: entryId(message),
    Message: message.body,
    MessageAttributes: { ...message.attributes },
    MessageGroupId: message.groupId,
    MessageDeduplicationId: message.deduplicationId,
  };
}

function sqsEntry(message: OutboundMessage): SendMessageBatchRequestEntry {
  return {
    Id: entryId(message),
    MessageBody: message.body,
    MessageAttributes: { ...message.attributes },
    MessageGroupId: message.groupId,
    MessageDeduplicationId: message.deduplicationId,
  };
}
