import type { CloudEvent } from 'cloudevents';
import { MAX_MESSAGE_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../contract.ts';
import { CONTEXT_ATTRIBUTES } from './parse-http.ts';

/** A message attribute as SNS `Publish(Batch)` and SQS `SendMessage(Batch)` both take it. */
export interface StringMessageAttribute {
  /** Always `String`: CloudEvents values are carried as text (numbers and booleans too). */
  readonly DataType: 'String';
  /** The value. */
  readonly StringValue: string;
}

/** Why an attribute of the event is not on the message. */
export type DroppedAttributeReason = 'limit' | 'empty' | 'characters';

/** An event attribute left off the message (it is still in the body). */
export interface DroppedAttribute {
  /** Attribute or extension name. */
  readonly name: string;
  /**
   * `limit`: more than {@link MAX_MESSAGE_ATTRIBUTES} candidates; `empty`: SNS and SQS reject empty
   * values; `characters`: the value has characters message attributes cannot carry.
   */
  readonly reason: DroppedAttributeReason;
}

/** The message attributes of an event and what had to be left off. */
export interface MessageAttributeMapping {
  /** Attributes by name, at most {@link MAX_MESSAGE_ATTRIBUTES}. */
  readonly attributes: Readonly<Record<string, StringMessageAttribute>>;
  /** Attributes left off, in priority order; empty in the common case. */
  readonly dropped: readonly DroppedAttribute[];
}

/** Options of {@link toMessageAttributes}. */
export interface MessageAttributeOptions {
  /**
   * Extensions to carry before the others, typically those the destination's attribute filter
   * policies read, so that filtering never misses an attribute it needs.
   * @default - none
   */
  readonly preferred?: readonly string[];
  /** @default MAX_MESSAGE_ATTRIBUTES */
  readonly limit?: number;
}

// v0.3 attribute names the SDK keeps as (undefined) own properties of every event.
const LEGACY_ATTRIBUTES = new Set(['schemaurl', 'datacontentencoding']);

/**
 * The CloudEvents extensions of an event (attributes outside the specification's context
 * attributes), by name, with their values.
 */
export function extensionsOf(
  event: CloudEvent<unknown>
): Record<string, string | number | boolean> {
  const extensions: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(event)) {
    if (CONTEXT_ATTRIBUTES.has(name) || LEGACY_ATTRIBUTES.has(name)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      extensions[name] = value;
    }
  }
  return extensions;
}

/**
 * Maps a CloudEvent to SNS/SQS message attributes so that filter policies can select on them.
 *
 * Every value is a `String` attribute (numbers and booleans as their JSON text), because binary
 * mode carries every attribute as text and the same event must filter alike in every mode.
 *
 * SNS and SQS take at most {@link MAX_MESSAGE_ATTRIBUTES} attributes, so when an event has more
 * candidates, they win in this order and the rest are reported in `dropped` (never silently: the
 * ingest logs them and returns them to the client; the full event is still the message body):
 * 1. the {@link MESSAGE_ATTRIBUTES} (`type`, `source`, `subject` when set, `id`);
 * 2. the `preferred` extensions, in the order given;
 * 3. the other extensions, by name.
 *
 * @example
 * toMessageAttributes(event).attributes.type; // { DataType: 'String', StringValue: 'com.example.order.placed' }
 */
export function toMessageAttributes(
  event: CloudEvent<unknown>,
  options: MessageAttributeOptions = {}
): MessageAttributeMapping {
  const limit = options.limit ?? MAX_MESSAGE_ATTRIBUTES;
  const extensions = extensionsOf(event);
  const candidates: Array<[string, unknown]> = Object.values(MESSAGE_ATTRIBUTES).map((name) => [
    name,
    event[name],
  ]);
  const preferred = (options.preferred ?? []).filter((name) => Object.hasOwn(extensions, name));
  const others = Object.keys(extensions)
    .filter((name) => !preferred.includes(name))
    .sort();
  for (const name of [...new Set(preferred), ...others]) candidates.push([name, extensions[name]]);

  const attributes: Record<string, StringMessageAttribute> = {};
  const dropped: DroppedAttribute[] = [];
  for (const [name, value] of candidates) {
    if (value === undefined || Object.hasOwn(attributes, name)) continue;
    const text = String(value);
    if (text === '') dropped.push({ name, reason: 'empty' });
    else if (!isAttributeText(text)) dropped.push({ name, reason: 'characters' });
    else if (Object.keys(attributes).length >= limit) dropped.push({ name, reason: 'limit' });
    else attributes[name] = { DataType: 'String', StringValue: text };
  }
  return { attributes, dropped };
}

/**
 * Size of a message as SNS and SQS count it against their limit: the body plus each attribute's
 * name, data type and value, in UTF-8 bytes.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */
export function messageSizeBytes(
  body: string,
  attributes: Readonly<Record<string, StringMessageAttribute>>
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8');
    size += Buffer.byteLength(attribute.DataType, 'utf8');
    size += Buffer.byteLength(attribute.StringValue, 'utf8');
  }
  return size;
}

/**
 * `true` when SNS and SQS accept the text as an attribute value: XML 1.0 characters only (#x9,
 * #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF).
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
function isAttributeText(text: string): boolean {
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000;
    if (!allowed) return false;
  }
  return true;
}
