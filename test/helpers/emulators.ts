/**
 * Starts the real emulators the tests run against, in-process on loopback ports:
 * fauxqs (SNS + SQS on one endpoint) and dynalite (DynamoDB). Nothing is mocked.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { TABLE_KEYS } from '../../functions/shared/contract.ts';

/** Credentials and region the emulators (and the local runtime) accept. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

/** Running emulators and SDK clients pointed at them. */
export interface Emulators {
  /** SNS + SQS endpoint (fauxqs). */
  readonly messagingEndpoint: string;
  /** DynamoDB endpoint (dynalite). */
  readonly dynamoDbEndpoint: string;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamoDb: DynamoDBClient;
  /** The fauxqs server, for its spy and inspection helpers. */
  readonly fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  /** Stops both emulators and destroys the clients. */
  stop(): Promise<void>;
}

/** Starts fauxqs and dynalite on free loopback ports. */
export async function startEmulators(): Promise<Emulators> {
  const fauxqs = await startFauxqs({
    port: 0,
    host: '127.0.0.1',
    logger: false,
    messageSpies: true,
  });
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const address = dynamo.address();
  if (!address || typeof address === 'string') throw new Error('dynalite did not bind a port');
  const messagingEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  const dynamoDbEndpoint = `http://127.0.0.1:${address.port}`;
  const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: messagingEndpoint });
  const sns = new SNSClient({ ...LOCAL_AWS, endpoint: messagingEndpoint });
  const dynamoDb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoDbEndpoint });
  return {
    messagingEndpoint,
    dynamoDbEndpoint,
    sqs,
    sns,
    dynamoDb,
    fauxqs,
    async stop() {
      sqs.destroy();
      sns.destroy();
      dynamoDb.destroy();
      await fauxqs.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** Creates a table shaped like the stack's pipeline table (partition key only). */
export async function createPipelineTable(
  client: DynamoDBClient,
  tableName: string
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
    })
  );
}
