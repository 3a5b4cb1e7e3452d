import { InjectedFaultError, PermanentError } from '../errors.ts';

/** A fault requested through the `testfault` CloudEvents extension. */
export type TestFault =
  | { readonly kind: 'transient'; readonly failedAttempts: number }
  | { readonly kind: 'permanent' }
  | { readonly kind: 'sleep'; readonly milliseconds: number };

/**
 * Parses a `testfault` extension value: `transient:<n>`, `permanent` or `sleep:<ms>`.
 *
 * @returns the fault, or `undefined` when the value is absent or not understood
 */
export function parseTestFault(value: unknown): TestFault | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === 'permanent') return { kind: 'permanent' };
  const match = /^(transient|sleep):(\d{1,9})$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[2]);
  return match[1] === 'transient'
    ? { kind: 'transient', failedAttempts: amount }
    : { kind: 'sleep', milliseconds: amount };
}

/**
 * Injects a test fault before the consumer's effect: `transient:<n>` fails attempts 1..n with a
 * retryable error, `permanent` throws a {@link PermanentError}, `sleep:<ms>` waits (to provoke
 * timeouts and hold the idempotency lease).
 *
 * @param countAttempt counts this attempt durably and returns its number. Counting outside the
 *   message (not its ApproximateReceiveCount) lets a test dead-letter an event with
 *   `transient:<maxReceiveCount>` and see it succeed after a DLQ redrive, whose receive count
 *   starts again at 1.
 */
export async function injectTestFault(
  fault: TestFault,
  countAttempt: () => Promise<number>,
  sleep: (milliseconds: number) => Promise<void>
): Promise<void> {
  switch (fault.kind) {
    case 'transient': {
      const attempt = await countAttempt();
      if (attempt <= fault.failedAttempts) {
        throw new InjectedFaultError(
          `injected transient fault on attempt ${attempt} of ${fault.failedAttempts}`
        );
      }
      return;
    }
    case 'permanent':
      throw new PermanentError('injected permanent fault');
    case 'sleep':
      await sleep(fault.milliseconds);
      return;
  }
}
