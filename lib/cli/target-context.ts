import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError, EXIT } from './cli-error.ts';
import { SignedHttpClient } from './signed-http-client.ts';
import {
  OutputsError,
  outputsFileOf,
  type PipelineOutputs,
  readOutputs,
  TARGETS,
  type TargetName,
} from './target-outputs.ts';

/** Flags every command takes to pick the pipeline it talks to. */
export interface TargetFlags {
  /** @default 'local' */
  readonly target?: string;
  /** Path of the outputs file. @default outputs/<target>.json */
  readonly outputs?: string;
  /** Stack to pick when the outputs file holds several. */
  readonly stack?: string;
  /** AWS endpoint override for SDK calls (SQS). @default - AWS_ENDPOINT_URL, or the local runtime's */
  readonly endpoint?: string;
}

/** Where the local runtime says its emulators listen: `.state/runtime.json`. */
export const RUNTIME_STATE_FILE = join('.state', 'runtime.json');

/** Where the local runtime journals its deliveries (JSON lines) for `pipeline tail`. */
export const DELIVERY_JOURNAL_FILE = join('.state', 'deliveries.jsonl');

/** What the local runtime writes to {@link RUNTIME_STATE_FILE} while it runs. */
export interface RuntimeState {
  readonly pid: number;
  readonly endpoints: { readonly sqs: string; readonly sns: string; readonly dynamodb: string };
  /** Absolute path of the delivery journal, for `pipeline tail`. */
  readonly deliveriesFile?: string;
}

/** A resolved target: its outputs and clients for it. */
export interface TargetContext {
  readonly target: TargetName;
  readonly outputs: PipelineOutputs;
  readonly http: SignedHttpClient;
  readonly sqs: SQSClient;
  readonly runtime?: RuntimeState;
  /** The AWS endpoint override in force, if any (LocalStack, the local emulators). */
  readonly endpoint?: string;
  /** Credentials for SDK clients; absent on AWS (the standard credential chain). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Reads the local runtime's state file, if the runtime is running: `PIPELINE_RUNTIME_STATE` when
 * set (a runtime started with another state file, as the e2e suite does), else
 * {@link RUNTIME_STATE_FILE}.
 */
export function readRuntimeState(root = process.cwd()): RuntimeState | undefined {
  const file = process.env.PIPELINE_RUNTIME_STATE ?? join(root, RUNTIME_STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as RuntimeState;
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined;
  }
}

/** Resolves the flags to a target context, with errors that say what to do next. */
export async function resolveTarget(flags: TargetFlags): Promise<TargetContext> {
  const target = (flags.target ?? 'local') as TargetName;
  if (!TARGETS.includes(target)) {
    throw new CliError(
      `--target must be one of ${TARGETS.join(', ')} (given ${flags.target})`,
      EXIT.USAGE
    );
  }
  let outputs: PipelineOutputs;
  try {
    outputs = await readOutputs(flags.outputs ?? outputsFileOf(target), target, flags.stack);
  } catch (error) {
    if (error instanceof OutputsError)
      throw new CliError(error.message, EXIT.NOT_FOUND, { cause: error });
    throw error;
  }
  const runtime = target === 'local' ? readRuntimeState() : undefined;
  if (target === 'local' && !runtime && !flags.endpoint) {
    throw new CliError(
      'the local runtime is not running: start it with `npm start`',
      EXIT.UNREACHABLE
    );
  }
  const credentials = target === 'aws' ? undefined : LOCAL_CREDENTIALS;
  const endpoint =
    flags.endpoint ??
    runtime?.endpoints.sqs ??
    (target === 'localstack'
      ? (process.env.AWS_ENDPOINT_URL ?? 'http://localhost.localstack.cloud:4566')
      : undefined);
  return {
    target,
    outputs,
    runtime,
    endpoint,
    credentials,
    http: new SignedHttpClient({ baseUrl: outputs.apiUrl, region: outputs.region, credentials }),
    sqs: new SQSClient({ region: outputs.region, credentials, ...(endpoint ? { endpoint } : {}) }),
  };
}
