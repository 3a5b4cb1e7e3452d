import { CloudEvent } from 'cloudevents';
import type { z } from 'zod';
import {
  MalformedMessageError,
  SchemaViolationError,
  UnsupportedEventTypeError,
} from '../errors.ts';

/**
 * A CloudEvent as a consumer receives it: the context attributes, `data` parsed by the schema
 * of its `type`, and the extensions.
 *
 * @typeParam TType - the CloudEvents `type`
 * @typeParam TData - the parsed `data`
 */
export interface ConsumerEvent<TType extends string = string, TData = unknown> {
  readonly specversion: string;
  readonly id: string;
  readonly source: string;
  readonly type: TType;
  readonly subject?: string;
  /** RFC 3339 time, when the producer set one (never made up by the runtime). */
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  /** The data, parsed by the type's schema (or as received when the type has none). */
  readonly data: TData;
  /** Extension attributes (e.g. `partitionkey`, `testfault`), by their lowercase names. */
  readonly extensions: Readonly<Record<string, unknown>>;
}

/** zod schemas of `data` by CloudEvents `type`. Declare it `as const`-keyed to get typed events. */
export type ConsumerSchemas = Readonly<Record<string, z.ZodType>>;

/**
 * The union of typed events a consumer with these schemas receives: narrowing on `type` narrows
 * `data`.
 */
export type EventOf<TSchemas extends ConsumerSchemas> = {
  [TType in keyof TSchemas & string]: ConsumerEvent<TType, z.output<TSchemas[TType]>>;
}[keyof TSchemas & string];

/** The identity of an event: what idempotency and status records are keyed on. */
export interface EventIdentity {
  readonly id: string;
  readonly source: string;
}

const CONTEXT_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
]);

/**
 * Parses an SQS message body holding a structured-mode CloudEvent (JSON) and checks it against
 * the CloudEvents 1.0 spec with the CloudEvents SDK.
 *
 * @throws MalformedMessageError when the body is not JSON or not a valid CloudEvent
 */
export function parseCloudEvent(body: string): ConsumerEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError('message body is not JSON', { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MalformedMessageError('message body is not a JSON object');
  }
  let validated: CloudEvent<unknown>;
  try {
    // Strict validation against the spec's JSON schema; the SDK's own copy is only a check,
    // since it makes up `time` when the producer set none.
    validated = new CloudEvent<unknown>(
      json as Record<string, unknown> & { type: string; source: string }
    );
  } catch (error) {
    throw new MalformedMessageError(`message body is not a valid CloudEvent: ${detail(error)}`, {
      cause: error,
    });
  }
  const raw = json as Record<string, unknown>;
  const extensions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!CONTEXT_ATTRIBUTES.has(name)) extensions[name] = value;
  }
  return {
    specversion: validated.specversion,
    id: validated.id,
    source: validated.source,
    type: validated.type,
    subject: optionalString(raw.subject),
    time: optionalString(raw.time),
    datacontenttype: optionalString(raw.datacontenttype),
    dataschema: optionalString(raw.dataschema),
    // `data_base64` is decoded by the SDK into bytes; JSON `data` is taken as it is.
    data: 'data' in raw ? raw.data : validated.data,
    extensions,
  };
}

/**
 * Validates an event's `data` against the schema of its `type`.
 *
 * @param acceptOtherTypes - when `true`, a type without a schema passes with its data as is
 * @throws SchemaViolationError when the data does not match the type's schema
 * @throws UnsupportedEventTypeError when the type has no schema and others are not accepted
 */
export function validateEventData(
  event: ConsumerEvent,
  schemas: ConsumerSchemas,
  acceptOtherTypes: boolean
): ConsumerEvent {
  const schema = Object.hasOwn(schemas, event.type) ? schemas[event.type] : undefined;
  if (!schema) {
    if (acceptOtherTypes) return event;
    throw new UnsupportedEventTypeError(event.type);
  }
  const result = schema.safeParse(event.data);
  if (!result.success) {
    const issues = result.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join('.') : '(data)'}: ${issue.message}`)
      .join('; ');
    throw new SchemaViolationError(event.type, `data of ${event.type} is invalid: ${issues}`, {
      cause: result.error,
    });
  }
  return { ...event, data: result.data };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function detail(error: unknown): string {
  if (error instanceof Error) {
    const errors = (error as Error & { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors
        .map((entry) => {
          const e = entry as { instancePath?: string; message?: string };
          return `${e.instancePath || '(event)'} ${e.message ?? ''}`.trim();
        })
        .join('; ');
    }
    return error.message.replace(/\s+/g, ' ').trim();
  }
  return String(error);
}
