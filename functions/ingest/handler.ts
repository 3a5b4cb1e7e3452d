import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { TABLE_KEYS } from '../shared/contract.ts';
import { DynamoDbDeliveryStatusStore } from '../shared/status/dynamodb-delivery-status-store.ts';
import { shopEventSchemas } from '../shop/schemas.ts';
import { readIngestConfig } from './config.ts';
import { createIngestHandler } from './ingest.ts';

// Built once per container: a missing variable fails the cold start, and the clients (default
// config, so AWS_ENDPOINT_URL_* can point them at emulators) are reused across invocations.
const config = readIngestConfig(process.env);
const dynamoDb = new DynamoDBClient({});

const ingest = createIngestHandler({
  routes: config.routes,
  schemas: shopEventSchemas,
  clients: { sns: new SNSClient({}), sqs: new SQSClient({}) },
  statusStore: new DynamoDbDeliveryStatusStore({
    tableName: config.tableName,
    client: dynamoDb,
    ttlSeconds: config.statusTtlSeconds,
  }),
  idempotencyStore: new DynamoDBPersistenceLayer({
    tableName: config.tableName,
    keyAttr: TABLE_KEYS.partitionKey,
    expiryAttr: TABLE_KEYS.timeToLive,
    awsSdkV3Client: dynamoDb,
  }),
  idempotencyTtlSeconds: config.idempotencyTtlSeconds,
  maxRequestBytes: config.maxRequestBytes,
  logger: new Logger({ serviceName: 'ingest' }),
});

/**
 * The ingest Lambda: API Gateway REST API (v1) proxy events in, proxy results out.
 *
 * @see createIngestHandler for the behaviour
 */
export const handler = (
  event: APIGatewayProxyEvent,
  context: Context
): Promise<APIGatewayProxyResult> => ingest(event, context);
