/**
 * Serves the template's REST APIs (API Gateway v1) on a loopback port, as API Gateway's
 * `execute-api` endpoint would: the stage is the first path segment, requests are routed by
 * resource path template and method, `AWS_IAM` methods require a valid SigV4 signature, and the
 * Lambda proxy integration's event and result formats are API Gateway's.
 *
 * Responses API Gateway produces itself (403, 413, 502, 504) carry its status codes and its
 * `x-amzn-ErrorType` header, with the API's customized gateway responses (its
 * AWS::ApiGateway::GatewayResponse templates) or API Gateway's default JSON bodies. Note that a
 * REST API answers an unknown path *and* an undefined method on a known path with
 * `403 {"message":"Missing Authentication Token"}` (not 404/405).
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiCallCounter } from './api-call-counter.ts';
import type { FunctionHost, InvocationResult } from './function-host.ts';
import {
  type GatewayError,
  type GatewayRequestContext,
  renderGatewayResponse,
  responseTypeOfAuthError,
} from './gateway-response.ts';
import { LOCAL_ACCOUNT_ID } from './lambda-context.ts';
import type { LocalRestApi, LocalRoute } from './model.ts';
import { verifySigV4 } from './sigv4-verifier.ts';

/** Largest request body API Gateway accepts (10 MB), in bytes. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

/** Most bytes of a refused (too large) body read and discarded before answering 413. */
export const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** API Gateway's integration timeout (29 s) in milliseconds: past it the client gets 504. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** Options of {@link RestApiServer}. */
export interface RestApiServerOptions {
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The region signatures must be scoped to. */
  readonly region: string;
  /** The only credentials `AWS_IAM` methods accept. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Receives one line per request and per integration failure. @default - ignored */
  readonly log?: (line: string) => void;
  /** Counts requests by method and resource (when counting is on). @default - none */
  readonly apiCallCounter?: ApiCallCounter;
  /** @default MAX_REQUEST_BODY_BYTES */
  readonly maxRequestBodyBytes?: number;
  /** @default INTEGRATION_TIMEOUT_MS */
  readonly integrationTimeoutMs?: number;
}

/** Where the server listens. */
export interface RestApiServerAddress {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
}

const MISSING_AUTHENTICATION_TOKEN: GatewayError = {
  status: 403,
  responseType: 'MISSING_AUTHENTICATION_TOKEN',
  errorType: 'MissingAuthenticationTokenException',
  message: 'Missing Authentication Token',
};
const FORBIDDEN: GatewayError = {
  status: 403,
  responseType: 'DEFAULT_4XX',
  errorType: 'ForbiddenException',
  message: 'Forbidden',
};
const REQUEST_TOO_LARGE: GatewayError = {
  status: 413,
  responseType: 'REQUEST_TOO_LARGE',
  errorType: 'RequestTooLargeException',
  message: 'Request Too Long',
};
/** A body within API Gateway's limit but over Lambda's invocation payload quota (6 MB). */
const INVOCATION_TOO_LARGE: GatewayError = {
  status: 413,
  responseType: 'REQUEST_TOO_LARGE',
  errorType: 'BadRequestException',
  message: 'Request Too Long',
};
/** The function failed (threw, timed out in Lambda, crashed). */
const INTEGRATION_FAILURE: GatewayError = {
  status: 502,
  responseType: 'INTEGRATION_FAILURE',
  errorType: 'InternalServerErrorException',
  message: 'Internal server error',
};
/** The function answered something that is not a Lambda proxy result. */
const MALFORMED_PROXY_RESPONSE: GatewayError = {
  status: 502,
  responseType: 'API_CONFIGURATION_ERROR',
  errorType: 'InternalServerErrorException',
  message: 'Internal server error',
};
const INTEGRATION_TIMEOUT: GatewayError = {
  status: 504,
  responseType: 'INTEGRATION_TIMEOUT',
  errorType: 'InternalServerErrorException',
  message: 'Endpoint request timed out',
};

/** A route matched against a request path. */
interface RouteMatch {
  readonly route: LocalRoute;
  readonly pathParameters: Readonly<Record<string, string>> | null;
}

