import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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
  private readonly stream: WriteStream;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'w' });
  }

  /** Appends entries. */
  append(entries: readonly DeliveryEntry[]): void {
    if (entries.length === 0) return;
    this.stream.write(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
