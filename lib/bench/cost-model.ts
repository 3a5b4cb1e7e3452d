/**
 * Turns API calls counted at the local runtime into AWS cost per million events, for the
 * pipeline as built and for the naive design it is measured against.
 */
import type { ApiCallSnapshot, OperationCount } from '../local/api-call-counter.ts';
import { PRICES, type PriceTable } from './pricing.ts';
import { fitLine } from './stats.ts';

/** Calls and dollars of one line of the bill, per million events. */
export interface CostLine {
  /** Service and what is billed, e.g. `Lambda GB-seconds`. */
  readonly item: string;
  /** Billed units per event (requests, chunks, GB-s, request units). */
  readonly unitsPerEvent: number;
  /** US dollars per million events. */
  readonly dollarsPerMillionEvents: number;
}

/** A bill per million events. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalPerMillionEvents: number;
}

/** The naive design's bill, with how each line was derived. */
export interface NaiveEstimate extends CostEstimate {
  readonly model: readonly string[];
}

/** The inputs besides the counts. */
export interface CostInputs {
  /** Events accepted while counting. */
  readonly events: number;
  /** Functions that consume SQS (the others, e.g. the ingest, are invoked per request). */
  readonly consumerFunctions: ReadonlySet<string>;
  /** Bytes of an average published event, for the per-GB FIFO charges. @default 1024 */
  readonly eventBytes?: number;
}

const GB = 1024 ** 3;

/**
 * The bill of the counted calls per million events: API Gateway requests, Lambda requests and
 * GB-seconds (billed ms × configured memory), SNS publishes (64 KB chunks; FIFO with payload
 * charges), SQS requests (64 KB chunks; standard vs FIFO), DynamoDB write and read units.
 */
export function estimateCost(
  counts: ApiCallSnapshot,
  inputs: CostInputs,
  prices: PriceTable = PRICES
): CostEstimate {
  const perEvent = (units: number) => (inputs.events > 0 ? units / inputs.events : 0);
  const lines: CostLine[] = [];
  const add = (item: string, units: number, dollarsPerUnit: number) =>
    lines.push({
      item,
      unitsPerEvent: perEvent(units),
      dollarsPerMillionEvents: perEvent(units) * dollarsPerUnit * 1e6,
    });
  const apiRequests = Object.values(counts.apiGateway).reduce((sum, value) => sum + value, 0);
  add('API Gateway REST requests', apiRequests, prices.apiGatewayRestPerMillion / 1e6);
  let invocations = 0;
  let gbSeconds = 0;
  for (const fn of Object.values(counts.lambda)) {
    invocations += fn.invocations;
    gbSeconds += (fn.billedMs / 1000) * (fn.memorySizeMb / 1024);
  }
  add('Lambda requests', invocations, prices.lambdaRequestPerMillion / 1e6);
  add('Lambda GB-seconds (arm64)', gbSeconds, prices.lambdaArmPerGbSecond);
  const sns = sumOperations(counts, 'sns', (operation) => /^Publish/.test(operation));
  add(
    'SNS publishes (standard, 64 KB chunks)',
    sns.standard,
    prices.snsStandardPublishPerMillion / 1e6
  );
  add('SNS publishes (FIFO)', sns.fifo, prices.snsFifoPublishPerMillion / 1e6);
  const eventBytes = inputs.eventBytes ?? 1024;
  add('SNS FIFO payload (GB)', (sns.fifoMessages * eventBytes) / GB, prices.snsFifoPublishPerGb);
  const sqs = sumOperations(counts, 'sqs', () => true);
  add('SQS requests (standard, 64 KB chunks)', sqs.standard, prices.sqsStandardPerMillion / 1e6);
  add('SQS requests (FIFO, 64 KB chunks)', sqs.fifo, prices.sqsFifoPerMillion / 1e6);
  const dynamo = dynamoUnits(counts);
  add('DynamoDB write request units', dynamo.write, prices.dynamoDbWriteUnitPerMillion / 1e6);
  add('DynamoDB read request units', dynamo.read, prices.dynamoDbReadUnitPerMillion / 1e6);
  return { lines, totalPerMillionEvents: total(lines) };
}

