/**
 * Typed factories for API Gateway REST API (v1) Lambda proxy events, shaped as API Gateway sends
 * them: resource template and decoded path parameters, headers (single and multi-value), stage.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** The resource templates of the ingest API, matched like API Gateway does. */
const RESOURCES: readonly { template: string; pattern: RegExp; parameter: string }[] = [
  {
    template: '/topics/{topic}/events',
    pattern: /^\/topics\/([^/]+)\/events$/,
    parameter: 'topic',
  },
  {
    template: '/queues/{queue}/messages',
    pattern: /^\/queues\/([^/]+)\/messages$/,
    parameter: 'queue',
  },
  { template: '/events/{id}', pattern: /^\/events\/([^/]+)$/, parameter: 'id' },
];

/** Options of {@link apiGatewayProxyEvent}. */
export interface ProxyEventOptions {
  /** @default 'POST' */
  readonly method?: string;
  /** Path without the stage, URL-encoded as on the wire, e.g. `/topics/orders/events`. */
  readonly path: string;
  /** Request headers (a header given as a list is repeated). @default {} */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Body: text as is, a Buffer is sent base64-encoded, anything else as JSON. @default null */
  readonly body?: unknown;
  /** Query string parameters. @default null */
  readonly query?: Readonly<Record<string, string>>;
  /** @default 'prod' */
  readonly stage?: string;
  /** Override the resource template. @default - derived from the path like API Gateway does */
  readonly resource?: string;
}

/** Builds a REST API proxy event as API Gateway passes it to the Lambda integration. */
export function apiGatewayProxyEvent(options: ProxyEventOptions): APIGatewayProxyEvent {
  const method = options.method ?? 'POST';
  const stage = options.stage ?? 'prod';
  const headers: Record<string, string> = { Host: 'api.example.test' };
  const multiValueHeaders: Record<string, string[]> = { Host: ['api.example.test'] };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const values = typeof value === 'string' ? [value] : [...value];
    multiValueHeaders[name] = values;
    // API Gateway keeps the last value of a repeated header in `headers`.
    headers[name] = values[values.length - 1] ?? '';
  }
  let body: string | null = null;
  let isBase64Encoded = false;
  if (typeof options.body === 'string') body = options.body;
  else if (Buffer.isBuffer(options.body)) {
    body = options.body.toString('base64');
    isBase64Encoded = true;
  } else if (options.body !== undefined) body = JSON.stringify(options.body);

  const matched = RESOURCES.map((resource) => ({
    resource,
    match: resource.pattern.exec(options.path),
  })).find(({ match }) => match);
  const resource = options.resource ?? matched?.resource.template ?? '/{proxy+}';
  const pathParameters =
    matched?.match?.[1] !== undefined
      ? { [matched.resource.parameter]: decodeURIComponent(matched.match[1]) }
      : { proxy: options.path.slice(1) };
  const query = options.query ?? null;
  return {
    resource,
    path: options.path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: query ? { ...query } : null,
    multiValueQueryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]]))
      : null,
    pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: '000000000000',
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'vitest',
        userArn: 'arn:aws:iam::000000000000:user/test',
      },
      path: `/${stage}${options.path}`,
      stage,
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'resource',
      resourcePath: resource,
    },
  };
}

/** A Lambda context with a fixed remaining time. */
export function lambdaContext(remainingMillis = 30_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest',
    memoryLimitInMB: '256',
    awsRequestId: `aws-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/ingest',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => remainingMillis,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
