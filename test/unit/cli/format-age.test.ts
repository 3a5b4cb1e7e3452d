import { describe, expect, it } from 'vitest';
import { formatAge } from '../../../lib/cli/commands/dlq.ts';

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [75, '1m15s'],
    [3700, '1h1m'],
    [200_000, '2d7h'],
  ])('formats %i seconds as %s', (seconds, expected) => {
    // Act / Assess
    expect(formatAge(seconds)).toBe(expected);
  });
});
