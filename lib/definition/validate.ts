import { type Duration, Token } from 'aws-cdk-lib';
import {
  DEFAULT_BACKOFF_BASE,
  DEFAULT_BACKOFF_MAX,
  DEFAULT_FUNCTION_TIMEOUT,
  VISIBILITY_TIMEOUT_MULTIPLIER,
} from '../defaults.ts';
import {
  type ConsumerDefinition,
  type FilterPolicy,
  FilterPolicyScope,
  type PipelineDefinition,
} from './types.ts';

/** Names of streams, subscribers and queues: they end up in URLs, construct ids and logs. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/** SNS: at most this many keys in one filter policy (nested keys count). */
export const FILTER_POLICY_MAX_KEYS = 5;

/** SNS: at most this many value combinations in one filter policy. */
export const FILTER_POLICY_MAX_COMBINATIONS = 150;

/**
 * Top-level keys a body-scope filter policy may use: the message body is the structured-mode
 * CloudEvent, whose attribute names are lowercase letters and digits only (CloudEvents 1.0
 * § Attribute Naming Convention), plus the `$or` operator.
 */
const BODY_SCOPE_KEY_PATTERN = /^(?:[a-z0-9]{1,20}|\$or)$/;

/** A definition that cannot be synthesized: the message names the field, the value and the rule. */
export class PipelineDefinitionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PipelineDefinitionError';
  }
}

/**
 * Checks a pipeline definition against the rules of SNS, SQS and Lambda and of this pipeline,
 * and throws at synthesis time rather than at deployment.
 *
 * Values that are unresolved tokens are skipped: they are only known at deployment.
 *
 * @throws PipelineDefinitionError naming the field, the value and the rule, e.g.
 *   `subscribers[audit].batchSize must be between 1 and 10000 inclusive (given 0)`
 */
export function validateDefinition(definition: PipelineDefinition): void {
  const owners = new Map<string, string>();
  const claimName = (field: string, name: string): void => {
    if (!NAME_PATTERN.test(name)) {
      fail(
        `${field} must be 1 to 40 lowercase letters, digits and dashes, starting with a letter (given '${name}')`
      );
    }
    const owner = owners.get(name);
    if (owner !== undefined) {
      fail(
        `${field} must be unique across streams, subscribers and queues (given '${name}', also used by ${owner})`
      );
    }
    owners.set(name, field);
  };

  const fifoByStream = new Map<string, boolean>();
  definition.streams.forEach((stream, index) => {
    claimName(`streams[${index}].name`, stream.name);
    fifoByStream.set(stream.name, stream.fifo ?? false);
  });

  definition.subscribers.forEach((subscriber, index) => {
    claimName(`subscribers[${index}].name`, subscriber.name);
    const field = `subscribers[${subscriber.name}]`;
    const fifo = fifoByStream.get(subscriber.stream);
    if (fifo === undefined) {
      const known = [...fifoByStream.keys()].join(', ') || 'none';
      fail(
        `${field}.stream must name a stream of the definition (given '${subscriber.stream}', streams: ${known})`
      );
    }
    if (subscriber.fifo !== undefined && subscriber.fifo !== fifo) {
      fail(
        `${field}.fifo must match its stream: sns delivers a ${fifo ? 'fifo' : 'standard'} topic only to ${fifo ? 'fifo' : 'standard'} queues (given fifo: ${subscriber.fifo} on ${fifo ? 'fifo' : 'standard'} stream '${subscriber.stream}')`
      );
    }
    validateConsumer(field, subscriber, fifo);
    validateFilterPolicy(field, subscriber.filterPolicy, subscriber.filterPolicyScope);
  });

  definition.queues.forEach((queue, index) => {
    claimName(`queues[${index}].name`, queue.name);
    validateConsumer(`queues[${queue.name}]`, queue, queue.fifo ?? false);
  });
}

function validateConsumer(field: string, consumer: ConsumerDefinition, fifo: boolean): void {
  const timeout = consumer.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
  checkSecondsRange(`${field}.timeout`, timeout, 1, 900);
  checkRange(`${field}.memorySizeMb`, consumer.memorySizeMb, 128, 10_240);

  // SQS event source limits: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
  const maxBatchSize = fifo ? 10 : 10_000;
  const rule = fifo ? ' for a fifo source queue' : '';
  checkRange(`${field}.batchSize`, consumer.batchSize, 1, maxBatchSize, rule);
  const window = consumer.maxBatchingWindow;
  checkSecondsRange(`${field}.maxBatchingWindow`, window, 0, 300);
  if (fifo && window !== undefined && isKnown(window) && window.toMilliseconds() > 0) {
    fail(
      `${field}.maxBatchingWindow must be 0 seconds for a fifo source queue, lambda does not support a batching window on fifo queues (given ${seconds(window)} seconds)`
    );
  }
  const batchSize = consumer.batchSize;
  if (batchSize !== undefined && !Token.isUnresolved(batchSize) && batchSize > 10) {
    if (window === undefined || (isKnown(window) && window.toMilliseconds() < 1000)) {
      fail(
        `${field}.maxBatchingWindow must be at least 1 second when batchSize is over 10 (given ${window === undefined ? 'none' : `${seconds(window)} seconds`}, batchSize ${batchSize})`
      );
    }
  }
  checkRange(`${field}.maxConcurrency`, consumer.maxConcurrency, 2, 1000);
  checkRange(`${field}.maxReceiveCount`, consumer.maxReceiveCount, 1, 1000);

  const visibility = consumer.visibilityTimeout;
  checkSecondsRange(`${field}.visibilityTimeout`, visibility, 0, 43_200);
  if (visibility !== undefined && isKnown(visibility) && isKnown(timeout)) {
    const minimum = timeout.toMilliseconds() * VISIBILITY_TIMEOUT_MULTIPLIER;
    if (visibility.toMilliseconds() < minimum) {
      fail(
        `${field}.visibilityTimeout must be at least ${VISIBILITY_TIMEOUT_MULTIPLIER} times the function timeout of ${seconds(timeout)} seconds, ${minimum / 1000} seconds (given ${seconds(visibility)} seconds)`
      );
    }
  }

  const base = consumer.backoff?.base ?? DEFAULT_BACKOFF_BASE;
  const max = consumer.backoff?.max ?? DEFAULT_BACKOFF_MAX;
  checkWholeSeconds(`${field}.backoff.base`, base);
  checkWholeSeconds(`${field}.backoff.max`, max);
  // SQS caps ChangeMessageVisibility at 12 hours.
  checkSecondsRange(`${field}.backoff.max`, max, 0, 43_200);
  if (isKnown(base) && isKnown(max) && base.toMilliseconds() > max.toMilliseconds()) {
    fail(
      `${field}.backoff.base must be at most backoff.max of ${seconds(max)} seconds (given ${seconds(base)} seconds)`
    );
  }
}

