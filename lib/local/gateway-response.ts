/**
 * Renders the responses API Gateway makes itself (403, 413, 502, 504, …) as the REST API's
 * customized gateway responses (AWS::ApiGateway::GatewayResponse) say, or with API Gateway's
 * default `{"message": …}` body when the API customizes none for that type.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
 */
import type { LocalGatewayResponse, LocalRestApi } from './model.ts';

/** A response API Gateway makes itself. */
export interface GatewayError {
  /** API Gateway's status code for it. */
  readonly status: number;
  /** The gateway response type, e.g. `MISSING_AUTHENTICATION_TOKEN`. */
  readonly responseType: string;
  /** The `x-amzn-ErrorType` header, e.g. `MissingAuthenticationTokenException`. */
  readonly errorType: string;
  /** API Gateway's message (`$context.error.message`). */
  readonly message: string;
}

/** What the mapping variables of a gateway response template can name about the request. */
export interface GatewayRequestContext {
  readonly requestId: string;
  readonly apiId?: string;
  readonly stage?: string;
  readonly accountId?: string;
  readonly httpMethod?: string;
  /** The request path, stage included. */
  readonly path?: string;
  /** The matched resource template, when a route matched. */
  readonly resourcePath?: string;
  readonly domainName?: string;
  readonly sourceIp?: string;
  /** Request headers by lowercase name (last value of a repeated header). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A rendered gateway response. */
export interface RenderedGatewayResponse {
  readonly status: number;
  /** Response headers, `Content-Type` included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** API Gateway's fallback response types, by status class. */
const FALLBACK_TYPES = { 4: 'DEFAULT_4XX', 5: 'DEFAULT_5XX' } as const;

/**
 * The `AWS_IAM` authorization failures by `x-amzn-ErrorType`, as gateway response types; any
 * other refusal falls back to `DEFAULT_4XX`.
 */
const RESPONSE_TYPES_BY_ERROR_TYPE: Readonly<Record<string, string>> = {
  MissingAuthenticationTokenException: 'MISSING_AUTHENTICATION_TOKEN',
  IncompleteSignatureException: 'INVALID_SIGNATURE',
  InvalidSignatureException: 'INVALID_SIGNATURE',
  // An unknown access key is an invalid credential, like a bad signature.
  UnrecognizedClientException: 'INVALID_SIGNATURE',
  ExpiredTokenException: 'EXPIRED_TOKEN',
  AccessDeniedException: 'ACCESS_DENIED',
};

/** The gateway response type of an `AWS_IAM` authorization failure. */
export function responseTypeOfAuthError(errorType: string): string {
  return RESPONSE_TYPES_BY_ERROR_TYPE[errorType] ?? FALLBACK_TYPES[4];
}

/**
 * Renders a gateway-made response for `api` (when known): its gateway response for the type,
 * else its `DEFAULT_4XX` / `DEFAULT_5XX`, else API Gateway's default body.
 *
 * The body template is chosen by the request's `Accept` media types (`application/json` when it
 * names none of them, then the first template); it is not VTL: `$context.*` variables are
 * substituted, unknown ones become empty. `$context.error.messageString` is the message as a
 * JSON string (escaped, so the body stays JSON whatever the message holds).
 */
export function renderGatewayResponse(
  api: LocalRestApi | undefined,
  error: GatewayError,
  context: GatewayRequestContext
): RenderedGatewayResponse {
  const custom = customizationFor(api, error);
  const templates = custom?.responseTemplates ?? {};
  const contentType = chooseTemplate(templates, context.headers?.accept);
  const template = contentType === undefined ? undefined : templates[contentType];
  const headers: Record<string, string> = {
    'Content-Type': template === undefined ? 'application/json' : (contentType ?? ''),
  };
  for (const [name, mapping] of Object.entries(custom?.responseHeaders ?? {})) {
    const value = headerValue(mapping, context);
    if (value === undefined) continue;
    // One header per name: a mapped Content-Type replaces the template's.
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    headers[name] = value;
  }
  const body =
    template === undefined
      ? JSON.stringify({ message: error.message })
      : substitute(template, error, context);
  return { status: custom?.statusCode ?? error.status, headers, body };
}

function customizationFor(
  api: LocalRestApi | undefined,
  error: GatewayError
): LocalGatewayResponse | undefined {
  const responses = api?.gatewayResponses;
  if (responses === undefined) return undefined;
  const specific = responses[error.responseType];
  if (specific !== undefined) return specific;
  const statusClass = Math.floor(error.status / 100);
  return statusClass === 4 || statusClass === 5
    ? responses[FALLBACK_TYPES[statusClass]]
    : undefined;
}

function chooseTemplate(
  templates: Readonly<Record<string, string>>,
  accept: string | undefined
): string | undefined {
  const available = Object.keys(templates);
  if (available.length === 0) return undefined;
  const wanted = (accept ?? '')
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '')
    .filter((mediaType) => mediaType !== '');
  const byLowerName = new Map(available.map((name) => [name.toLowerCase(), name]));
  for (const mediaType of wanted) {
    const match = byLowerName.get(mediaType);
    if (match !== undefined) return match;
  }
  return byLowerName.get('application/json') ?? available[0];
}

/** A header mapping's value: a quoted literal or a `method.request.header.*` parameter. */
function headerValue(mapping: string, context: GatewayRequestContext): string | undefined {
  const literal = /^'(.*)'$/s.exec(mapping);
  if (literal !== null) return literal[1];
  const requestHeader = /^method\.request\.header\.(.+)$/.exec(mapping);
  if (requestHeader !== null) return context.headers?.[(requestHeader[1] ?? '').toLowerCase()];
  return undefined;
}

function substitute(template: string, error: GatewayError, context: GatewayRequestContext): string {
  const variables: Readonly<Record<string, string | undefined>> = {
    'error.message': error.message,
    'error.messageString': JSON.stringify(error.message),
    'error.responseType': error.responseType,
    requestId: context.requestId,
    extendedRequestId: context.requestId,
    apiId: context.apiId,
    stage: context.stage,
    accountId: context.accountId,
    httpMethod: context.httpMethod,
    path: context.path,
    resourcePath: context.resourcePath,
    domainName: context.domainName,
    'identity.sourceIp': context.sourceIp,
    'identity.userAgent': context.headers?.['user-agent'],
  };
  return template
    .replace(/\$context\.([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)/g, (_match, name: string) =>
      escapeInString(variables[name] ?? '', name)
    )
    .replace(/\$stageVariables\.[A-Za-z0-9_]+/g, '');
}

/**
 * Values other than `messageString` are substituted raw; they are made of characters that need
 * no JSON escaping, except the request's own (user agent, path), escaped here so that a hostile
 * request cannot break the body's JSON.
 */
function escapeInString(value: string, name: string): string {
  if (name === 'error.messageString') return value;
  return JSON.stringify(value).slice(1, -1);
}
