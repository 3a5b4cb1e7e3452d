import { consumerRuntimeFromEnvironment, createConsumer } from '../shared/consumer/index.ts';
import { DynamoDbShopStore } from '../shop/dynamodb-shop-store.ts';
import { shippingEventSchemas } from '../shop/events.ts';
import { createShipment } from './shipping.ts';

const runtime = consumerRuntimeFromEnvironment();
const store = new DynamoDbShopStore({
  tableName: runtime.config.tableName,
  client: runtime.dynamoDb,
});

/** `shipping`: creates a shipment for every paid order. */
export const handler = createConsumer(
  { schemas: shippingEventSchemas, handle: (event) => createShipment(event, store) },
  runtime
);
