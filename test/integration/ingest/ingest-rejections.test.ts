import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestHandler } from '../../../functions/ingest/ingest.ts';
import { apiGatewayProxyEvent, lambdaContext } from '../../helpers/api-gateway.ts';
import {
  FIXTURE_MAX_REQUEST_BYTES,
  type IngestFixture,
  jsonBody,
  orderPaid,
  orderPlaced,
  startIngestFixture,
} from './ingest-fixture.ts';

const STRUCTURED = { 'Content-Type': 'application/cloudevents+json' };
const BATCH = { 'Content-Type': 'application/cloudevents-batch+json' };
const ORDERS = '/topics/orders/events';

interface RejectionCase {
  readonly name: string;
  readonly request: APIGatewayProxyEvent;
  readonly status: number;
  readonly type: string;
  readonly detail: RegExp;
  /** Expected `errors` entries (subset match), when the problem lists them. */
  readonly errors?: readonly Record<string, unknown>[];
  /** Event ids that must not be recorded. */
  readonly ids: readonly string[];
  readonly headers?: Record<string, string>;
}

const structured = (body: unknown, path = ORDERS) =>
  apiGatewayProxyEvent({ path, headers: STRUCTURED, body });

const CASES: readonly RejectionCase[] = [
  // Found by test/e2e/ingest-fuzz.test.ts: each was a 500, or accepted then dead-lettered.
  {
    name: 'data nested 100 000 levels deep',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: STRUCTURED,
      body: JSON.stringify(orderPlaced('f1', { data: '@' })).replace(
        '"@"',
        `${'['.repeat(100_000)}${']'.repeat(100_000)}`
      ),
    }),
    status: 400,
    type: 'malformed-body',
    detail: /^the request body nests JSON more than 64 levels deep \(structured mode\)/,
    ids: ['f1'],
  },
  {
    name: 'a batch of 101 events',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: BATCH,
      body: Array.from({ length: 101 }, (_, i) => orderPlaced(`f2-${i}`)),
    }),
    status: 413,
    type: 'batch-too-large',
    detail: /^the batch has 101 events, over the limit of 100; send it in several requests$/,
    ids: ['f2-0', 'f2-100'],
  },
  {
    name: 'a source too long for the table keys',
    request: structured(orderPlaced('f3', { source: `/${'s'.repeat(600)}` })),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /^attribute 'source' is 601 bytes, over the limit of 500 bytes$/,
    errors: [{ pointer: '/source' }],
    ids: ['f3'],
  },
  {
    name: 'an id with a control character',
    request: structured(orderPlaced('f4\u0007')),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /attribute 'id' must be a CloudEvents String/,
    ids: [],
  },
  {
    name: 'bad JSON',
    request: apiGatewayProxyEvent({ path: ORDERS, headers: STRUCTURED, body: '{"id": "x1",' }),
    status: 400,
    type: 'malformed-body',
    detail: /^the request body is not valid JSON \(structured mode\): /,
    ids: ['x1'],
  },
  {
    name: 'a structured body that is not an object',
    request: structured([orderPlaced('x2')]),
    status: 400,
    type: 'malformed-body',
    detail:
      /a structured-mode body must be a JSON object \(one CloudEvent\), but an array was provided/,
    ids: ['x2'],
  },
  {
    name: 'a missing attribute',
    request: structured(orderPlaced('x3', { source: undefined })),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /^invalid CloudEvent: missing required attribute 'source'$/,
    errors: [{ pointer: '/source', detail: "missing required attribute 'source'" }],
    ids: ['x3'],
  },
  {
    name: 'a wrong specversion',
    request: structured(orderPlaced('x4', { specversion: '0.3' })),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /attribute 'specversion' must be '1.0', but '0.3' was provided/,
    ids: ['x4'],
  },
  {
    name: 'an invalid time',
    request: structured(orderPlaced('x5', { time: 'yesterday' })),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /attribute 'time' must be an RFC 3339 timestamp, but 'yesterday' was provided/,
    ids: ['x5'],
  },
  {
    name: 'an extension that is an object',
    request: structured(orderPlaced('x6', { tenant: { name: 'acme' } })),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /extension 'tenant' must be a string, an integer or a boolean, but an object/,
    ids: ['x6'],
  },
  {
    name: 'an invalid extension name',
    request: structured(orderPlaced('x7', { Tenant_Id: 'acme' })),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /attribute name 'Tenant_Id' is invalid/,
    ids: ['x7'],
  },
  {
    name: 'a binary event without ce-type',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: {
        'Content-Type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'x8',
        'ce-source': '/shop',
      },
      body: { orderId: 'o' },
    }),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /missing required header 'ce-type'/,
    errors: [{ header: 'ce-type' }],
    ids: ['x8'],
  },
  {
    name: 'data failing its schema',
    request: structured(
      orderPlaced('x9', {
        data: { ...orderPlaced('x9').data, total: { amount: '19.99', currency: 'EUR' } },
      })
    ),
    status: 400,
    type: 'invalid-data',
    detail:
      /^data\/total\/amount does not match the schema of type 'com\.example\.order\.placed': .*expected number/,
    errors: [{ pointer: '/data/total/amount' }],
    ids: ['x9'],
  },
  {
    name: 'a batch with bad entries (all-or-nothing)',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: BATCH,
      body: [
        orderPlaced('x10-ok'),
        orderPaid('x10-bad', { type: undefined }),
        orderPlaced('x10-ok2'),
        orderPaid('x10-data', { data: { orderId: 'o' } }),
      ],
    }),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /^invalid CloudEvent: entry 1: missing required attribute 'type'$/,
    errors: [{ index: 1, pointer: '/1/type' }],
    ids: ['x10-ok', 'x10-bad', 'x10-ok2', 'x10-data'],
  },
  {
    name: 'a batch whose data fails the schema in one entry',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: BATCH,
      body: [orderPlaced('x11-ok'), orderPaid('x11-data', { data: { orderId: 'o' } })],
    }),
    status: 400,
    type: 'invalid-data',
    detail:
      /^entry 1: data\/paymentId does not match the schema of type 'com\.example\.order\.paid'/,
    errors: [
      { index: 1, pointer: '/1/data/paymentId' },
      { index: 1, pointer: '/1/data/total' },
    ],
    ids: ['x11-ok', 'x11-data'],
  },
  {
    name: 'an empty batch',
    request: apiGatewayProxyEvent({ path: ORDERS, headers: BATCH, body: [] }),
    status: 400,
    type: 'malformed-body',
    detail: /^the batch is empty$/,
    ids: [],
  },
  {
    name: 'the same event twice in a batch',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: BATCH,
      body: [orderPlaced('x12'), orderPlaced('x12')],
    }),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /entry 1 repeats the event of entry 0 \(source '\/shop\/web', id 'x12'\)/,
    errors: [{ index: 1, pointer: '/1/id' }],
    ids: ['x12'],
  },
  {
    name: 'a FIFO stream event without partitionkey',
    request: structured(
      {
        specversion: '1.0',
        id: 'x13',
        source: '/carrier',
        type: 'com.example.shipment.tracked',
        data: { orderId: 'o', sequence: 1, location: 'Lyon' },
      },
      '/topics/tracking/events'
    ),
    status: 400,
    type: 'invalid-cloudevent',
    detail: /stream 'tracking' is FIFO: missing extension 'partitionkey'/,
    errors: [{ pointer: '/partitionkey' }],
    ids: ['x13'],
  },
  {
    name: 'an unknown stream',
    request: structured(orderPlaced('x14'), '/topics/nope/events'),
    status: 404,
    type: 'unknown-stream',
    detail: /^stream 'nope' does not exist; known streams: metrics, orders, tracking$/,
    ids: ['x14'],
  },
  {
    name: 'an unknown queue',
    request: structured(orderPlaced('x15'), '/queues/nope/messages'),
    status: 404,
    type: 'unknown-queue',
    detail: /^queue 'nope' does not exist; known queues: ledger, payments$/,
    ids: ['x15'],
  },
  {
    name: 'a body over the request size limit',
    request: structured(orderPlaced('x16', { padding: 'x'.repeat(FIXTURE_MAX_REQUEST_BYTES) })),
    status: 413,
    type: 'request-too-large',
    detail: new RegExp(`over the limit of ${FIXTURE_MAX_REQUEST_BYTES} bytes`),
    ids: ['x16'],
  },
  {
    name: 'an event over the SNS message size limit',
    request: structured(orderPlaced('x17', { padding: 'x'.repeat(300_000) })),
    status: 413,
    type: 'event-too-large',
    detail:
      /^the event \(id 'x17'\) is \d+ bytes as a message \(body and attributes\), over the 262144-byte limit of SNS and SQS$/,
    ids: ['x17'],
  },
  {
    name: 'a wrong content type',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify(orderPlaced('x18')),
    }),
    status: 415,
    type: 'unsupported-media-type',
    detail: /^content type 'text\/plain' is not supported; send application\/cloudevents\+json/,
    ids: ['x18'],
  },
  {
    name: 'a binary event with non-JSON data',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: {
        'Content-Type': 'text/plain',
        'ce-specversion': '1.0',
        'ce-id': 'x19',
        'ce-source': '/shop',
        'ce-type': 'com.example.note',
      },
      body: 'hello',
    }),
    status: 415,
    type: 'unsupported-media-type',
    detail: /binary mode \(ce-\* headers\) needs JSON data/,
    ids: ['x19'],
  },
  {
    name: 'a wrong method',
    request: apiGatewayProxyEvent({ method: 'PUT', path: ORDERS, headers: STRUCTURED }),
    status: 405,
    type: 'method-not-allowed',
    detail: /^method PUT is not allowed on \/topics\/\{topic\}\/events; allowed: POST$/,
    headers: { Allow: 'POST' },
    ids: [],
  },
  {
    name: 'a bad Idempotency-Key',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: { ...STRUCTURED, 'Idempotency-Key': '"unterminated' },
      body: orderPlaced('x20'),
    }),
    status: 400,
    type: 'invalid-idempotency-key',
    detail: /the Idempotency-Key header must be a quoted string of printable ASCII/,
    ids: ['x20'],
  },
  {
    name: 'a repeated Idempotency-Key',
    request: apiGatewayProxyEvent({
      path: ORDERS,
      headers: { ...STRUCTURED, 'Idempotency-Key': ['"a"', '"b"'] },
      body: orderPlaced('x21'),
    }),
    status: 400,
    type: 'invalid-idempotency-key',
    detail: /the Idempotency-Key header must appear once, but 2 were sent/,
    ids: ['x21'],
  },
];

