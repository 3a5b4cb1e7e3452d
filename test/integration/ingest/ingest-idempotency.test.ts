import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IngestHandler } from '../../../functions/ingest/ingest.ts';
import { apiGatewayProxyEvent, lambdaContext } from '../../helpers/api-gateway.ts';
import { LOCAL_AWS } from '../../helpers/emulators.ts';
import {
  bodies,
  type IngestFixture,
  jsonBody,
  orderCancelled,
  orderPlaced,
  startIngestFixture,
} from './ingest-fixture.ts';

const STRUCTURED = { 'Content-Type': 'application/cloudevents+json' };
const BATCH = { 'Content-Type': 'application/cloudevents-batch+json' };

const post = (key: string, body: unknown, path = '/topics/orders/events') =>
  apiGatewayProxyEvent({
    path,
    headers: { ...(Array.isArray(body) ? BATCH : STRUCTURED), 'Idempotency-Key': `"${key}"` },
    body,
  });

/** A deferred the test resolves itself. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('ingest: Idempotency-Key (Powertools idempotency on dynalite)', () => {
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

  it('replays the stored response for the same key and body, publishing once', async () => {
    // Prepare
    const event = orderPlaced('i-1');
    // Act
    const first = await ingest(post('key-1', event), lambdaContext());
    const retry = await ingest(post('key-1', event), lambdaContext());
    // Assess
    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(first.statusCode);
    expect(retry.body).toBe(first.body);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(first.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(bodies(await fixture.drain('audit')).map((e) => e.id)).toEqual(['i-1']);
    const { Items = [] } = await fixture.emulators.dynamoDb.send(
      new ScanCommand({ TableName: fixture.tableName })
    );
    const records = Items.filter((item) => item.pk?.S?.startsWith('ingest#'));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: { S: 'COMPLETED' },
      expiresAt: { N: expect.any(String) },
    });
  });

  it('fails if the same key comes with another body (422)', async () => {
    // Prepare
    await ingest(post('key-2', orderPlaced('i-2')), lambdaContext());
    await fixture.drainAll();
    // Act
    const result = await ingest(post('key-2', orderPlaced('i-2b')), lambdaContext());
    // Assess
    expect(result.statusCode).toBe(422);
    expect(jsonBody(result)).toMatchObject({
      type: 'tag:event-pipeline,2026:problem/idempotency-key-reused',
      detail:
        "Idempotency-Key 'key-2' was already used on POST /topics/orders/events with a different request; use a new key for a new request",
    });
    expect(await fixture.drainAll()).toEqual({});
    expect(await fixture.store.getStatus('i-2b')).toEqual([]);
  });

  it('scopes a key to its route: the same key on another stream is a new request', async () => {
    // Act
    const orders = await ingest(post('key-3', orderCancelled('i-3')), lambdaContext());
    const metrics = await ingest(
      post(
        'key-3',
        { specversion: '1.0', id: 'i-3m', source: '/m', type: 'x', zseverity: 'high' },
        '/topics/metrics/events'
      ),
      lambdaContext()
    );
    // Assess
    expect([orders.statusCode, metrics.statusCode]).toEqual([202, 202]);
    expect((await fixture.drain('pager')).length).toBe(1);
  });

  it('accepts an unquoted key as the same key as its quoted form', async () => {
    // Prepare
    const event = orderCancelled('i-4');
    const first = await ingest(post('key-4', event), lambdaContext());
    // Act
    const bare = await ingest(
      apiGatewayProxyEvent({
        path: '/topics/orders/events',
        headers: { ...STRUCTURED, 'Idempotency-Key': 'key-4' },
        body: event,
      }),
      lambdaContext()
    );
    // Assess
    expect(bare.body).toBe(first.body);
    expect(bare.headers?.['Idempotent-Replayed']).toBe('true');
  });

  it('fails if a retry arrives while the first request is still publishing (409)', async () => {
    // Prepare: hold the first request inside SNS Publish until the test lets it go.
    const entered = deferred();
    const release = deferred();
    const sns = new SNSClient({ ...LOCAL_AWS, endpoint: fixture.emulators.messagingEndpoint });
    sns.middlewareStack.add(
      (next) => async (args) => {
        entered.resolve();
        await release.promise;
        return next(args);
      },
      { step: 'initialize', name: 'holdPublish' }
    );
    const held = fixture.handler({ clients: { sns, sqs: fixture.emulators.sqs } });
    const event = orderPlaced('i-5');
    const firstRequest = held(post('key-5', event), lambdaContext());
    await entered.promise;
    // Act
    const concurrent = await ingest(post('key-5', event), lambdaContext());
    release.resolve();
    const first = await firstRequest;
    const after = await ingest(post('key-5', event), lambdaContext());
    // Assess
    expect(concurrent.statusCode).toBe(409);
    expect(jsonBody(concurrent)).toMatchObject({
      type: 'tag:event-pipeline,2026:problem/request-in-progress',
    });
    expect(first.statusCode).toBe(202);
    expect(after.body).toBe(first.body);
    expect(bodies(await fixture.drain('audit')).map((e) => e.id)).toEqual(['i-5']);
    sns.destroy();
  });

  it('processes requests without the header normally, every time', async () => {
    // Prepare
    const request = () =>
      apiGatewayProxyEvent({
        path: '/topics/orders/events',
        headers: STRUCTURED,
        body: orderCancelled('i-6'),
      });
    // Act
    const results: APIGatewayProxyResult[] = [
      await ingest(request(), lambdaContext()),
      await ingest(request(), lambdaContext()),
    ];
    // Assess
    expect(results.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(await fixture.drain('audit')).toHaveLength(2);
  });

  it('does not store a partial publish failure: a retry with the key publishes again', async () => {
    // Prepare: SNS reports entry 1 of the batch as failed (an emulator cannot be made to).
    let failing = true;
    const sns = new SNSClient({ ...LOCAL_AWS, endpoint: fixture.emulators.messagingEndpoint });
    sns.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as {
          PublishBatchRequestEntries?: { Id?: string }[];
        };
        if (!failing || !input.PublishBatchRequestEntries) return next(args);
        const dropped = input.PublishBatchRequestEntries.filter((e) => e.Id === 'e1');
        input.PublishBatchRequestEntries = input.PublishBatchRequestEntries.filter(
          (e) => e.Id !== 'e1'
        );
        const result = await next(args);
        const output = result.output as { Failed?: unknown[] };
        output.Failed = [
          ...(output.Failed ?? []),
          ...dropped.map((e) => ({
            Id: e.Id,
            Code: 'InternalError',
            Message: 'simulated',
            SenderFault: false,
          })),
        ];
        return result;
      },
      { step: 'initialize', name: 'failEntry1' }
    );
    const faulty = fixture.handler({ clients: { sns, sqs: fixture.emulators.sqs } });
    const events = [orderCancelled('i-7a'), orderCancelled('i-7b'), orderCancelled('i-7c')];
    // Act
    const partial = await faulty(post('key-7', events), lambdaContext());
    const publishedFirst = bodies(await fixture.drain('audit')).map((e) => e.id);
    failing = false;
    const retry = await faulty(post('key-7', events), lambdaContext());
    // Assess
    expect(partial.statusCode).toBe(503);
    expect(partial.headers).toMatchObject({
      'Content-Type': 'application/problem+json',
      'Retry-After': '1',
    });
    expect(jsonBody(partial)).toMatchObject({
      type: 'tag:event-pipeline,2026:problem/publish-failed',
      accepted: [
        { id: 'i-7a', source: '/shop/web', statusUrl: expect.any(String) },
        { id: 'i-7c', source: '/shop/web', statusUrl: expect.any(String) },
      ],
      failed: [{ index: 1, id: 'i-7b', source: '/shop/web' }],
    });
    expect(partial.body).not.toMatch(/simulated|InternalError/);
    expect(publishedFirst.sort()).toEqual(['i-7a', 'i-7c']);
    expect(retry.statusCode).toBe(202);
    expect(retry.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(
      bodies(await fixture.drain('audit'))
        .map((e) => e.id)
        .sort()
    ).toEqual(['i-7a', 'i-7b', 'i-7c']);
    sns.destroy();
  });
});
