/**
 * Turns the flags of `pipeline deploy` / `pipeline destroy` into validated options.
 */
import { resolve } from 'node:path';
import { CliError, EXIT } from '../cli-error.ts';
import type { CommandArgs } from '../command.ts';
import { outputsFileOf } from '../target-outputs.ts';

/** Where `deploy` and `destroy` can go: the local target is not deployed, it is started. */
export const DEPLOY_TARGETS = ['aws', 'localstack'] as const;

/** One of {@link DEPLOY_TARGETS}. */
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

/**
 * Stage used when `--stage` is not given. It must equal bin/app.ts's default
 * (`DEFAULT_STAGE_NAME` in lib/defaults.ts, which the CLI does not import because that module
 * loads aws-cdk-lib); `test/unit/cli/deploy-options.test.ts` checks that they agree.
 */
export const DEFAULT_DEPLOY_STAGE = 'dev';

/** Name of the stack bin/app.ts creates for a stage when no `stackName` context is given. */
export function defaultStackName(stage: string): string {
  return `EventPipeline-${stage}`;
}

/** What `deploy` and `destroy` act on. */
export interface DeployOptions {
  readonly target: DeployTarget;
  /** CDK context `stage`. */
  readonly stage: string;
  /** `true` when `--stage` was given (only then is `-c stage=…` passed). */
  readonly stageGiven: boolean;
  /** Stack to deploy or destroy: `--stack`, else `EventPipeline-<stage>`. */
  readonly stackName: string;
  /** `true` when `--stack` was given (only then is `-c stackName=…` passed). */
  readonly stackNameGiven: boolean;
  /** Absolute path of the outputs file: `--outputs`, else `outputs/<target>.json`. */
  readonly outputsFile: string;
  /** `--yes`: deploy without cdk's approval prompt for security-broadening changes. */
  readonly yes: boolean;
  /** `--bootstrap` (AWS only; LocalStack is always bootstrapped first). */
  readonly bootstrap: boolean;
  /** `--endpoint` (LocalStack only). */
  readonly endpoint?: string;
  /** Arguments after `--`, passed to cdk unchanged. */
  readonly cdkArgs: readonly string[];
}

// CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128 characters.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
// The stage becomes part of the stack name and the API Gateway stage name, so the same alphabet.
const STAGE = /^[A-Za-z0-9-]{1,64}$/;

function flag(args: CommandArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Validates the flags of `deploy` / `destroy`.
 *
 * @param args parsed arguments
 * @param defaultTarget target when `--target` is not given
 * @param root directory the default outputs file is relative to
 */
export function parseDeployOptions(
  args: CommandArgs,
  defaultTarget: DeployTarget = 'aws',
  root = process.cwd()
): DeployOptions {
  const target = flag(args, 'target') ?? defaultTarget;
  if (target === 'local') {
    throw new CliError(
      'the local target is not deployed: start it with `npm start` (it writes outputs/local.json)',
      EXIT.USAGE
    );
  }
  if (!DEPLOY_TARGETS.includes(target as DeployTarget)) {
    throw new CliError(
      `--target must be one of ${DEPLOY_TARGETS.join(', ')}, but "${target}" was given`,
      EXIT.USAGE
    );
  }
  const stageFlag = flag(args, 'stage');
  if (stageFlag !== undefined && !STAGE.test(stageFlag)) {
    throw new CliError(
      `--stage must be 1 to 64 letters, digits or hyphens, but "${stageFlag}" was given`,
      EXIT.USAGE
    );
  }
  const stage = stageFlag ?? DEFAULT_DEPLOY_STAGE;
  const stackFlag = flag(args, 'stack');
  if (stackFlag !== undefined && !STACK_NAME.test(stackFlag)) {
    throw new CliError(
      `--stack must start with a letter and hold only letters, digits and hyphens (at most 128), but "${stackFlag}" was given`,
      EXIT.USAGE
    );
  }
  const stackName = stackFlag ?? defaultStackName(stage);
  if (!STACK_NAME.test(stackName)) {
    throw new CliError(
      `the stack name ${stackName} is longer than 128 characters: pass a shorter --stage or --stack`,
      EXIT.USAGE
    );
  }
  // Positionals can only be cdk flags after `--`: a bare word is most likely a mistyped stage.
  const stray = args.positionals.find((positional) => !positional.startsWith('-'));
  if (stray !== undefined) {
    throw new CliError(
      `unexpected argument "${stray}": pass the stage as --stage ${stray}; cdk flags go after --, e.g. \`npm run deploy -- --stage ${stray} -- --hotswap\``,
      EXIT.USAGE
    );
  }
  const endpoint = flag(args, 'endpoint');
  if (endpoint !== undefined) {
    if (target !== 'localstack') {
      throw new CliError(
        '--endpoint only applies to --target localstack; AWS deployments use the standard endpoints',
        EXIT.USAGE
      );
    }
    if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
      throw new CliError(
        `--endpoint must be an http(s) URL such as http://localhost:4566, but "${endpoint}" was given`,
        EXIT.USAGE
      );
    }
  }
  return {
    target: target as DeployTarget,
    stage,
    stageGiven: stageFlag !== undefined,
    stackName,
    stackNameGiven: stackFlag !== undefined,
    // Absolute, because cdk runs in the project root while readers resolve from the cwd.
    outputsFile: resolve(
      root,
      flag(args, 'outputs') ?? outputsFileOf(target as DeployTarget, root)
    ),
    yes: args.values.yes === true,
    bootstrap: args.values.bootstrap === true,
    endpoint,
    cdkArgs: args.positionals,
  };
}
