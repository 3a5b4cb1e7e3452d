import { CloudEvent, HTTP, ValidationError } from 'cloudevents';
import {
  BatchTooLargeError,
  type CloudEventIssue,
  InvalidCloudEventError,
  MalformedBodyError,
  UnsupportedContentTypeError,
} from './errors.ts';

/** The media types of the CloudEvents HTTP binding this parser accepts. */
export const CLOUDEVENTS_MEDIA_TYPES = {
  /** Structured mode: the whole event is the JSON body. */
  structured: 'application/cloudevents+json',
  /** Batch mode: a JSON array of structured events. */
  batch: 'application/cloudevents-batch+json',
  /** Binary mode: attributes in `ce-*` headers, `data` in the body (JSON only here). */
  binaryData: 'application/json',
} as const;

/** A CloudEvents HTTP binding mode. */
export type CloudEventsMode = 'structured' | 'binary' | 'batch';

/** The parts of an HTTP request the parser reads. */
export interface CloudEventsHttpMessage {
  /** Request headers; names in lowercase. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Request body as text (already base64-decoded). */
  readonly body: string;
}

/** One event of a request. */
export interface ReceivedEvent {
  /** The event, validated against CloudEvents 1.0. */
  readonly event: CloudEvent<unknown>;
  /**
   * The event in structured mode (JSON format), as it is forwarded. Unlike the SDK's
   * `toString()`, it keeps `time` exactly as sent, and absent when the client sent none (the SDK
   * would add the current time and reformat a given one).
   */
  readonly structured: string;
}

/** The events of a request, in request order. */
export interface ParsedCloudEvents {
  /** How the request carried the events. */
  readonly mode: CloudEventsMode;
  /** The events (one unless `mode` is `batch`). */
  readonly events: readonly ReceivedEvent[];
}

/** A parsed `Content-Type` header. */
export interface ContentType {
  /** The media type in lowercase, without parameters. */
  readonly mediaType: string;
  /** Parameters by lowercase name (values unquoted). */
  readonly parameters: Readonly<Record<string, string>>;
}

/** The CloudEvents specification version this parser accepts. */
export const SPEC_VERSION = '1.0';

/**
 * Deepest JSON nesting accepted in a body (objects and arrays). Deeper documents are refused
 * before anything walks them recursively (serializing one 100 000 levels deep overflows the
 * stack); real events nest a few levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Most events in one batch: each is recorded and published within the request, so an unbounded
 * batch could outlast API Gateway's 29 s integration timeout and leave the client without an
 * answer for events that were published.
 */
export const MAX_BATCH_EVENTS = 100;

const REQUIRED_ATTRIBUTES = ['id', 'source', 'specversion', 'type'] as const;
const OPTIONAL_STRING_ATTRIBUTES = ['datacontenttype', 'dataschema', 'subject', 'time'] as const;
/** Context attributes defined by the specification (everything else is an extension). */
export const CONTEXT_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...REQUIRED_ATTRIBUTES,
  ...OPTIONAL_STRING_ATTRIBUTES,
  'data',
  'data_base64',
]);
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const HEADER_PREFIX = 'ce-';
const ACCEPTED_TYPES = `${CLOUDEVENTS_MEDIA_TYPES.structured} (structured), ${CLOUDEVENTS_MEDIA_TYPES.batch} (batch) or ${CLOUDEVENTS_MEDIA_TYPES.binaryData} with ce-* headers (binary)`;

/** Parses a `Content-Type` header value; `undefined` when absent or empty. */
export function parseContentType(value: string | undefined): ContentType | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const [mediaType = '', ...rest] = value.split(';');
  const parameters: Record<string, string> = {};
  for (const parameter of rest) {
    const separator = parameter.indexOf('=');
    if (separator < 0) continue;
    const name = parameter.slice(0, separator).trim().toLowerCase();
    parameters[name] = parameter
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { mediaType: mediaType.trim().toLowerCase(), parameters };
}

