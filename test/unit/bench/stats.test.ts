import { describe, expect, it } from 'vitest';
import { distribution, fitLine, median, percentile, slopeOf } from '../../../lib/bench/stats.ts';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);

    // Act
    const result = [percentile(values, 50), percentile(values, 95), percentile(values, 99)];

    // Assess
    expect(result).toEqual([50, 95, 99]);
  });

  it('answers NaN for an empty sample', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('fails if the percentile is out of range', () => {
    expect(() => percentile([1], 101)).toThrow('percentile must be between 0 and 100 (given 101)');
  });
});

describe('median', () => {
  it('averages the two middle values of an even sample', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('takes the middle value of an odd sample', () => {
    expect(median([9, 1, 5])).toBe(5);
  });
});

describe('distribution', () => {
  it('summarizes a sample', () => {
    // Act
    const result = distribution([10, 20, 30, 40]);

    // Assess
    expect(result).toMatchObject({ n: 4, min: 10, max: 40, mean: 25, p50: 20 });
  });
});

describe('fitLine', () => {
  it('recovers the intercept and slope of exact points', () => {
    // Prepare: y = 5 + 2x at x = 1, 2, 3
    const sums = { n: 3, x: 6, y: 27, xx: 14, xy: 5 * 6 + 2 * 14 };

    // Act
    const line = fitLine(sums);

    // Assess
    expect(line?.intercept).toBeCloseTo(5);
    expect(line?.slope).toBeCloseTo(2);
  });

  it('gives no line when x does not vary', () => {
    expect(fitLine({ n: 3, x: 3, y: 9, xx: 3, xy: 9 })).toBeUndefined();
  });
});

describe('slopeOf', () => {
  it('measures a growing backlog', () => {
    expect(
      slopeOf([
        [0, 10],
        [1, 20],
        [2, 30],
      ])
    ).toBeCloseTo(10);
  });
});