/**
 * A local `execute-api` endpoint for one or more REST APIs.
 *
 * URLs are `http://127.0.0.1:<port>/<stage>/<resource path>`; stage names must therefore be
 * unique among the APIs served by one server.
 *
 * @example
 * const server = new RestApiServer(stack.restApis, hosts, { region: 'us-east-1', credentials });
 * const { url } = await server.listen();
 * await server.close();
 */
export class RestApiServer {
  readonly #apis: ReadonlyMap<string, LocalRestApi>;
  readonly #hosts: ReadonlyMap<string, FunctionHost>;
  readonly #options: RestApiServerOptions;
  readonly #server: Server;
  #address: RestApiServerAddress | undefined;

  constructor(
    apis: readonly LocalRestApi[],
    hosts: ReadonlyMap<string, FunctionHost>,
    options: RestApiServerOptions
  ) {
    const byStage = new Map<string, LocalRestApi>();
    for (const api of apis) {
      const other = byStage.get(api.stageName);
      if (other !== undefined) {
        throw new Error(
          `rest apis ${other.logicalId} and ${api.logicalId} both use stage '${api.stageName}'; the local server routes by stage, so stage names must be unique`
        );
      }
      for (const route of api.routes) {
        if (!hosts.has(route.functionLogicalId)) {
          throw new Error(
            `route ${route.httpMethod} ${route.resourcePath} of rest api ${api.logicalId} integrates function ${route.functionLogicalId}, which is not hosted`
          );
        }
      }
      byStage.set(api.stageName, api);
    }
    this.#apis = byStage;
    this.#hosts = hosts;
    this.#options = options;
    this.#server = createServer((request, response) => {
      const context: RequestState = { requestId: randomUUID() };
      this.#handle(request, response, context).catch((error: unknown) => {
        this.#log(`unexpected error: ${error instanceof Error ? error.stack : String(error)}`);
        if (!response.headersSent) {
          sendGatewayError(response, context.api, INTEGRATION_FAILURE, context);
        } else response.destroy();
      });
    });
    // Node answers a request it cannot parse (bad bytes in the request line or a header, a
    // header block over the limit) with a bare 400/431; answer as the API would, so that every
    // client error has the same format.
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      this.#rejectUnparsable(error, socket)
    );
  }

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<RestApiServerAddress> {
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port ?? 0, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.#server.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    this.#address = { url: `http://${urlHost}:${port}`, port };
    return this.#address;
  }

  /**
   * The invoke URL of an API's stage (`http://127.0.0.1:<port>/<stage>/`), as the `cdk deploy`
   * output of a `RestApi` gives it.
   */
  stageUrl(apiLogicalId: string): string {
    if (this.#address === undefined) throw new Error('the rest api server is not listening');
    const api = [...this.#apis.values()].find((candidate) => candidate.logicalId === apiLogicalId);
    if (api === undefined) throw new Error(`no rest api ${apiLogicalId} is served`);
    return `${this.#address.url}/${api.stageName}/`;
  }

  /** Stops accepting requests, ends idle connections and waits for the rest to finish. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await closed;
  }

  async #handle(
    request: IncomingMessage,
    response: ServerResponse,
    context: RequestState
  ): Promise<void> {
    const { requestId } = context;
    const started = Date.now();
    const target = request.url ?? '/';
    const method = request.method ?? 'GET';
    const rawPath = target.split('?')[0] ?? '/';
    const segments = rawPath.split('/').filter((segment) => segment !== '');
    const [stage, ...resourceSegments] = segments;
    const api = stage === undefined ? undefined : this.#apis.get(decodeSafe(stage));
    const headers = headerLists(request);
    Object.assign(context, {
      api,
      apiId: api?.apiId,
      stage: api?.stageName,
      accountId: LOCAL_ACCOUNT_ID,
      httpMethod: method,
      path: rawPath,
      domainName: headers.Host?.[0] ?? headers.host?.[0] ?? 'localhost',
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      headers: lastValues(headers),
    } satisfies Partial<RequestState>);
    const finish = (status: number) =>
      this.#log(`${method} ${target} ${status} ${Date.now() - started}ms`);
    const refuse = (error: GatewayError, extraHeaders: Readonly<Record<string, string>> = {}) =>
      finish(sendGatewayError(response, api, error, context, extraHeaders));

    // An unknown stage is no deployment of any API here: API Gateway's plain 403, uncustomized.
    if (api === undefined || stage === undefined) {
      await drain(request);
      return refuse(FORBIDDEN);
    }
    const match = matchRoute(api.routes, method, resourceSegments);
    if (match === undefined) {
      await drain(request);
      return refuse(MISSING_AUTHENTICATION_TOKEN);
    }
    context.resourcePath = match.route.resourcePath;
    this.#options.apiCallCounter?.countApiGateway(`${method} ${match.route.resourcePath}`);

    const body = await readBody(
      request,
      this.#options.maxRequestBodyBytes ?? MAX_REQUEST_BODY_BYTES
    );
    if (body === undefined) return refuse(REQUEST_TOO_LARGE, { connection: 'close' });

    let accessKey: string | null = null;
    if (match.route.authorizationType === 'AWS_IAM') {
      const verdict = await verifySigV4(
        { method, url: target, headers: lowercaseKeys(headers), body },
        { region: this.#options.region, credentials: this.#options.credentials }
      );
      if (!verdict.ok) {
        return refuse({
          status: 403,
          responseType: responseTypeOfAuthError(verdict.errorType),
          errorType: verdict.errorType,
          message: verdict.message,
        });
      }
      accessKey = verdict.accessKeyId;
    }

    const event = proxyEvent({
      api,
      match,
      method,
      target,
      resourceSegments,
      headers,
      body,
      requestId,
      accessKey,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      localPort: request.socket.localPort ?? 0,
      domainName: headers.Host?.[0] ?? headers.host?.[0] ?? 'localhost',
    });
    const host = this.#hosts.get(match.route.functionLogicalId);
    if (host === undefined)
      throw new Error(`function ${match.route.functionLogicalId} is not hosted`);
    const outcome = await withTimeout(
      host.invoke(event),
      this.#options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS
    );
    if (outcome === 'timeout') return refuse(INTEGRATION_TIMEOUT);
    if (!outcome.ok && outcome.error.name === 'RequestTooLargeException') {
      // Lambda refused the invocation (6 MB payload quota): API Gateway answers 413.
      this.#log(`${method} ${target}: ${outcome.error.message}`);
      return refuse(INVOCATION_TOO_LARGE);
    }
    const proxyResult = toProxyResult(outcome);
    if (typeof proxyResult === 'string') {
      this.#log(`${method} ${target}: ${proxyResult}`);
      return refuse(outcome.ok ? MALFORMED_PROXY_RESPONSE : INTEGRATION_FAILURE);
    }
    writeProxyResult(response, proxyResult, requestId);
    finish(proxyResult.statusCode);
  }

  /**
   * Answers a request Node could not parse, with the status Node would use (431 for a header
   * block over the limit, 400 otherwise), rendered by the gateway responses of the API the
   * request line names when it can be read.
   */
  #rejectUnparsable(error: NodeJS.ErrnoException, socket: Socket): void {
    // A response already under way on this connection cannot be followed by another.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
    const message = STATUS_CODES[status] ?? 'Bad Request';
    const requestId = randomUUID();
    const rawPacket = (error as { rawPacket?: Buffer }).rawPacket;
    const requestLine = rawPacket?.toString('latin1').split('\r\n', 1)[0] ?? '';
    const [, stage] = /^[A-Z]+ \/([^/?\s]+)/.exec(requestLine) ?? [];
    const api = stage === undefined ? undefined : this.#apis.get(decodeSafe(stage));
    const rendered = renderGatewayResponse(
      api,
      { status, responseType: 'DEFAULT_4XX', errorType: 'BadRequestException', message },
      { requestId, apiId: api?.apiId, stage: api?.stageName, accountId: LOCAL_ACCOUNT_ID }
    );
    const lines = [
      `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status] ?? message}`,
      ...Object.entries(rendered.headers).map(([name, value]) => `${name}: ${value}`),
      `Content-Length: ${Buffer.byteLength(rendered.body)}`,
      `x-amzn-RequestId: ${requestId}`,
      'x-amzn-ErrorType: BadRequestException',
      'Connection: close',
    ];
    socket.end(`${lines.join('\r\n')}\r\n\r\n${rendered.body}`);
    this.#log(`unparsable request (${error.code ?? error.message}) ${rendered.status}`);
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }
}