/**
 * Tells the binding mode of a request from its headers.
 *
 * Structured and batch mode are chosen by media type; any `ce-*` header means binary mode, whose
 * `data` must be JSON (`application/json` or a `+json` type) because it is forwarded inside a
 * structured JSON event. Only UTF-8 bodies are accepted.
 *
 * @throws UnsupportedContentTypeError naming the content type received and the accepted ones
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#3-http-message-mapping
 */
export function detectMode(headers: Readonly<Record<string, string | undefined>>): CloudEventsMode {
  const raw = headers['content-type'];
  const contentType = parseContentType(raw);
  const charset = contentType?.parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8') {
    throw new UnsupportedContentTypeError(
      `charset '${charset}' is not supported; send the body as UTF-8`,
      raw
    );
  }
  if (contentType?.mediaType === CLOUDEVENTS_MEDIA_TYPES.batch) return 'batch';
  if (contentType?.mediaType === CLOUDEVENTS_MEDIA_TYPES.structured) return 'structured';
  const binary = Object.keys(headers).some((name) => name.startsWith(HEADER_PREFIX));
  if (binary) {
    if (contentType === undefined || !isJsonMediaType(contentType.mediaType)) {
      throw new UnsupportedContentTypeError(
        `binary mode (ce-* headers) needs JSON data: Content-Type must be ${CLOUDEVENTS_MEDIA_TYPES.binaryData} or a +json type, but ${describe(raw)} was provided`,
        raw
      );
    }
    return 'binary';
  }
  throw new UnsupportedContentTypeError(
    `content type ${describe(raw)} is not supported; send ${ACCEPTED_TYPES}`,
    raw
  );
}

/**
 * Reads the CloudEvents of an HTTP request in any of the three modes, validating every event
 * against CloudEvents 1.0 and reporting every issue found (all entries of a batch).
 *
 * The `cloudevents` SDK does the attribute mapping and the specification's schema validation,
 * but some of its behaviours would accept bad input silently, so this function checks first:
 * - its constructor invents an `id` (a UUID) and a `time` when they are missing, and
 *   `HTTP.toEvent` drops falsy attributes, so required attributes are checked on the raw input;
 * - `HTTP.toEvent` replaces an unparsable `ce-time` with the current time and validates neither
 *   structured nor binary events (only batches), so `time` is checked here and every event is
 *   built with the SDK's validating constructor;
 * - its batch parser stops at the first bad entry, so each entry is built on its own;
 * - it accepts objects and `null` as extension values, which the type system does not allow.
 * An attribute whose value is `null` is treated as unset, as the CloudEvents JSON format requires.
 *
 * @throws UnsupportedContentTypeError for a content type that is no CloudEvents mode
 * @throws MalformedBodyError for a body that is not JSON or not the JSON the mode needs
 * @throws InvalidCloudEventError listing every invalid or missing attribute
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
 */
export function parseCloudEvents(message: CloudEventsHttpMessage): ParsedCloudEvents {
  const mode = detectMode(message.headers);
  switch (mode) {
    case 'binary':
      return { mode, events: [parseBinary(message)] };
    case 'structured': {
      const json = parseJson(message.body, 'structured mode');
      if (!isPlainObject(json)) {
        throw new MalformedBodyError(
          `a structured-mode body must be a JSON object (one CloudEvent), but ${jsonKind(json)} was provided`
        );
      }
      return { mode, events: [buildOrThrow([buildEntry(json, bodyLocator(undefined))])] };
    }
    case 'batch': {
      const json = parseJson(message.body, 'batch mode');
      if (!Array.isArray(json)) {
        throw new MalformedBodyError(
          `a batch-mode body must be a JSON array of CloudEvents, but ${jsonKind(json)} was provided`
        );
      }
      if (json.length === 0) throw new MalformedBodyError('the batch is empty');
      if (json.length > MAX_BATCH_EVENTS) {
        throw new BatchTooLargeError(
          `the batch has ${json.length} events, over the limit of ${MAX_BATCH_EVENTS}; send it in several requests`
        );
      }
      const results = json.map((entry, index) => {
        if (!isPlainObject(entry)) {
          return {
            issues: [
              {
                index,
                pointer: `/${index}`,
                detail: `entry ${index} must be a JSON object, but ${jsonKind(entry)} was provided`,
              },
            ],
          };
        }
        return buildEntry(entry, bodyLocator(index));
      });
      return { mode, events: buildAllOrThrow(results) };
    }
  }
}

