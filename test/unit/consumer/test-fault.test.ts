import { describe, expect, it } from 'vitest';
import {
  HANG_MILLISECONDS,
  injectTestFault,
  parseTestFault,
  type TestFault,
} from '../../../functions/shared/consumer/test-fault.ts';
import { InjectedFaultError, PermanentError } from '../../../functions/shared/errors.ts';

/** An attempt counter that starts at `first`, as the durable one in the table does. */
function counter(first = 1): { count: () => Promise<number>; calls: () => number } {
  let next = first;
  let calls = 0;
  return {
    count: async () => {
      calls += 1;
      return next++;
    },
    calls: () => calls,
  };
}

class CrashSignal extends Error {
  constructor() {
    super('crashed');
    this.name = 'CrashSignal';
  }
}

const crash = (): never => {
  throw new CrashSignal();
};

describe('parseTestFault', () => {
  it.each([
    ['transient:3', { kind: 'transient', failedAttempts: 3 }],
    ['permanent', { kind: 'permanent' }],
    ['sleep:250', { kind: 'sleep', milliseconds: 250 }],
    ['crash:1', { kind: 'crash', failedAttempts: 1 }],
    ['hang:2', { kind: 'hang', failedAttempts: 2 }],
    ['crash', undefined],
    ['hang:-1', undefined],
    ['transient:', undefined],
    ['explode', undefined],
    [42, undefined],
  ])('parses %s', (value, expected) => {
    expect(parseTestFault(value)).toEqual(expected);
  });
});

describe('injectTestFault', () => {
  it('fails transient attempts up to n, then lets the event through', async () => {
    // Prepare
    const fault: TestFault = { kind: 'transient', failedAttempts: 2 };
    const attempts = counter();
    const sleep = async () => undefined;
    // Act
    const first = injectTestFault(fault, attempts.count, sleep, crash);
    await expect(first).rejects.toThrow(/^injected transient fault on attempt 1 of 2$/);
    await expect(injectTestFault(fault, attempts.count, sleep, crash)).rejects.toBeInstanceOf(
      InjectedFaultError
    );
    const third = injectTestFault(fault, attempts.count, sleep, crash);
    // Assess
    await expect(third).resolves.toBeUndefined();
  });

  it('fails if the fault is permanent, without counting', async () => {
    // Prepare
    const attempts = counter();
    // Act
    const run = injectTestFault({ kind: 'permanent' }, attempts.count, async () => undefined);
    // Assess
    await expect(run).rejects.toThrow(/^injected permanent fault$/);
    await expect(run).rejects.toBeInstanceOf(PermanentError);
    expect(attempts.calls()).toBe(0);
  });

  it('crashes on attempts up to n after counting them, then lets the event through', async () => {
    // Prepare
    const fault: TestFault = { kind: 'crash', failedAttempts: 1 };
    const attempts = counter();
    const sleep = async () => undefined;
    // Act
    const first = injectTestFault(fault, attempts.count, sleep, crash);
    // Assess
    await expect(first).rejects.toBeInstanceOf(CrashSignal);
    expect(attempts.calls()).toBe(1);
    await expect(injectTestFault(fault, attempts.count, sleep, crash)).resolves.toBeUndefined();
  });

  it('hangs past any function timeout on attempts up to n, then lets the event through', async () => {
    // Prepare
    const fault: TestFault = { kind: 'hang', failedAttempts: 1 };
    const attempts = counter();
    const slept: number[] = [];
    const sleep = async (milliseconds: number) => {
      slept.push(milliseconds);
    };
    // Act
    const first = injectTestFault(fault, attempts.count, sleep, crash);
    // Assess: the hang outlasts Lambda's 900 s maximum, and never applies the effect
    await expect(first).rejects.toThrow(/^injected hang on attempt 1 was not timed out$/);
    expect(slept).toEqual([HANG_MILLISECONDS]);
    expect(HANG_MILLISECONDS).toBeGreaterThan(900_000);
    await expect(injectTestFault(fault, attempts.count, sleep, crash)).resolves.toBeUndefined();
    expect(slept).toHaveLength(1);
  });

  it('sleeps on every attempt for sleep:<ms>', async () => {
    // Prepare
    const slept: number[] = [];
    const sleep = async (milliseconds: number) => {
      slept.push(milliseconds);
    };
    // Act
    await injectTestFault({ kind: 'sleep', milliseconds: 25 }, counter().count, sleep, crash);
    await injectTestFault({ kind: 'sleep', milliseconds: 25 }, counter().count, sleep, crash);
    // Assess
    expect(slept).toEqual([25, 25]);
  });
});
