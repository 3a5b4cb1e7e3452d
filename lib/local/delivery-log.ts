/**
 * The live log of deliveries the local runtime prints: one line per record of every batch an
 * SQS event source mapping ran (event id, consumer, outcome, attempt).
 */
import type { BatchReport } from './sqs-poller.ts';

/** One delivery of one record to one consumer. */
export interface DeliveryLogEntry {
  /** The event id, or the SQS message id when the body carries none. */
  readonly eventId: string;
  /** The function that consumed it. */
  readonly consumer: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly attempt: number;
  /** Why it failed, when the whole batch failed (function error, timeout, malformed response). */
  readonly reason?: string;
}

/** The deliveries of one batch report. */
export function deliveryLogEntries(report: BatchReport): DeliveryLogEntry[] {
  const reason =
    report.error === undefined
      ? undefined
      : report.timedOut
        ? `timed out: ${report.error.message}`
        : `${report.error.name}: ${report.error.message}`;
  return report.records.map((record) => ({
    eventId: record.eventId ?? record.messageId,
    consumer: report.functionName,
    outcome: record.outcome,
    attempt: record.attempt,
    ...(record.outcome === 'failed' && reason !== undefined ? { reason } : {}),
  }));
}

/**
 * Formats one batch report as log lines.
 *
 * @example
 * // 'evt-1  Shipping  succeeded  attempt 1'
 * formatDeliveryLog(report);
 */
export function formatDeliveryLog(report: BatchReport): string[] {
  return deliveryLogEntries(report).map(
    (entry) =>
      `${entry.eventId}  ${entry.consumer}  ${entry.outcome}  attempt ${entry.attempt}${entry.reason === undefined ? '' : `  (${entry.reason})`}`
  );
}
