import { createHash } from 'node:crypto';
import type { CloudEvent } from 'cloudevents';
import { PARTITION_KEY_EXTENSION } from '../contract.ts';

/** Longest message group id SNS FIFO and SQS FIFO accept. */
export const MAX_MESSAGE_GROUP_ID_LENGTH = 128;

// Alphanumerics and ASCII punctuation, as SNS and SQS FIFO require of MessageGroupId.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
const GROUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;

/** The FIFO message group of an event, or why it has none. */
export type MessageGroupResult =
  | { readonly groupId: string; readonly problem?: undefined }
  | { readonly groupId?: undefined; readonly problem: string };

/**
 * The FIFO message group of an event: its {@link PARTITION_KEY_EXTENSION} extension (CloudEvents
 * partitioning), which must be 1 to 128 alphanumeric or punctuation characters.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/extensions/partitioning.md
 */
export function messageGroupOf(event: CloudEvent<unknown>): MessageGroupResult {
  const value: unknown = event[PARTITION_KEY_EXTENSION];
  if (value === undefined) {
    return {
      problem: `missing extension '${PARTITION_KEY_EXTENSION}', which a FIFO destination needs as the message group`,
    };
  }
  const groupId = String(value);
  if (groupId.length > MAX_MESSAGE_GROUP_ID_LENGTH || !GROUP_ID.test(groupId)) {
    return {
      problem: `extension '${PARTITION_KEY_EXTENSION}' must be 1 to ${MAX_MESSAGE_GROUP_ID_LENGTH} letters, digits or punctuation characters (it is the FIFO message group), but '${groupId}' was provided`,
    };
  }
  return { groupId };
}

/**
 * The FIFO deduplication id of an event: a SHA-256 of `source` and `id`, which together identify
 * an event (CloudEvents § id), so a resent event is dropped within the 5-minute window.
 */
export function deduplicationIdOf(event: Pick<CloudEvent<unknown>, 'source' | 'id'>): string {
  // JSON keeps the two parts apart: ("a|b", "c") and ("a", "b|c") hash differently.
  return createHash('sha256')
    .update(JSON.stringify([event.source, event.id]))
    .digest('hex');
}