/** Where an attribute sits in the request, for issues. */
type Locator = (attribute?: string) => Omit<CloudEventIssue, 'detail'>;

interface EntryResult {
  readonly received?: ReceivedEvent;
  readonly issues: readonly CloudEventIssue[];
}

/**
 * Where an attribute of the event at `index` sits in a request of that mode: a JSON Pointer into
 * the body (with the index in batch mode), or the `ce-*` header in binary mode.
 *
 * @param attribute attribute name; `undefined` for the whole event, `data` for its data
 */
export function locateAttribute(
  mode: CloudEventsMode,
  index: number,
  attribute?: string
): Omit<CloudEventIssue, 'detail'> {
  if (mode === 'binary') return headerLocator()(attribute);
  return bodyLocator(mode === 'batch' ? index : undefined)(attribute);
}

function bodyLocator(index: number | undefined): Locator {
  const base = index === undefined ? '' : `/${index}`;
  return (attribute) => ({
    ...(index === undefined ? {} : { index }),
    pointer: attribute === undefined ? base : `${base}/${escapePointer(attribute)}`,
  });
}

function headerLocator(): Locator {
  return (attribute) =>
    attribute === undefined || attribute === 'data'
      ? { pointer: '' }
      : { header: attribute === 'datacontenttype' ? 'content-type' : HEADER_PREFIX + attribute };
}

function buildEntry(raw: Readonly<Record<string, unknown>>, locate: Locator): EntryResult {
  const issues: CloudEventIssue[] = [];
  const issue = (attribute: string | undefined, detail: string) =>
    issues.push({ ...locate(attribute), detail });
  const attributes: Record<string, unknown> = {};

  for (const name of REQUIRED_ATTRIBUTES) {
    const value = raw[name];
    if (value === undefined || value === null) issue(name, `missing required attribute '${name}'`);
    else if (typeof value !== 'string' || value === '') {
      issue(
        name,
        `attribute '${name}' must be a non-empty string, but ${show(value)} was provided`
      );
    } else if (!isCloudEventsString(value)) issue(name, disallowedCharacters(name, value));
    else attributes[name] = value;
  }
  if (typeof raw.specversion === 'string' && raw.specversion !== SPEC_VERSION) {
    issue(
      'specversion',
      `attribute 'specversion' must be '${SPEC_VERSION}', but ${show(raw.specversion)} was provided`
    );
  }
  for (const name of OPTIONAL_STRING_ATTRIBUTES) {
    const value = raw[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value === '') {
      issue(
        name,
        `attribute '${name}' must be a non-empty string, but ${show(value)} was provided`
      );
    } else if (!isCloudEventsString(value)) issue(name, disallowedCharacters(name, value));
    else attributes[name] = value;
  }
  if (typeof attributes.time === 'string' && !isRfc3339(attributes.time)) {
    issue(
      'time',
      `attribute 'time' must be an RFC 3339 timestamp, but ${show(attributes.time)} was provided`
    );
  }
  if (raw.data !== undefined && raw.data_base64 !== undefined) {
    issue('data_base64', "attributes 'data' and 'data_base64' are mutually exclusive");
  }
  if (raw.data !== undefined) attributes.data = raw.data;
  if (raw.data_base64 !== undefined && raw.data_base64 !== null) {
    attributes.data_base64 = raw.data_base64;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (CONTEXT_ATTRIBUTES.has(name) || value === null) continue;
    if (!ATTRIBUTE_NAME.test(name)) {
      issue(
        name,
        `attribute name '${name}' is invalid: CloudEvents attribute names are lowercase letters a-z and digits 0-9`
      );
    } else if (!isExtensionValue(value)) {
      issue(
        name,
        `extension '${name}' must be a string, an integer or a boolean, but ${show(value)} was provided`
      );
    } else if (typeof value === 'string' && !isCloudEventsString(value)) {
      issue(name, disallowedCharacters(name, value));
    } else attributes[name] = value;
  }
  if (issues.length > 0) return { issues };
  return construct(attributes, locate, attributes.time as string | undefined);
}

