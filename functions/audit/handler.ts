import { consumerRuntimeFromEnvironment, createConsumer } from '../shared/consumer/index.ts';
import { DynamoDbShopStore } from '../shop/dynamodb-shop-store.ts';
import { orderEventSchemas } from '../shop/events.ts';
import { recordAuditEntry } from './audit.ts';

const runtime = consumerRuntimeFromEnvironment();
const store = new DynamoDbShopStore({
  tableName: runtime.config.tableName,
  client: runtime.dynamoDb,
});

/** `audit`: records every event of the `orders` stream; known types are still validated. */
export const handler = createConsumer(
  {
    schemas: orderEventSchemas,
    acceptOtherTypes: true,
    handle: (event) => recordAuditEntry(event, store, runtime.now),
  },
  runtime
);
