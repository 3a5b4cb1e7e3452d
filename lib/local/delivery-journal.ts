import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BatchReport } from './sqs-poller.ts';

/** One delivery of one record to one subscriber, as `pipeline tail` shows it. */
export interface DeliveryEntry {
  /** ISO 8601 time the batch ended. */
  readonly at: string;
  /** Subscriber (consumer) name. */
  readonly subscriber: string;
  /** CloudEvent id, or the SQS message id when the body is not a CloudEvent. */
  readonly eventId: string;
  /** `succeeded` (deleted) or `failed` (left for a retry, or dead-lettered by SQS). */
  readonly outcome: string;
  /** The message's receive count. */
  readonly attempt: number;
  /** Why the batch failed, when it did. */
  readonly reason?: string;
  /** How long the invocation took, in milliseconds. */
  readonly durationMs: number;
}

/** Turns a poller's batch report into one entry per record. */
export function deliveryEntries(
  subscriber: string,
  report: BatchReport,
  at = new Date()
): DeliveryEntry[] {
  const reason =
    report.outcome === 'failed' && report.error
      ? report.timedOut
        ? 'timed out'
        : `${report.error.name}: ${report.error.message}`
      : undefined;
  return report.records.map((record) => ({
    at: at.toISOString(),
    subscriber,
    eventId: record.eventId ?? record.messageId,
    outcome: record.outcome,
    attempt: record.attempt,
    ...(record.outcome === 'failed' && reason ? { reason } : {}),
    durationMs: Math.round(report.durationMs),
  }));
}

/**
 * The local runtime's delivery log as a file of JSON lines, which `pipeline tail` follows from
 * another process. Started empty on every start of the runtime.
 */
export class DeliveryJournal {
  private fd: number | undefined;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
  }

  /**
   * Appends entries. The write is synchronous (one small write per batch), so a reader that saw
   * the delivery's log line finds it in the journal too.
   */
  append(entries: readonly DeliveryEntry[]): void {
    if (entries.length === 0 || this.fd === undefined) return;
    writeSync(this.fd, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  }

  /** Closes the file; later appends are dropped. */
  async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
