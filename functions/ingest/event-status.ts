import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ConflictError, NotFoundError } from '../shared/http/http-errors.ts';
import type { EventStatusView, IDeliveryStatusStore } from '../shared/status/delivery-status.ts';
import { MAX_IDENTITY_BYTES } from './plan.ts';
import { statusUrl } from './request.ts';

/** One subscriber's delivery in the `GET /events/{id}` response. */
export interface SubscriberStatusBody {
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  /** Last error, `null` when none. */
  readonly lastError: string | null;
  /** ISO 8601 time of the consumer's last report, `null` before its first. */
  readonly updatedAt: string | null;
}

/** The `GET /events/{id}` response body. Fields the ingest did not record are `null`. */
export interface EventStatusBody {
  readonly id: string;
  readonly source: string;
  readonly type: string | null;
  readonly destination: string | null;
  readonly acceptedAt: string | null;
  /** `true` when every subscriber is `succeeded` or `dead_lettered`. */
  readonly done: boolean;
  readonly subscribers: readonly SubscriberStatusBody[];
}

/**
 * Reads the delivery status of an event for `GET /events/{id}?source=`.
 *
 * Ids are unique per source only. When the id was accepted from several sources and the request
 * names none, the answer is a 409 listing each source with its status URL (rather than a list of
 * statuses), so that the 200 body always describes exactly one event.
 *
 * @throws NotFoundError when no event has that id (from that source)
 * @throws ConflictError when the id is ambiguous and no `source` is given
 */
export async function readEventStatus(
  store: IDeliveryStatusStore,
  id: string,
  request: APIGatewayProxyEvent
): Promise<EventStatusBody> {
  const source = request.queryStringParameters?.source || undefined;
  // The ingest accepts no id or source over the limit, and an id over it is no valid table key
  // (DynamoDB refuses a partition key over 2048 bytes): such an event is unknown.
  const tooLong = [id, source ?? ''].some(
    (value) => Buffer.byteLength(value, 'utf8') > MAX_IDENTITY_BYTES
  );
  const views = tooLong ? [] : await store.getStatus(id, source);
  const [view, ...others] = views;
  if (view === undefined) {
    throw new NotFoundError(
      'unknown-event',
      'Unknown event',
      source === undefined
        ? `no event with id '${id}' is known`
        : `no event with id '${id}' from source '${source}' is known`
    );
  }
  if (others.length > 0) {
    throw new ConflictError(
      'ambiguous-event-id',
      'Ambiguous event id',
      `event id '${id}' was accepted from ${views.length} sources; add ?source= to choose one`,
      {
        extensions: {
          sources: views.map((candidate) => ({
            source: candidate.source,
            statusUrl: statusUrl(request, id, candidate.source),
          })),
        },
      }
    );
  }
  return toBody(view);
}

function toBody(view: EventStatusView): EventStatusBody {
  return {
    id: view.id,
    source: view.source,
    type: view.type ?? null,
    destination: view.destination ?? null,
    acceptedAt: view.acceptedAt ?? null,
    done: view.done,
    subscribers: view.subscribers.map((subscriber) => ({
      name: subscriber.name,
      status: subscriber.status,
      attempts: subscriber.attempts,
      lastError: subscriber.lastError ?? null,
      updatedAt: subscriber.updatedAt ?? null,
    })),
  };
}
