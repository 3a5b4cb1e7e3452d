import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { FAILURE_ATTRIBUTES, MAX_MESSAGE_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../contract.ts';

/** Why the runtime dead-letters a message itself. */
export type DeadLetterKind = 'permanent' | 'exhausted';

/** Inputs of {@link buildDeadLetterMessage}. */
export interface DeadLetterMessageProps {
  /** The failed record, as Lambda delivered it. */
  readonly record: SQSRecord;
  /** URL of the dead-letter queue. */
  readonly deadLetterQueueUrl: string;
  /** Whether the dead-letter queue is FIFO (it is when the source queue is). */
  readonly fifo: boolean;
  readonly kind: DeadLetterKind;
  /** One-line reason, already bounded. */
  readonly reason: string;
  /** Consumer that failed. */
  readonly consumer: string;
  /** Receive count of the attempt that failed. */
  readonly attempts: number;
  /** When it failed. */
  readonly failedAt: Date;
}

const FAILURE_NAMES: ReadonlySet<string> = new Set(Object.values(FAILURE_ATTRIBUTES));
/** Attributes kept first when the original ones do not all fit next to the failure ones. */
const PRIORITY: readonly string[] = [
  MESSAGE_ATTRIBUTES.type,
  MESSAGE_ATTRIBUTES.source,
  MESSAGE_ATTRIBUTES.id,
  MESSAGE_ATTRIBUTES.subject,
];

/**
 * The SendMessage request that moves a failed record to the dead-letter queue: the original
 * body, the {@link FAILURE_ATTRIBUTES} saying why, and as many of the original message
 * attributes as fit in SQS's limit of {@link MAX_MESSAGE_ATTRIBUTES} (`type`, `source`, `id`,
 * `subject` first, then the rest by name). Failure attributes of an earlier dead-lettering
 * (a redriven message that failed again) are replaced.
 *
 * FIFO dead-letter queues get the record's message group, and its message id as deduplication
 * id, so that a retry of the same send within five minutes is not stored twice.
 */
export function buildDeadLetterMessage(props: DeadLetterMessageProps): SendMessageCommandInput {
  const failure: Record<string, MessageAttributeValue> = {
    [FAILURE_ATTRIBUTES.kind]: { DataType: 'String', StringValue: props.kind },
    [FAILURE_ATTRIBUTES.reason]: { DataType: 'String', StringValue: props.reason || 'unknown' },
    [FAILURE_ATTRIBUTES.consumer]: { DataType: 'String', StringValue: props.consumer },
    [FAILURE_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(props.attempts) },
    [FAILURE_ATTRIBUTES.failedAt]: {
      DataType: 'String',
      StringValue: props.failedAt.toISOString(),
    },
  };
  const room = MAX_MESSAGE_ATTRIBUTES - Object.keys(failure).length;
  const originals = Object.entries(props.record.messageAttributes ?? {})
    .filter(([name]) => !FAILURE_NAMES.has(name))
    .map(([name, value]) => [name, toSdkAttribute(value)] as const)
    .filter((entry): entry is readonly [string, MessageAttributeValue] => entry[1] !== undefined)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .slice(0, room);
  const message: SendMessageCommandInput = {
    QueueUrl: props.deadLetterQueueUrl,
    MessageBody: props.record.body,
    MessageAttributes: { ...Object.fromEntries(originals), ...failure },
  };
  if (props.fifo) {
    message.MessageGroupId = props.record.attributes.MessageGroupId ?? props.consumer;
    message.MessageDeduplicationId = props.record.messageId;
  }
  return message;
}

function rank(name: string): number {
  const index = PRIORITY.indexOf(name);
  return index === -1 ? PRIORITY.length : index;
}

/** Lambda's SQS record attribute (camelCase, base64 binary) → the SDK's shape. */
function toSdkAttribute(
  value: SQSRecord['messageAttributes'][string]
): MessageAttributeValue | undefined {
  if (value.stringValue !== undefined) {
    return { DataType: value.dataType, StringValue: value.stringValue };
  }
  if (value.binaryValue !== undefined) {
    return { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
  }
  // List values are reserved by SQS and never set by the pipeline.
  return undefined;
}