/**
 * The naive design TARGETS.md names — one SNS publish per event, SQS batch size 1, two
 * idempotency writes per delivery — priced from the same counts:
 * - API Gateway, the ingest function, SNS publishes and the DynamoDB writes that are not
 *   consumer idempotency records are the same as measured (one event per request already
 *   means one publish per event);
 * - each delivered record is its own ReceiveMessage and DeleteMessage (instead of batched
 *   receives and DeleteMessageBatch); empty receives, sends and visibility changes stay as
 *   measured;
 * - each delivered record is its own consumer invocation, lasting the per-invocation overhead
 *   plus the per-record time of a least-squares fit of measured batch durations against batch
 *   sizes (the mean time per record when batch sizes did not vary);
 * - consumer idempotency writes are exactly two per delivered record;
 * - delivery status writes are one per accepted event plus one per delivered record (each
 *   outcome written), or as measured when that is more (the pipeline reports failed attempts
 *   too; it reads a first attempt's success from the idempotency record instead of writing it).
 */
export function estimateNaiveCost(
  counts: ApiCallSnapshot,
  inputs: CostInputs,
  prices: PriceTable = PRICES
): NaiveEstimate {
  const model: string[] = [];
  const lambda: ApiCallSnapshot['lambda'] = {};
  let deliveries = 0;
  for (const [name, fn] of Object.entries(counts.lambda)) {
    if (!inputs.consumerFunctions.has(name) || fn.records === 0) {
      lambda[name] = fn;
      continue;
    }
    deliveries += fn.records;
    const line = fitLine(fn.fit);
    const perRecord = fn.durationMs / fn.records;
    const single =
      line && line.intercept > 0 && line.slope > 0 ? line.intercept + line.slope : perRecord;
    model.push(
      `${name}: ${fn.records} records in ${fn.invocations} invocations (${(fn.records / fn.invocations).toFixed(2)}/batch); one record per invocation ≈ ${single.toFixed(1)} ms ${line && line.intercept > 0 && line.slope > 0 ? `(fit: ${line.intercept.toFixed(1)} ms + ${line.slope.toFixed(1)} ms/record)` : '(mean per record)'}`
    );
    lambda[name] = {
      ...fn,
      invocations: fn.records,
      durationMs: single * fn.records,
      billedMs: Math.max(1, Math.ceil(single)) * fn.records,
    };
  }
  const sqs: Record<string, ApiCallSnapshot['aws'][string][string]> = {};
  for (const [operation, count] of Object.entries(counts.aws.sqs ?? {})) {
    const batchedReceive = /^ReceiveMessage/.test(operation) && !operation.includes('[empty]');
    if (batchedReceive || /^DeleteMessage/.test(operation)) continue;
    sqs[operation] = count;
  }
  // Deliveries on FIFO queues are priced as FIFO requests.
  const fifoDeliveries = fifoRecordShare(counts, deliveries);
  const standardDeliveries = deliveries - fifoDeliveries;
  sqs['ReceiveMessage (one per record)'] = requests(standardDeliveries);
  sqs['DeleteMessage (one per record)'] = requests(standardDeliveries);
  sqs['ReceiveMessage [fifo] (one per record)'] = requests(fifoDeliveries);
  sqs['DeleteMessage [fifo] (one per record)'] = requests(fifoDeliveries);
  model.push(
    `SQS: ${deliveries} delivered records → ${2 * deliveries} receive + delete requests (measured empty receives, sends and visibility changes kept)`
  );
  const dynamodb: Record<string, ApiCallSnapshot['aws'][string][string]> = {};
  let measuredIdempotencyWrites = 0;
  let measuredStatusWrites = 0;
  for (const [operation, count] of Object.entries(counts.aws.dynamodb ?? {})) {
    if (operation.includes('consumer#') && count.writeUnits > 0) {
      measuredIdempotencyWrites += count.writeUnits;
      continue;
    }
    if (operation.includes('event#') && count.writeUnits > 0) {
      measuredStatusWrites += count.writeUnits;
      continue;
    }
    dynamodb[operation] = count;
  }
  dynamodb['idempotency writes (two per record)'] = singleUnitWrites(2 * deliveries);
  const statusWrites = Math.max(measuredStatusWrites, inputs.events + deliveries);
  dynamodb['status writes (accepted + one per record)'] = singleUnitWrites(statusWrites);
  model.push(
    `DynamoDB: consumer idempotency writes ${measuredIdempotencyWrites} measured → ${2 * deliveries} (two per record); status writes ${measuredStatusWrites} measured → ${statusWrites} (one per event + one per record); other reads and writes as measured`
  );
  const naive: ApiCallSnapshot = {
    ...counts,
    lambda,
    aws: { ...counts.aws, sqs, dynamodb },
  };
  return { ...estimateCost(naive, inputs, prices), model };
}

