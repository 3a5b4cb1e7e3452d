/**
 * Drives the running pipeline at a fixed rate and measures end-to-end latency (request sent →
 * last subscriber's successful delivery) and whether a backlog builds up.
 *
 * Completion is observed in the runtime's delivery log lines (`delivery  event=… subscriber=…
 * outcome=succeeded`), which the poller emits once a batch's records are deleted; nothing is
 * polled over HTTP, so observing adds no load.
 */
import { Worker } from 'node:worker_threads';
import type { LoadWorkerInput, LoadWorkerMessage, SentEvent } from './load-worker.ts';
import { type Distribution, distribution, slopeOf } from './stats.ts';

const DELIVERY_LINE = /^delivery {2}event=(\S+) subscriber=(\S+) outcome=(\S+)/;

const now = () => performance.timeOrigin + performance.now();

interface Tracked {
  readonly sent: SentEvent;
  readonly remaining: Set<string>;
}

/** Joins sent events with their deliveries. Feed it every runtime log line. */
export class DeliveryTracker {
  readonly #events = new Map<string, Tracked>();
  /** Deliveries seen before the worker reported their event. */
  readonly #early = new Map<string, Map<string, number>>();
  #latencies: number[] = [];
  #fromSent: number[] = [];
  #bySubscriber = new Map<string, number[]>();
  #completed = 0;

  /** Parses one runtime log line. */
  onLog(line: string): void {
    if (!line.startsWith('delivery  ')) return;
    const [, id, subscriber, outcome] = DELIVERY_LINE.exec(line) ?? [];
    if (outcome !== 'succeeded' || id === undefined || subscriber === undefined) return;
    const at = now();
    const tracked = this.#events.get(id);
    if (!tracked) {
      let early = this.#early.get(id);
      if (!early) {
        early = new Map();
        this.#early.set(id, early);
      }
      early.set(subscriber, at);
      return;
    }
    if (tracked.remaining.delete(subscriber))
      this.#subscriberDone(subscriber, at - tracked.sent.sentAt);
    if (tracked.remaining.size === 0) this.#complete(id, tracked.sent, at);
  }

  /** Registers events the generator sent. */
  onSent(events: readonly SentEvent[]): void {
    for (const sent of events) {
      if (sent.status !== 202) continue;
      const remaining = new Set(sent.subscribers);
      const early = this.#early.get(sent.id);
      let last = 0;
      if (early) {
        this.#early.delete(sent.id);
        for (const [subscriber, at] of early) {
          if (remaining.delete(subscriber)) {
            last = Math.max(last, at);
            this.#subscriberDone(subscriber, at - sent.sentAt);
          }
        }
      }
      if (remaining.size === 0) this.#complete(sent.id, sent, last || now());
      else this.#events.set(sent.id, { sent, remaining });
    }
  }

  /** Events accepted and not yet finished by every subscriber. */
  get outstanding(): number {
    return this.#events.size;
  }

  /** Events finished since the last {@link takeLatencies}. */
  get completed(): number {
    return this.#completed;
  }

  /**
   * Latencies (ms) of events finished since the last call, and resets them: from the 202
   * (accepted) and from the request's start (sent).
   */
  takeLatencies(): { accepted: number[]; sent: number[] } {
    const latencies = { accepted: this.#latencies, sent: this.#fromSent };
    this.#latencies = [];
    this.#fromSent = [];
    this.#completed = 0;
    return latencies;
  }

  /** Latencies (ms) per subscriber since the last call (sent → that subscriber done), and resets them. */
  takeSubscriberLatencies(): Map<string, number[]> {
    const latencies = this.#bySubscriber;
    this.#bySubscriber = new Map();
    return latencies;
  }

  /** Forgets unfinished events (after a run's drain gave up on them). */
  forget(): number {
    const count = this.#events.size;
    this.#events.clear();
    this.#early.clear();
    return count;
  }

  #subscriberDone(subscriber: string, latencyMs: number): void {
    let latencies = this.#bySubscriber.get(subscriber);
    if (!latencies) {
      latencies = [];
      this.#bySubscriber.set(subscriber, latencies);
    }
    latencies.push(latencyMs);
  }

  #complete(id: string, sent: SentEvent, at: number): void {
    this.#events.delete(id);
    this.#completed += 1;
    this.#latencies.push(at - sent.answeredAt);
    this.#fromSent.push(at - sent.sentAt);
  }
}

/** Options of {@link runAtRate}. */
export interface RateRunOptions {
  readonly apiBaseUrl: string;
  readonly region: string;
  readonly rate: number;
  readonly durationMs: number;
  /** How long to wait for the last events to finish. */
  readonly drainMs: number;
  readonly seed: number;
  /** Events per request (batch mode above 1). @default 1 */
  readonly batchSize?: number;
}

