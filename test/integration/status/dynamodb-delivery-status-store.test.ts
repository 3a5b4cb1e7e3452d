import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ConsumerCompletion,
  IConsumerCompletions,
} from '../../../functions/shared/status/consumer-completions.ts';
import { DynamoDbDeliveryStatusStore } from '../../../functions/shared/status/dynamodb-delivery-status-store.ts';
import { createPipelineTable, type Emulators, startEmulators } from '../../helpers/emulators.ts';

describe('DynamoDbDeliveryStatusStore (dynalite)', () => {
  let emulators: Emulators;
  let store: DynamoDbDeliveryStatusStore;

  beforeAll(async () => {
    emulators = await startEmulators();
    await createPipelineTable(emulators.dynamoDb, 'pipeline');
    store = new DynamoDbDeliveryStatusStore({
      tableName: 'pipeline',
      client: emulators.dynamoDb,
      ttlSeconds: 3600,
    });
  });
  afterAll(() => emulators.stop());

  it('reports expected consumers as in_progress until they report', async () => {
    // Prepare
    await store.recordAccepted([
      {
        id: 'e-1',
        source: '/shop',
        type: 'com.example.order.placed',
        destination: 'stream:orders',
        consumers: ['inventory', 'audit'],
        acceptedAt: '2026-11-25T00:00:00.000Z',
      },
    ]);
    // Act
    await store.recordOutcome({
      id: 'e-1',
      source: '/shop',
      consumer: 'audit',
      state: 'succeeded',
      attempts: 1,
    });
    const [view] = await store.getStatus('e-1');
    // Assess
    expect(view?.done).toBe(false);
    expect(view?.subscribers.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['audit', 'succeeded', 1],
      ['inventory', 'in_progress', 0],
    ]);
  });

  it('keeps a succeeded delivery succeeded when a late retrying report arrives', async () => {
    // Prepare
    await store.recordOutcome({
      id: 'e-2',
      source: '/shop',
      consumer: 'audit',
      state: 'succeeded',
      attempts: 2,
    });
    // Act
    await store.recordOutcome({
      id: 'e-2',
      source: '/shop',
      consumer: 'audit',
      state: 'retrying',
      attempts: 1,
      lastError: 'late',
    });
    const [view] = await store.getStatus('e-2');
    // Assess
    expect(view?.subscribers).toMatchObject([{ name: 'audit', status: 'succeeded', attempts: 2 }]);
    expect(view?.done).toBe(true);
  });

  it('lets a dead-lettered delivery change again after a redrive', async () => {
    await store.recordOutcome({
      id: 'e-3',
      source: '/shop',
      consumer: 'audit',
      state: 'dead_lettered',
      attempts: 5,
      lastError: 'boom',
    });
    await store.recordOutcome({
      id: 'e-3',
      source: '/shop',
      consumer: 'audit',
      state: 'succeeded',
      attempts: 1,
    });
    const [view] = await store.getStatus('e-3');
    expect(view?.subscribers).toMatchObject([{ name: 'audit', status: 'succeeded' }]);
  });

  it('keeps ids from different sources apart', async () => {
    const accepted = {
      type: 't',
      destination: 'queue:payments',
      consumers: ['payments'],
      acceptedAt: 'x',
    };
    await store.recordAccepted([
      { id: 'same', source: 'urn:a|b', ...accepted },
      { id: 'same', source: 'urn:a', ...accepted },
    ]);
    expect((await store.getStatus('same')).map((v) => v.source)).toEqual(['urn:a', 'urn:a|b']);
    expect((await store.getStatus('same', 'urn:a|b')).map((v) => v.source)).toEqual(['urn:a|b']);
    expect(await store.getStatus('unknown')).toEqual([]);
  });

  it('treats an item past its TTL as gone (DynamoDB deletes expired items only later)', async () => {
    // Prepare: written at 00:00 with a one-hour TTL
    const writtenAt = Date.parse('2026-11-25T00:00:00.000Z');
    const at = (nowMs: number) =>
      new DynamoDbDeliveryStatusStore({
        tableName: 'pipeline',
        client: emulators.dynamoDb,
        ttlSeconds: 3600,
        now: () => nowMs,
      });
    await at(writtenAt).recordAccepted([
      {
        id: 'ttl-1',
        source: '/shop',
        type: 't',
        destination: 'stream:orders',
        consumers: ['audit'],
        acceptedAt: '2026-11-25T00:00:00.000Z',
      },
    ]);
    // Act / Assess
    expect(await at(writtenAt + 3_599_000).getStatus('ttl-1')).toHaveLength(1);
    expect(await at(writtenAt + 3_600_000).getStatus('ttl-1')).toEqual([]);
  });

  describe("with the consumers' completions", () => {
    /** Completions keyed `consumer|source|id`, standing in for the idempotency records. */
    const completed = new Map<string, ConsumerCompletion>();
    const completions: IConsumerCompletions = {
      read: async (consumer, source, id) => completed.get(`${consumer}|${source}|${id}`),
    };
    let withCompletions: DynamoDbDeliveryStatusStore;
    beforeAll(() => {
      withCompletions = new DynamoDbDeliveryStatusStore({
        tableName: 'pipeline',
        client: emulators.dynamoDb,
        ttlSeconds: 3600,
        completions,
      });
    });

    it('reports a consumer that completed without reporting as succeeded', async () => {
      // Prepare
      await withCompletions.recordAccepted([
        {
          id: 'c-1',
          source: '/shop',
          type: 't',
          destination: 'stream:orders',
          consumers: ['audit', 'inventory'],
          acceptedAt: '2026-11-25T00:00:00.000Z',
        },
      ]);
      completed.set('audit|/shop|c-1', { completedAt: '2026-11-25T00:00:01.000Z', attempt: 1 });
      // Act
      const [view] = await withCompletions.getStatus('c-1');
      // Assess
      expect(view?.subscribers).toEqual([
        {
          name: 'audit',
          status: 'succeeded',
          attempts: 1,
          lastError: undefined,
          updatedAt: '2026-11-25T00:00:01.000Z',
        },
        { name: 'inventory', status: 'in_progress', attempts: 0 },
      ]);
      expect(view?.done).toBe(false);
    });

    it('lets a completion override a dead-lettered or retrying report (redrive, duplicate copy)', async () => {
      // Prepare
      await withCompletions.recordOutcome({
        id: 'c-2',
        source: '/shop',
        consumer: 'payments',
        state: 'dead_lettered',
        attempts: 4,
        lastError: 'exhausted: boom',
      });
      completed.set('payments|/shop|c-2', { completedAt: '2026-11-25T00:10:00.000Z', attempt: 1 });
      // Act
      const [view] = await withCompletions.getStatus('c-2');
      // Assess
      expect(view?.subscribers).toMatchObject([
        { name: 'payments', status: 'succeeded', attempts: 4, lastError: 'exhausted: boom' },
      ]);
      expect(view?.done).toBe(true);
    });
  });
});
