import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OUTPUT_KEYS } from '../../functions/shared/contract.ts';

/** The three places the pipeline runs. */
export const TARGETS = ['local', 'localstack', 'aws'] as const;

/** One of {@link TARGETS}. */
export type TargetName = (typeof TARGETS)[number];

/** One consumer's resources, as the `Consumers` output lists them. */
export interface ConsumerOutputs {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly functionName: string;
  /** The function's log group (where `pipeline tail` reads on AWS and LocalStack). */
  readonly logGroupName?: string;
}

/** What the CLI and the e2e tests need to know about a deployed pipeline. */
export interface PipelineOutputs {
  readonly stackName: string;
  /** Base URL of the API stage, with a trailing slash. */
  readonly apiUrl: string;
  readonly tableName: string;
  readonly region: string;
  readonly consumers: Readonly<Record<string, ConsumerOutputs>>;
}

/** Error reading or interpreting an outputs file; its message says what to do next. */
export class OutputsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutputsError';
  }
}

const HOW_TO_CREATE: Record<TargetName, string> = {
  local: 'start the local runtime with `npm start`',
  localstack: 'deploy to LocalStack with `npm run deploy:localstack`',
  aws: 'deploy with `npm run deploy`',
};

/** Path of a target's outputs file, relative to the project root: `outputs/<target>.json`. */
export function outputsFileOf(target: TargetName, root = process.cwd()): string {
  return join(root, 'outputs', `${target}.json`);
}

/**
 * Reads an outputs file in the shape `cdk deploy --outputs-file` writes
 * (`{ "<StackName>": { "<OutputKey>": "<value>" } }`) and picks the pipeline stack.
 *
 * @param file path of the outputs file
 * @param target the target it belongs to (only for the hint in error messages)
 * @param stackName which stack to pick when the file holds several
 */
export async function readOutputs(
  file: string,
  target: TargetName = 'local',
  stackName?: string
): Promise<PipelineOutputs> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new OutputsError(`${file} not found: ${HOW_TO_CREATE[target]} first`, { cause: error });
  }
  let document: Record<string, Record<string, string>>;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new OutputsError(`${file} is not valid JSON`, { cause: error });
  }
  const stacks = Object.keys(document).filter((name) => document[name]?.[OUTPUT_KEYS.apiUrl]);
  const chosen = stackName ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!chosen) {
    throw new OutputsError(
      stacks.length === 0
        ? `${file} holds no pipeline stack (no ${OUTPUT_KEYS.apiUrl} output): ${HOW_TO_CREATE[target]}`
        : `${file} holds several pipeline stacks (${stacks.join(', ')}): pass --stack <name>`
    );
  }
  const outputs = document[chosen];
  if (!outputs)
    throw new OutputsError(`${file} has no stack named ${chosen} (has ${stacks.join(', ')})`);
  const required = (key: string): string => {
    const value = outputs[key];
    if (!value) throw new OutputsError(`${file}: stack ${chosen} has no ${key} output`);
    return value;
  };
  let consumers: Record<string, ConsumerOutputs>;
  try {
    consumers = JSON.parse(required(OUTPUT_KEYS.consumers));
  } catch (error) {
    if (error instanceof OutputsError) throw error;
    throw new OutputsError(`${file}: the ${OUTPUT_KEYS.consumers} output is not valid JSON`, {
      cause: error,
    });
  }
  const apiUrl = required(OUTPUT_KEYS.apiUrl);
  return {
    stackName: chosen,
    apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    tableName: required(OUTPUT_KEYS.tableName),
    region: required(OUTPUT_KEYS.region),
    consumers,
  };
}
