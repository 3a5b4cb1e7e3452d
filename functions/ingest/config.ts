import { ENV, type IngestRoutes } from '../shared/contract.ts';

/** The ingest function's settings, read from its environment at cold start. */
export interface IngestConfig {
  /** Streams and queues the ingest may publish to. */
  readonly routes: IngestRoutes;
  /** The pipeline table (status records and idempotency records). */
  readonly tableName: string;
  /** Largest accepted request body, in bytes. */
  readonly maxRequestBytes: number;
  /** How long `Idempotency-Key` records are kept, in seconds. */
  readonly idempotencyTtlSeconds: number;
  /** How long delivery status records are kept, in seconds. */
  readonly statusTtlSeconds: number;
}

/**
 * Reads and checks the ingest's environment.
 *
 * @throws Error `<NAME> environment variable is not set` for a missing variable, or a message
 * naming the variable, the value and the rule for a malformed one
 */
export function readIngestConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  return {
    routes: parseRoutes(required(env, ENV.ROUTES)),
    tableName: required(env, ENV.TABLE_NAME),
    maxRequestBytes: positiveInteger(env, ENV.MAX_REQUEST_BYTES),
    idempotencyTtlSeconds: positiveInteger(env, ENV.IDEMPOTENCY_TTL_SECONDS),
    statusTtlSeconds: positiveInteger(env, ENV.STATUS_TTL_SECONDS),
  };
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} environment variable is not set`);
  }
  return value;
}

function positiveInteger(env: Readonly<Record<string, string | undefined>>, name: string): number {
  const text = required(env, name);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(
      `${name} environment variable must be a positive integer, but '${text}' was provided`
    );
  }
  return value;
}

function parseRoutes(text: string): IngestRoutes {
  let routes: unknown;
  try {
    routes = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${ENV.ROUTES} environment variable is not valid JSON: ${(error as Error).message}`,
      { cause: error }
    );
  }
  if (
    typeof routes !== 'object' ||
    routes === null ||
    typeof (routes as IngestRoutes).streams !== 'object' ||
    typeof (routes as IngestRoutes).queues !== 'object'
  ) {
    throw new Error(`${ENV.ROUTES} environment variable must be an object with streams and queues`);
  }
  return routes as IngestRoutes;
}
