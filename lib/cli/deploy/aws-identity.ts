/**
 * Finds out, in a few seconds, which AWS account and region the standard credential chain points
 * at (STS GetCallerIdentity), and turns every way that fails into a message with the next step.
 */
import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { CliError, EXIT } from '../cli-error.ts';
import { CREDENTIALS_HELP } from './cdk-failure.ts';

/** An account and region to deploy to. */
export interface AwsIdentity {
  readonly account: string;
  readonly region: string;
  /** The caller's ARN (user or assumed role), to show who deploys. */
  readonly arn: string;
}

/** How long the STS call may take before the endpoint counts as unreachable. */
export const STS_TIMEOUT_MS = 5_000;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** `true` when an SDK error means the endpoint could not be reached at all. */
export function isNetworkError(error: unknown): boolean {
  const { code, name, cause } = error as { code?: string; name?: string; cause?: unknown };
  if ((code && NETWORK_CODES.has(code)) || name === 'TimeoutError' || name === 'AbortError') {
    return true;
  }
  return cause !== undefined && cause !== error && isNetworkError(cause);
}

/** STS client options: one attempt and short timeouts, so a dead endpoint fails fast. */
export function stsClientConfig(config: STSClientConfig = {}): STSClientConfig {
  return {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: STS_TIMEOUT_MS, requestTimeout: STS_TIMEOUT_MS },
    ...config,
  };
}

/**
 * Calls STS GetCallerIdentity with the standard credential chain (environment, AWS_PROFILE and
 * ~/.aws files, SSO, web identity, container and instance roles) and region chain.
 *
 * @throws CliError with EXIT.UNREACHABLE when there are no usable credentials, no region or no
 *   network; the message says what to do
 */
export async function resolveAwsIdentity(
  config: STSClientConfig = {},
  env: NodeJS.ProcessEnv = process.env
): Promise<AwsIdentity> {
  const sts = new STSClient(stsClientConfig(config));
  try {
    // Region and credentials are looked up separately, so a fresh machine hears about both.
    const region = await sts.config.region().catch(() => undefined);
    const credentialsError = await sts.config.credentials().then(
      () => undefined,
      (error: unknown) => error
    );
    if (!region) {
      throw new CliError(
        credentialsError
          ? 'no AWS credentials and no region configured: run `aws configure` (it asks for both), or use a profile with AWS_PROFILE=<name> (for IAM Identity Center run `aws sso login --profile <name>` first), or export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION'
          : 'no AWS region configured: set AWS_REGION (e.g. `export AWS_REGION=eu-west-1`) or run `aws configure set region <region>` for your profile',
        EXIT.UNREACHABLE,
        { cause: credentialsError }
      );
    }
    if (credentialsError) throw identityError(credentialsError, region, env);
    let identity: { Account?: string; Arn?: string };
    try {
      identity = await sts.send(new GetCallerIdentityCommand({}));
    } catch (error) {
      throw identityError(error, region, env);
    }
    if (!identity.Account) {
      throw new CliError('STS GetCallerIdentity returned no account id', EXIT.FAILED);
    }
    return { account: identity.Account, region, arn: identity.Arn ?? '' };
  } finally {
    sts.destroy();
  }
}

function identityError(error: unknown, region: string, env: NodeJS.ProcessEnv): CliError {
  const { name = '', message = '' } = error as { name?: string; message?: string };
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    // The provider's own message names the profile or SSO session when one was configured.
    const detail = /Could not load credentials from any providers/i.test(message)
      ? ''
      : ` (${message})`;
    if (env.AWS_PROFILE) {
      // The SDK says the same for a missing profile as for no credentials at all.
      return new CliError(
        `no AWS credentials found for profile ${env.AWS_PROFILE}${detail}: check it exists (\`aws configure list-profiles\`), run \`aws sso login --profile ${env.AWS_PROFILE}\` if it uses IAM Identity Center, or \`aws configure --profile ${env.AWS_PROFILE}\` to create it`,
        EXIT.UNREACHABLE,
        { cause: error }
      );
    }
    return new CliError(
      `no AWS credentials found${detail}: ${CREDENTIALS_HELP}`,
      EXIT.UNREACHABLE,
      {
        cause: error,
      }
    );
  }
  if (/expired/i.test(name) || /expired/i.test(message)) {
    return new CliError(
      `your AWS credentials have expired (${message}): refresh them, e.g. \`aws sso login --profile <name>\`, then run the command again`,
      EXIT.UNREACHABLE,
      { cause: error }
    );
  }
  if (
    name === 'InvalidClientTokenId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'AccessDenied'
  ) {
    return new CliError(
      `AWS rejected your credentials (${name}: ${message}): check AWS_PROFILE / AWS_ACCESS_KEY_ID, or ${CREDENTIALS_HELP}`,
      EXIT.UNREACHABLE,
      { cause: error }
    );
  }
  if (isNetworkError(error)) {
    return new CliError(
      `cannot reach AWS STS in ${region} (${message || name}): check your network, proxy (HTTPS_PROXY) and AWS_ENDPOINT_URL* variables`,
      EXIT.UNREACHABLE,
      { cause: error }
    );
  }
  return new CliError(`STS GetCallerIdentity failed (${name}: ${message})`, EXIT.UNREACHABLE, {
    cause: error,
  });
}
