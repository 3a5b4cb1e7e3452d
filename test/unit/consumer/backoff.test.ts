import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffCapSeconds,
  computeBackoffSeconds,
} from '../../../functions/shared/consumer/backoff.ts';

/** A seeded generator (mulberry32), so the jitter is reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('computeBackoffSeconds', () => {
  it('doubles the cap per attempt up to the maximum', () => {
    // Prepare
    const settings = { baseSeconds: 2, maxSeconds: 20 };
    // Act
    const caps = [1, 2, 3, 4, 5, 6].map((attempt) => backoffCapSeconds({ ...settings, attempt }));
    // Assess
    expect(caps).toEqual([2, 4, 8, 16, 20, 20]);
  });

  it('waits the whole cap when the random draw is at its top, and nothing at its bottom', () => {
    // Prepare
    const settings = { attempt: 3, baseSeconds: 2, maxSeconds: 60 };
    // Act
    const top = computeBackoffSeconds({ ...settings, random: () => 0.999_999 });
    const bottom = computeBackoffSeconds({ ...settings, random: () => 0 });
    // Assess
    expect(top).toBe(8);
    expect(bottom).toBe(0);
  });

  it('spreads delays over the whole range [0, cap] (full jitter)', () => {
    // Prepare
    const random = seeded(42);
    // Act
    const delays = Array.from({ length: 2000 }, () =>
      computeBackoffSeconds({ attempt: 3, baseSeconds: 1, maxSeconds: 60, random })
    );
    // Assess: every whole second 0..4 occurs, none outside
    expect(new Set(delays)).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('never exceeds the cap nor SQS 12-hour visibility limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseSeconds, maxSeconds, draw) => {
          const delay = computeBackoffSeconds({
            attempt,
            baseSeconds,
            maxSeconds,
            random: () => draw,
          });
          return (
            Number.isInteger(delay) &&
            delay >= 0 &&
            delay <= Math.min(maxSeconds, 43_200) &&
            delay <= backoffCapSeconds({ attempt, baseSeconds, maxSeconds })
          );
        }
      )
    );
  });
});