/** Node's status for a request it cannot parse, by error code (400 for the others). */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/** What is known about a request so far, for the gateway responses' mapping variables. */
interface RequestState extends GatewayRequestContext {
  /** The API the stage names, once known. */
  api?: LocalRestApi;
  resourcePath?: string;
}

/** A validated Lambda proxy result. */
interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly multiValueHeaders: Readonly<Record<string, readonly string[]>>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/**
 * Picks the route for a request as API Gateway does: the most specific matching resource
 * (literal segments over `{param}` over `{proxy+}`), then the method, falling back to `ANY`.
 */
export function matchRoute(
  routes: readonly LocalRoute[],
  method: string,
  pathSegments: readonly string[]
): RouteMatch | undefined {
  let best:
    | { score: number[]; resourcePath: string; parameters: Record<string, string> }
    | undefined;
  for (const resourcePath of new Set(routes.map((route) => route.resourcePath))) {
    const matched = matchTemplate(resourcePath, pathSegments);
    if (
      matched !== undefined &&
      (best === undefined || compareScores(matched.score, best.score) > 0)
    ) {
      best = { ...matched, resourcePath };
    }
  }
  if (best === undefined) return undefined;
  const onResource = routes.filter((route) => route.resourcePath === best.resourcePath);
  const route =
    onResource.find((candidate) => candidate.httpMethod.toUpperCase() === method.toUpperCase()) ??
    onResource.find((candidate) => candidate.httpMethod.toUpperCase() === 'ANY');
  if (route === undefined) return undefined;
  const names = Object.keys(best.parameters);
  return { route, pathParameters: names.length === 0 ? null : best.parameters };
}

