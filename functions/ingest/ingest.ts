import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { detectMode, parseCloudEvents } from '../shared/cloudevents/parse-http.ts';
import type { IngestRoutes } from '../shared/contract.ts';
import type { EventSchemaRegistry } from '../shared/event-schemas.ts';
import {
  BadRequestError,
  internalProblem,
  PayloadTooLargeError,
} from '../shared/http/http-errors.ts';
import { problemResult } from '../shared/http/problem-details.ts';
import type { IDeliveryStatusStore } from '../shared/status/delivery-status.ts';
import { type Destination, Destinations } from './destinations.ts';
import { type AcceptedEntry, PublishFailedError, toHttpError } from './errors.ts';
import { readEventStatus } from './event-status.ts';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key.ts';
import { IdempotentSection, requestFingerprint } from './idempotent-section.ts';
import { type OutboundMessage, planMessages } from './plan.ts';
import { type PublisherClients, publishMessages } from './publisher.ts';
import { bodyBytes, bodyText, headerValues, lowercaseHeaders, statusUrl } from './request.ts';
import { type IngestRoute, resolveRoute } from './router.ts';
import { dataIssues } from './validate-data.ts';

/** Everything the ingest needs; built once per Lambda container by `handler.ts`. */
export interface IngestHandlerProps {
  /** Streams and queues the ingest may publish to. */
  readonly routes: IngestRoutes;
  /** Schemas of `data` by CloudEvents `type` (types without one are accepted as they are). */
  readonly schemas: EventSchemaRegistry;
  /** SNS and SQS clients. */
  readonly clients: PublisherClients;
  /** Where accepted events are recorded and their status read. */
  readonly statusStore: IDeliveryStatusStore;
  /** Powertools persistence layer of `Idempotency-Key` records. */
  readonly idempotencyStore: BasePersistenceLayer;
  /** How long `Idempotency-Key` records are kept, in seconds. */
  readonly idempotencyTtlSeconds: number;
  /** Largest accepted request body, in bytes. */
  readonly maxRequestBytes: number;
  /** Structured logger. */
  readonly logger: Logger;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** The ingest as a function of the API Gateway proxy event. */
export type IngestHandler = (
  event: APIGatewayProxyEvent,
  context?: Context
) => Promise<APIGatewayProxyResult>;

/**
 * Builds the HTTP ingest: `POST /topics/{topic}/events`, `POST /queues/{queue}/messages` and
 * `GET /events/{id}` behind an API Gateway REST API (Lambda proxy integration).
 *
 * A publish request is checked completely before anything happens (route, content type, size,
 * `Idempotency-Key`, CloudEvents attributes, `data` against its schema, FIFO group, message
 * size, duplicates): a client mistake is a 4xx `application/problem+json` naming every problem,
 * and nothing is recorded or published. A batch is all-or-nothing at validation. Then each event
 * is recorded as accepted (with the consumers expected to process it), then published; the
 * answer is `202 {accepted: [{id, source, statusUrl}]}`, or a 503 listing exactly which events
 * were published and which were not ({@link PublishFailedError}). Unexpected errors are logged
 * and answered with a generic 500.
 */
export function createIngestHandler(props: IngestHandlerProps): IngestHandler {
  const destinations = new Destinations(props.routes);
  const idempotent = new IdempotentSection({
    persistenceStore: props.idempotencyStore,
    ttlSeconds: props.idempotencyTtlSeconds,
  });
  const now = props.now ?? Date.now;
  const { logger } = props;

  async function publish(
    event: APIGatewayProxyEvent,
    route: Extract<IngestRoute, { kind: 'publish' }>,
    context: Context | undefined,
    errorContext: { scope?: string; idempotencyKey?: string }
  ): Promise<APIGatewayProxyResult> {
    const destination = destinations.get(route.destination, route.name);
    const headers = lowercaseHeaders(event);
    const mode = detectMode(headers);
    const bytes = bodyBytes(event);
    if (bytes.length > props.maxRequestBytes) {
      throw new PayloadTooLargeError(
        'request-too-large',
        'Request too large',
        `the request body is ${bytes.length} bytes, over the limit of ${props.maxRequestBytes} bytes`
      );
    }
    const key = parseIdempotencyKey(headerValues(event, IDEMPOTENCY_KEY_HEADER));
    errorContext.idempotencyKey = key;
    const parsed = parseCloudEvents({ headers, body: bodyText(bytes) });
    const issues = dataIssues(parsed.events, mode, props.schemas);
    if (issues.length > 0) {
      const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
      throw new BadRequestError(
        'invalid-data',
        'Data does not match its schema',
        `${issues[0]?.detail}${more}`,
        { errors: issues }
      );
    }
    const messages = planMessages(parsed.events, mode, destination);
    const work = () => accept(event, destination, messages);
    if (key === undefined) return work();
    logger.appendKeys({ idempotencyKey: key });
    const scope = errorContext.scope ?? route.resource;
    return idempotent.run(
      { scope, key, fingerprint: requestFingerprint(headers, bytes) },
      work,
      context
    );
  }

  async function accept(
    request: APIGatewayProxyEvent,
    destination: Destination,
    messages: readonly OutboundMessage[]
  ): Promise<APIGatewayProxyResult> {
    const acceptedAt = new Date(now()).toISOString();
    await props.statusStore.recordAccepted(
      messages.map(({ event, consumers }) => ({
        id: event.id,
        source: event.source,
        type: event.type,
        destination: destination.label,
        consumers,
        acceptedAt,
      }))
    );
    const outcome = await publishMessages(props.clients, destination, messages);
    const byIndex = new Map(messages.map((message) => [message.index, message]));
    const accepted = outcome.published.flatMap((index) => {
      const message = byIndex.get(index);
      return message ? [acceptedEntry(request, message)] : [];
    });
    for (const message of messages) {
      if (message.dropped.length > 0) {
        logger.warn('event attributes left off the message', {
          eventId: message.event.id,
          source: message.event.source,
          dropped: message.dropped,
        });
      }
    }
    logger.info('events published', {
      destination: destination.label,
      events: outcome.published.map((index) => {
        const message = byIndex.get(index);
        return {
          id: message?.event.id,
          source: message?.event.source,
          type: message?.event.type,
          consumers: message?.consumers,
        };
      }),
    });
    if (outcome.failed.length > 0) {
      logger.error('events not published', {
        destination: destination.label,
        failed: outcome.failed.map((failure) => ({
          ...failure,
          eventId: byIndex.get(failure.index)?.event.id,
        })),
      });
      throw new PublishFailedError(
        accepted,
        outcome.failed.map((failure) => {
          const event = byIndex.get(failure.index)?.event;
          return { index: failure.index, id: event?.id ?? '', source: event?.source ?? '' };
        })
      );
    }
    return json(202, { accepted });
  }

  async function status(
    event: APIGatewayProxyEvent,
    route: Extract<IngestRoute, { kind: 'status' }>
  ): Promise<APIGatewayProxyResult> {
    const view = await readEventStatus(props.statusStore, route.id, event);
    return json(200, view, { 'Cache-Control': 'no-store' });
  }

  return async (event, context) => {
    if (context) logger.addContext(context);
    logger.appendKeys({ requestId: event.requestContext?.requestId });
    const errorContext: { scope?: string; idempotencyKey?: string } = {};
    try {
      const route = resolveRoute(event);
      if (route.kind === 'status') return await status(event, route);
      errorContext.scope = `POST ${route.resource.replace(/\{[^}]+\}/, encodeURIComponent(route.name))}`;
      return await publish(event, route, context, errorContext);
    } catch (error) {
      const httpError = toHttpError(error, errorContext);
      if (httpError?.expose) {
        logger.info('request rejected', { status: httpError.status, detail: httpError.message });
        return httpError.toResult();
      }
      if (httpError) {
        // Known server-side outcome (a partial publish): its body lists ids only.
        return httpError.toResult();
      }
      logger.error('unexpected error', error as Error);
      return problemResult(internalProblem());
    } finally {
      logger.removeKeys(['requestId', 'idempotencyKey']);
    }
  };
}

function acceptedEntry(request: APIGatewayProxyEvent, message: OutboundMessage): AcceptedEntry {
  const { id, source } = message.event;
  return {
    id,
    source,
    statusUrl: statusUrl(request, id, source),
    ...(message.dropped.length > 0 ? { droppedAttributes: message.dropped } : {}),
  };
}

function json(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {}
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
}
