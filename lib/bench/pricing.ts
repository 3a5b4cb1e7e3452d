/**
 * AWS prices the benchmark's cost model uses: us-east-1 (N. Virginia), on-demand, first
 * pricing tier, no free tier, in US dollars.
 *
 * Looked up on 2026-11-25 (the bench's author, through stored copies of the pricing pages and
 * reputable summaries of them; re-check before quoting a bill):
 * - API Gateway REST API: $3.50 per million requests (first 333 M a month).
 *   https://aws.amazon.com/api-gateway/pricing/ (table reproduced in
 *   https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html)
 * - Lambda, Arm (arm64, which every function of the stack uses): $0.20 per million requests,
 *   $0.0000133334 per GB-second (first 7.5 billion GB-s a month); duration billed per 1 ms.
 *   https://aws.amazon.com/lambda/pricing/
 * - SNS standard topics: $0.50 per million publish requests, each 64 KB chunk of published data
 *   billed as one request; deliveries to SQS queues are free.
 *   https://aws.amazon.com/sns/pricing/
 * - SNS FIFO topics: $0.30 per million publish requests plus $0.017 per GB of published payload;
 *   $0.01 per million deliveries to SQS FIFO plus $0.003 per GB delivered. ASSUMPTION: taken
 *   from memory of the pricing page, not confirmed by the lookup.
 * - SQS: $0.40 per million requests on standard queues, $0.50 on FIFO queues (first 100 billion
 *   a month); each 64 KB chunk of a request's payload is billed as one request; empty receives
 *   count. https://aws.amazon.com/sqs/pricing/
 * - DynamoDB on-demand (after the November 2024 price cut): $0.625 per million write request
 *   units, $0.125 per million read request units. https://aws.amazon.com/dynamodb/pricing/on-demand/
 *
 * Further assumptions of the model: a PublishBatch / SendMessageBatch call is billed like one
 * request per 64 KB chunk of its whole payload (what batching saves); SNS → SQS deliveries cost
 * nothing on the SQS side either; items are ≤ 1 KB (one write unit) and ≤ 4 KB (half a read unit
 * eventually consistent, one strongly consistent); a conditional write that fails still costs
 * its write unit; CloudWatch Logs, KMS requests, data transfer and storage are left out.
 */
export const PRICES = {
  source: 'us-east-1 on-demand list prices, looked up 2026-11-25 (see lib/bench/pricing.ts)',
  apiGatewayRestPerMillion: 3.5,
  lambdaRequestPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.000_013_333_4,
  snsStandardPublishPerMillion: 0.5,
  snsFifoPublishPerMillion: 0.3,
  snsFifoPublishPerGb: 0.017,
  snsFifoDeliveryPerMillion: 0.01,
  snsFifoDeliveryPerGb: 0.003,
  sqsStandardPerMillion: 0.4,
  sqsFifoPerMillion: 0.5,
  dynamoDbWriteUnitPerMillion: 0.625,
  dynamoDbReadUnitPerMillion: 0.125,
} as const;

/** The shape of {@link PRICES}, so tests can price with other numbers. */
export type PriceTable = {
  readonly [K in keyof typeof PRICES]: (typeof PRICES)[K] extends string ? string : number;
};
