/** The soak's report: a table for people, JSON for CI. */
import type { DriverStats } from './driver.ts';
import type { SoakOptions } from './options.ts';
import type { ReconcileCounts, Reconciliation } from './reconcile.ts';

/** What happened at the restart. */
export interface RestartReport {
  /** Events sent before the stop. */
  readonly afterEvents: number;
  /** Messages in the source queues just before the stop (waiting + in flight + delayed). */
  readonly backlogBeforeStop: Record<string, number>;
  /** The same, right after the start on the persisted state. */
  readonly backlogAfterStart: Record<string, number>;
  readonly stopMs: number;
  readonly startMs: number;
}

/** Everything a soak run reports. */
export interface SoakReport {
  readonly options: Pick<
    SoakOptions,
    'events' | 'rate' | 'seed' | 'restartAt' | 'faultShare' | 'duplicateShare'
  >;
  /** Events planned and accepted by the ingest. */
  readonly planned: number;
  readonly accepted: number;
  /** Faults planned on accepted events, by kind (`transient:2`, `permanent`…). */
  readonly faults: Record<string, number>;
  readonly driver: DriverStats;
  readonly restart?: RestartReport;
  /** Whether the queues drained before the deadline. */
  readonly drained: boolean;
  readonly reconciliation: Reconciliation;
  /** Runtime log lines counted by what they say (timeouts, crashes). */
  readonly runtimeSignals: Record<string, number>;
  readonly timings: {
    readonly startMs: number;
    readonly driveMs: number;
    readonly drainMs: number;
    readonly wallMs: number;
    /** Events sent per second while driving (restart excluded). */
    readonly achievedRate: number;
  };
  /** `true` when {@link failuresOf} found nothing. */
  readonly passed: boolean;
  /** Why it failed, when it did. */
  readonly failures: readonly string[];
}

/**
 * Why a reconciliation fails the soak: lost events, effects applied twice, expected DLQ entries
 * missing (applied instead), FIFO order broken, or queues that did not drain.
 */
export function failuresOf(reconciliation: Reconciliation, drained: boolean): string[] {
  const failures: string[] = [];
  const { total } = reconciliation;
  if (total.lost > 0) failures.push(`${total.lost} deliveries lost`);
  if (total.processedMoreThanOnce > 0)
    failures.push(`${total.processedMoreThanOnce} effects applied more than once`);
  // An event whose fault must dead-letter it was applied instead: its DLQ entry is missing.
  if (total.unexpectedlyApplied > 0)
    failures.push(`${total.unexpectedlyApplied} events applied instead of dead-lettered`);
  if (reconciliation.outOfOrder > 0)
    failures.push(`${reconciliation.outOfOrder} FIFO tracking lists out of sequence order`);
  if (!drained) failures.push('the queues did not drain before the deadline');
  return failures;
}

/** The report as lines of text. */
export function formatReport(report: SoakReport): string[] {
  const { reconciliation: r } = report;
  const sum = (record: Record<string, number>) =>
    Object.values(record).reduce((total, count) => total + count, 0);
  const kinds = (record: Record<string, number>) =>
    Object.keys(record).length === 0
      ? '0'
      : `${sum(record)} (${Object.entries(record)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(', ')})`;
  const row = (name: string, counts: ReconcileCounts) => [
    name,
    String(counts.expected),
    String(counts.processedOnce),
    String(counts.processedMoreThanOnce),
    kinds(counts.expectedDeadLetters),
    kinds(counts.unexpectedDeadLetters),
    String(counts.lost),
    kinds(counts.duplicateDeadLetterCopies),
  ];
  const rows = [
    [
      'consumer',
      'expected',
      'once',
      '>once',
      'in DLQ (expected)',
      'in DLQ (unexpected)',
      'lost',
      'extra DLQ copies (info)',
    ],
    ...Object.entries(r.byConsumer)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, counts]) => row(name, counts)),
    row('total', r.total),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length))) ??
    [];
  const table = rows.map((cells) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd()
  );
  const t = report.timings;
  const lines = [
    `soak: seed ${report.options.seed}, ${report.planned} events planned at ${report.options.rate}/s, ${report.accepted} accepted`,
    `faults on accepted events: ${kinds(report.faults)}`,
    `requests: ${report.driver.requests} (statuses ${JSON.stringify(report.driver.statuses)}, retries ${report.driver.retries}, duplicated ${kinds(report.driver.duplicates)}, never accepted ${report.driver.rejected})`,
    `cancellations held back until inventory reserved: ${report.driver.deferredCancellations} (skipped ${report.driver.skippedCancellations})`,
  ];
  if (report.restart) {
    const x = report.restart;
    lines.push(
      `restart after ${x.afterEvents} events: stop ${(x.stopMs / 1000).toFixed(1)} s, start ${(x.startMs / 1000).toFixed(1)} s; backlog before stop ${sum(x.backlogBeforeStop)} ${JSON.stringify(x.backlogBeforeStop)}, after start ${sum(x.backlogAfterStart)} ${JSON.stringify(x.backlogAfterStart)}`
    );
  }
  lines.push(
    `runtime: ${Object.entries(report.runtimeSignals)
      .map(([signal, count]) => `${signal} ${count}`)
      .join(', ')}`,
    '',
    ...table,
    '',
    `unexpectedly applied: ${r.total.unexpectedlyApplied}; stray DLQ entries: ${r.strayDeadLetters}; tracking lists not in sequence order: ${r.outOfOrder}`
  );
  for (const [kind, examples] of Object.entries(r.examples)) {
    lines.push(`${kind}:`, ...examples.map((example) => `  ${example}`));
  }
  for (const problem of report.driver.problems.slice(0, 5)) lines.push(`driver: ${problem}`);
  lines.push(
    `time: start ${(t.startMs / 1000).toFixed(1)} s, drive ${(t.driveMs / 1000).toFixed(1)} s (${t.achievedRate.toFixed(1)} events/s), drain ${(t.drainMs / 1000).toFixed(1)} s, wall ${(t.wallMs / 1000).toFixed(1)} s`,
    report.passed
      ? 'PASS: nothing lost, no effect applied twice, every expected DLQ entry there, FIFO order kept'
      : `FAIL: ${report.failures.join('; ')}`
  );
  return lines;
}
