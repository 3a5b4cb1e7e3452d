/** The soak's handle on a running pipeline: signed requests to the ingest, the SDK to look. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '../../functions/shared/contract.ts';
import { SignedHttpClient, type SignedResponse } from '../cli/signed-http-client.ts';
import type { PipelineOutputs } from '../cli/target-outputs.ts';
import { LOCAL_CREDENTIALS } from '../local/runtime.ts';
import type { PlannedRequest } from './plan.ts';

/** DynamoDB BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;

/** Clients of one started runtime (a restart makes new ones: the API port may change). */
export class SoakClient {
  readonly http: SignedHttpClient;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
  readonly outputs: PipelineOutputs;

  constructor(outputs: PipelineOutputs, endpoints: { sqs: string; dynamodb: string }) {
    this.outputs = outputs;
    const config = { region: outputs.region, credentials: LOCAL_CREDENTIALS };
    this.http = new SignedHttpClient({ baseUrl: outputs.apiUrl, ...config });
    this.sqs = new SQSClient({ ...config, endpoint: endpoints.sqs });
    this.documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...config, endpoint: endpoints.dynamodb })
    );
  }

  /** Sends one planned request once (structured mode, or batch mode for several events). */
  send(request: PlannedRequest): Promise<SignedResponse> {
    const path =
      request.route.kind === 'topic'
        ? `topics/${request.route.name}/events`
        : `queues/${request.route.name}/messages`;
    const headers: Record<string, string> = {
      'content-type': request.batch
        ? 'application/cloudevents-batch+json'
        : 'application/cloudevents+json',
    };
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    const body = JSON.stringify(request.batch ? request.events : request.events[0]);
    return this.http.request({ method: 'POST', path, headers, body });
  }

  /** Reads items of the pipeline table by partition key (strongly consistent). */
  async items(keys: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const table = this.outputs.tableName;
    for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] = keys
        .slice(start, start + BATCH_GET_KEYS)
        .map((key) => ({ [TABLE_KEYS.partitionKey]: key }));
      while (pending.length > 0) {
        const result = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [table]: { Keys: pending, ConsistentRead: true } },
          })
        );
        for (const item of result.Responses?.[table] ?? []) {
          found.set(String(item[TABLE_KEYS.partitionKey]), item);
        }
        pending = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  /** Frees the SDK clients' sockets. */
  destroy(): void {
    this.sqs.destroy();
    this.documents.destroy();
  }
}