const NO_CALLS = { chunks: 0, calls: 0, requestBytes: 0, writeUnits: 0, readUnits: 0 };

/** `count` requests of one 64 KB chunk each. */
function requests(count: number): OperationCount {
  return { ...NO_CALLS, calls: count, chunks: count };
}

/** `count` writes of one write request unit each. */
function singleUnitWrites(count: number): OperationCount {
  return { ...NO_CALLS, calls: count, writeUnits: count };
}

/** Share of delivered records that came from FIFO queues: the FIFO consumers' records. */
function fifoRecordShare(counts: ApiCallSnapshot, deliveries: number): number {
  const fifoReceives = Object.entries(counts.aws.sqs ?? {})
    .filter(
      ([operation]) =>
        operation.startsWith('ReceiveMessage [fifo]') && !operation.includes('[empty]')
    )
    .reduce((sum, [, count]) => sum + count.calls, 0);
  const receives = Object.entries(counts.aws.sqs ?? {})
    .filter(
      ([operation]) => operation.startsWith('ReceiveMessage') && !operation.includes('[empty]')
    )
    .reduce((sum, [, count]) => sum + count.calls, 0);
  return receives === 0 ? 0 : Math.round((deliveries * fifoReceives) / receives);
}

function sumOperations(
  counts: ApiCallSnapshot,
  service: string,
  include: (operation: string) => boolean
): { standard: number; fifo: number; fifoMessages: number } {
  let standard = 0;
  let fifo = 0;
  let fifoMessages = 0;
  for (const [operation, count] of Object.entries(counts.aws[service] ?? {})) {
    if (!include(operation)) continue;
    if (operation.includes('[fifo]')) {
      fifo += count.chunks;
      fifoMessages += count.calls;
    } else standard += count.chunks;
  }
  return { standard, fifo, fifoMessages };
}

function dynamoUnits(counts: ApiCallSnapshot): { write: number; read: number } {
  let write = 0;
  let read = 0;
  for (const count of Object.values(counts.aws.dynamodb ?? {})) {
    write += count.writeUnits;
    read += count.readUnits;
  }
  return { write, read };
}

function total(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.dollarsPerMillionEvents, 0);
}

/** Calls per event by service and operation, for the report. */
export function callsPerEvent(
  counts: ApiCallSnapshot,
  events: number
): Array<{ service: string; operation: string; perEvent: number; calls: number }> {
  const rows: Array<{ service: string; operation: string; perEvent: number; calls: number }> = [];
  const push = (service: string, operation: string, calls: number) =>
    rows.push({ service, operation, calls, perEvent: events > 0 ? calls / events : 0 });
  for (const [route, calls] of Object.entries(counts.apiGateway)) push('apigateway', route, calls);
  for (const [name, fn] of Object.entries(counts.lambda))
    push('lambda', `Invoke ${name}`, fn.invocations);
  for (const [service, operations] of Object.entries(counts.aws)) {
    for (const [operation, count] of Object.entries(operations))
      push(service, operation, count.calls);
  }
  return rows.sort((a, b) => b.perEvent - a.perEvent);
}
