import type { CloudEvent } from 'cloudevents';
import type { CloudEventIssue } from '../shared/cloudevents/errors.ts';
import { deduplicationIdOf, messageGroupOf } from '../shared/cloudevents/fifo.ts';
import {
  type DroppedAttribute,
  messageSizeBytes,
  type StringMessageAttribute,
  toMessageAttributes,
} from '../shared/cloudevents/message-attributes.ts';
import {
  type CloudEventsMode,
  locateAttribute,
  type ReceivedEvent,
} from '../shared/cloudevents/parse-http.ts';
import { PARTITION_KEY_EXTENSION } from '../shared/contract.ts';
import { filterableMessage } from '../shared/filter-policy.ts';
import { BadRequestError, PayloadTooLargeError } from '../shared/http/http-errors.ts';
import type { Destination } from './destinations.ts';

/** The largest message SNS and SQS accept (body plus attributes), in bytes: 256 KiB. */
export const MAX_MESSAGE_BYTES = 262_144;

/**
 * Longest `id` and longest `source`, in UTF-8 bytes. Both end up in DynamoDB partition keys
 * (2048 bytes at most): the delivery status `event#<id>` and consumers' effects keyed by source
 * and id (the shop's audit entry `shop#audit#<URI-encoded source>#<id>`, where encoding can
 * triple the source). An event over them would be accepted and then dead-lettered.
 */
export const MAX_IDENTITY_BYTES = 500;

/** One event, ready to publish. */
export interface OutboundMessage {
  /** Position of the event in the request. */
  readonly index: number;
  /** The validated event. */
  readonly event: CloudEvent<unknown>;
  /** The structured-mode CloudEvent JSON: the SNS `Message` and the SQS body. */
  readonly body: string;
  /** Message attributes taken from the event. */
  readonly attributes: Readonly<Record<string, StringMessageAttribute>>;
  /** Event attributes that could not be message attributes (still in the body). */
  readonly dropped: readonly DroppedAttribute[];
  /** FIFO message group (FIFO destinations only). */
  readonly groupId?: string;
  /** FIFO deduplication id (FIFO destinations only). */
  readonly deduplicationId?: string;
  /** Size as SNS and SQS count it, in bytes. */
  readonly sizeBytes: number;
  /** Consumers expected to process the event (matching subscribers, or the queue's worker). */
  readonly consumers: readonly string[];
}

/**
 * Turns validated events into the messages to publish, checking what only the destination can
 * tell: the FIFO message group, the message size limit, and that no event (source + id) appears
 * twice in one request.
 *
 * @throws PayloadTooLargeError when the only problems are events over {@link MAX_MESSAGE_BYTES}
 * @throws BadRequestError listing every problem otherwise
 */
export function planMessages(
  events: readonly ReceivedEvent[],
  mode: CloudEventsMode,
  destination: Destination
): OutboundMessage[] {
  const issues: CloudEventIssue[] = [];
  const sizeIssues: CloudEventIssue[] = [];
  const seen = new Map<string, number>();
  const messages: OutboundMessage[] = [];

  events.forEach(({ event, structured }, index) => {
    const oversized = (['id', 'source'] as const).filter(
      (name) => Buffer.byteLength(event[name], 'utf8') > MAX_IDENTITY_BYTES
    );
    if (oversized.length > 0) {
      for (const name of oversized) {
        issues.push({
          ...locateAttribute(mode, index, name),
          detail: `${mode === 'batch' ? `entry ${index}: ` : ''}attribute '${name}' is ${Buffer.byteLength(event[name], 'utf8')} bytes, over the limit of ${MAX_IDENTITY_BYTES} bytes`,
        });
      }
      return;
    }
    const identity = JSON.stringify([event.source, event.id]);
    const first = seen.get(identity);
    if (first !== undefined) {
      issues.push({
        ...locateAttribute(mode, index, 'id'),
        detail: `entry ${index} repeats the event of entry ${first} (source '${event.source}', id '${event.id}')`,
      });
      return;
    }
    seen.set(identity, index);

    let groupId: string | undefined;
    if (destination.fifo) {
      const group = messageGroupOf(event);
      if (group.problem !== undefined) {
        issues.push({
          ...locateAttribute(mode, index, PARTITION_KEY_EXTENSION),
          detail: `${destination.kind} '${destination.name}' is FIFO: ${group.problem}`,
        });
        return;
      }
      groupId = group.groupId;
    }

    const body = structured;
    const { attributes, dropped } = toMessageAttributes(event, {
      preferred: destination.filteredAttributes,
    });
    const sizeBytes = messageSizeBytes(body, attributes);
    if (sizeBytes > MAX_MESSAGE_BYTES) {
      sizeIssues.push({
        ...locateAttribute(mode, index),
        detail: `${mode === 'batch' ? `entry ${index}` : 'the event'} (id '${event.id}') is ${sizeBytes} bytes as a message (body and attributes), over the ${MAX_MESSAGE_BYTES}-byte limit of SNS and SQS`,
      });
      return;
    }
    messages.push({
      index,
      event,
      body,
      attributes,
      dropped,
      groupId,
      deduplicationId: destination.fifo ? deduplicationIdOf(event) : undefined,
      sizeBytes,
      consumers: destination.consumersOf(filterableMessage(attributes, body)),
    });
  });

  if (issues.length > 0) {
    const all = [...issues, ...sizeIssues].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    throw new BadRequestError('invalid-cloudevent', 'Invalid CloudEvent', summarize(all), {
      errors: all,
    });
  }
  if (sizeIssues.length > 0) {
    throw new PayloadTooLargeError('event-too-large', 'Event too large', summarize(sizeIssues), {
      errors: sizeIssues,
    });
  }
  return messages;
}

function summarize(issues: readonly CloudEventIssue[]): string {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${first?.detail ?? 'invalid request'}${more}`;
}
