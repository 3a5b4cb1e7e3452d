import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '../shared/contract.ts';
import {
  type IShopStore,
  type Money,
  type Reservation,
  type ReservedItem,
  shopKeys,
  type TrackingUpdate,
} from './shop-store.ts';

/** Options of {@link DynamoDbShopStore}. */
export interface DynamoDbShopStoreProps {
  /** The pipeline table. */
  readonly tableName: string;
  /** A DynamoDB client, built once per Lambda container. */
  readonly client: DynamoDBClient;
}

/**
 * The shop's effects in the pipeline table, one UpdateItem per item (the consumers' IAM grants
 * GetItem, PutItem, UpdateItem and DeleteItem only).
 *
 * Multi-item effects (a reservation and its SKU counters) are separate writes: dynalite has no
 * transactions, and the consumer runtime already runs each event's effect once. A crash between
 * the writes leaves the effect partly applied until the retry, which then applies it again
 * whole; on AWS, TransactWriteItems would close that window.
 */
export class DynamoDbShopStore implements IShopStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(private readonly props: DynamoDbShopStoreProps) {
    this.documents = DynamoDBDocumentClient.from(props.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async reserve(props: {
    orderId: string;
    customerId: string;
    items: readonly ReservedItem[];
    eventId: string;
  }): Promise<void> {
    await this.update(
      shopKeys.reservation(props.orderId),
      'SET orderId = :orderId, customerId = :customerId, #items = :items, #state = :reserved, eventId = :eventId ADD applications :one',
      {
        ':orderId': props.orderId,
        ':customerId': props.customerId,
        ':items': props.items.map((item) => ({ sku: item.sku, quantity: item.quantity })),
        ':reserved': 'reserved',
        ':eventId': props.eventId,
      },
      { '#items': 'items', '#state': 'state' }
    );
    // Sequential, so a throttled table sees one write at a time per order.
    for (const item of props.items) {
      await this.update(
        shopKeys.stock(item.sku),
        'SET sku = :sku ADD reserved :quantity, applications :one',
        { ':sku': item.sku, ':quantity': item.quantity }
      );
    }
  }

  async getReservation(orderId: string): Promise<Reservation | undefined> {
    const { Item: item } = await this.documents.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { [TABLE_KEYS.partitionKey]: shopKeys.reservation(orderId) },
        ConsistentRead: true,
      })
    );
    if (!item) return undefined;
    return {
      orderId: String(item.orderId),
      items: (item.items as ReservedItem[] | undefined) ?? [],
      state: item.state === 'released' ? 'released' : 'reserved',
    };
  }

  async recordRelease(props: { orderId: string; eventId: string }): Promise<void> {
    await this.update(
      shopKeys.release(props.orderId),
      'SET orderId = :orderId, eventId = :eventId ADD applications :one',
      { ':orderId': props.orderId, ':eventId': props.eventId }
    );
  }

  async releaseStock(reservation: Reservation): Promise<void> {
    for (const item of reservation.items) {
      await this.update(
        shopKeys.stock(item.sku),
        'SET sku = :sku ADD reserved :quantity, applications :one',
        { ':sku': item.sku, ':quantity': -item.quantity }
      );
    }
    await this.update(
      shopKeys.reservation(reservation.orderId),
      'SET #state = :released',
      { ':released': 'released' },
      { '#state': 'state' }
    );
  }

  async createShipment(props: {
    orderId: string;
    paymentId: string;
    total: Money;
    eventId: string;
  }): Promise<void> {
    await this.update(
      shopKeys.shipment(props.orderId),
      'SET orderId = :orderId, paymentId = :paymentId, #total = :total, #state = :pending, eventId = :eventId ADD applications :one',
      {
        ':orderId': props.orderId,
        ':paymentId': props.paymentId,
        ':total': { amount: props.total.amount, currency: props.total.currency },
        ':pending': 'pending',
        ':eventId': props.eventId,
      },
      { '#total': 'total', '#state': 'state' }
    );
  }

  async recordAudit(props: {
    id: string;
    source: string;
    type: string;
    subject?: string;
    time?: string;
    recordedAt: string;
  }): Promise<void> {
    await this.update(
      shopKeys.audit(props.source, props.id),
      'SET eventId = :id, #source = :source, #type = :type, subject = :subject, #time = :time, recordedAt = :recordedAt ADD applications :one',
      {
        ':id': props.id,
        ':source': props.source,
        ':type': props.type,
        // Absent attributes are stored as null so the expression stays fixed.
        ':subject': props.subject ?? null,
        ':time': props.time ?? null,
        ':recordedAt': props.recordedAt,
      },
      { '#source': 'source', '#type': 'type', '#time': 'time' }
    );
  }

  async appendTracking(props: { orderId: string } & TrackingUpdate): Promise<void> {
    await this.update(
      shopKeys.tracking(props.orderId),
      'SET orderId = :orderId, updates = list_append(if_not_exists(updates, :empty), :update), lastSequence = :sequence ADD applications :one',
      {
        ':orderId': props.orderId,
        ':empty': [],
        ':update': [{ sequence: props.sequence, location: props.location, eventId: props.eventId }],
        ':sequence': props.sequence,
      }
    );
  }

  async capturePayment(props: {
    paymentId: string;
    orderId: string;
    total: Money;
    eventId: string;
    capturedAt: string;
  }): Promise<void> {
    await this.update(
      shopKeys.payment(props.paymentId),
      'SET paymentId = :paymentId, orderId = :orderId, #total = :total, #state = :captured, eventId = :eventId, capturedAt = if_not_exists(capturedAt, :capturedAt) ADD applications :one',
      {
        ':paymentId': props.paymentId,
        ':orderId': props.orderId,
        ':total': { amount: props.total.amount, currency: props.total.currency },
        ':captured': 'captured',
        ':eventId': props.eventId,
        ':capturedAt': props.capturedAt,
      },
      { '#total': 'total', '#state': 'state' }
    );
  }

  private async update(
    key: string,
    expression: string,
    values: Record<string, unknown>,
    names?: Record<string, string>
  ): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.props.tableName,
        Key: { [TABLE_KEYS.partitionKey]: key },
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        // `ADD applications :one` counts the effect; every counted expression uses `:one`.
        ExpressionAttributeValues: expression.includes(':one') ? { ...values, ':one': 1 } : values,
      })
    );
  }
}
