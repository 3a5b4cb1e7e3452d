/**
 * What the ingest refuses: unauthenticated and malformed requests get a precise 4xx and
 * nothing is published.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { SignedHttpClient } from '../../lib/cli/signed-http-client.ts';
import { connectPipeline, type Pipeline, type TestEvent } from './support/pipeline-client.ts';
import { waitUntilDrained } from './support/queues.ts';
import { orderPlaced } from './support/shop-events.ts';

describe('rejected requests publish nothing', () => {
  let pipeline: Pipeline;
  const rejected: TestEvent[] = [];

  beforeAll(async () => {
    pipeline = await connectPipeline();
  });

  /** Proves that nothing of `event` went through: no status, and no audit effect once drained. */
  async function expectNothingPublished(event: TestEvent): Promise<void> {
    // A later valid event is processed, and the audit queue drained, before we look.
    const marker = orderPlaced();
    expect((await pipeline.publish('orders', marker)).status).toBe(202);
    await pipeline.waitUntilDone(marker);
    await waitUntilDrained(pipeline.sqs, pipeline.outputs.consumers.audit?.queueUrl ?? '');
    expect(await pipeline.status(event)).toBeUndefined();
    expect(await pipeline.item(shopKeys.audit(event.source, event.id))).toBeUndefined();
  }

  it('fails with 403 when the request is not signed', async () => {
    // GIVEN
    const event = orderPlaced();
    rejected.push(event);
    // WHEN
    const response = await pipeline.http.request({
      method: 'POST',
      path: 'topics/orders/events',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(event),
      unsigned: true,
    });
    // THEN
    expect(response.status).toBe(403);
    await expectNothingPublished(event);
  });

  it('fails with 403 when the signature is made with the wrong secret', async () => {
    // GIVEN
    const event = orderPlaced();
    const impostor = new SignedHttpClient({
      baseUrl: pipeline.outputs.apiUrl,
      region: pipeline.outputs.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'not-the-secret' },
    });
    // WHEN
    const response = await impostor.request({
      method: 'POST',
      path: 'topics/orders/events',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(event),
    });
    // THEN
    expect(response.status).toBe(403);
    await expectNothingPublished(event);
  });

  it.each([
    [
      'malformed JSON',
      'application/cloudevents+json',
      (event: TestEvent) => `${JSON.stringify(event).slice(0, -3)}`,
      400,
    ],
    [
      'a missing type',
      'application/cloudevents+json',
      (event: TestEvent) => JSON.stringify({ ...event, type: undefined }),
      400,
    ],
    [
      'data violating its schema',
      'application/cloudevents+json',
      (event: TestEvent) => JSON.stringify({ ...event, data: { orderId: 7 } }),
      400,
    ],
    ['an unsupported content type', 'text/plain', (event: TestEvent) => JSON.stringify(event), 415],
  ] as const)(
    'fails with a problem+json %s and publishes nothing',
    async (_case, contentType, body, status) => {
      // GIVEN
      const event = orderPlaced();
      // WHEN
      const response = await pipeline.http.request({
        method: 'POST',
        path: 'topics/orders/events',
        headers: { 'content-type': contentType },
        body: body(event),
      });
      // THEN
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.json).toMatchObject({
        status,
        title: expect.any(String),
        detail: expect.any(String),
      });
      await expectNothingPublished(event);
    }
  );

  it('fails with 404 for an unknown stream and publishes nothing', async () => {
    // GIVEN
    const event = orderPlaced();
    // WHEN
    const response = await pipeline.publish('no-such-stream', event);
    // THEN
    expect(response.status).toBe(404);
    expect(response.text).toMatch(/no-such-stream/);
    await expectNothingPublished(event);
  });

  it('rejects a whole batch when one entry is invalid', async () => {
    // GIVEN
    const good = orderPlaced();
    const bad = { ...orderPlaced(), data: { orderId: '' } };
    // WHEN
    const response = await pipeline.publish('orders', [good, bad]);
    // THEN
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/1/);
    await expectNothingPublished(good);
  });
});
