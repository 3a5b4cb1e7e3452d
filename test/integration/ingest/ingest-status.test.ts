import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestHandler } from '../../../functions/ingest/ingest.ts';
import { apiGatewayProxyEvent, lambdaContext } from '../../helpers/api-gateway.ts';
import { type IngestFixture, jsonBody, orderPlaced, startIngestFixture } from './ingest-fixture.ts';

const STRUCTURED = { 'Content-Type': 'application/cloudevents+json' };

describe('ingest: GET /events/{id} (dynalite)', () => {
  let fixture: IngestFixture;
  let ingest: IngestHandler;
  const get = (id: string, query?: Record<string, string>) =>
    ingest(
      apiGatewayProxyEvent({ method: 'GET', path: `/events/${encodeURIComponent(id)}`, query }),
      lambdaContext()
    );

  beforeAll(async () => {
    fixture = await startIngestFixture();
    ingest = fixture.handler({ now: () => Date.parse('2026-11-25T12:00:00Z') });
    for (const source of ['/shop/web', '/shop/app']) {
      const result = await ingest(
        apiGatewayProxyEvent({
          path: '/topics/orders/events',
          headers: STRUCTURED,
          body: orderPlaced(source === '/shop/web' ? 'st-1' : 'st-dup', { source }),
        }),
        lambdaContext()
      );
      expect(result.statusCode).toBe(202);
    }
    await ingest(
      apiGatewayProxyEvent({
        path: '/topics/orders/events',
        headers: STRUCTURED,
        body: orderPlaced('st-dup'),
      }),
      lambdaContext()
    );
  });
  afterAll(() => fixture.stop());

  it('reports each expected subscriber, then the outcomes consumers record', async () => {
    // Prepare
    await fixture.store.recordOutcome({
      id: 'st-1',
      source: '/shop/web',
      consumer: 'inventory',
      state: 'retrying',
      attempts: 2,
      lastError: 'TimeoutError: stock service',
    });
    // Act
    const result = await get('st-1');
    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(jsonBody(result)).toEqual({
      id: 'st-1',
      source: '/shop/web',
      type: 'com.example.order.placed',
      destination: 'stream:orders',
      acceptedAt: '2026-11-25T12:00:00.000Z',
      done: false,
      subscribers: [
        { name: 'audit', status: 'in_progress', attempts: 0, lastError: null, updatedAt: null },
        {
          name: 'inventory',
          status: 'retrying',
          attempts: 2,
          lastError: 'TimeoutError: stock service',
          updatedAt: expect.any(String),
        },
      ],
    });
  });

  it('fails if the event is unknown (404)', async () => {
    // Act
    const result = await get('never-sent');
    // Assess
    expect(result.statusCode).toBe(404);
    expect(result.headers?.['Content-Type']).toBe('application/problem+json');
    expect(jsonBody(result)).toMatchObject({
      type: 'tag:event-pipeline,2026:problem/unknown-event',
      detail: "no event with id 'never-sent' is known",
    });
  });

  it.each([
    ['an id', 'i'.repeat(4000), undefined],
    ['a source', 'st-1', { source: 's'.repeat(4000) }],
  ])(
    'fails if %s is longer than any table key, with a 404 instead of a 500 (found by the fuzz test)',
    async (_case, id, query) => {
      // Act
      const result = await get(id, query);
      // Assess
      expect(result.statusCode).toBe(404);
      expect(jsonBody(result)).toMatchObject({
        type: 'tag:event-pipeline,2026:problem/unknown-event',
      });
    }
  );

  it('fails if the id is known but not from the given source (404)', async () => {
    const result = await get('st-1', { source: '/elsewhere' });
    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toMatchObject({
      detail: "no event with id 'st-1' from source '/elsewhere' is known",
    });
  });

  it('fails if the id was accepted from several sources and none is given (409)', async () => {
    // Act
    const result = await get('st-dup');
    // Assess
    expect(result.statusCode).toBe(409);
    expect(jsonBody(result)).toMatchObject({
      type: 'tag:event-pipeline,2026:problem/ambiguous-event-id',
      detail: "event id 'st-dup' was accepted from 2 sources; add ?source= to choose one",
      sources: [
        {
          source: '/shop/app',
          statusUrl: 'https://api.example.test/prod/events/st-dup?source=%2Fshop%2Fapp',
        },
        {
          source: '/shop/web',
          statusUrl: 'https://api.example.test/prod/events/st-dup?source=%2Fshop%2Fweb',
        },
      ],
    });
  });

  it('returns the status of the chosen source with ?source=', async () => {
    const result = await get('st-dup', { source: '/shop/app' });
    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toMatchObject({ id: 'st-dup', source: '/shop/app' });
  });

  it('fails if the method is not GET (405)', async () => {
    const result = await ingest(
      apiGatewayProxyEvent({ method: 'DELETE', path: '/events/st-1' }),
      lambdaContext()
    );
    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ Allow: 'GET' });
  });
});
