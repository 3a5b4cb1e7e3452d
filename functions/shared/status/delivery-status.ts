import type { DeliveryState } from '../contract.ts';

/** What the ingest records when it accepts an event. */
export interface AcceptedEvent {
  /** CloudEvents `id`. */
  readonly id: string;
  /** CloudEvents `source`. */
  readonly source: string;
  /** CloudEvents `type`. */
  readonly type: string;
  /** Where it was sent: `stream:<name>` or `queue:<name>`. */
  readonly destination: string;
  /** Subscribers (or the queue's worker) expected to process it. */
  readonly consumers: readonly string[];
  /** ISO 8601 time of acceptance. */
  readonly acceptedAt: string;
}

/** What a consumer records after each attempt at an event. */
export interface DeliveryOutcome {
  /** CloudEvents `id`. */
  readonly id: string;
  /** CloudEvents `source`. */
  readonly source: string;
  /** Consumer name. */
  readonly consumer: string;
  /** Where the delivery stands now. */
  readonly state: DeliveryState;
  /** Attempt number (the message's ApproximateReceiveCount). */
  readonly attempts: number;
  /** Last error, for `retrying` and `dead_lettered`. */
  readonly lastError?: string;
}

/** One consumer's delivery of an event, as `GET /events/{id}` reports it. */
export interface DeliveryView {
  /** Consumer name. */
  readonly name: string;
  /** Where the delivery stands; `in_progress` until the consumer reports. */
  readonly status: DeliveryState;
  /** Attempts so far (0 until the consumer first reports). */
  readonly attempts: number;
  /** Last error, if any. */
  readonly lastError?: string;
  /** ISO 8601 time of the last report. */
  readonly updatedAt?: string;
}

/** The delivery status of one event from one source. */
export interface EventStatusView {
  /** CloudEvents `id`. */
  readonly id: string;
  /** CloudEvents `source`. */
  readonly source: string;
  /** CloudEvents `type`, when the ingest recorded it. */
  readonly type?: string;
  /** `stream:<name>` or `queue:<name>`, when the ingest recorded it. */
  readonly destination?: string;
  /** ISO 8601 time of acceptance, when the ingest recorded it. */
  readonly acceptedAt?: string;
  /** `true` when every consumer is in a final state (succeeded or dead-lettered). */
  readonly done: boolean;
  /** One entry per consumer: those expected at ingest plus any that reported. */
  readonly subscribers: readonly DeliveryView[];
}

/**
 * Port for delivery status records: written by the ingest (accepted) and the consumers
 * (outcomes), read by `GET /events/{id}`.
 */
export interface IDeliveryStatusStore {
  /** Records accepted events (one write per event). */
  recordAccepted(events: readonly AcceptedEvent[]): Promise<void>;
  /**
   * Records a consumer's outcome. A `succeeded` delivery is final: later reports for it are
   * ignored, so a late duplicate cannot turn it back to `retrying`.
   */
  recordOutcome(outcome: DeliveryOutcome): Promise<void>;
  /** Reads the status of an event id, one entry per source; empty when unknown. */
  getStatus(id: string, source?: string): Promise<EventStatusView[]>;
}

/** States after which a consumer does nothing more with a message. */
export const FINAL_STATES: ReadonlySet<DeliveryState> = new Set(['succeeded', 'dead_lettered']);
