/**
 * A minimal stand-in for Lambda's SQS event source mapping, for integration tests: it receives
 * real messages from a queue on the emulator, builds the exact SQS event Lambda would, invokes
 * the handler with a Lambda-like context, and deletes what Lambda would delete under
 * `ReportBatchItemFailures`.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContextFactory } from './factories.ts';

/** A handler as the driver invokes it. */
export type SqsLambdaHandler = (
  event: SQSEvent,
  context: Context
) => Promise<SQSBatchResponse | undefined>;

/** Options of {@link SqsLambdaDriver}. */
export interface SqsLambdaDriverProps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsLambdaHandler;
  /** Most records per invocation (SQS receives at most 10 at once). @default 10 */
  readonly batchSize?: number;
  /** The function's timeout, for the context's remaining time. @default 30000 */
  readonly functionTimeoutMs?: number;
  /** @default 'test-consumer' */
  readonly functionName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
}

/** What one invocation did. */
export interface DriverInvocation {
  /** The event the handler got. */
  readonly event: SQSEvent;
  /** The handler's response (undefined when it threw). */
  readonly response?: SQSBatchResponse | undefined;
  /** The error the handler threw, if it did. */
  readonly error?: unknown;
  /** Message ids deleted from the queue. */
  readonly deleted: readonly string[];
  /** Message ids left in the queue (failed). */
  readonly failed: readonly string[];
}

/** Drives a consumer handler from a real queue, with Lambda's partial batch semantics. */
export class SqsLambdaDriver {
  private queueArn?: string;

  constructor(private readonly props: SqsLambdaDriverProps) {}

  /** One ReceiveMessage (no long poll) with every system and message attribute. */
  async receive(maxMessages = this.props.batchSize ?? 10): Promise<Message[]> {
    const { Messages: messages = [] } = await this.props.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.props.queueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      })
    );
    return messages;
  }

  /** The SQS event Lambda builds from received messages. */
  async toEvent(messages: readonly Message[]): Promise<SQSEvent> {
    const queueArn = await this.arn();
    const region = this.props.region ?? 'us-east-1';
    return { Records: messages.map((message) => toRecord(message, queueArn, region)) };
  }

  /**
   * Invokes the handler with these messages and settles them as Lambda does: when the handler
   * throws, or reports an item that is not in the batch, the whole batch fails; otherwise every
   * record not listed in `batchItemFailures` is deleted.
   */
  async invoke(messages: readonly Message[]): Promise<DriverInvocation> {
    const event = await this.toEvent(messages);
    const context = lambdaContextFactory({
      functionName: this.props.functionName ?? 'test-consumer',
      timeoutMs: this.props.functionTimeoutMs ?? 30_000,
    });
    const ids = event.Records.map((record) => record.messageId);
    let response: SQSBatchResponse | undefined;
    try {
      response = await this.props.handler(event, context);
    } catch (error) {
      return { event, error, deleted: [], failed: ids };
    }
    const failures = response?.batchItemFailures ?? [];
    const known = new Set(ids);
    // A malformed response (an identifier missing or not in the batch) fails the whole batch.
    const malformed = failures.some(
      (failure) => typeof failure?.itemIdentifier !== 'string' || !known.has(failure.itemIdentifier)
    );
    if (malformed) return { event, response, deleted: [], failed: ids };
    const failed = new Set(failures.map((failure) => failure.itemIdentifier));
    const toDelete = event.Records.filter((record) => !failed.has(record.messageId));
    await this.delete(toDelete);
    return {
      event,
      response,
      deleted: toDelete.map((record) => record.messageId),
      failed: ids.filter((id) => failed.has(id)),
    };
  }

  /** Receives one batch and invokes the handler with it; `undefined` when the queue had none. */
  async pollOnce(): Promise<DriverInvocation | undefined> {
    const messages = await this.receive();
    if (messages.length === 0) return undefined;
    return this.invoke(messages);
  }

  private async delete(records: readonly SQSRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += 10) {
      const chunk = records.slice(start, start + 10);
      const result = await this.props.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.props.queueUrl,
          Entries: chunk.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        })
      );
      if (result.Failed?.length) {
        throw new Error(`deleting messages failed: ${JSON.stringify(result.Failed)}`);
      }
    }
  }

  private async arn(): Promise<string> {
    if (!this.queueArn) {
      const { Attributes: attributes } = await this.props.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.props.queueUrl,
          AttributeNames: ['QueueArn'],
        })
      );
      this.queueArn = attributes?.QueueArn ?? 'arn:aws:sqs:us-east-1:000000000000:unknown';
    }
    return this.queueArn;
  }
}

const RECORD_ATTRIBUTES = [
  'AWSTraceHeader',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'DeadLetterQueueSourceArn',
] as const;

/** An SDK message → the record Lambda puts in the SQS event. */
function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? String(Date.now()),
    SenderId: system.SenderId ?? 'AIDATEST',
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const name of RECORD_ATTRIBUTES) {
    const value = system[name];
    if (value !== undefined) attributes[name] = value;
  }
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue
        ? Buffer.from(value.BinaryValue).toString('base64')
        : undefined,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes)
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}
