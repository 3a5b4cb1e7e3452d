import { InjectedFaultError, PermanentError } from '../errors.ts';

/**
 * How long a `hang:<n>` attempt waits: past Lambda's largest function timeout (900 s), so that
 * whatever the function's timeout is, the attempt times out instead of returning.
 */
export const HANG_MILLISECONDS = 901_000;

/** Exit code of a `crash:<n>` attempt (any non-zero code is a crash to Lambda). */
export const CRASH_EXIT_CODE = 86;

/** A fault requested through the `testfault` CloudEvents extension. */
export type TestFault =
  | { readonly kind: 'transient'; readonly failedAttempts: number }
  | { readonly kind: 'permanent' }
  | { readonly kind: 'sleep'; readonly milliseconds: number }
  | { readonly kind: 'crash'; readonly failedAttempts: number }
  | { readonly kind: 'hang'; readonly failedAttempts: number };

/** The kinds of fault counted per attempt: they fail attempts 1..n, then let the event through. */
const COUNTED_KINDS = ['transient', 'crash', 'hang'] as const;

/**
 * Parses a `testfault` extension value: `transient:<n>`, `permanent`, `sleep:<ms>`,
 * `crash:<n>` or `hang:<n>`.
 *
 * @returns the fault, or `undefined` when the value is absent or not understood
 */
export function parseTestFault(value: unknown): TestFault | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === 'permanent') return { kind: 'permanent' };
  const match = /^(transient|sleep|crash|hang):(\d{1,9})$/.exec(value);
  if (!match) return undefined;
  const kind = match[1];
  const amount = Number(match[2]);
  if (kind === 'sleep') return { kind: 'sleep', milliseconds: amount };
  const counted = COUNTED_KINDS.find((candidate) => candidate === kind);
  return counted === undefined ? undefined : { kind: counted, failedAttempts: amount };
}

/**
 * Injects a test fault before the consumer's effect:
 * - `transient:<n>` fails attempts 1..n with a retryable error;
 * - `permanent` throws a {@link PermanentError};
 * - `sleep:<ms>` waits (to hold the idempotency lease, or to exceed a timeout on every attempt);
 * - `crash:<n>` ends the execution environment on attempts 1..n (`process.exit`, like a
 *   runtime crash on Lambda): the whole batch fails with it, mid-way, and comes back after the
 *   queue's visibility timeout;
 * - `hang:<n>` waits {@link HANG_MILLISECONDS} on attempts 1..n, so the function times out
 *   (Lambda, and the local function host, end the environment) and the batch fails.
 *
 * @param countAttempt counts this attempt durably and returns its number. Counting outside the
 *   message (not its ApproximateReceiveCount) lets a test dead-letter an event with
 *   `transient:<maxReceiveCount>` and see it succeed after a DLQ redrive, whose receive count
 *   starts again at 1. The count is written before a crash or a hang, so it survives them.
 * @param sleep waits, for `sleep` and `hang`
 * @param crash ends the execution environment, for `crash`
 */
export async function injectTestFault(
  fault: TestFault,
  countAttempt: () => Promise<number>,
  sleep: (milliseconds: number) => Promise<void>,
  crash: () => never = () => process.exit(CRASH_EXIT_CODE)
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
    case 'crash': {
      const attempt = await countAttempt();
      if (attempt <= fault.failedAttempts) crash();
      return;
    }
    case 'hang': {
      const attempt = await countAttempt();
      if (attempt <= fault.failedAttempts) {
        await sleep(HANG_MILLISECONDS);
        // Only reached where nothing enforces a timeout (a unit test): fail, never apply.
        throw new InjectedFaultError(`injected hang on attempt ${attempt} was not timed out`);
      }
      return;
    }
  }
}
