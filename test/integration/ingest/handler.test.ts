/**
 * The Lambda entry point itself: configuration from the environment at cold start, SDK clients
 * with default config pointed at the emulators through AWS_ENDPOINT_URL_*.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../functions/shared/contract.ts';
import { apiGatewayProxyEvent, lambdaContext } from '../../helpers/api-gateway.ts';
import { LOCAL_AWS } from '../../helpers/emulators.ts';
import {
  bodies,
  type IngestFixture,
  jsonBody,
  orderPlaced,
  startIngestFixture,
} from './ingest-fixture.ts';

describe('ingest handler (environment, fauxqs + dynalite)', () => {
  let fixture: IngestFixture;

  beforeAll(async () => {
    fixture = await startIngestFixture();
    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SNS: fixture.emulators.messagingEndpoint,
      AWS_ENDPOINT_URL_SQS: fixture.emulators.messagingEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: fixture.emulators.dynamoDbEndpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [ENV.TABLE_NAME]: fixture.tableName,
      [ENV.MAX_REQUEST_BYTES]: '1048576',
      [ENV.IDEMPOTENCY_TTL_SECONDS]: '3600',
      [ENV.STATUS_TTL_SECONDS]: '3600',
    });
  });
  afterAll(() => fixture.stop());

  it('fails at cold start if a variable is missing', async () => {
    // Prepare
    delete process.env[ENV.ROUTES];
    vi.resetModules();
    // Act / Assess
    await expect(import('../../../functions/ingest/handler.ts')).rejects.toThrow(
      /^PIPELINE_ROUTES environment variable is not set$/
    );
  });

  it('fails at cold start if a number is malformed', async () => {
    // Prepare
    process.env[ENV.ROUTES] = JSON.stringify(fixture.routes);
    process.env[ENV.MAX_REQUEST_BYTES] = 'lots';
    vi.resetModules();
    // Act / Assess
    await expect(import('../../../functions/ingest/handler.ts')).rejects.toThrow(
      /^MAX_REQUEST_BYTES environment variable must be a positive integer, but 'lots' was provided$/
    );
    process.env[ENV.MAX_REQUEST_BYTES] = '1048576';
  });

  it('accepts an event and reports its status through the exported handler', async () => {
    // Prepare
    process.env[ENV.ROUTES] = JSON.stringify(fixture.routes);
    vi.resetModules();
    const { handler } = await import('../../../functions/ingest/handler.ts');
    // Act
    const accepted = await handler(
      apiGatewayProxyEvent({
        path: '/topics/orders/events',
        headers: { 'Content-Type': 'application/cloudevents+json' },
        body: orderPlaced('h-1'),
      }),
      lambdaContext()
    );
    const status = await handler(
      apiGatewayProxyEvent({ method: 'GET', path: '/events/h-1' }),
      lambdaContext()
    );
    // Assess
    expect(accepted.statusCode).toBe(202);
    expect(bodies(await fixture.drain('inventory')).map((e) => e.id)).toEqual(['h-1']);
    expect(status.statusCode).toBe(200);
    expect(jsonBody(status)).toMatchObject({
      id: 'h-1',
      subscribers: [{ name: 'audit' }, { name: 'inventory' }],
    });
  });
});