/**
 * Matches path segments against a resource path template. The score ranks each segment:
 * 3 literal, 2 `{param}`, 1 `{proxy+}`.
 */
function matchTemplate(
  resourcePath: string,
  pathSegments: readonly string[]
): { score: number[]; parameters: Record<string, string> } | undefined {
  const template = resourcePath.split('/').filter((segment) => segment !== '');
  const parameters: Record<string, string> = {};
  const score: number[] = [];
  for (const [index, part] of template.entries()) {
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy !== null) {
      // {proxy+} takes one or more remaining segments, and must be last.
      if (index !== template.length - 1 || pathSegments.length <= index) return undefined;
      parameters[greedy[1] ?? 'proxy'] = pathSegments.slice(index).map(decodeSafe).join('/');
      score.push(1);
      return { score, parameters };
    }
    const segment = pathSegments[index];
    if (segment === undefined) return undefined;
    const parameter = /^\{(.+)\}$/.exec(part);
    if (parameter !== null) {
      parameters[parameter[1] ?? ''] = decodeSafe(segment);
      score.push(2);
    } else if (part === decodeSafe(segment)) {
      score.push(3);
    } else {
      return undefined;
    }
  }
  return template.length === pathSegments.length ? { score, parameters } : undefined;
}

function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** What {@link proxyEvent} needs from the request. */
interface ProxyEventInput {
  readonly api: LocalRestApi;
  readonly match: RouteMatch;
  readonly method: string;
  readonly target: string;
  readonly resourceSegments: readonly string[];
  readonly headers: Readonly<Record<string, string[]>>;
  readonly body: Buffer;
  readonly requestId: string;
  readonly accessKey: string | null;
  readonly sourceIp: string;
  readonly localPort: number;
  readonly domainName: string;
}

/**
 * Builds the Lambda proxy integration event (payload format 1.0) API Gateway sends.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 */
