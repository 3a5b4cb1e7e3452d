/**
 * Counts the AWS API calls the local runtime serves, by service and operation, so that a
 * benchmark can turn a run into calls per event and an AWS bill: SQS and SNS calls at fauxqs,
 * DynamoDB calls at dynalite, requests at the REST API server, and Lambda invocations with their
 * duration at the function hosts.
 *
 * Counting is off until {@link ApiCallCounter.start}: the hooks then cost one boolean check per
 * request, and nothing reads a request body.
 */

/** Largest payload one billed SQS or SNS request covers (64 KB). */
export const BILLING_CHUNK_BYTES = 64 * 1024;

/** Calls to one operation of one service. */
export interface OperationCount {
  /** Calls. */
  calls: number;
  /** Billed 64 KB chunks: per call, the larger of request and response payload. */
  chunks: number;
  /** Request bytes, summed. */
  requestBytes: number;
  /** DynamoDB: write request units (1 KB items assumed; 2 per transactional item). */
  writeUnits: number;
  /** DynamoDB: read request units (4 KB items assumed; 0.5 eventually consistent). */
  readUnits: number;
}

/** Lambda invocations of one function. */
export interface FunctionCount {
  /** Configured memory, in MB. */
  memorySizeMb: number;
  invocations: number;
  /** SQS records delivered, summed over invocations (0 for API invocations). */
  records: number;
  /** Handler time (init included on a cold start), in ms. */
  durationMs: number;
  /** Per invocation, rounded up to the millisecond as Lambda bills. */
  billedMs: number;
  /** Sums for a least-squares fit of duration against records per batch. */
  fit: { n: number; x: number; y: number; xx: number; xy: number };
}

/** A snapshot of everything counted since the last reset. */
export interface ApiCallSnapshot {
  /** Milliseconds counted (between start/reset and the snapshot). */
  readonly elapsedMs: number;
  /** `service → operation → count`; DynamoDB operations are suffixed with the key class. */
  readonly aws: Record<string, Record<string, OperationCount>>;
  /** API Gateway requests by `METHOD resource`. */
  readonly apiGateway: Record<string, number>;
  /** Lambda invocations by function name. */
  readonly lambda: Record<string, FunctionCount>;
}

/**
 * The tally. One instance per runtime; the emulators, the REST API server and the function hosts
 * report to it.
 *
 * @example
 * runtime.apiCalls.start();
 * // … drive traffic …
 * const counts = runtime.apiCalls.snapshot();
 */
export class ApiCallCounter {
  #enabled = false;
  #since = performance.now();
  #aws = new Map<string, Map<string, OperationCount>>();
  #apiGateway = new Map<string, number>();
  #lambda = new Map<string, FunctionCount>();
  #listeners = new Set<(enabled: boolean) => void>();

  /** Whether counting is on (hooks check this before doing any work). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Turns counting on, from zero. */
  start(): void {
    this.reset();
    this.#setEnabled(true);
  }

  /** Turns counting off; the counts stay readable. */
  stop(): void {
    this.#setEnabled(false);
  }