describe('ingest: client mistakes publish nothing and record nothing (fauxqs + dynalite)', () => {
  let fixture: IngestFixture;
  let ingest: IngestHandler;

  beforeAll(async () => {
    fixture = await startIngestFixture();
    ingest = fixture.handler();
  });
  afterAll(() => fixture.stop());

  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))(
    'fails if the request has %s',
    async (_name, testCase) => {
      // Act
      const result = await ingest(testCase.request, lambdaContext());
      // Assess
      expect(result.statusCode).toBe(testCase.status);
      expect(result.headers?.['Content-Type']).toBe('application/problem+json');
      const problem = jsonBody<{ type: string; title: string; status: number; detail: string }>(
        result
      );
      expect(problem).toMatchObject({
        type: `tag:event-pipeline,2026:problem/${testCase.type}`,
        status: testCase.status,
      });
      expect(problem.title).toEqual(expect.any(String));
      expect(problem.detail).toMatch(testCase.detail);
      if (testCase.errors) {
        expect(jsonBody<{ errors: unknown[] }>(result).errors).toEqual(
          expect.arrayContaining(testCase.errors.map((error) => expect.objectContaining(error)))
        );
      }
      if (testCase.headers) expect(result.headers).toMatchObject(testCase.headers);
      expect(await fixture.drainAll()).toEqual({});
      for (const id of testCase.ids) expect(await fixture.store.getStatus(id)).toEqual([]);
    }
  );

  it('answers 404 for a path the ingest does not serve', async () => {
    // Act
    const result = await ingest(
      apiGatewayProxyEvent({ method: 'GET', path: '/nowhere' }),
      lambdaContext()
    );
    // Assess
    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toMatchObject({
      detail: expect.stringMatching(/^no route for GET \/nowhere/),
    });
  });

  it('answers a generic 500 without internals when the status store fails, and publishes nothing', async () => {
    // Prepare: a real DynamoDB failure (the table does not exist).
    const { DynamoDbDeliveryStatusStore } = await import(
      '../../../functions/shared/status/dynamodb-delivery-status-store.ts'
    );
    const broken = fixture.handler({
      statusStore: new DynamoDbDeliveryStatusStore({
        tableName: 'missing-table',
        client: fixture.emulators.dynamoDb,
        ttlSeconds: 60,
      }),
    });
    // Act
    const result = await broken(structured(orderPlaced('x500')), lambdaContext());
    // Assess
    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({
      type: 'tag:event-pipeline,2026:problem/internal-error',
      title: 'Internal server error',
      status: 500,
      detail: 'the request could not be processed; try again later',
    });
    expect(result.body).not.toMatch(/missing-table|ResourceNotFound/);
    expect(await fixture.drainAll()).toEqual({});
  });
});