function validateFilterPolicy(
  field: string,
  policy: FilterPolicy | undefined,
  scope: FilterPolicyScope | undefined
): void {
  if (policy === undefined) {
    if (scope !== undefined) {
      fail(`${field}.filterPolicyScope must only be set with a filterPolicy (given '${scope}')`);
    }
    return;
  }
  const bodyScope = scope === FilterPolicyScope.MESSAGE_BODY;
  const keys = Object.keys(policy);
  if (keys.length === 0) {
    fail(`${field}.filterPolicy must have at least one key (given {})`);
  }
  for (const key of keys) {
    if (bodyScope && !BODY_SCOPE_KEY_PATTERN.test(key)) {
      fail(
        `${field}.filterPolicy.${key} must be a cloudevents attribute name (lowercase letters and digits) or data, the message body is the structured-mode cloudevent (given '${key}')`
      );
    }
    if (!bodyScope && !Array.isArray(policy[key]) && key !== '$or') {
      fail(
        `${field}.filterPolicy.${key} must be a list of rules with the MessageAttributes scope, nested policies need filterPolicyScope MessageBody (given ${JSON.stringify(policy[key])})`
      );
    }
  }
  const { keys: keyCount, combinations } = measurePolicy(`${field}.filterPolicy`, policy);
  if (keyCount > FILTER_POLICY_MAX_KEYS) {
    fail(
      `${field}.filterPolicy must have at most ${FILTER_POLICY_MAX_KEYS} keys, nested keys included (given ${keyCount})`
    );
  }
  if (combinations > FILTER_POLICY_MAX_COMBINATIONS) {
    fail(
      `${field}.filterPolicy must have at most ${FILTER_POLICY_MAX_COMBINATIONS} combinations, the product of its rule list lengths (given ${combinations})`
    );
  }
}

/**
 * Counts the keys (nested ones too) and the value combinations of a filter policy, as SNS does:
 * combinations multiply across keys, and the branches of an `$or` add up.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 */
function measurePolicy(
  field: string,
  policy: FilterPolicy
): { keys: number; combinations: number } {
  let keys = 0;
  let combinations = 1;
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        fail(`${field}.$or must be a list of at least 2 policies (given ${JSON.stringify(value)})`);
      }
      let branches = 0;
      for (const branch of value as readonly FilterPolicy[]) {
        const measured = measurePolicy(`${field}.$or`, branch);
        keys += measured.keys;
        branches += measured.combinations;
      }
      combinations *= branches;
      continue;
    }
    keys += 1;
    if (Array.isArray(value)) {
      if (value.length === 0) {
        fail(`${field}.${key} must be a non-empty list of rules (given [])`);
      }
      combinations *= value.length;
    } else if (typeof value === 'object' && value !== null) {
      const nested = measurePolicy(`${field}.${key}`, value as FilterPolicy);
      keys += nested.keys;
      combinations *= nested.combinations;
    } else {
      fail(
        `${field}.${key} must be a list of rules or a nested policy (given ${JSON.stringify(value)})`
      );
    }
  }
  return { keys, combinations };
}

function checkRange(
  field: string,
  value: number | undefined,
  min: number,
  max: number,
  rule = ''
): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer between ${min} and ${max} inclusive${rule} (given ${value})`);
  }
}

function checkSecondsRange(
  field: string,
  value: Duration | undefined,
  min: number,
  max: number
): void {
  if (value === undefined || !isKnown(value)) {
    return;
  }
  const given = seconds(value);
  if (given < min || given > max) {
    fail(`${field} must be between ${min} and ${max} seconds inclusive (given ${given} seconds)`);
  }
}

/** The consumer runtime sets visibility timeouts, which SQS takes in whole seconds. */
function checkWholeSeconds(field: string, value: Duration): void {
  if (isKnown(value) && value.toMilliseconds() % 1000 !== 0) {
    fail(
      `${field} must be a whole number of seconds, sqs visibility timeouts are in seconds (given ${seconds(value)} seconds)`
    );
  }
}

function isKnown(duration: Duration): boolean {
  return !duration.isUnresolved();
}

function seconds(duration: Duration): number {
  return duration.toMilliseconds() / 1000;
}

function fail(message: string): never {
  throw new PipelineDefinitionError(message);
}
