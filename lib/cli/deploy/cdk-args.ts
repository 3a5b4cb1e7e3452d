/**
 * Command lines of the cdk (and cdklocal) CLI for deploy, destroy and bootstrap. Pure, so the
 * exact arguments are unit-tested.
 */
import type { DeployOptions } from './deploy-options.ts';

/**
 * How cdk asks before a deployment that broadens security (new IAM statements, security-group
 * rules): `broadening` (cdk's default) prompts; `never` does not.
 *
 * @see https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html
 */
export type RequireApproval = 'never' | 'broadening';

/**
 * The approval policy of a deployment.
 *
 * On AWS a person sees and confirms IAM changes to a real account (`broadening`), unless they said
 * `--yes` (CI, scripts). LocalStack is a throw-away emulator holding test credentials only, so
 * `npm run deploy:localstack` never prompts.
 */
export function requireApprovalFor(
  options: Pick<DeployOptions, 'target' | 'yes'>
): RequireApproval {
  return options.target === 'localstack' || options.yes ? 'never' : 'broadening';
}

function contextArgs(options: DeployOptions): string[] {
  // Pass only what the user chose: bin/app.ts owns the defaults (stage `dev`, `EventPipeline-<stage>`).
  return [
    ...(options.stageGiven ? ['--context', `stage=${options.stage}`] : []),
    ...(options.stackNameGiven ? ['--context', `stackName=${options.stackName}`] : []),
    // LocalStack deploys no AWS::CloudWatch::Dashboard (on any plan): leave it out there.
    ...(options.target === 'localstack' ? ['--context', 'dashboard=false'] : []),
  ];
}

/**
 * `cdk deploy <stack> --require-approval … --outputs-file … [--context …] [cdk args]`.
 *
 * The stack is named explicitly so a deploy never touches another developer's or stage's stack
 * in the same account.
 */
export function deployArgs(options: DeployOptions): string[] {
  return [
    'deploy',
    options.stackName,
    '--require-approval',
    requireApprovalFor(options),
    '--outputs-file',
    options.outputsFile,
    ...contextArgs(options),
    ...options.cdkArgs,
  ];
}

/** `cdk destroy <stack> --force [--context …] [cdk args]`: only the named stack, no prompt. */
export function destroyArgs(options: DeployOptions): string[] {
  return ['destroy', options.stackName, '--force', ...contextArgs(options), ...options.cdkArgs];
}

/**
 * `cdk bootstrap aws://<account>/<region> [--context …]`.
 *
 * The environment is spelled out, so cdk does not look the account up again: for LocalStack it is
 * the account the safety check just confirmed.
 */
export function bootstrapArgs(
  options: DeployOptions,
  environment: { readonly account: string; readonly region: string }
): string[] {
  return [
    'bootstrap',
    `aws://${environment.account}/${environment.region}`,
    ...contextArgs(options),
  ];
}
