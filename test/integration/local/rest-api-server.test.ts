/**
 * The local runtime's REST API server, over real HTTP, with real SigV4 signatures and real
 * worker threads running the hand-written bundles in test/fixtures/functions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../../../lib/cli/sha256.ts';
import { FunctionHost } from '../../../lib/local/function-host.ts';
import type { LocalGatewayResponse, LocalRestApi } from '../../../lib/local/model.ts';
import { MAX_REQUEST_BODY_BYTES, RestApiServer } from '../../../lib/local/rest-api-server.ts';
import { PROBLEM_GATEWAY_RESPONSES, problemTemplate } from '../../../lib/pipeline/ingest-api.ts';
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

/** Sends raw bytes on a fresh connection and returns what the server answered. */
function sendBytes(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(bytes, 'latin1')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** The ingest API's gateway responses, as the provisioner reads them from the template. */
const PROBLEM_RESPONSES: Record<string, LocalGatewayResponse> = Object.fromEntries(
  PROBLEM_GATEWAY_RESPONSES.map((response) => [
    response.type.responseType,
    {
      responseType: response.type.responseType,
      responseHeaders: { 'Content-Type': "'application/problem+json'" },
      responseTemplates: { 'application/json': problemTemplate(response) },
    },
  ])
);

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

describe('RestApiServer with customized gateway responses', () => {
  const api: LocalRestApi = {
    logicalId: 'IngestApi',
    apiId: 'abc123defg',
    stageName: 'live',
    routes: [
      {
        httpMethod: 'POST',
        resourcePath: '/topics/{topic}/events',
        authorizationType: 'AWS_IAM',
        functionLogicalId: 'Echo',
      },
      {
        httpMethod: 'POST',
        resourcePath: '/open',
        authorizationType: 'NONE',
        functionLogicalId: 'Echo',
      },
      {
        httpMethod: 'GET',
        resourcePath: '/throws',
        authorizationType: 'NONE',
        functionLogicalId: 'Throws',
      },
    ],
    gatewayResponses: PROBLEM_RESPONSES,
  };
  const endpoints = { messaging: 'http://127.0.0.1:9', dynamoDb: 'http://127.0.0.1:9' };
  const captureFile = join(tempDir('rest-api-problems'), 'events.jsonl');
  const hosts = new Map([
    [
      'Echo',
      new FunctionHost(
        fixtureFunction('capture', { environment: { CAPTURE_FILE: captureFile } }),
        hostOptions(endpoints)
      ),
    ],
    ['Throws', new FunctionHost(fixtureFunction('throw'), hostOptions(endpoints))],
  ]);
  const server = new RestApiServer([api], hosts, {
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
  });
  let stageUrl = '';
  let port = 0;

  beforeAll(async () => {
    port = (await server.listen()).port;
    stageUrl = server.stageUrl('IngestApi');
    writeFileSync(captureFile, '');
  });

  afterAll(async () => {
    await server.close();
    await Promise.all([...hosts.values()].map((host) => host.close()));
  });

  const expectProblem = (response: Response, status: number, problem: Record<string, unknown>) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.json).toEqual({
      ...problem,
      responseType: expect.any(String),
      requestId: response.headers['x-amzn-requestid'],
    });
  };

  it.each([
    [
      'the request is not signed',
      `topics/orders/events`,
      {},
      {
        type: 'tag:event-pipeline,2026:problem/missing-authentication-token',
        title: 'Missing authentication token',
        status: 403,
        detail: 'Missing Authentication Token',
      },
    ],
    [
      'the path is unknown',
      'no/such/path',
      { sign: LOCAL_AWS.credentials },
      {
        type: 'tag:event-pipeline,2026:problem/missing-authentication-token',
        title: 'Missing authentication token',
        status: 403,
        detail: 'Missing Authentication Token',
      },
    ],
    [
      'the secret is wrong',
      'topics/orders/events',
      { sign: { accessKeyId: 'test', secretAccessKey: 'wrong' } },
      {
        type: 'tag:event-pipeline,2026:problem/invalid-signature',
        title: 'Invalid signature',
        status: 403,
        detail: expect.stringMatching(/^The request signature we calculated does not match/),
      },
    ],
  ] as const)('fails if %s, with a 403 problem', async (_case, path, options, problem) => {
    // Act
    const response = await send(`${stageUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      ...options,
    });

    // Assess
    expectProblem(response, 403, problem);
    expect(response.headers['x-amzn-errortype']).toMatch(/Exception$/);
  });

  it('keeps a message with quotes valid JSON in the problem detail', async () => {
    // Act: API Gateway's message quotes the malformed Authorization header it received.
    const response = await send(`${stageUrl}topics/orders/events`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential="x\\y"', 'x-amz-date': 'now' },
    });

    // Assess
    expect(response.status).toBe(403);
    expect((response.json as { detail: string }).detail).toContain('Credential="x\\y"');
  });

  it('fails if the function answers no proxy result, with a 502 problem (DEFAULT_5XX)', async () => {
    // Act: the fixture answers {ok: true}, which has no statusCode.
    const response = await send(`${stageUrl}throws`);

    // Assess
    expectProblem(response, 502, {
      type: 'tag:event-pipeline,2026:problem/gateway-error',
      title: 'API gateway error',
      detail: 'Internal server error',
    });
    expect((response.json as { responseType: string }).responseType).toBe(
      'API_CONFIGURATION_ERROR'
    );
  });

  it('fails if the body is over the API limit, with a 413 problem and no invocation', async () => {
    // Act
    const response = await send(`${stageUrl}open`, {
      method: 'POST',
      body: 'x'.repeat(MAX_REQUEST_BODY_BYTES + 1),
    });

    // Assess
    expectProblem(response, 413, {
      type: 'tag:event-pipeline,2026:problem/request-too-large',
      title: 'Request too large',
      status: 413,
      detail: 'Request Too Long',
    });
    expect(readFileSync(captureFile, 'utf8')).toBe('');
  });

  it('fails if the body is over the Lambda invocation quota, with 413 as API Gateway answers', async () => {
    // Act: 7 MB is within API Gateway's 10 MB but over Lambda's 6 MB payload quota.
    const response = await send(`${stageUrl}open`, {
      method: 'POST',
      body: 'x'.repeat(7 * 1024 * 1024),
    });

    // Assess
    expectProblem(response, 413, {
      type: 'tag:event-pipeline,2026:problem/request-too-large',
      title: 'Request too large',
      status: 413,
      detail: 'Request Too Long',
    });
    expect(response.headers['x-amzn-errortype']).toBe('BadRequestException');
  });

  it.each([
    [
      'a NUL byte in a header value',
      'POST /live/open HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n',
      400,
    ],
    [
      'a bare CR in a header value',
      'POST /live/open HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n',
      400,
    ],
    ['a space in the path', 'GET /live/a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an unknown method', 'BREW /live/open HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    [
      'a header block over the limit',
      `GET /live/open HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
  ])(
    'fails if the request has %s, with a problem instead of a bare error',
    async (_case, bytes, status) => {
      // Act
      const answer = await sendBytes(port, bytes);

      // Assess
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head.toLowerCase()).toContain('content-type: application/problem+json');
      expect(JSON.parse(body)).toMatchObject({
        type: 'tag:event-pipeline,2026:problem/gateway-rejected',
        detail: expect.any(String),
      });
    }
  );

  it('fails if the stage is unknown, with API Gateway plain 403 (no API, no customization)', async () => {
    // Act
    const response = await send(`http://127.0.0.1:${port}/other/open`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json).toEqual({ message: 'Forbidden' });
  });
});
