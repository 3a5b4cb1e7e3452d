import { createHash } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { KEY_PREFIX } from '../shared/contract.ts';

/** Response header set on a response replayed from an earlier request with the same key. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** Options of {@link IdempotentSection}. */
export interface IdempotentSectionProps {
  /**
   * Where Powertools keeps the records: a `DynamoDBPersistenceLayer` on the pipeline table with
   * `keyAttr: 'pk'` and `expiryAttr: 'expiresAt'`.
   */
  readonly persistenceStore: BasePersistenceLayer;
  /** How long a key and its response are kept, in seconds. */
  readonly ttlSeconds: number;
}

/** What identifies one idempotent request. */
export interface IdempotentRequest {
  /** The route the key is scoped to, e.g. `POST /topics/orders/events`. */
  readonly scope: string;
  /** The `Idempotency-Key` value. */
  readonly key: string;
  /** Hash of everything that makes up the request ({@link requestFingerprint}). */
  readonly fingerprint: string;
}

interface IdempotentInput extends IdempotentRequest {
  readonly work: () => Promise<APIGatewayProxyResult>;
}

/**
 * Runs the side effects of a request at most once per `Idempotency-Key`, with Powertools
 * idempotency: the key (scoped by route) is the record key (`ingest#<hash>`), the request
 * fingerprint is the payload validated on a retry.
 *
 * - first request: runs `work`, stores its response;
 * - same key, same request: returns the stored response (same status and body), with
 *   {@link IDEMPOTENT_REPLAYED_HEADER}: `true`;
 * - same key, another request: Powertools throws `IdempotencyValidationError` (→ 422);
 * - same key while the first still runs: `IdempotencyAlreadyInProgressError` (→ 409);
 * - `work` throws: the record is deleted, so a retry runs again.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
 */
export class IdempotentSection {
  private readonly config: IdempotencyConfig;
  private readonly runOnce: (input: IdempotentInput) => Promise<APIGatewayProxyResult>;

  constructor(props: IdempotentSectionProps) {
    this.config = new IdempotencyConfig({
      eventKeyJmesPath: '[scope, key]',
      payloadValidationJmesPath: 'fingerprint',
      expiresAfterSeconds: props.ttlSeconds,
      throwOnNoIdempotencyKey: true,
      responseHook: (response) => {
        const stored = response as unknown as APIGatewayProxyResult;
        const replayed = {
          ...stored,
          headers: { ...stored.headers, [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
        };
        return replayed as unknown as typeof response;
      },
    });
    this.runOnce = makeIdempotent(async (input: IdempotentInput) => input.work(), {
      persistenceStore: props.persistenceStore,
      config: this.config,
      // Powertools writes `<prefix>#<hash>`: the records land under KEY_PREFIX.ingestIdempotency.
      keyPrefix: KEY_PREFIX.ingestIdempotency.replace(/#$/, ''),
    });
  }

  /**
   * Runs `work` once for the request.
   *
   * @param context the Lambda context, so that an in-progress record expires with the invocation
   */
  run(
    request: IdempotentRequest,
    work: () => Promise<APIGatewayProxyResult>,
    context?: Context
  ): Promise<APIGatewayProxyResult> {
    if (context) this.config.registerLambdaContext(context);
    return this.runOnce({ ...request, work });
  }
}

/**
 * A hash of what makes up a publish request: the media type, the `ce-*` headers (binary mode
 * carries the event's attributes there) and the body bytes.
 */
export function requestFingerprint(
  headers: Readonly<Record<string, string>>,
  body: Buffer
): string {
  const ceHeaders = Object.entries(headers)
    .filter(([name]) => name.startsWith('ce-'))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return createHash('sha256')
    .update(JSON.stringify({ mediaType, ceHeaders }))
    .update('\n')
    .update(body)
    .digest('hex');
}