/**
 * Builds the event with the SDK's validating constructor, translating its errors.
 *
 * @param time the `time` the client sent, if any (the SDK invents one otherwise)
 */
function construct(
  attributes: Record<string, unknown>,
  locate: Locator,
  time: string | undefined
): EntryResult {
  let event: CloudEvent<unknown>;
  try {
    event = new CloudEvent<unknown>(attributes, true);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return { issues: translateSdkError(error, locate) };
  }
  const json: Record<string, unknown> = { ...event.toJSON() };
  if (time === undefined) delete json.time;
  else json.time = time;
  return { received: { event, structured: toMessageJson(json) }, issues: [] };
}

/**
 * The SDK throws `ValidationError('invalid payload', ajvErrors)` whose message is a JSON dump;
 * turn each schema error into `attribute 'source' must match format "uri-reference"`.
 */
function translateSdkError(error: TypeError, locate: Locator): CloudEventIssue[] {
  const details = (error instanceof ValidationError ? error.errors : undefined) ?? [];
  const issues = details.flatMap((detail): CloudEventIssue[] => {
    if (typeof detail !== 'object' || detail === null) return [];
    const { instancePath, message } = detail as { instancePath?: string; message?: string };
    const attribute = instancePath?.replace(/^\//, '') || undefined;
    const text = attribute ? `attribute '${attribute}' ${message}` : `event ${message}`;
    return [{ ...locate(attribute), detail: text }];
  });
  if (issues.length > 0) return issues;
  const [firstLine = error.message] = error.message.split('\n');
  return [{ ...locate(undefined), detail: `invalid CloudEvent: ${firstLine}` }];
}

function parseBinary(message: CloudEventsHttpMessage): ReceivedEvent {
  const issues: CloudEventIssue[] = [];
  const locate = headerLocator();
  const ceHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!name.startsWith(HEADER_PREFIX) || value === undefined) continue;
    const attribute = name.slice(HEADER_PREFIX.length);
    if (!ATTRIBUTE_NAME.test(attribute)) {
      issues.push({
        header: name,
        detail: `header '${name}' does not name a valid attribute: CloudEvents attribute names are lowercase letters a-z and digits 0-9`,
      });
    } else if (!isCloudEventsString(value)) {
      issues.push({ header: name, detail: disallowedCharacters(attribute, value) });
    } else ceHeaders[name] = value;
  }
  for (const attribute of REQUIRED_ATTRIBUTES) {
    const header = HEADER_PREFIX + attribute;
    if (!ceHeaders[header]) issues.push({ header, detail: `missing required header '${header}'` });
  }
  const specversion = ceHeaders[`${HEADER_PREFIX}specversion`];
  if (specversion && specversion !== SPEC_VERSION) {
    issues.push({
      header: `${HEADER_PREFIX}specversion`,
      detail: `header 'ce-specversion' must be '${SPEC_VERSION}', but '${specversion}' was provided`,
    });
  }
  const time = ceHeaders[`${HEADER_PREFIX}time`];
  if (time !== undefined && !isRfc3339(time)) {
    issues.push({
      header: `${HEADER_PREFIX}time`,
      detail: `header 'ce-time' must be an RFC 3339 timestamp, but '${time}' was provided`,
    });
  }
  if (issues.length > 0) throw invalid(issues);
  const data = message.body.trim() === '' ? undefined : parseJson(message.body, 'binary mode');
  let mapped: CloudEvent<unknown>;
  try {
    // The SDK maps ce-* headers to attributes and extensions; data is parsed above so that every
    // JSON media type is handled alike (the SDK parses only a few exact content-type strings).
    mapped = HTTP.toEvent<unknown>({
      headers: { ...ceHeaders, 'content-type': message.headers['content-type'] ?? '' },
      body: undefined,
    }) as CloudEvent<unknown>;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw invalid(translateSdkError(error, locate));
  }
  const result = construct({ ...mapped, data }, locate, time);
  return buildOrThrow([result]);
}

