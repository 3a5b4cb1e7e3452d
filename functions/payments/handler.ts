import { consumerRuntimeFromEnvironment, createConsumer } from '../shared/consumer/index.ts';
import { DynamoDbShopStore } from '../shop/dynamodb-shop-store.ts';
import { paymentEventSchemas } from '../shop/events.ts';
import { capturePayment } from './payments.ts';

const runtime = consumerRuntimeFromEnvironment();
const store = new DynamoDbShopStore({
  tableName: runtime.config.tableName,
  client: runtime.dynamoDb,
});

/** `payments`: captures payments requested on the point-to-point `payments` queue. */
export const handler = createConsumer(
  { schemas: paymentEventSchemas, handle: (event) => capturePayment(event, store, runtime.now) },
  runtime
);
