/** Renders the benchmark's results as a text table and writes them as JSON. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One row of the printed table. */
export interface TableRow {
  readonly section: string;
  readonly metric: string;
  readonly value: string;
  /** The target from TARGETS.md, or the peer's figure, when there is one. */
  readonly target?: string;
}

/** Formats rows as a fixed-width table, one section header per group. */
export function formatTable(rows: readonly TableRow[]): string {
  const width = (pick: (row: TableRow) => string, header: string) =>
    Math.max(header.length, ...rows.map((row) => pick(row).length));
  const metricWidth = width((row) => row.metric, 'metric');
  const valueWidth = width((row) => row.value, 'value');
  const lines: string[] = [];
  let section = '';
  lines.push(`${'metric'.padEnd(metricWidth)}  ${'value'.padEnd(valueWidth)}  target`);
  lines.push(`${'-'.repeat(metricWidth)}  ${'-'.repeat(valueWidth)}  ------`);
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push(`[${section}]`);
    }
    lines.push(
      `${row.metric.padEnd(metricWidth)}  ${row.value.padEnd(valueWidth)}  ${row.target ?? ''}`.trimEnd()
    );
  }
  return lines.join('\n');
}

/** Formats rows as a Markdown table (for BENCHMARKS.md). */
export function formatMarkdown(rows: readonly TableRow[]): string {
  const lines = ['| section | metric | value | target |', '|---|---|---|---|'];
  for (const row of rows) {
    lines.push(`| ${row.section} | ${row.metric} | ${row.value} | ${row.target ?? ''} |`);
  }
  return lines.join('\n');
}

/** Writes the results as indented JSON, creating the folder. */
export async function writeJson(file: string, results: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** `1234.5` → `1,235`; keeps `digits` decimals below 10. */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 10 ? Math.min(digits, 1) : digits);
}

/** `0.123456` → `$0.1235`. */
export function formatDollars(value: number): string {
  return `$${value >= 10 ? value.toFixed(2) : value.toFixed(4)}`;
}