function buildOrThrow(results: readonly EntryResult[]): ReceivedEvent {
  const [received] = buildAllOrThrow(results);
  if (received === undefined) throw invalid([]);
  return received;
}

function buildAllOrThrow(results: readonly EntryResult[]): ReceivedEvent[] {
  const issues = results.flatMap((result) => result.issues);
  if (issues.length > 0) throw invalid(issues);
  return results.flatMap((result) => (result.received ? [result.received] : []));
}

function invalid(issues: readonly CloudEventIssue[]): InvalidCloudEventError {
  const [first] = issues;
  const where = first?.index === undefined ? '' : `entry ${first.index}: `;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new InvalidCloudEventError(
    `invalid CloudEvent: ${where}${first?.detail ?? 'unknown error'}${more}`,
    issues
  );
}

function parseJson(body: string, mode: string): unknown {
  if (body.trim() === '') throw new MalformedBodyError(`the request body is empty (${mode})`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new MalformedBodyError(
      `the request body is not valid JSON (${mode}): ${(error as Error).message}`,
      { cause: error }
    );
  }
  const depth = jsonDepthOver(json, MAX_JSON_DEPTH);
  if (depth !== undefined) {
    throw new MalformedBodyError(
      `the request body nests JSON more than ${MAX_JSON_DEPTH} levels deep (${mode}); flatten the data`
    );
  }
  return json;
}

/**
 * `undefined` when `json` nests at most `limit` levels of objects and arrays, else the first
 * depth found over it. Iterative, so that the check itself cannot overflow the stack.
 */
function jsonDepthOver(json: unknown, limit: number): number | undefined {
  const stack: Array<[unknown, number]> = [[json, 0]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, depth] = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > limit) return depth + 1;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Serializes the structured event that SNS and SQS carry. JSON may hold U+FFFE and U+FFFF raw,
 * but SQS refuses a message body with them (XML 1.0 characters only), which would fail the
 * publish or lose the event at SNS-to-SQS delivery; they are written as `\uFFFE` escapes, the
 * same JSON value. (`JSON.stringify` already escapes control characters and lone surrogates.)
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
export function toMessageJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\uFFFE\uFFFF]/g,
    (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}`
  );
}

/**
 * `true` for a String of the CloudEvents type system: no control characters (U+0000–U+001F,
 * U+007F–U+009F), no noncharacters, no unpaired surrogates.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#type-system
 */
export function isCloudEventsString(value: string): boolean {
  if (!value.isWellFormed()) return false;
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if ((code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe) return false;
  }
  return true;
}

function disallowedCharacters(name: string, value: string): string {
  return `attribute '${name}' must be a CloudEvents String (no control characters, noncharacters or unpaired surrogates), but ${JSON.stringify(value)} was provided`;
}

/** `true` for `application/json` and structured-syntax `+json` media types (RFC 6839). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

function isExtensionValue(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isSafeInteger(value))
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : `${jsonKind(value)} (${JSON.stringify(value)})`;
}

function describe(contentType: string | undefined): string {
  return contentType === undefined || contentType.trim() === '' ? 'none' : `'${contentType}'`;
}

/** Escapes a JSON Pointer reference token (RFC 6901 § 3). */
export function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
