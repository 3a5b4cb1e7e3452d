/**
 * Sends the plan's requests at a steady rate (events per second), a bounded number at a time,
 * with duplicates as planned, and holds back each cancellation until inventory has applied the
 * order's `placed` event.
 */
import { shopKeys } from '../../functions/shop/shop-store.ts';
import type { PlannedRequest, Route, SoakEvent } from './plan.ts';
import type { SoakClient } from './soak-client.ts';

/** Attempts of one request on a 429, a 5xx or a network error (a producer's retries). */
const SEND_ATTEMPTS = 6;
/** How often held-back cancellations are checked. */
const DEFERRED_CHECK_MS = 500;

/** An event the ingest accepted (answered 202 for). */
export interface AcceptedEvent {
  readonly route: Route;
  readonly event: SoakEvent;
}

/** What the driver did. */
export interface DriverStats {
  /** HTTP requests made, retries and duplicates included. */
  requests: number;
  /** Answers by status code (`error` for a network error or timeout). */
  statuses: Record<string, number>;
  /** Requests retried after a 429, 5xx or network error. */
  retries: number;
  /** Planned requests sent twice, by mode. */
  duplicates: Record<string, number>;
  /** Planned requests never accepted (every attempt failed, or a 4xx). */
  rejected: number;
  /** Cancellations held back until the order's reservation existed. */
  deferredCancellations: number;
  /** Cancellations never sent, because the order's reservation never appeared in time. */
  skippedCancellations: number;
  /** First few unexpected answers, for the report. */
  problems: string[];
}

/** Drives the pipeline through one client at a time (see {@link SoakDriver.useClient}). */
export class SoakDriver {
  readonly accepted = new Map<string, AcceptedEvent>();
  readonly stats: DriverStats = {
    requests: 0,
    statuses: {},
    retries: 0,
    duplicates: {},
    rejected: 0,
    deferredCancellations: 0,
    skippedCancellations: 0,
    problems: [],
  };
  readonly #rate: number;
  readonly #concurrency: number;
  #client: SoakClient;
  #deferred: PlannedRequest[] = [];
  #lastDeferredCheck = 0;
  #eventsSent = 0;
  #started = 0;
  readonly #inFlight = new Set<Promise<void>>();
  /** The last request of each FIFO group, so that a group's requests go one after the other. */
  readonly #groups = new Map<string, Promise<void>>();

  constructor(client: SoakClient, options: { rate: number; concurrency: number }) {
    this.#client = client;
    this.#rate = options.rate;
    this.#concurrency = options.concurrency;
  }

  /** Events sent so far (each planned event once). */
  get eventsSent(): number {
    return this.#eventsSent;
  }

  /** Cancellations still held back. */
  get deferred(): number {
    return this.#deferred.length;
  }

  /** Switches to the clients of a restarted runtime. */
  useClient(client: SoakClient): void {
    this.#client = client;
  }

  /** Sends `requests` at the rate, then waits for the answers. */
  async run(requests: readonly PlannedRequest[]): Promise<void> {
    // The rate restarts after a pause (a restart), instead of bursting to catch up.
    this.#started = performance.now();
    let sentHere = 0;
    for (const request of requests) {
      await this.#sendDeferred(false);
      if (request.afterReservationOf !== undefined) {
        this.stats.deferredCancellations += 1;
        this.#deferred.push(request);
        continue;
      }
      const due = this.#started + (sentHere / this.#rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sentHere += request.events.length;
      await this.#dispatch(request);
    }
    await Promise.all(this.#inFlight);
  }

  /**
   * Sends the held-back cancellations as their orders' reservations appear, until none is left
   * or the deadline passes; the rest are counted as skipped.
   */
  async flushDeferred(
    deadline: number,
    log: (line: string) => void,
    queuesEmpty: () => Promise<boolean>
  ): Promise<void> {
    let lastLog = Date.now();
    let emptyChecks = 0;
    while (this.#deferred.length > 0 && Date.now() < deadline) {
      await this.#sendDeferred(true);
      if (this.#deferred.length === 0) break;
      // Nothing left to process: those reservations will never come (their `placed` was
      // dead-lettered although it should not have been; the reconciliation shows it).
      emptyChecks = (await queuesEmpty()) ? emptyChecks + 1 : 0;
      if (emptyChecks >= 3) break;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`waiting for ${this.#deferred.length} reservations before their cancellations`);
      }
      await sleep(DEFERRED_CHECK_MS);
    }
    await Promise.all(this.#inFlight);
    this.stats.skippedCancellations += this.#deferred.length;
    this.#deferred = [];
  }

  async #sendDeferred(force: boolean): Promise<void> {
    if (this.#deferred.length === 0) return;
    if (!force && performance.now() - this.#lastDeferredCheck < DEFERRED_CHECK_MS) return;
    this.#lastDeferredCheck = performance.now();
    const orderIds = this.#deferred.map((request) => request.afterReservationOf ?? '');
    const items = await this.#client.items(
      orderIds.map((orderId) => shopKeys.reservation(orderId))
    );
    const ready = this.#deferred.filter((request) =>
      items.has(shopKeys.reservation(request.afterReservationOf ?? ''))
    );
    this.#deferred = this.#deferred.filter((request) => !ready.includes(request));
    for (const request of ready) await this.#dispatch(request);
  }

