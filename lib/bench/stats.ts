/** Small statistics for benchmark samples. */

/** Percentiles and spread of a sample. */
export interface Distribution {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The `p`-th percentile (0–100) of a sample, by the nearest-rank method: the smallest value
 * with at least p % of the sample at or below it. `NaN` for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be between 0 and 100 (given ${p})`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** The median (mean of the two middle values for an even count); `NaN` when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** n, min, p50, p95, p99, max and mean of a sample. */
export function distribution(values: readonly number[]): Distribution {
  const n = values.length;
  return {
    n,
    min: n === 0 ? Number.NaN : Math.min(...values),
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: n === 0 ? Number.NaN : Math.max(...values),
    mean: n === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / n,
  };
}

/** Least-squares line through points: `y = intercept + slope × x`. */
export interface Line {
  readonly intercept: number;
  readonly slope: number;
}

/**
 * Fits a line from the sums of a least-squares fit; `undefined` when the x values do not vary
 * (a slope cannot be told apart from the intercept).
 */
export function fitLine(sums: {
  readonly n: number;
  readonly x: number;
  readonly y: number;
  readonly xx: number;
  readonly xy: number;
}): Line | undefined {
  const denominator = sums.n * sums.xx - sums.x * sums.x;
  if (sums.n < 2 || Math.abs(denominator) < 1e-9) return undefined;
  const slope = (sums.n * sums.xy - sums.x * sums.y) / denominator;
  return { slope, intercept: (sums.y - slope * sums.x) / sums.n };
}

/** The slope of a least-squares line through `(x, y)` points; 0 with fewer than two. */
export function slopeOf(points: readonly (readonly [number, number])[]): number {
  const sums = { n: 0, x: 0, y: 0, xx: 0, xy: 0 };
  for (const [x, y] of points) {
    sums.n += 1;
    sums.x += x;
    sums.y += y;
    sums.xx += x * x;
    sums.xy += x * y;
  }
  return fitLine(sums)?.slope ?? 0;
}
