// The CloudEvents SDK's own validator of the CloudEvents 1.0 JSON schema (ajv, precompiled), on
// its own: the package's entry point would bring its HTTP, Kafka and MQTT bindings with their
// dependencies (json-bigint, bignumber.js, uuid), about 55 KB of each consumer bundle, for a
// constructor whose rules `parseCloudEvent` applies itself.
import validateCloudEventsSchema from 'cloudevents/dist/schema/v1.js';
import {
  MalformedMessageError,
  SchemaViolationError,
  UnsupportedEventTypeError,
} from '../errors.ts';
import * as z from '../zod.ts';

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

/**
 * zod schemas of `data` by CloudEvents `type` (`zod/mini` or `zod`). Declare it `as const`-keyed
 * to get typed events.
 */
export type ConsumerSchemas = Readonly<Record<string, z.core.$ZodType>>;

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

/** The CloudEvents specification version consumers accept (the only one the ingest publishes). */
const SPEC_VERSION = '1.0';

/**
 * Attributes the CloudEvents SDK (10.x) does not check as extensions: the 1.0 context attributes
 * and CloudEvents 0.3's `schemaurl` and `datacontentencoding`.
 */
const NOT_EXTENSIONS = new Set([...CONTEXT_ATTRIBUTES, 'schemaurl', 'datacontentencoding']);

/** CloudEvents attribute names: lowercase ASCII letters and digits. */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** An error of the precompiled JSON schema validator (ajv). */
interface SchemaError {
  readonly instancePath?: string;
  readonly message?: string;
}

const validateSchema = validateCloudEventsSchema as typeof validateCloudEventsSchema & {
  errors?: readonly SchemaError[] | null;
};

/**
 * Parses an SQS message body holding a structured-mode CloudEvent (JSON) and checks it against
 * the CloudEvents 1.0 spec.
 *
 * The checks are the CloudEvents SDK's (`new CloudEvent(json)`, strict), without the SDK's
 * constructor:
 * - the spec's JSON schema, with the SDK's own precompiled validator: required `id`, `source`,
 *   `specversion` and `type` as non-empty strings, `source` a URI reference, `dataschema` a URI,
 *   `time` an RFC 3339 date-time, the optional attributes strings (or `null`);
 * - extension names of lowercase letters and digits only, and extension values of the
 *   CloudEvents type system (the SDK's check: no non-integer numbers);
 * - no `schemaurl` (CloudEvents 0.3) on a 1.0 event;
 * - `data_base64` decodable (to bytes, as `data`, when there is no `data`).
 * Stricter than the SDK where it would accept an event silently: it makes up an `id` (a random
 * UUID, which would defeat idempotency) and a `time` when they are missing or empty, defaults a
 * missing `specversion` to 1.0, and skips all validation for other spec versions. Here `id` must
 * be given, `specversion` must be `1.0`, and `time`, when set, must be a valid one (`null`
 * counts as unset, as the JSON format says).
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
  const raw = json as Record<string, unknown>;
  const problems = specProblems(raw);
  if (problems.length > 0) {
    throw new MalformedMessageError(
      `message body is not a valid CloudEvent: ${problems.join('; ')}`
    );
  }
  let decoded: Uint8Array | undefined;
  if (raw.data_base64) {
    try {
      decoded = base64Bytes(String(raw.data_base64));
    } catch (error) {
      throw new MalformedMessageError(
        'message body is not a valid CloudEvent: /data_base64 is not valid base64',
        { cause: error }
      );
    }
  }
  const extensions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!CONTEXT_ATTRIBUTES.has(name)) extensions[name] = value;
  }
  return {
    // Strings: checked by the schema above.
    specversion: raw.specversion as string,
    id: raw.id as string,
    source: raw.source as string,
    type: raw.type as string,
    subject: optionalString(raw.subject),
    time: optionalString(raw.time),
    datacontenttype: optionalString(raw.datacontenttype),
    dataschema: optionalString(raw.dataschema),
    // JSON `data` is taken as it is; `data_base64` is decoded into bytes.
    data: 'data' in raw ? raw.data : decoded,
    extensions,
  };
}

/** What makes `raw` an invalid CloudEvent 1.0; empty when it is a valid one. */
function specProblems(raw: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  if (raw.specversion !== undefined && raw.specversion !== SPEC_VERSION) {
    problems.push(
      `/specversion must be '${SPEC_VERSION}', but ${JSON.stringify(raw.specversion)} was provided`
    );
  }
  if (raw.schemaurl) {
    problems.push(`/schemaurl is not a CloudEvents ${SPEC_VERSION} attribute (use dataschema)`);
  }
  for (const [name, value] of Object.entries(raw)) {
    if (NOT_EXTENSIONS.has(name)) continue;
    if (!ATTRIBUTE_NAME.test(name)) {
      problems.push(
        `invalid attribute name ${JSON.stringify(name)}: CloudEvents attribute names are lowercase letters a-z and digits 0-9`
      );
    } else if (typeof value === 'number' && !Number.isInteger(value)) {
      problems.push(
        `/${name} must be a value of the CloudEvents type system, but ${value} (not an integer) was provided`
      );
    }
  }
  if (problems.length === 0 && !validateSchema(raw)) {
    for (const error of validateSchema.errors ?? []) {
      problems.push(`${error.instancePath || '(event)'} ${error.message ?? ''}`.trim());
    }
    if (problems.length === 0) problems.push('(event) does not match the CloudEvents schema');
  }
  return problems;
}

/** Decodes base64 as the CloudEvents SDK does (`atob`, which throws on invalid input). */
function base64Bytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
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
  const result = z.safeParse(schema, event.data);
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
