/**
 * Errors of the consumer runtime and of the consumers built on it.
 *
 * Every failure of a record is classified as retryable (the runtime backs off and lets SQS
 * redeliver it) or permanent (the runtime moves it to the dead-letter queue at once). Throw a
 * {@link PermanentError} (or a subclass) from a consumer when retrying cannot help; anything
 * else is retried until the source queue's maxReceiveCount.
 *
 * @see https://github.com/kibertoad/message-queue-toolkit (RetryMessageLaterError / DoNotProcessError)
 */

/** Base class of every error the consumer runtime defines. */
export class ConsumerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConsumerError';
  }
}

/**
 * A failure that no retry can fix (bad data, a business rule that rejects the event): the
 * runtime sends the message to the dead-letter queue at once, with this error as the reason.
 *
 * @example
 * if (order.total.amount === 0) throw new PermanentError(`order ${order.orderId} has no total`);
 */
export class PermanentError extends ConsumerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * A failure that a later attempt may not have (a dependency not ready yet, a throttle): the
 * runtime backs off and SQS redelivers the message. Any error that is not a
 * {@link PermanentError} is treated this way; this class only makes the intent explicit.
 */
export class RetryableError extends ConsumerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** The SQS message body is not a structured-mode CloudEvent (bad JSON, missing attributes). */
export class MalformedMessageError extends PermanentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedMessageError';
  }
}

/** The event's `data` does not match the zod schema of its `type`. */
export class SchemaViolationError extends PermanentError {
  /** CloudEvents `type` whose schema rejected the data. */
  readonly eventType: string;

  constructor(eventType: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SchemaViolationError';
    this.eventType = eventType;
  }
}

/** The consumer has no schema for the event's `type` and does not accept other types. */
export class UnsupportedEventTypeError extends PermanentError {
  /** The CloudEvents `type` received. */
  readonly eventType: string;

  constructor(eventType: string, options?: ErrorOptions) {
    super(`event type ${eventType} is not handled by this consumer`, options);
    this.name = 'UnsupportedEventTypeError';
    this.eventType = eventType;
  }
}

/** A fault injected by the test hook (`testfault` extension, `transient:<n>`). */
export class InjectedFaultError extends RetryableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InjectedFaultError';
  }
}

/** Sending a failed message to the dead-letter queue failed; the message stays in its queue. */
export class DeadLetterSendError extends RetryableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeadLetterSendError';
  }
}

/** A required environment variable is missing or invalid (thrown at cold start). */
export class ConfigurationError extends ConsumerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}