  /**
   * Calls `listener` with the new state each time counting is turned on or off, for hooks that
   * run in another thread and cannot read {@link enabled}. Returns the unsubscribe function.
   */
  onEnabledChange(listener: (enabled: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    for (const listener of this.#listeners) listener(enabled);
  }

  /** Clears the counts (counting stays on or off). */
  reset(): void {
    this.#aws = new Map();
    this.#apiGateway = new Map();
    this.#lambda = new Map();
    this.#since = performance.now();
  }

  /** Records one AWS API call. */
  countAws(
    service: string,
    operation: string,
    sizes: { readonly requestBytes: number; readonly responseBytes?: number },
    units: { readonly writeUnits?: number; readonly readUnits?: number } = {}
  ): void {
    if (!this.#enabled) return;
    let operations = this.#aws.get(service);
    if (!operations) {
      operations = new Map();
      this.#aws.set(service, operations);
    }
    let count = operations.get(operation);
    if (!count) {
      count = { calls: 0, chunks: 0, requestBytes: 0, writeUnits: 0, readUnits: 0 };
      operations.set(operation, count);
    }
    count.calls += 1;
    count.chunks += billedChunks(Math.max(sizes.requestBytes, sizes.responseBytes ?? 0));
    count.requestBytes += sizes.requestBytes;
    count.writeUnits += units.writeUnits ?? 0;
    count.readUnits += units.readUnits ?? 0;
  }

  /** Records one request to the REST API. */
  countApiGateway(route: string): void {
    if (!this.#enabled) return;
    this.#apiGateway.set(route, (this.#apiGateway.get(route) ?? 0) + 1);
  }

  /** Records one Lambda invocation. */
  countInvocation(
    functionName: string,
    memorySizeMb: number,
    durationMs: number,
    records: number
  ): void {
    if (!this.#enabled) return;
    let count = this.#lambda.get(functionName);
    if (!count) {
      count = {
        memorySizeMb,
        invocations: 0,
        records: 0,
        durationMs: 0,
        billedMs: 0,
        fit: { n: 0, x: 0, y: 0, xx: 0, xy: 0 },
      };
      this.#lambda.set(functionName, count);
    }
    count.invocations += 1;
    count.records += records;
    count.durationMs += durationMs;
    count.billedMs += Math.max(1, Math.ceil(durationMs));
    count.fit.n += 1;
    count.fit.x += records;
    count.fit.y += durationMs;
    count.fit.xx += records * records;
    count.fit.xy += records * durationMs;
  }

  /** A deep copy of the counts. */
  snapshot(): ApiCallSnapshot {
    const aws: Record<string, Record<string, OperationCount>> = {};
    for (const [service, operations] of this.#aws) {
      aws[service] = Object.fromEntries(
        [...operations].map(([operation, count]) => [operation, { ...count }])
      );
    }
    return {
      elapsedMs: performance.now() - this.#since,
      aws,
      apiGateway: Object.fromEntries(this.#apiGateway),
      lambda: Object.fromEntries(
        [...this.#lambda].map(([name, count]) => [name, { ...count, fit: { ...count.fit } }])
      ),
    };
  }
}

/** Billed 64 KB chunks of a payload: at least one per request. */
export function billedChunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / BILLING_CHUNK_BYTES));
}

/**
 * The operation of a JSON-protocol request from its `X-Amz-Target` header
 * (`AmazonSQS.SendMessageBatch` → `SendMessageBatch`, `DynamoDB_20120810.PutItem` → `PutItem`).
 */
export function operationFromTarget(target: string | undefined): string | undefined {
  if (!target) return undefined;
  const dot = target.lastIndexOf('.');
  const operation = dot >= 0 ? target.slice(dot + 1) : target;
  return operation === '' ? undefined : operation;
}

/** The `Action` of a query-protocol (form-encoded) request body. */
export function actionFromForm(body: string): string | undefined {
  return new URLSearchParams(body).get('Action') ?? undefined;
}

/** Which service a JSON-protocol target belongs to. */
export function serviceFromTarget(target: string | undefined): string | undefined {
  if (!target) return undefined;
  if (target.startsWith('AmazonSQS.')) return 'sqs';
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  return undefined;
}

/** What a DynamoDB request costs and which key class it touches. */
export interface DynamoDbCall {
  /** The operation, suffixed with the key class of the item, e.g. `PutItem consumer#`. */
  readonly label: string;
  readonly writeUnits: number;
  readonly readUnits: number;
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan']);

/**
 * Classifies a DynamoDB request: its request units (on-demand; items assumed ≤ 1 KB for writes
 * and ≤ 4 KB for reads, a conditional write that fails still costs its unit) and the prefix of
 * the partition key it touches (the part up to the first `#`), which tells idempotency records,
 * delivery status and effects apart in the single pipeline table.
 */
export function classifyDynamoDbCall(operation: string, body: string): DynamoDbCall {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // An unreadable body is still one call.
  }
  const prefix = keyPrefixOf(parsed);
  const label = prefix ? `${operation} ${prefix}` : operation;
  if (WRITE_OPERATIONS.has(operation)) return { label, writeUnits: 1, readUnits: 0 };
  if (READ_OPERATIONS.has(operation)) {
    return { label, writeUnits: 0, readUnits: parsed.ConsistentRead === true ? 1 : 0.5 };
  }
  if (operation === 'BatchWriteItem') {
    const items = Object.values((parsed.RequestItems ?? {}) as Record<string, unknown[]>).reduce(
      (sum, requests) => sum + (Array.isArray(requests) ? requests.length : 0),
      0
    );
    return { label, writeUnits: items, readUnits: 0 };
  }
  if (operation === 'TransactWriteItems') {
    const items = Array.isArray(parsed.TransactItems) ? parsed.TransactItems.length : 0;
    return { label, writeUnits: 2 * items, readUnits: 0 };
  }
  if (operation === 'TransactGetItems') {
    const items = Array.isArray(parsed.TransactItems) ? parsed.TransactItems.length : 0;
    return { label, writeUnits: 0, readUnits: 2 * items };
  }
  if (operation === 'BatchGetItem') {
    const requests = Object.values((parsed.RequestItems ?? {}) as Record<string, unknown>);
    const items = requests.reduce<number>((sum, request) => {
      const keys = (request as { Keys?: unknown[] }).Keys;
      return sum + (Array.isArray(keys) ? keys.length : 0);
    }, 0);
    return { label, writeUnits: 0, readUnits: 0.5 * items };
  }
  return { label, writeUnits: 0, readUnits: 0 };
}

/** The class of the partition key (`consumer#`, `event#`, `shop#`, …) of a single-item request. */
function keyPrefixOf(request: Record<string, unknown>): string | undefined {
  const key = (request.Key ?? request.Item) as Record<string, { S?: unknown }> | undefined;
  if (!key || typeof key !== 'object') return undefined;
  for (const value of Object.values(key)) {
    if (typeof value?.S === 'string') {
      const hash = value.S.indexOf('#');
      return hash > 0 ? value.S.slice(0, hash + 1) : undefined;
    }
  }
  return undefined;
}
