import { describe, expect, it } from 'vitest';
import {
  MAX_TIME_RESERVE_MS,
  OutOfTimeError,
  timeReserveMs,
} from '../../../functions/shared/consumer/time-budget.ts';

describe('timeReserveMs', () => {
  it('keeps a third of a short invocation in reserve', () => {
    // Act
    const reserve = timeReserveMs(9_000);
    // Assess
    expect(reserve).toBe(3_000);
  });

  it('keeps at most MAX_TIME_RESERVE_MS of a long invocation', () => {
    // Act
    const reserve = timeReserveMs(900_000);
    // Assess
    expect(reserve).toBe(MAX_TIME_RESERVE_MS);
  });

  it('keeps nothing when no time is known', () => {
    // Act
    const reserve = timeReserveMs(0);
    // Assess
    expect(reserve).toBe(0);
  });
});

describe('OutOfTimeError', () => {
  it('is retryable and names the time left', () => {
    // Act
    const error = new OutOfTimeError(1200);
    // Assess
    expect(error.name).toBe('OutOfTimeError');
    expect(error.message).toMatch(/1200 ms left/);
  });
});
