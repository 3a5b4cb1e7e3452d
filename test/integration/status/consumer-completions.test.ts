import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TABLE_KEYS } from '../../../functions/shared/contract.ts';
import {
  CONSUMER_IDEMPOTENCY_KEY_JMESPATH,
  consumerIdempotencyKeyPrefix,
  PowertoolsConsumerCompletions,
} from '../../../functions/shared/status/consumer-completions.ts';
import { createPipelineTable, type Emulators, startEmulators } from '../../helpers/emulators.ts';

const TABLE = 'completions';

describe('PowertoolsConsumerCompletions (dynalite, records written by Powertools)', () => {
  let emulators: Emulators;
  let completions: PowertoolsConsumerCompletions;

  beforeAll(async () => {
    emulators = await startEmulators();
    await createPipelineTable(emulators.dynamoDb, TABLE);
    completions = new PowertoolsConsumerCompletions({
      tableName: TABLE,
      client: emulators.dynamoDb,
    });
  });
  afterAll(() => emulators.stop());
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A persistence layer configured as the consumer runtime configures its own. */
  function consumerLayer(consumer: string, expiresAfterSeconds = 3600): DynamoDBPersistenceLayer {
    const layer = new DynamoDBPersistenceLayer({
      tableName: TABLE,
      keyAttr: TABLE_KEYS.partitionKey,
      expiryAttr: TABLE_KEYS.timeToLive,
      awsSdkV3Client: emulators.dynamoDb,
    });
    layer.configure({
      config: new IdempotencyConfig({
        eventKeyJmesPath: CONSUMER_IDEMPOTENCY_KEY_JMESPATH,
        expiresAfterSeconds,
      }),
      keyPrefix: consumerIdempotencyKeyPrefix(consumer),
    });
    return layer;
  }

  it('reads a completed record with its stored time and attempt', async () => {
    // Prepare
    const event = { source: '/shop', id: 'done-1' };
    const layer = consumerLayer('audit');
    await layer.saveInProgress(event, 10_000);
    await layer.saveSuccess(event, { completedAt: '2026-11-25T00:00:00.000Z', attempt: 2 });
    // Act / Assess
    expect(await completions.read('audit', '/shop', 'done-1')).toEqual({
      completedAt: '2026-11-25T00:00:00.000Z',
      attempt: 2,
    });
    // Another consumer, source or id has no completion.
    expect(await completions.read('inventory', '/shop', 'done-1')).toBeUndefined();
    expect(await completions.read('audit', '/other', 'done-1')).toBeUndefined();
  });

  it('does not count an in-progress record as completed', async () => {
    // Prepare
    const event = { source: '/shop', id: 'running-1' };
    await consumerLayer('audit').saveInProgress(event, 10_000);
    // Act / Assess
    expect(await completions.read('audit', '/shop', 'running-1')).toBeUndefined();
  });

  it('still counts a completed record past its expiry (DynamoDB deletes it later)', async () => {
    // Prepare
    const event = { source: '/shop', id: 'old-1' };
    const layer = consumerLayer('shipping', 60);
    await layer.saveInProgress(event, 10_000);
    await layer.saveSuccess(event, { completedAt: '2026-11-25T00:00:00.000Z', attempt: 1 });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    // Act / Assess
    expect(await completions.read('shipping', '/shop', 'old-1')).toMatchObject({ attempt: 1 });
  });
});
