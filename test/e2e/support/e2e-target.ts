/**
 * What the e2e suite knows about the pipeline under test, handed from the global setup to every
 * test file: only what a user has (the outputs file and the target's AWS endpoint).
 */
import type { TargetName } from '../../../lib/cli/target-outputs.ts';

/** Provided by the global setup under the key `e2e`. */
export interface E2eTarget {
  /** Which target the suite runs against. */
  readonly target: TargetName;
  /** Absolute path of the target's outputs file. */
  readonly outputsFile: string;
  /** AWS endpoint for SQS and DynamoDB SDK calls; absent on AWS (the SDK's default endpoints). */
  readonly endpoints?: { readonly sqs: string; readonly dynamodb: string };
  /** The local runtime's state file (local target only), for the CLI's `PIPELINE_RUNTIME_STATE`. */
  readonly runtimeStateFile?: string;
  /** Whether the consumers honour the `testfault` extension (every target of this app does). */
  readonly testHooks: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eTarget;
  }
}
