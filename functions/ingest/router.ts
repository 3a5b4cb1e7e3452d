import type { APIGatewayProxyEvent } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError } from '../shared/http/http-errors.ts';
import type { DestinationKind } from './destinations.ts';

/** A request the ingest serves, resolved from the API Gateway event. */
export type IngestRoute =
  | {
      /** `POST /topics/{topic}/events` or `POST /queues/{queue}/messages`. */
      readonly kind: 'publish';
      readonly destination: DestinationKind;
      /** Stream or queue name from the path. */
      readonly name: string;
      /** Resource template, e.g. `/topics/{topic}/events`. */
      readonly resource: string;
    }
  | {
      /** `GET /events/{id}`. */
      readonly kind: 'status';
      /** Event id from the path. */
      readonly id: string;
      readonly resource: string;
    };

interface RouteDefinition {
  readonly resource: string;
  readonly method: string;
  readonly parameter: string;
  readonly pattern: RegExp;
  build(value: string): IngestRoute;
}

const ROUTES: readonly RouteDefinition[] = [
  {
    resource: '/topics/{topic}/events',
    method: 'POST',
    parameter: 'topic',
    pattern: /^\/topics\/([^/]+)\/events\/?$/,
    build: (name) => ({
      kind: 'publish',
      destination: 'stream',
      name,
      resource: '/topics/{topic}/events',
    }),
  },
  {
    resource: '/queues/{queue}/messages',
    method: 'POST',
    parameter: 'queue',
    pattern: /^\/queues\/([^/]+)\/messages\/?$/,
    build: (name) => ({
      kind: 'publish',
      destination: 'queue',
      name,
      resource: '/queues/{queue}/messages',
    }),
  },
  {
    resource: '/events/{id}',
    method: 'GET',
    parameter: 'id',
    pattern: /^\/events\/([^/]+)\/?$/,
    build: (id) => ({ kind: 'status', id, resource: '/events/{id}' }),
  },
];

/**
 * Resolves the route of a REST API (v1) proxy event.
 *
 * The resource template (`event.resource`) decides when it is one of ours; otherwise (a greedy
 * `{proxy+}` resource) the path is matched, with the stage prefix tolerated.
 *
 * @throws NotFoundError for a path the ingest does not serve
 * @throws MethodNotAllowedError for a known path with another method (with `Allow`)
 */
export function resolveRoute(event: APIGatewayProxyEvent): IngestRoute {
  const method = event.httpMethod.toUpperCase();
  for (const route of ROUTES) {
    const value = matchRoute(event, route);
    if (value === undefined) continue;
    if (method !== route.method) {
      throw new MethodNotAllowedError(method, route.resource, [route.method]);
    }
    if (value === '') break;
    return route.build(value);
  }
  throw new NotFoundError(
    'route-not-found',
    'Not found',
    `no route for ${method} ${event.path}; routes: ${ROUTES.map((r) => `${r.method} ${r.resource}`).join(', ')}`
  );
}

function matchRoute(event: APIGatewayProxyEvent, route: RouteDefinition): string | undefined {
  if (event.resource === route.resource) {
    // API Gateway has already decoded path parameters.
    return event.pathParameters?.[route.parameter] ?? '';
  }
  const stage = event.requestContext?.stage;
  let path = event.path ?? '';
  if (stage && path.startsWith(`/${stage}/`)) path = path.slice(stage.length + 1);
  const match = route.pattern.exec(path);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
