/**
 * Runs dynalite in a worker thread: its request handling (JSON, the in-memory or LevelDB store,
 * HTTP responses) then runs next to, not on, the runtime's main thread, which serves fauxqs,
 * the SQS pollers, the function hosts and the REST API. DynamoDB is the busiest emulator of the
 * pipeline (about 7 calls per event), so this is the largest share of work that can move.
 *
 * Started by `startDynalite` in emulators.ts with plain Node.js (types stripped, no loaders):
 * only erasable TypeScript here and in what it imports.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import {
  classifyDynamoDbCall,
  type DynamoDbCall,
  operationFromTarget,
} from './api-call-counter.ts';

/** What the worker is started with. */
export interface DynaliteWorkerInput {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Address to listen on. */
  readonly host: string;
  /** Directory of the LevelDB store. @default - in memory */
  readonly path?: string;
}

/** A DynamoDB call the worker counted. */
export interface CountedDynamoDbCall extends DynamoDbCall {
  readonly requestBytes: number;
}

/** Messages to the worker. */
export type DynaliteWorkerCommand =
  | { readonly type: 'count'; readonly enabled: boolean }
  | { readonly type: 'stop' };

/** Messages from the worker. */
export type DynaliteWorkerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'calls'; readonly calls: readonly CountedDynamoDbCall[] }
  | { readonly type: 'stopped' };

/** Counted calls are sent in batches, at most this often, so counting costs few messages. */
const COUNT_FLUSH_MS = 20;

async function run(input: DynaliteWorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('dynalite-worker must run in a worker thread');
  const post = (message: DynaliteWorkerMessage) => port.postMessage(message);
  const { default: dynalite } = await import('dynalite');
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(input.path ? { path: input.path } : {}),
  });

  let counting = false;
  let counted: CountedDynamoDbCall[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    flushTimer = undefined;
    if (counted.length === 0) return;
    post({ type: 'calls', calls: counted });
    counted = [];
  };
  // Runs before dynalite's own listener, which reads the body with `data` events too.
  server.prependListener('request', (request) => {
    if (!counting) return;
    const operation = operationFromTarget(request.headers['x-amz-target'] as string | undefined);
    if (!operation) return;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      counted.push({
        ...classifyDynamoDbCall(operation, body.toString('utf8')),
        requestBytes: body.length,
      });
      flushTimer ??= setTimeout(flush, COUNT_FLUSH_MS);
    });
  });

  port.on('message', (command: DynaliteWorkerCommand) => {
    if (command.type === 'count') {
      // Calls counted so far belong to the period that is ending.
      flush();
      counting = command.enabled;
      return;
    }
    clearTimeout(flushTimer);
    flush();
    server.close(() => {
      post({ type: 'stopped' });
      port.close();
    });
  });

  server.once('error', (error) => post({ type: 'failed', message: error.message }));
  server.listen(input.port, input.host, () =>
    post({ type: 'listening', port: (server.address() as AddressInfo).port })
  );
}

run(workerData as DynaliteWorkerInput).catch((error: unknown) => {
  parentPort?.postMessage({
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
  } satisfies DynaliteWorkerMessage);
});
