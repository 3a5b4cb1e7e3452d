import { describe, expect, it } from 'vitest';
import { estimateCost, estimateNaiveCost } from '../../../lib/bench/cost-model.ts';
import { PRICES } from '../../../lib/bench/pricing.ts';
import type { ApiCallSnapshot, OperationCount } from '../../../lib/local/api-call-counter.ts';

const op = (calls: number, extra: Partial<OperationCount> = {}): OperationCount => ({
  calls,
  chunks: calls,
  requestBytes: 0,
  writeUnits: 0,
  readUnits: 0,
  ...extra,
});

/** 1,000 events, each delivered to two subscribers, in batches of 5 and of 15. */
const counts: ApiCallSnapshot = {
  elapsedMs: 10_000,
  apiGateway: { 'POST /topics/{topic}/events': 1000 },
  lambda: {
    ingest: {
      memorySizeMb: 256,
      invocations: 1000,
      records: 0,
      durationMs: 10_000,
      billedMs: 10_000,
      fit: { n: 1000, x: 0, y: 10_000, xx: 0, xy: 0 },
    },
    audit: {
      memorySizeMb: 1024,
      invocations: 200,
      records: 2000,
      // 20 ms per invocation + 2 ms per record: 100 batches of 5 (30 ms), 100 of 15 (50 ms)
      durationMs: 8000,
      billedMs: 8000,
      fit: { n: 200, x: 2000, y: 8000, xx: 100 * 25 + 100 * 225, xy: 100 * 5 * 30 + 100 * 15 * 50 },
    },
  },
  aws: {
    sns: { PublishBatch: op(1000) },
    sqs: { ReceiveMessage: op(200), DeleteMessageBatch: op(200), 'ReceiveMessage [empty]': op(50) },
    dynamodb: {
      'PutItem consumer#': op(2000, { writeUnits: 2000 }),
      'UpdateItem consumer#': op(2000, { writeUnits: 2000 }),
      'UpdateItem event#': op(3000, { writeUnits: 3000 }),
    },
  },
};
const inputs = { events: 1000, consumerFunctions: new Set(['audit']) };

describe('estimateCost', () => {
  it('prices every counted call per million events', () => {
    // Act
    const cost = estimateCost(counts, inputs);

    // Assess
    const line = (item: string) => cost.lines.find((entry) => entry.item.startsWith(item));
    expect(line('API Gateway')?.dollarsPerMillionEvents).toBeCloseTo(3.5);
    expect(line('Lambda requests')?.unitsPerEvent).toBeCloseTo(1.2);
    // ingest 10 ms × 0.25 GB + audit 8 ms × 1 GB per event
    expect(line('Lambda GB-seconds')?.unitsPerEvent).toBeCloseTo(0.0025 + 0.008);
    expect(line('SQS requests (standard')?.unitsPerEvent).toBeCloseTo(0.45);
    expect(line('DynamoDB write')?.dollarsPerMillionEvents).toBeCloseTo(
      7 * PRICES.dynamoDbWriteUnitPerMillion
    );
  });
});

describe('estimateNaiveCost', () => {
  it('invokes once per record for the fitted overhead plus per-record time', () => {
    // Act
    const naive = estimateNaiveCost(counts, inputs);

    // Assess: 2 invocations per event of 22 ms at 1 GB, plus the ingest
    const line = (item: string) => naive.lines.find((entry) => entry.item.startsWith(item));
    expect(line('Lambda requests')?.unitsPerEvent).toBeCloseTo(3);
    expect(line('Lambda GB-seconds')?.unitsPerEvent).toBeCloseTo(0.0025 + 2 * 0.022);
    // 2 receives + 2 deletes per event, and the measured empty receives
    expect(line('SQS requests (standard')?.unitsPerEvent).toBeCloseTo(4.05);
    // two idempotency writes per record plus the status writes
    expect(line('DynamoDB write')?.unitsPerEvent).toBeCloseTo(7);
    expect(naive.totalPerMillionEvents).toBeGreaterThan(
      estimateCost(counts, inputs).totalPerMillionEvents
    );
  });

  it('writes a status per event and per record even when the pipeline measured fewer', () => {
    // Prepare: only the 1,000 accepted writes were measured (successes read from idempotency)
    const fewerStatusWrites: ApiCallSnapshot = {
      ...counts,
      aws: {
        ...counts.aws,
        dynamodb: { ...counts.aws.dynamodb, 'UpdateItem event#': op(1000, { writeUnits: 1000 }) },
      },
    };

    // Act
    const naive = estimateNaiveCost(fewerStatusWrites, inputs);
    const asBuilt = estimateCost(fewerStatusWrites, inputs);

    // Assess: naive 4 idempotency + 3 status writes per event; as built 4 + 1
    const writes = (estimate: { lines: readonly { item: string; unitsPerEvent: number }[] }) =>
      estimate.lines.find((entry) => entry.item.startsWith('DynamoDB write'))?.unitsPerEvent;
    expect(writes(naive)).toBeCloseTo(7);
    expect(writes(asBuilt)).toBeCloseTo(5);
  });
});
