/** One thing wrong with a CloudEvent in a request. */
export interface CloudEventIssue {
  /** Index of the event in a batch (absent outside batch mode). */
  readonly index?: number;
  /** JSON Pointer (RFC 6901) into the request body, when the problem is in the body. */
  readonly pointer?: string;
  /** Request header at fault (binary mode). */
  readonly header?: string;
  /** What is wrong, naming the attribute and the rule. */
  readonly detail: string;
}

/** Base class of the errors raised while reading CloudEvents from an HTTP request. */
export class CloudEventsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CloudEventsError';
  }
}

/** The request's content type is not a CloudEvents HTTP binding mode this parser accepts. */
export class UnsupportedContentTypeError extends CloudEventsError {
  constructor(
    message: string,
    public readonly contentType: string | undefined
  ) {
    super(message);
    this.name = 'UnsupportedContentTypeError';
  }
}

/** The request body is not valid JSON, or not the JSON shape the mode needs. */
export class MalformedBodyError extends CloudEventsError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedBodyError';
  }
}

/** A batch holds more events than one request may carry. */
export class BatchTooLargeError extends CloudEventsError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BatchTooLargeError';
  }
}

/**
 * One or more events break the CloudEvents 1.0 specification or the schema of their `type`.
 *
 * Every issue found is listed, so a client can fix a whole batch in one round trip.
 */
export class InvalidCloudEventError extends CloudEventsError {
  constructor(
    message: string,
    public readonly issues: readonly CloudEventIssue[]
  ) {
    super(message);
    this.name = 'InvalidCloudEventError';
  }
}
