import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/shared/contract.ts';
import { SHOP_EVENT_TYPES } from '../../../functions/shop/schemas.ts';
import { shopKeys } from '../../../functions/shop/shop-store.ts';
import {
  createPipelineTable,
  type Emulators,
  LOCAL_AWS,
  startEmulators,
} from '../../helpers/emulators.ts';
import {
  cloudEventFactory,
  cloudEventMessage,
  orderCancelledFactory,
  orderPaidFactory,
  orderPlacedFactory,
  paymentRequestedFactory,
  type StructuredCloudEvent,
  shipmentTrackedFactory,
} from '../../helpers/factories.ts';
import { SqsLambdaDriver, type SqsLambdaHandler } from '../../helpers/sqs-lambda-driver.ts';
import { createTestQueues, getItem, type TestQueues, waitFor } from '../consumer/fixture.ts';

const TABLE = 'pipeline';

/** A shop consumer: its real handler.ts, loaded with the environment the stack would set. */
interface LoadedConsumer {
  readonly queues: TestQueues;
  readonly driver: SqsLambdaDriver;
  readonly fifo: boolean;
}

describe('shop consumers (handler.ts against fauxqs + dynalite)', () => {
  let emulators: Emulators;
  const consumers: Record<string, LoadedConsumer> = {};

  /**
   * Imports a consumer's handler.ts after setting its environment: the module reads it at
   * load time, as a Lambda cold start does, and builds its SDK clients from the endpoint
   * variables.
   */
  async function load(name: string, fifo = false): Promise<void> {
    const queues = await createTestQueues(emulators.sqs, `${name}-${randomUUID().slice(0, 6)}`, {
      fifo,
      maxReceiveCount: 3,
    });
    Object.assign(process.env, {
      [ENV.CONSUMER_NAME]: name,
      [ENV.SOURCE_QUEUE_URL]: endpointUrl(queues.queueUrl),
      [ENV.DEAD_LETTER_QUEUE_URL]: endpointUrl(queues.deadLetterQueueUrl),
      [ENV.SOURCE_QUEUE_FIFO]: String(fifo),
    });
    const module = (await import(`../../../functions/${name}/handler.ts`)) as {
      handler: SqsLambdaHandler;
    };
    consumers[name] = {
      queues,
      fifo,
      driver: new SqsLambdaDriver({
        sqs: emulators.sqs,
        queueUrl: queues.queueUrl,
        handler: module.handler,
        functionName: name,
      }),
    };
  }

  beforeAll(async () => {
    emulators = await startEmulators();
    await createPipelineTable(emulators.dynamoDb, TABLE);
    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: emulators.messagingEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoDbEndpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [ENV.TABLE_NAME]: TABLE,
      [ENV.MAX_RECEIVE_COUNT]: '3',
      [ENV.BACKOFF_BASE_SECONDS]: '1',
      [ENV.BACKOFF_MAX_SECONDS]: '10',
      [ENV.IDEMPOTENCY_TTL_SECONDS]: '3600',
      [ENV.STATUS_TTL_SECONDS]: '3600',
      [ENV.TEST_HOOKS]: 'true',
    });
    for (const name of ['inventory', 'shipping', 'audit', 'payments']) await load(name);
    await load('tracker', true);
  });
  afterAll(() => emulators?.stop());

  /**
   * The queue URL on the emulator's endpoint: fauxqs names hosts `sqs.<region>.<host>`, which
   * is not a valid URL host for an IP address, and the SDK then warns on every call.
   */
  function endpointUrl(queueUrl: string): string {
    return emulators.messagingEndpoint + queueUrl.slice(queueUrl.indexOf('/', 'http://'.length));
  }

  function consumer(name: string): LoadedConsumer {
    const loaded = consumers[name];
    if (!loaded) throw new Error(`consumer ${name} is not loaded`);
    return loaded;
  }

  async function deliver(name: string, event: StructuredCloudEvent): Promise<void> {
    const { queues, fifo } = consumer(name);
    await emulators.sqs.send(
      new SendMessageCommand(cloudEventMessage(event, queues.queueUrl, { fifo }))
    );
  }

  /** Runs the consumer until its queue is empty, retries (after their backoff) included. */
  async function drain(name: string): Promise<void> {
    const { driver, queues } = consumer(name);
    await waitFor(async () => {
      await driver.pollOnce();
      const { messages } = emulators.fauxqs.inspectQueue(queues.queueName) ?? {};
      const left = (messages?.ready.length ?? 0) + (messages?.inflight.length ?? 0);
      return left === 0 ? true : undefined;
    }, `${name} drained`);
  }

  async function item(key: string) {
    return getItem(emulators.dynamoDb, TABLE, key);
  }

  it('inventory reserves stock on order.placed, once even when delivered twice', async () => {
    // Prepare
    const order = orderPlacedFactory();
    const placed = cloudEventFactory({ type: SHOP_EVENT_TYPES.orderPlaced, data: order });
    await deliver('inventory', placed);
    await deliver('inventory', placed);
    // Act
    await drain('inventory');
    // Assess
    expect(await item(shopKeys.reservation(order.orderId))).toMatchObject({
      state: 'reserved',
      applications: 1,
      items: order.items,
    });
    for (const line of order.items) {
      expect(await item(shopKeys.stock(line.sku))).toMatchObject({
        reserved: line.quantity,
        applications: 1,
      });
    }
  });

  it('inventory releases what the order reserved on order.cancelled', async () => {
    // Prepare
    const order = orderPlacedFactory();
    await deliver(
      'inventory',
      cloudEventFactory({ type: SHOP_EVENT_TYPES.orderPlaced, data: order })
    );
    await drain('inventory');
    const cancelled = orderCancelledFactory({ orderId: order.orderId });
    // Act
    await deliver(
      'inventory',
      cloudEventFactory({ type: SHOP_EVENT_TYPES.orderCancelled, data: cancelled })
    );
    await drain('inventory');
    // Assess
    expect(await item(shopKeys.reservation(order.orderId))).toMatchObject({ state: 'released' });
    expect(await item(shopKeys.release(order.orderId))).toMatchObject({ applications: 1 });
    for (const line of order.items) {
      expect(await item(shopKeys.stock(line.sku))).toMatchObject({ reserved: 0 });
    }
  });

  it('inventory retries a cancellation that arrives before its order, then releases it', async () => {
    // Prepare
    const order = orderPlacedFactory();
    const { driver, queues } = consumer('inventory');
    await deliver(
      'inventory',
      cloudEventFactory({ type: SHOP_EVENT_TYPES.orderCancelled, data: { orderId: order.orderId } })
    );
    // Act
    const early = await driver.pollOnce();
    // Assess: kept for a retry, nothing released
    expect(early?.failed).toHaveLength(1);
    // Still in the queue: in flight, or ready again when the full-jitter delay drew 0 s.
    const { messages } = emulators.fauxqs.inspectQueue(queues.queueName) ?? {};
    expect([
      ...(messages?.ready ?? []),
      ...(messages?.inflight.map((m) => m.message) ?? []),
    ]).toHaveLength(1);
    expect(await item(shopKeys.release(order.orderId))).toBeUndefined();
    // Once the order is placed, the retried cancellation releases its stock.
    await deliver(
      'inventory',
      cloudEventFactory({ type: SHOP_EVENT_TYPES.orderPlaced, data: order })
    );
    await drain('inventory');
    expect(await item(shopKeys.release(order.orderId))).toMatchObject({ applications: 1 });
    for (const line of order.items) {
      expect(await item(shopKeys.stock(line.sku))).toMatchObject({ reserved: 0, applications: 2 });
    }
  });

  it('shipping creates a shipment for a paid order', async () => {
    // Prepare
    const paid = orderPaidFactory();
    await deliver('shipping', cloudEventFactory({ type: SHOP_EVENT_TYPES.orderPaid, data: paid }));
    // Act
    await drain('shipping');
    // Assess
    expect(await item(shopKeys.shipment(paid.orderId))).toMatchObject({
      orderId: paid.orderId,
      paymentId: paid.paymentId,
      state: 'pending',
      applications: 1,
    });
  });

  it('audit records one entry per event, whatever its type', async () => {
    // Prepare
    const events = [
      cloudEventFactory({ type: SHOP_EVENT_TYPES.orderPaid, data: orderPaidFactory() }),
      cloudEventFactory({ type: 'com.example.order.refunded', data: { anything: true } }),
    ];
    for (const event of events) await deliver('audit', event);
    await deliver('audit', events[0] as StructuredCloudEvent);
    // Act
    await drain('audit');
    // Assess
    for (const event of events) {
      expect(await item(shopKeys.audit(event.source, event.id))).toMatchObject({
        type: event.type,
        eventId: event.id,
        applications: 1,
      });
    }
  });

  it('tracker applies tracking updates of an order in FIFO order', async () => {
    // Prepare
    const orderId = `order-${randomUUID()}`;
    for (const sequence of [0, 1, 2, 3]) {
      await deliver(
        'tracker',
        cloudEventFactory({
          type: SHOP_EVENT_TYPES.shipmentTracked,
          partitionkey: orderId,
          data: shipmentTrackedFactory({ orderId, sequence, location: `hub-${sequence}` }),
        })
      );
    }
    // Act
    await drain('tracker');
    // Assess
    const tracking = await item(shopKeys.tracking(orderId));
    const updates = (tracking?.updates ?? []) as { sequence: number }[];
    expect(updates.map((update) => update.sequence)).toEqual([0, 1, 2, 3]);
    expect(tracking?.applications).toBe(4);
  });

  it('payments records a captured payment', async () => {
    // Prepare
    const payment = paymentRequestedFactory();
    await deliver(
      'payments',
      cloudEventFactory({ type: SHOP_EVENT_TYPES.paymentRequested, data: payment })
    );
    // Act
    await drain('payments');
    // Assess
    expect(await item(shopKeys.payment(payment.paymentId))).toMatchObject({
      orderId: payment.orderId,
      state: 'captured',
      total: payment.total,
      applications: 1,
    });
  });
});