/** What one fixed-rate run measured. */
export interface RateRunResult {
  readonly rate: number;
  /** How long the generator was to send. */
  readonly plannedMs: number;
  readonly durationMs: number;
  /** Requests sent (fewer than planned when the generator was held back past 1.2× the time). */
  readonly offered: number;
  readonly accepted: number;
  /** Requests answered with anything but 202 (or not answered). */
  readonly rejected: number;
  /** Accepted events per second, from the first request sent to the last one answered. */
  readonly acceptedPerSecond: number;
  /** Events every subscriber finished. */
  readonly completed: number;
  /** Accepted events not finished within the drain time. */
  readonly unfinished: number;
  /** Ingest accepted (202 received) → last subscriber done, ms. */
  readonly latencyMs: Distribution;
  /** Request sent → last subscriber done, ms (adds the ingest's own time). */
  readonly sentToDoneMs: Distribution;
  /** Request sent → that subscriber done, ms, by subscriber. */
  readonly bySubscriberMs: Readonly<Record<string, Distribution>>;
  /** Request sent → 202 received, ms. */
  readonly ingestMs: Distribution;
  /** Outstanding events (requests unanswered + accepted and unfinished), every second while sending. */
  readonly backlog: readonly number[];
  /** Backlog growth, events per second, fitted over the last two thirds of the sending window. */
  readonly backlogSlopePerSecond: number;
  /** How far the generator fell behind its schedule at worst, ms. */
  readonly generatorBehindMs: number;
  /** Whether the run kept up: see {@link isSustained}. */
  readonly sustained: boolean;
}

/**
 * A rate is sustained when nothing was rejected, the generator sent at least 95 % of the
 * planned requests, at least 95 % of the offered rate was
 * accepted, every accepted event finished within the drain time, and the backlog grew by less
 * than 2 % of the rate per second (over 60 s: under 1.2 s worth of events).
 */
export function isSustained(result: Omit<RateRunResult, 'sustained'>): boolean {
  return (
    result.rejected === 0 &&
    result.offered >= 0.95 * Math.round((result.rate * result.plannedMs) / 1000) &&
    result.acceptedPerSecond >= 0.95 * result.rate &&
    result.unfinished === 0 &&
    result.backlogSlopePerSecond <= 0.02 * result.rate
  );
}

/** Sends the shop mix at `rate` for `durationMs`, then waits for the pipeline to drain. */
export async function runAtRate(
  tracker: DeliveryTracker,
  options: RateRunOptions
): Promise<RateRunResult> {
  tracker.takeLatencies();
  tracker.takeSubscriberLatencies();
  const input: LoadWorkerInput = {
    apiBaseUrl: options.apiBaseUrl,
    region: options.region,
    rate: options.rate,
    durationMs: options.durationMs,
    seed: options.seed,
    maxInFlight: 512,
    batchSize: options.batchSize ?? 1,
  };
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: input });
  const ingest: number[] = [];
  let accepted = 0;
  let rejected = 0;
  let firstSent = Number.POSITIVE_INFINITY;
  let lastAnswered = 0;
  let inFlight = 0;
  let notSent = 0;
  const backlog: number[] = [];
  const started = now();
  // Requests waiting for their 202, and requests the generator could not send yet, are backlog
  // too: the ingest is part of the pipeline.
  const sampler = setInterval(() => backlog.push(tracker.outstanding + inFlight + notSent), 1000);
  const done = await new Promise<{ offered: number; behindMs: number }>((resolve, reject) => {
    worker.on('message', (message: LoadWorkerMessage) => {
      if (message.type === 'done') {
        resolve({ offered: message.offered, behindMs: message.behindMs });
        return;
      }
      inFlight = message.inFlight;
      notSent = message.notSent;
      for (const event of message.events) {
        firstSent = Math.min(firstSent, event.sentAt);
        lastAnswered = Math.max(lastAnswered, event.answeredAt);
        if (event.status === 202) {
          accepted += 1;
          ingest.push(event.answeredAt - event.sentAt);
        } else rejected += 1;
      }
      tracker.onSent(message.events);
    });
    worker.once('error', reject);
  });
  clearInterval(sampler);
  await worker.terminate();
  // From the first request sent to the last one answered: an ingest that falls behind shows.
  const sendingMs = Math.max(1, lastAnswered - firstSent);
  const drainDeadline = now() + options.drainMs;
  while (tracker.outstanding > 0 && now() < drainDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const unfinished = tracker.forget();
  const latencies = tracker.takeLatencies();
  const bySubscriber = tracker.takeSubscriberLatencies();
  const tail = backlog.slice(Math.floor(backlog.length / 3));
  const result = {
    rate: options.rate,
    plannedMs: options.durationMs,
    durationMs: now() - started,
    offered: done.offered,
    accepted,
    rejected,
    acceptedPerSecond: (accepted * 1000) / Math.max(sendingMs, options.durationMs * 0.9),
    completed: latencies.accepted.length,
    unfinished,
    latencyMs: distribution(latencies.accepted),
    sentToDoneMs: distribution(latencies.sent),
    bySubscriberMs: Object.fromEntries(
      [...bySubscriber].map(([subscriber, values]) => [subscriber, distribution(values)])
    ),
    ingestMs: distribution(ingest),
    backlog,
    backlogSlopePerSecond: slopeOf(tail.map((value, index) => [index, value] as const)),
    generatorBehindMs: done.behindMs,
  };
  return { ...result, sustained: isSustained(result) };
}