  async #dispatch(request: PlannedRequest): Promise<void> {
    while (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
    this.#eventsSent += request.events.length;
    // FIFO order is publish order: two requests of one group in flight could swap it.
    const groups = [
      ...new Set(
        request.events.map((event) => event.partitionkey).filter((key) => typeof key === 'string')
      ),
    ] as string[];
    const earlier = groups.map((group) => this.#groups.get(group));
    const task = Promise.all(earlier)
      .then(() => this.#deliver(request))
      .finally(() => {
        this.#inFlight.delete(task);
        for (const group of groups)
          if (this.#groups.get(group) === task) this.#groups.delete(group);
      });
    for (const group of groups) this.#groups.set(group, task);
    this.#inFlight.add(task);
  }

  async #deliver(request: PlannedRequest): Promise<void> {
    let accepted: boolean;
    switch (request.duplicate) {
      case undefined:
        accepted = await this.#sendWithRetries(request);
        break;
      case 'resend':
      case 'key-resend': {
        const first = await this.#sendWithRetries(request);
        accepted = (await this.#sendWithRetries(request)) || first;
        break;
      }
      case 'concurrent':
      case 'key-concurrent': {
        const both = await Promise.all([
          this.#sendWithRetries(request),
          this.#sendWithRetries(request),
        ]);
        accepted = both.some(Boolean);
        break;
      }
    }
    if (request.duplicate) {
      this.stats.duplicates[request.duplicate] =
        (this.stats.duplicates[request.duplicate] ?? 0) + 1;
    }
    if (!accepted) {
      this.stats.rejected += 1;
      return;
    }
    for (const event of request.events)
      this.accepted.set(event.id, { route: request.route, event });
  }

  /** Sends once, retrying what a producer retries; `true` when the ingest answered 202. */
  async #sendWithRetries(request: PlannedRequest): Promise<boolean> {
    for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
      this.stats.requests += 1;
      let status: string;
      let text = '';
      try {
        const response = await this.#client.send(request);
        status = String(response.status);
        text = response.text;
      } catch (error) {
        status = 'error';
        text = (error as Error).message;
      }
      this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
      if (status === '202') return true;
      // A concurrent twin with the same Idempotency-Key holds the key: that one is the answer.
      if (status === '409' && request.duplicate === 'key-concurrent') return false;
      if (status !== 'error' && status !== '429' && !status.startsWith('5')) {
        this.#problem(`request ${request.index} answered ${status}: ${text.slice(0, 300)}`);
        return false;
      }
      if (attempt < SEND_ATTEMPTS) {
        this.stats.retries += 1;
        await sleep(200 * 2 ** (attempt - 1));
      } else {
        this.#problem(
          `request ${request.index} failed ${SEND_ATTEMPTS} times: ${status} ${text.slice(0, 300)}`
        );
      }
    }
    return false;
  }

  #problem(line: string): void {
    if (this.stats.problems.length < 20) this.stats.problems.push(line);
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
