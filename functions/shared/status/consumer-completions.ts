import {
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KEY_PREFIX, TABLE_KEYS } from '../contract.ts';

/**
 * What a consumer's idempotency record is keyed on (JMESPath over the CloudEvent): CloudEvents
 * `source` + `id` identify an event. Shared by the consumer runtime, which writes the records,
 * and {@link PowertoolsConsumerCompletions}, which reads them.
 */
export const CONSUMER_IDEMPOTENCY_KEY_JMESPATH = '[source, id]';

/** Key prefix of a consumer's idempotency records (Powertools appends the key's hash). */
export function consumerIdempotencyKeyPrefix(consumer: string): string {
  return `${KEY_PREFIX.consumerIdempotency}${consumer}`;
}

/**
 * What a consumer's idempotent step returns, so Powertools stores it in the completed record:
 * the record then says when and at which attempt the effect was applied, and a delivery that
 * succeeds needs no separate status write.
 */
export interface ConsumerCompletion {
  /** ISO 8601 time the effect was applied (absent only in a record not written by this code). */
  readonly completedAt?: string;
  /** Attempt (ApproximateReceiveCount) of the delivery that applied it. */
  readonly attempt: number;
}

/** Reads whether a consumer has applied an event's effect. */
export interface IConsumerCompletions {
  /** The completion of `consumer` for the event `source` + `id`, or `undefined` when none. */
  read(consumer: string, source: string, id: string): Promise<ConsumerCompletion | undefined>;
}

/** Options of {@link PowertoolsConsumerCompletions}. */
export interface PowertoolsConsumerCompletionsProps {
  /** The pipeline table. */
  readonly tableName: string;
  /** A DynamoDB client, built once per Lambda container. */
  readonly client: DynamoDBClient;
}

/**
 * Reads the consumers' completed Powertools idempotency records through Powertools' own
 * persistence layer (same key prefix, JMESPath and hash as the consumer runtime), so the key
 * format stays Powertools' business. One strongly consistent GetItem per call.
 */
export class PowertoolsConsumerCompletions implements IConsumerCompletions {
  /** A persistence layer is configured once, with one key prefix: one per consumer. */
  private readonly layers = new Map<string, DynamoDBPersistenceLayer>();

  constructor(private readonly props: PowertoolsConsumerCompletionsProps) {}

  async read(
    consumer: string,
    source: string,
    id: string
  ): Promise<ConsumerCompletion | undefined> {
    try {
      const record = await this.layer(consumer).getRecord({ source, id });
      const status = record.getStatus();
      // Powertools reads a completed record past its expiry as EXPIRED (DynamoDB deletes it
      // later): the effect was applied all the same. An in-progress record has no result.
      const completed =
        status === IdempotencyRecordStatus.COMPLETED ||
        (status === IdempotencyRecordStatus.EXPIRED && record.responseData !== undefined);
      return completed ? toCompletion(record.responseData) : undefined;
    } catch (error) {
      if (error instanceof IdempotencyItemNotFoundError) return undefined;
      throw error;
    }
  }

  private layer(consumer: string): DynamoDBPersistenceLayer {
    let layer = this.layers.get(consumer);
    if (!layer) {
      layer = new DynamoDBPersistenceLayer({
        tableName: this.props.tableName,
        keyAttr: TABLE_KEYS.partitionKey,
        expiryAttr: TABLE_KEYS.timeToLive,
        awsSdkV3Client: this.props.client,
      });
      layer.configure({
        config: new IdempotencyConfig({ eventKeyJmesPath: CONSUMER_IDEMPOTENCY_KEY_JMESPATH }),
        keyPrefix: consumerIdempotencyKeyPrefix(consumer),
      });
      this.layers.set(consumer, layer);
    }
    return layer;
  }
}

/**
 * A completed record's stored result. A record without one (not written by this code) still
 * counts as applied, at an unknown time.
 */
function toCompletion(data: unknown): ConsumerCompletion {
  const stored = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  return {
    completedAt: typeof stored.completedAt === 'string' ? stored.completedAt : undefined,
    attempt: typeof stored.attempt === 'number' ? stored.attempt : 1,
  };
}
