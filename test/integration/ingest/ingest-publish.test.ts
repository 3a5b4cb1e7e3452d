import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IngestHandler } from '../../../functions/ingest/ingest.ts';
import { apiGatewayProxyEvent, lambdaContext } from '../../helpers/api-gateway.ts';
import {
  attributesOf,
  bodies,
  type IngestFixture,
  jsonBody,
  orderCancelled,
  orderPaid,
  orderPlaced,
  startIngestFixture,
} from './ingest-fixture.ts';

const STRUCTURED = { 'Content-Type': 'application/cloudevents+json' };
const BATCH = { 'Content-Type': 'application/cloudevents-batch+json' };

describe('ingest: accepted events (fauxqs + dynalite)', () => {
  let fixture: IngestFixture;
  let ingest: IngestHandler;

  beforeAll(async () => {
    fixture = await startIngestFixture();
    ingest = fixture.handler();
  });
  beforeEach(async () => {
    await fixture.drainAll();
  });
  afterAll(() => fixture.stop());

  it('accepts a structured event, fans it out by filter policy and records it', async () => {
    // Prepare
    const event = orderPlaced('s-1', { tenant: 'acme', priority: 3, urgent: true });
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ path: '/topics/orders/events', headers: STRUCTURED, body: event }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(jsonBody(result)).toEqual({
      accepted: [
        {
          id: 's-1',
          source: '/shop/web',
          statusUrl: 'https://api.example.test/prod/events/s-1?source=%2Fshop%2Fweb',
        },
      ],
    });
    const delivered = await fixture.drainAll();
    expect(Object.keys(delivered).sort()).toEqual(['audit', 'inventory']);
    const [message] = delivered.inventory ?? [];
    expect(JSON.parse(message?.Body ?? '')).toEqual(event);
    expect(attributesOf(message)).toEqual({
      type: 'com.example.order.placed',
      source: '/shop/web',
      subject: 'order/s-1',
      id: 's-1',
      tenant: 'acme',
      priority: '3',
      urgent: 'true',
    });
    const [status] = await fixture.store.getStatus('s-1');
    expect(status).toMatchObject({
      source: '/shop/web',
      type: 'com.example.order.placed',
      destination: 'stream:orders',
      done: false,
    });
    expect(status?.subscribers.map((s) => [s.name, s.status])).toEqual([
      ['audit', 'in_progress'],
      ['inventory', 'in_progress'],
    ]);
  });

  it('accepts a binary event, honours a body filter policy and keeps its extensions', async () => {
    // Prepare
    const data = orderPaid('b-1').data;
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({
        path: '/topics/orders/events',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Ce-Specversion': '1.0',
          'Ce-Id': 'b-1',
          'Ce-Source': '/shop/payments',
          'Ce-Type': 'com.example.order.paid',
          'Ce-Tenant': 'acme',
        },
        body: data,
      }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    const delivered = await fixture.drainAll();
    expect(Object.keys(delivered).sort()).toEqual(['audit', 'shipping']);
    const [message] = delivered.shipping ?? [];
    expect(JSON.parse(message?.Body ?? '')).toMatchObject({
      specversion: '1.0',
      id: 'b-1',
      source: '/shop/payments',
      type: 'com.example.order.paid',
      datacontenttype: 'application/json; charset=utf-8',
      tenant: 'acme',
      data,
    });
    expect(attributesOf(message)).toMatchObject({ type: 'com.example.order.paid', tenant: 'acme' });
    const [status] = await fixture.store.getStatus('b-1');
    expect(status?.subscribers.map((s) => s.name)).toEqual(['audit', 'shipping']);
  });

  it('accepts a batch in request order and routes each event by its filters', async () => {
    // Prepare
    const events = [orderPlaced('batch-1'), orderPaid('batch-2'), orderCancelled('batch-3')];
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ path: '/topics/orders/events', headers: BATCH, body: events }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(jsonBody<{ accepted: { id: string }[] }>(result).accepted.map((e) => e.id)).toEqual([
      'batch-1',
      'batch-2',
      'batch-3',
    ]);
    const delivered = await fixture.drainAll();
    expect(
      bodies(delivered.inventory)
        .map((e) => e.id)
        .sort()
    ).toEqual(['batch-1', 'batch-3']);
    expect(bodies(delivered.shipping).map((e) => e.id)).toEqual(['batch-2']);
    expect(
      bodies(delivered.audit)
        .map((e) => e.id)
        .sort()
    ).toEqual(['batch-1', 'batch-2', 'batch-3']);
  });

  it('publishes a batch larger than one PublishBatch call in chunks', async () => {
    // Prepare
    const events = Array.from({ length: 23 }, (_, i) => orderCancelled(`chunk-${i}`));
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ path: '/topics/orders/events', headers: BATCH, body: events }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    const audit = await fixture.drain('audit');
    expect(audit).toHaveLength(23);
  });

  it('publishes to a FIFO stream with the partition key as group and a source+id dedup id', async () => {
    // Prepare
    const event = {
      specversion: '1.0',
      id: 't-1',
      source: '/carrier',
      type: 'com.example.shipment.tracked',
      partitionkey: 'order-42',
      data: { orderId: 'order-42', sequence: 1, location: 'Lyon' },
    };
    const request = () =>
      ingest(
        apiGatewayProxyEvent({ path: '/topics/tracking/events', headers: STRUCTURED, body: event }),
        lambdaContext()
      );
    // Act
    const first = await request();
    const resent = await request();
    // Assess
    expect([first.statusCode, resent.statusCode]).toEqual([202, 202]);
    const delivered = await fixture.drain('tracker');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.Attributes?.MessageGroupId).toBe('order-42');
    expect(delivered[0]?.Attributes?.MessageDeduplicationId).toBe(
      createHash('sha256')
        .update(JSON.stringify(['/carrier', 't-1']))
        .digest('hex')
    );
    expect(attributesOf(delivered[0])).toMatchObject({ partitionkey: 'order-42' });
  });

  it('sends to a point-to-point queue with the same body and attributes', async () => {
    // Prepare
    const event = {
      specversion: '1.0',
      id: 'pay-1',
      source: '/shop/checkout',
      type: 'com.example.payment.requested',
      region: 'eu',
      data: { paymentId: 'p-1', orderId: 'o-1', total: { amount: 500, currency: 'EUR' } },
    };
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ path: '/queues/payments/messages', headers: STRUCTURED, body: event }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    const [message, ...rest] = await fixture.drain('payments');
    expect(rest).toEqual([]);
    expect(JSON.parse(message?.Body ?? '')).toEqual(event);
    expect(attributesOf(message)).toEqual({
      type: 'com.example.payment.requested',
      source: '/shop/checkout',
      id: 'pay-1',
      region: 'eu',
    });
    const [status] = await fixture.store.getStatus('pay-1');
    expect(status).toMatchObject({ destination: 'queue:payments' });
    expect(status?.subscribers.map((s) => s.name)).toEqual(['payments']);
  });

  it('sends a batch to a FIFO queue with SendMessageBatch, groups from the partition key', async () => {
    // Prepare
    const events = [1, 2, 3].map((n) => ({
      specversion: '1.0',
      id: `l-${n}`,
      source: '/ledger',
      type: 'com.example.ledger.entry',
      partitionkey: n === 2 ? 'account-b' : 'account-a',
      data: { n },
    }));
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ path: '/queues/ledger/messages', headers: BATCH, body: events }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    const delivered = await fixture.drain('ledger');
    expect(
      delivered.map((m) => [JSON.parse(m.Body ?? '{}').id, m.Attributes?.MessageGroupId]).sort()
    ).toEqual([
      ['l-1', 'account-a'],
      ['l-2', 'account-b'],
      ['l-3', 'account-a'],
    ]);
  });

  it('keeps the filtered extension when an event has more attributes than SNS carries', async () => {
    // Prepare: 4 standard attributes + 8 extensions > 10; the `metrics` stream filters on `zseverity`.
    const extensions = Object.fromEntries(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((letter) => [`ext${letter}`, letter])
    );
    const event = {
      specversion: '1.0',
      id: 'm-1',
      source: '/monitor',
      type: 'com.example.metric',
      subject: 'cpu',
      zseverity: 'high',
      ...extensions,
    };
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ path: '/topics/metrics/events', headers: STRUCTURED, body: event }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(jsonBody<{ accepted: unknown[] }>(result).accepted[0]).toMatchObject({
      droppedAttributes: [
        { name: 'extf', reason: 'limit' },
        { name: 'extg', reason: 'limit' },
      ],
    });
    const [message] = await fixture.drain('pager');
    expect(Object.keys(attributesOf(message)).sort()).toEqual([
      'exta',
      'extb',
      'extc',
      'extd',
      'exte',
      'id',
      'source',
      'subject',
      'type',
      'zseverity',
    ]);
    expect(JSON.parse(message?.Body ?? '')).toMatchObject({ extf: 'f', extg: 'g' });
    const [status] = await fixture.store.getStatus('m-1');
    expect(status?.subscribers.map((s) => s.name)).toEqual(['pager']);
  });

  it('records no consumer for an event no subscriber wants, and SNS delivers it nowhere', async () => {
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({
        path: '/topics/metrics/events',
        headers: STRUCTURED,
        body: { specversion: '1.0', id: 'm-2', source: '/monitor', type: 'x', zseverity: 'low' },
      }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(await fixture.drainAll()).toEqual({});
    const [status] = await fixture.store.getStatus('m-2');
    expect(status).toMatchObject({ subscribers: [], done: true });
  });

  it('builds the status URL from X-Forwarded-Proto, Host and the stage', async () => {
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({
        path: '/topics/orders/events',
        stage: 'local',
        headers: { ...STRUCTURED, Host: 'localhost:3000', 'X-Forwarded-Proto': 'http' },
        body: orderPlaced('id with/slash', { source: 'urn:shop' }),
      }),
      lambdaContext()
    );
    // Assess
    expect(jsonBody<{ accepted: { statusUrl: string }[] }>(result).accepted[0]?.statusUrl).toBe(
      'http://localhost:3000/local/events/id%20with%2Fslash?source=urn%3Ashop'
    );
  });
});