export function proxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { api, match, method, headers } = input;
  const multiValueHeaders: Record<string, string[]> = { ...headers };
  // API Gateway adds the forwarding headers of its edge in front of the integration.
  const present = new Set(Object.keys(multiValueHeaders).map((name) => name.toLowerCase()));
  if (!present.has('x-forwarded-for')) multiValueHeaders['X-Forwarded-For'] = [input.sourceIp];
  if (!present.has('x-forwarded-port')) {
    multiValueHeaders['X-Forwarded-Port'] = [String(input.localPort)];
  }
  if (!present.has('x-forwarded-proto')) multiValueHeaders['X-Forwarded-Proto'] = ['http'];
  const singleHeaders: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiValueHeaders)) {
    // `headers` carries the last value of a repeated header.
    const last = values.at(-1);
    if (last !== undefined) singleHeaders[name] = last;
  }

  const query = queryParameters(input.target);
  const path = `/${input.resourceSegments.join('/')}`;
  const now = new Date();
  const isText = isUtf8(input.body);
  const header = (name: string) =>
    Object.entries(singleHeaders).find(([key]) => key.toLowerCase() === name)?.[1];
  return {
    resource: match.route.resourcePath,
    path,
    httpMethod: method,
    headers: singleHeaders,
    multiValueHeaders,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: match.pathParameters === null ? null : { ...match.pathParameters },
    stageVariables: null,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: api.apiId,
      authorizer: undefined,
      domainName: input.domainName,
      domainPrefix: input.domainName.split('.')[0] ?? input.domainName,
      extendedRequestId: input.requestId,
      httpMethod: method,
      identity: {
        accessKey: input.accessKey,
        accountId: input.accessKey === null ? null : LOCAL_ACCOUNT_ID,
        apiKey: null,
        apiKeyId: null,
        caller: input.accessKey === null ? null : LOCAL_ACCOUNT_ID,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp,
        user: input.accessKey === null ? null : LOCAL_ACCOUNT_ID,
        userAgent: header('user-agent') ?? null,
        userArn: input.accessKey === null ? null : `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`,
      },
      path: `/${api.stageName}${path}`,
      protocol: 'HTTP/1.1',
      requestId: input.requestId,
      requestTime: formatRequestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: resourceId(match.route.resourcePath),
      resourcePath: match.route.resourcePath,
      stage: api.stageName,
    },
    body:
      input.body.length === 0
        ? null
        : isText
          ? input.body.toString('utf8')
          : input.body.toString('base64'),
    isBase64Encoded: input.body.length > 0 && !isText,
  };
}

/**
 * Validates a function's answer as a Lambda proxy result; returns why it is malformed (a 502
 * on API Gateway) otherwise.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format
 */
function toProxyResult(outcome: InvocationResult): ProxyResult | string {
  if (!outcome.ok) {
    return `function failed: ${outcome.error.name}: ${outcome.error.message}`;
  }
  const result = outcome.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    return 'malformed Lambda proxy response: not an object';
  }
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<
    string,
    unknown
  >;
  const status = typeof statusCode === 'string' ? Number(statusCode) : statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return `malformed Lambda proxy response: statusCode ${JSON.stringify(statusCode)}`;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return 'malformed Lambda proxy response: body is not a string';
  }
  if (
    isBase64Encoded !== undefined &&
    isBase64Encoded !== null &&
    typeof isBase64Encoded !== 'boolean'
  ) {
    return 'malformed Lambda proxy response: isBase64Encoded is not a boolean';
  }
  const single: Record<string, string> = {};
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers)) {
      return 'malformed Lambda proxy response: headers is not an object';
    }
    for (const [name, value] of Object.entries(headers)) {
      if (value === null || typeof value === 'object') {
        return `malformed Lambda proxy response: header ${name} is not a scalar`;
      }
      single[name] = String(value);
    }
  }
  const multi: Record<string, string[]> = {};
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== 'object' || Array.isArray(multiValueHeaders)) {
      return 'malformed Lambda proxy response: multiValueHeaders is not an object';
    }
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values)) {
        return `malformed Lambda proxy response: multiValueHeaders.${name} is not a list`;
      }
      multi[name] = values.map(String);
    }
  }
  return {
    statusCode: status,
    headers: single,
    multiValueHeaders: multi,
    body: typeof body === 'string' ? body : '',
    isBase64Encoded: isBase64Encoded === true,
  };
}

