/**
 * The load generator, in a worker thread so that signing and sending requests does not share
 * the event loop of the runtime under test: sends the shop mix open-loop at a fixed rate
 * (request i leaves at start + i / rate, whether or not earlier ones were answered) and reports
 * every request back in small batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SignedHttpClient } from '../cli/signed-http-client.ts';
import { ShopMix, type ShopRequest } from './shop-mix.ts';

/** What the worker is started with. */
export interface LoadWorkerInput {
  readonly apiBaseUrl: string;
  readonly region: string;
  /** Events per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly seed: number;
  /** Requests in flight at most; past it the generator falls behind (and says so). */
  readonly maxInFlight: number;
  /**
   * Events per request: above 1, events to the same path are sent together in batch mode
   * (`application/cloudevents-batch+json`) once this many are due, or {@link BATCH_LINGER_MS}
   * after the first of them was due.
   */
  readonly batchSize: number;
}

/** Longest an event waits for others to fill its batch. */
export const BATCH_LINGER_MS = 50;

/** One request, as the worker reports it. Times are epoch milliseconds (fractional). */
export interface SentEvent {
  readonly id: string;
  readonly subscribers: readonly string[];
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number;
}

/** Messages from the worker. */
export type LoadWorkerMessage =
  | {
      readonly type: 'sent';
      readonly events: readonly SentEvent[];
      /** Requests sent and not answered yet. */
      readonly inFlight: number;
      /** Requests due by the schedule and not sent yet (the generator is held back). */
      readonly notSent: number;
    }
  | { readonly type: 'done'; readonly offered: number; readonly behindMs: number };

const now = () => performance.timeOrigin + performance.now();

async function run(input: LoadWorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('load-worker must run in a worker thread');
  const client = new SignedHttpClient({
    baseUrl: input.apiBaseUrl,
    region: input.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    timeoutMs: 60_000,
  });
  const mix = new ShopMix(input.seed);
  const total = Math.round((input.rate * input.durationMs) / 1000);
  const start = now();
  let pending: SentEvent[] = [];
  let inFlight = 0;
  let sent = 0;
  const flush = () => {
    const due = Math.min(total, Math.floor(((now() - start) * input.rate) / 1000) + 1);
    const notSent = Math.max(0, due - sent);
    port.postMessage({
      type: 'sent',
      events: pending,
      inFlight,
      notSent,
    } satisfies LoadWorkerMessage);
    pending = [];
  };
  const flusher = setInterval(flush, 100);
  let behindMs = 0;
  const requests: Promise<void>[] = [];
  const send = (batch: readonly ShopRequest[]) => {
    const [first] = batch;
    if (!first) return;
    inFlight += 1;
    const sentAt = now();
    const single = input.batchSize <= 1;
    requests.push(
      client
        .request({
          method: 'POST',
          path: first.path,
          headers: {
            'content-type': single
              ? 'application/cloudevents+json'
              : 'application/cloudevents-batch+json',
          },
          body: JSON.stringify(single ? first.event : batch.map((request) => request.event)),
        })
        .then(
          (response) => response.status,
          () => 0
        )
        .then((status) => {
          inFlight -= 1;
          const answeredAt = now();
          for (const request of batch) {
            pending.push({
              id: request.event.id,
              subscribers: request.subscribers,
              sentAt,
              answeredAt,
              status,
            });
          }
        })
    );
  };
  /** Events waiting for their batch, by path, with when the first of them was due. */
  const batches = new Map<string, { due: number; requests: ShopRequest[] }>();
  const sendLingering = (force: boolean) => {
    for (const [path, batch] of batches) {
      if (force || now() - batch.due >= BATCH_LINGER_MS) {
        batches.delete(path);
        send(batch.requests);
      }
    }
  };
  // A pipeline that cannot keep up must not stretch the run without end: stop offering at 1.2×.
  const stopAt = start + input.durationMs * 1.2;
  for (let index = 0; index < total; index += 1) {
    const due = start + (index * 1000) / input.rate;
    if (now() > stopAt) break;
    const wait = due - now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    while (inFlight >= input.maxInFlight) await new Promise((resolve) => setTimeout(resolve, 1));
    behindMs = Math.max(behindMs, now() - due);
    const request = mix.next(Date.now());
    sent += 1;
    if (input.batchSize <= 1) {
      send([request]);
      continue;
    }
    const batch = batches.get(request.path) ?? { due, requests: [] };
    batch.requests.push(request);
    batches.set(request.path, batch);
    if (batch.requests.length >= input.batchSize) {
      batches.delete(request.path);
      send(batch.requests);
    }
    sendLingering(false);
  }
  sendLingering(true);
  await Promise.all(requests);
  clearInterval(flusher);
  flush();
  port.postMessage({ type: 'done', offered: sent, behindMs } satisfies LoadWorkerMessage);
}

run(workerData as LoadWorkerInput).catch((error: unknown) => {
  throw error;
});
