/**
 * Explains a failed cdk run in one line with the next step, from what cdk wrote to stderr.
 */
import { EXIT, type ExitCode } from '../cli-error.ts';

/** What to tell the user after cdk failed. */
export interface CdkFailure {
  readonly message: string;
  readonly exitCode: ExitCode;
}

/** The next step when no AWS credentials are found, shared with the STS pre-check. */
export const CREDENTIALS_HELP =
  'configure them with `aws configure`, or pick a profile with AWS_PROFILE=<name> (for IAM Identity Center run `aws sso login --profile <name>` first), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/**
 * Reads cdk's stderr after a non-zero exit and says what went wrong and what to do.
 *
 * @param command the cdk subcommand that failed (`deploy`, `destroy`, `bootstrap`)
 * @param exitCode cdk's exit code
 * @param stderr the end of what cdk wrote to stderr
 * @param environment `aws://account/region` when known, for the bootstrap hint
 */
export function explainCdkFailure(
  command: string,
  exitCode: number | null,
  stderr: string,
  environment?: string
): CdkFailure {
  // cdk's own fast failure without credentials (see TOOLCHAIN.md "CDK facts").
  if (/Unable to resolve AWS account to use/i.test(stderr)) {
    return {
      message: `cdk found no AWS credentials: ${CREDENTIALS_HELP}`,
      exitCode: EXIT.UNREACHABLE,
    };
  }
  // "SSM parameter /cdk-bootstrap/<qualifier>/version not found. Has the environment been
  // bootstrapped? Please run 'cdk bootstrap'".
  if (
    /has the environment been bootstrapped|cdk-bootstrap\/\S+ not found|not bootstrapped/i.test(
      stderr
    )
  ) {
    const where = environment ?? 'aws://<account>/<region>';
    return {
      message: `${where} is not bootstrapped for the CDK: run \`npm run deploy -- --bootstrap\` once (or \`npx cdk bootstrap ${where}\`; it needs rights to create IAM roles and an S3 bucket), then deploy again`,
      exitCode: EXIT.FAILED,
    };
  }
  if (/ExpiredToken|token (has )?expired|session .* has expired/i.test(stderr)) {
    return {
      message:
        'your AWS credentials have expired: refresh them (`aws sso login --profile <name>` for IAM Identity Center) and run the command again',
      exitCode: EXIT.UNREACHABLE,
    };
  }
  if (/No stacks? (found )?match/i.test(stderr)) {
    return {
      message:
        'cdk found no stack by that name: the name comes from --stack or EventPipeline-<stage>; list the app’s stacks with `npx cdk ls`',
      exitCode: EXIT.NOT_FOUND,
    };
  }
  return {
    message: `cdk ${command} failed (exit code ${exitCode ?? 'none: killed by a signal'}); its output above says why`,
    exitCode: EXIT.FAILED,
  };
}
