/**
 * The local runtime's REST API server, over real HTTP, with real SigV4 signatures and real
 * worker threads running the hand-written bundles in test/fixtures/functions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../../../lib/cli/sha256.ts';
import { FunctionHost } from '../../../lib/local/function-host.ts';
import type { LocalRestApi } from '../../../lib/local/model.ts';
import { MAX_REQUEST_BODY_BYTES, RestApiServer } from '../../../lib/local/rest-api-server.ts';
import { fixtureFunction, hostOptions, tempDir } from '../../fixtures/functions/local-function.ts';
import { LOCAL_AWS } from '../../helpers/emulators.ts';

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly json: unknown;
}

interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Sign with these credentials; unsigned when absent. */
  readonly sign?: { accessKeyId: string; secretAccessKey: string };
  readonly signingDate?: Date;
  /** Add `x-amz-content-sha256` to the signed headers. @default true */
  readonly contentHash?: boolean;
  /** Send this body instead of the signed one. */
  readonly sendBody?: string;
}

/** Sends an HTTP request with node:http (so that every header, `host` included, is ours). */
async function send(url: string, options: RequestOptions = {}): Promise<Response> {
  const target = new URL(url);
  const method = options.method ?? 'GET';
  let headers: Record<string, string> = { host: target.host, ...options.headers };
  if (options.sign !== undefined) {
    const signer = new SignatureV4({
      service: 'execute-api',
      region: LOCAL_AWS.region,
      credentials: options.sign,
      sha256: NodeSha256,
      applyChecksum: options.contentHash ?? true,
    });
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(target.searchParams.keys())) {
      const values = target.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? '') : values;
    }
    const signed = await signer.sign(
      {
        method,
        protocol: target.protocol,
        hostname: target.hostname,
        port: Number(target.port),
        path: target.pathname,
        query,
        headers,
        body: options.body,
      },
      options.signingDate === undefined ? {} : { signingDate: options.signingDate }
    );
    headers = signed.headers;
  }
  const body = options.sendBody ?? options.body;
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = JSON.parse(bytes.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: bytes, json });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('RestApiServer', () => {
  const captureFile = join(tempDir('rest-api'), 'events.jsonl');
  const api: LocalRestApi = {
    logicalId: 'IngestApi',
    apiId: 'abc123defg',
    stageName: 'prod',
    routes: [
      {
        httpMethod: 'POST',
        resourcePath: '/topics/{topic}/events',
        authorizationType: 'AWS_IAM',
        functionLogicalId: 'Capture',
      },
      {
        httpMethod: 'GET',
        resourcePath: '/events/{id}',
        authorizationType: 'NONE',
        functionLogicalId: 'Capture',
      },
      {
        httpMethod: 'GET',
        resourcePath: '/events/stats',
        authorizationType: 'NONE',
        functionLogicalId: 'Capture',
      },
      {
        httpMethod: 'ANY',
        resourcePath: '/files/{proxy+}',
        authorizationType: 'NONE',
        functionLogicalId: 'Capture',
      },
      {
        httpMethod: 'GET',
        resourcePath: '/malformed',
        authorizationType: 'NONE',
        functionLogicalId: 'Malformed',
      },
      {
        httpMethod: 'GET',
        resourcePath: '/throws',
        authorizationType: 'NONE',
        functionLogicalId: 'Throws',
      },
    ],
  };
  const endpoints = { messaging: 'http://127.0.0.1:9', dynamoDb: 'http://127.0.0.1:9' };
  const hosts = new Map([
    [
      'Capture',
      new FunctionHost(
        fixtureFunction('capture', { environment: { CAPTURE_FILE: captureFile } }),
        hostOptions(endpoints)
      ),
    ],
    ['Malformed', new FunctionHost(fixtureFunction('malformed-response'), hostOptions(endpoints))],
    ['Throws', new FunctionHost(fixtureFunction('throw'), hostOptions(endpoints))],
  ]);
  const server = new RestApiServer([api], hosts, {
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    maxRequestBodyBytes: 64 * 1024,
  });
  let stageUrl = '';
  let baseUrl = '';

  beforeAll(async () => {
    baseUrl = (await server.listen()).url;
    stageUrl = server.stageUrl('IngestApi');
  });

  beforeEach(() => {
    writeFileSync(captureFile, '');
  });

  afterAll(async () => {
    await server.close();
    await Promise.all([...hosts.values()].map((host) => host.close()));
  });

  const captured = (): APIGatewayProxyEvent[] =>
    readFileSync(captureFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as APIGatewayProxyEvent);

  it('passes a signed request to the handler as an API Gateway proxy event', async () => {
    // Prepare
    const body = JSON.stringify({ specversion: '1.0', id: 'evt-1' });

    // Act
    const response = await send(`${stageUrl}topics/orders/events?x=1&x=2&y=a%20b`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/cloudevents+json', 'X-Custom': 'custom' },
      body,
      sign: LOCAL_AWS.credentials,
    });

    // Assess
    expect(response.status).toBe(200);
    const [event] = captured();
    expect((response.json as { received: unknown }).received).toEqual(event);
    expect(event).toMatchObject({
      resource: '/topics/{topic}/events',
      path: '/topics/orders/events',
      httpMethod: 'POST',
      pathParameters: { topic: 'orders' },
      queryStringParameters: { x: '2', y: 'a b' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: ['a b'] },
      stageVariables: null,
      body,
      isBase64Encoded: false,
      requestContext: {
        resourcePath: '/topics/{topic}/events',
        httpMethod: 'POST',
        path: '/prod/topics/orders/events',
        stage: 'prod',
        accountId: '000000000000',
        apiId: 'abc123defg',
        protocol: 'HTTP/1.1',
        requestId: response.headers['x-amzn-requestid'],
        requestTimeEpoch: expect.any(Number),
        identity: { accessKey: 'test', sourceIp: '127.0.0.1', caller: '000000000000' },
      },
    });
    // Header names keep their case; API Gateway adds the forwarding headers.
    expect(event?.headers).toMatchObject({
      'Content-Type': 'application/cloudevents+json',
      'X-Custom': 'custom',
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-For': '127.0.0.1',
    });
    expect(event?.multiValueHeaders['X-Custom']).toEqual(['custom']);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'x-fixture': 'capture',
      'x-multi': 'one, two',
    });
  });

  it.each([
    [
      'the request is not signed',
      {},
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    ],
    [
      'the secret is wrong',
      { sign: { accessKeyId: 'test', secretAccessKey: 'wrong' } },
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    ],
    [
      'the access key is unknown',
      { sign: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'test' } },
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ],
    [
      'the body was changed after signing',
      { sign: LOCAL_AWS.credentials, sendBody: '{"id":"evil"}' },
      'InvalidSignatureException',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ],
    [
      'the body was changed after signing without a content hash header',
      { sign: LOCAL_AWS.credentials, contentHash: false, sendBody: '{"id":"evil"}' },
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    ],
    [
      'the signature is older than 15 minutes',
      { sign: LOCAL_AWS.credentials, signingDate: new Date(Date.now() - 20 * 60 * 1000) },
      'InvalidSignatureException',
      'Signature expired:',
    ],
  ] as const)(
    'fails if %s, with 403 and no invocation',
    async (_case, options, errorType, message) => {
      // Act
      const response = await send(`${stageUrl}topics/orders/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"id":"evt-1"}',
        ...options,
      });

      // Assess
      expect(response.status).toBe(403);
      expect(response.headers['x-amzn-errortype']).toBe(errorType);
      expect((response.json as { message: string }).message).toContain(message);
      expect(captured()).toEqual([]);
    }
  );

  it('runs methods without authorization unsigned, preferring literal resources over parameters', async () => {
    // Act
    const byId = await send(`${stageUrl}events/evt-42`);
    const stats = await send(`${stageUrl}events/stats`);

    // Assess
    expect([byId.status, stats.status]).toEqual([200, 200]);
    const [first, second] = captured();
    expect(first).toMatchObject({
      resource: '/events/{id}',
      pathParameters: { id: 'evt-42' },
      queryStringParameters: null,
      body: null,
      requestContext: { identity: { accessKey: null } },
    });
    expect(second).toMatchObject({ resource: '/events/stats', pathParameters: null });
  });

  it('routes any method and any depth to an ANY {proxy+} resource', async () => {
    // Act
    const response = await send(`${stageUrl}files/a/b%20c.txt`, { method: 'DELETE' });

    // Assess
    expect(response.status).toBe(200);
    expect(captured()[0]).toMatchObject({
      resource: '/files/{proxy+}',
      path: '/files/a/b%20c.txt',
      httpMethod: 'DELETE',
      pathParameters: { proxy: 'a/b c.txt' },
    });
  });

  it.each([
    ['an unknown path', '/prod/nothing/here', 'GET', 'Missing Authentication Token'],
    [
      'a method the resource does not define',
      '/prod/events/evt-1',
      'DELETE',
      'Missing Authentication Token',
    ],
    ['an unknown stage', '/dev/events/evt-1', 'GET', 'Forbidden'],
    ['no stage at all', '/', 'GET', 'Forbidden'],
  ])(
    'fails if the request names %s, with 403 as API Gateway answers',
    async (_case, path, method, message) => {
      // Act
      const response = await send(`${baseUrl}${path}`, { method });

      // Assess
      expect(response.status).toBe(403);
      expect(response.json).toEqual({ message });
      expect(captured()).toEqual([]);
    }
  );

  it('passes a body that is not UTF-8 base64-encoded, and returns a base64 result as bytes', async () => {
    // Prepare
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);

    // Act
    const response = await send(`${stageUrl}files/blob?binary`, { method: 'PUT', body: bytes });

    // Assess
    expect(captured()[0]).toMatchObject({
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect([...response.body]).toEqual([0, 1, 2, 255]);
  });

  it.each([
    ['not an object', '"just a string"'],
    ['a statusCode that is not a number', '{"statusCode":"teapot"}'],
    ['a body that is not a string', '{"statusCode":200,"body":{"a":1}}'],
  ])('fails if the proxy result is %s, with 502', async (_case, respond) => {
    // Act
    const response = await send(`${stageUrl}malformed?respond=${encodeURIComponent(respond)}`);

    // Assess
    expect(response.status).toBe(502);
    expect(response.json).toEqual({ message: 'Internal server error' });
  });

  it('fails if the function throws, with 502', async () => {
    // Act
    const response = await send(`${stageUrl}throws?mode=reject`);

    // Assess
    expect(response.status).toBe(502);
    expect(response.json).toEqual({ message: 'Internal server error' });
  });

  it('fails if the body is larger than the limit, with 413 and no invocation', async () => {
    // Act
    const response = await send(`${stageUrl}files/big`, {
      method: 'POST',
      body: 'x'.repeat(64 * 1024 + 1),
    });

    // Assess
    expect(MAX_REQUEST_BODY_BYTES).toBe(10 * 1024 * 1024);
    expect(response.status).toBe(413);
    expect(response.json).toEqual({ message: 'Request Too Long' });
    expect(captured()).toEqual([]);
  });
});
