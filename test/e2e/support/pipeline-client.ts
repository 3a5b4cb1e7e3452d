/**
 * The e2e suite's handle on a running pipeline: signed HTTP to the ingest API, and the AWS SDK
 * pointed at the target's endpoint to look at queues and effects, as a user would.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { TABLE_KEYS } from '../../../functions/shared/contract.ts';
import { SignedHttpClient, type SignedResponse } from '../../../lib/cli/signed-http-client.ts';
import { type PipelineOutputs, readOutputs } from '../../../lib/cli/target-outputs.ts';
import './e2e-target.ts';

/** One subscriber's delivery in `GET /events/{id}`. */
export interface SubscriberStatus {
  readonly name: string;
  readonly status: 'in_progress' | 'retrying' | 'succeeded' | 'dead_lettered';
  readonly attempts: number;
  readonly lastError?: string;
}

/** The body of `GET /events/{id}`. */
export interface EventStatus {
  readonly id: string;
  readonly source: string;
  readonly done: boolean;
  readonly subscribers: readonly SubscriberStatus[];
}

/** A structured CloudEvent as the tests send it. */
export type TestEvent = Record<string, unknown> & { id: string; source: string; type: string };

/** The source every e2e event carries, unique per run so reruns against AWS never collide. */
export const E2E_SOURCE = `urn:e2e:${randomUUID()}`;

/** Builds a CloudEvent with a fresh id. */
export function cloudEvent(
  type: string,
  data: unknown,
  extensions: Record<string, string> = {}
): TestEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: E2E_SOURCE,
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
    ...extensions,
  };
}

/** A connected pipeline. */
export interface Pipeline {
  readonly outputs: PipelineOutputs;
  readonly http: SignedHttpClient;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
  readonly testHooks: boolean;
  /** POST /topics/{stream}/events in structured (one event) or batch (an array) mode. */
  publish(
    stream: string,
    events: TestEvent | TestEvent[],
    headers?: Record<string, string>
  ): Promise<SignedResponse>;
  /** POST /queues/{queue}/messages. */
  send(queue: string, event: TestEvent, headers?: Record<string, string>): Promise<SignedResponse>;
  /** GET /events/{id}?source=…; `undefined` on 404. */
  status(event: Pick<TestEvent, 'id' | 'source'>): Promise<EventStatus | undefined>;
  /** Polls the status until `done` (every subscriber final). */
  waitUntilDone(event: Pick<TestEvent, 'id' | 'source'>, timeoutMs?: number): Promise<EventStatus>;
  /** Reads an item of the pipeline table by partition key. */
  item(key: string): Promise<Record<string, unknown> | undefined>;
}

/** Connects to the pipeline the global setup chose, through its outputs file. */
export async function connectPipeline(): Promise<Pipeline> {
  const target = inject('e2e');
  const outputs = await readOutputs(target.outputsFile, target.target);
  const local = target.target !== 'aws';
  const credentials = local ? { accessKeyId: 'test', secretAccessKey: 'test' } : undefined;
  const http = new SignedHttpClient({
    baseUrl: outputs.apiUrl,
    region: outputs.region,
    credentials,
  });
  const sqs = new SQSClient({
    region: outputs.region,
    credentials,
    endpoint: target.endpoints?.sqs,
  });
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: outputs.region,
      credentials,
      endpoint: target.endpoints?.dynamodb,
    })
  );
  const post = (
    path: string,
    body: unknown,
    contentType: string,
    headers: Record<string, string> = {}
  ) =>
    http.request({
      method: 'POST',
      path,
      headers: { 'content-type': contentType, ...headers },
      body: JSON.stringify(body),
    });
  const pipeline: Pipeline = {
    outputs,
    http,
    sqs,
    documents,
    testHooks: target.testHooks,
    publish: (stream, events, headers) =>
      post(
        `topics/${stream}/events`,
        events,
        Array.isArray(events)
          ? 'application/cloudevents-batch+json'
          : 'application/cloudevents+json',
        headers
      ),
    send: (queue, event, headers) =>
      post(`queues/${queue}/messages`, event, 'application/cloudevents+json', headers),
    async status(event) {
      const response = await http.request({
        method: 'GET',
        path: `events/${encodeURIComponent(event.id)}?source=${encodeURIComponent(event.source)}`,
      });
      if (response.status === 404) return undefined;
      if (response.status !== 200)
        throw new Error(`GET status answered ${response.status}: ${response.text}`);
      return response.json as EventStatus;
    },
    async waitUntilDone(event, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: EventStatus | undefined;
      while (Date.now() < deadline) {
        last = await pipeline.status(event);
        if (last?.done) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`event ${event.id} not done after ${timeoutMs} ms: ${JSON.stringify(last)}`);
    },
    async item(key) {
      const { Item: item } = await documents.send(
        new GetCommand({
          TableName: outputs.tableName,
          Key: { [TABLE_KEYS.partitionKey]: key },
          ConsistentRead: true,
        })
      );
      return item;
    },
  };
  return pipeline;
}

/** Polls `read` until `accept` holds or the deadline passes; returns the last value read. */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  description: string,
  timeoutMs = 60_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline)
      throw new Error(`${description}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
