import { consumerRuntimeFromEnvironment, createConsumer } from '../shared/consumer/index.ts';
import { DynamoDbShopStore } from '../shop/dynamodb-shop-store.ts';
import { trackingEventSchemas } from '../shop/events.ts';
import { appendTrackingUpdate } from './tracker.ts';

const runtime = consumerRuntimeFromEnvironment();
const store = new DynamoDbShopStore({
  tableName: runtime.config.tableName,
  client: runtime.dynamoDb,
});

/** `tracker`: appends shipment tracking updates per order, in FIFO order. */
export const handler = createConsumer(
  { schemas: trackingEventSchemas, handle: (event) => appendTrackingUpdate(event, store) },
  runtime
);