function writeProxyResult(response: ServerResponse, result: ProxyResult, requestId: string): void {
  const merged = new Map<string, { name: string; values: string[] }>();
  // When a header is in both maps, only the multiValueHeaders values are used.
  for (const [name, values] of Object.entries(result.multiValueHeaders)) {
    merged.set(name.toLowerCase(), { name, values: [...values] });
  }
  for (const [name, value] of Object.entries(result.headers)) {
    if (!merged.has(name.toLowerCase())) merged.set(name.toLowerCase(), { name, values: [value] });
  }
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body, 'utf8');
  if (!merged.has('content-type')) {
    merged.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  }
  merged.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
  merged.set('content-length', { name: 'Content-Length', values: [String(body.length)] });
  for (const { name, values } of merged.values()) {
    response.setHeader(name, values.length === 1 ? (values[0] ?? '') : values);
  }
  response.statusCode = result.statusCode;
  response.end(body);
}

/** Sends a gateway-made response rendered for `api`; returns its status. */
function sendGatewayError(
  response: ServerResponse,
  api: LocalRestApi | undefined,
  error: GatewayError,
  context: GatewayRequestContext,
  extraHeaders: Readonly<Record<string, string>> = {}
): number {
  const rendered = renderGatewayResponse(api, error, context);
  response.writeHead(rendered.status, {
    ...rendered.headers,
    'Content-Length': Buffer.byteLength(rendered.body),
    'x-amzn-RequestId': context.requestId,
    'x-amzn-ErrorType': error.errorType,
    ...extraHeaders,
  });
  response.end(rendered.body);
  return rendered.status;
}

/** The last value of each header, by lowercase name. */
function lastValues(headers: Readonly<Record<string, string[]>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers)) {
    const last = values.at(-1);
    if (last !== undefined) result[name.toLowerCase()] = last;
  }
  return result;
}

/** The request's headers with their original casing, repeated ones as a list. */
function headerLists(request: IncomingMessage): Record<string, string[]> {
  const byLowerName = new Map<string, { name: string; values: string[] }>();
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] ?? '';
    const value = raw[index + 1] ?? '';
    const entry = byLowerName.get(name.toLowerCase());
    if (entry === undefined) byLowerName.set(name.toLowerCase(), { name, values: [value] });
    else entry.values.push(value);
  }
  const headers: Record<string, string[]> = {};
  for (const { name, values } of byLowerName.values()) headers[name] = values;
  return headers;
}

function lowercaseKeys(headers: Readonly<Record<string, string[]>>): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) result[name.toLowerCase()] = values;
  return result;
}

/** Query parameters as API Gateway passes them: decoded, `null` when there are none. */
function queryParameters(target: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const questionMark = target.indexOf('?');
  if (questionMark < 0) return { single: null, multi: null };
  const multi: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(target.slice(questionMark + 1))) {
    const values = multi[key] ?? [];
    values.push(value);
    multi[key] = values;
  }
  const keys = Object.keys(multi);
  if (keys.length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  for (const key of keys) single[key] = multi[key]?.at(-1) ?? '';
  return { single, multi };
}

/**
 * Reads the body, or returns `undefined` when it exceeds `limit` bytes.
 *
 * A refused body is still read to its end (up to `limit` + {@link MAX_DRAIN_BYTES}) before the
 * 413 goes out: closing a connection with unread bytes makes the kernel reset it, and the client,
 * still uploading, would lose the answer. Listeners, not `for await`, so that stopping early does
 * not destroy the socket.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit + MAX_DRAIN_BYTES) {
    request.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve) => {
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + MAX_DRAIN_BYTES) {
        request.pause();
        resolve();
      }
    });
    request.once('end', () => resolve());
    request.once('close', () => resolve());
  });
  return size > limit ? undefined : Buffer.concat(chunks);
}

/** Consumes and discards a request body, so that the connection can be reused. */
async function drain(request: IncomingMessage): Promise<void> {
  request.resume();
  if (request.readableEnded) return;
  await new Promise<void>((resolve) => {
    request.once('end', resolve);
    request.once('close', resolve);
  });
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function decodeSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A stable 6-character id per resource path, like API Gateway's resource ids. */
function resourceId(resourcePath: string): string {
  let hash = 0;
  for (const char of resourcePath) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash.toString(36).padStart(6, '0').slice(-6);
}

/** `09/Apr/2015:12:34:56 +0000`, the format of `requestContext.requestTime`. */
function formatRequestTime(date: Date): string {
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
