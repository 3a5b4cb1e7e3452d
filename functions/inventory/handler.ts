import { consumerRuntimeFromEnvironment, createConsumer } from '../shared/consumer/index.ts';
import { DynamoDbShopStore } from '../shop/dynamodb-shop-store.ts';
import { inventoryEventSchemas } from '../shop/events.ts';
import { applyInventoryEvent } from './inventory.ts';

const runtime = consumerRuntimeFromEnvironment();
const store = new DynamoDbShopStore({
  tableName: runtime.config.tableName,
  client: runtime.dynamoDb,
});

/** `inventory`: reserves stock on `order.placed`, releases it on `order.cancelled`. */
export const handler = createConsumer(
  {
    schemas: inventoryEventSchemas,
    handle: (event, context) => applyInventoryEvent(event, store, context),
  },
  runtime
);
