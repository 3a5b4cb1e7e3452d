/**
 * Makes sure `cdklocal` can only ever talk to LocalStack.
 *
 * cdklocal points the cdk CLI at LocalStack through environment variables, and has been reported
 * to bootstrap the real account of the user's profile instead
 * (https://github.com/localstack/aws-cdk-local/issues/103). So before bootstrapping:
 * 1. the endpoint must answer `GET /_localstack/health` like LocalStack does;
 * 2. STS GetCallerIdentity on that endpoint, with LocalStack's test credentials, must return
 *    LocalStack's account ({@link LOCALSTACK_ACCOUNT_ID});
 * 3. cdklocal then runs with exactly that endpoint, the test credentials and no access to the
 *    user's ~/.aws files ({@link localStackCdkEnv}): even if it bypassed the endpoint, AWS would
 *    reject credentials `test`/`test`.
 */
import { devNull } from 'node:os';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CliError, EXIT } from '../cli-error.ts';
import { isNetworkError, stsClientConfig } from './aws-identity.ts';

/**
 * The account LocalStack serves for the access key `test` (a 12-digit access key would become the
 * account id, which is why the check always uses `test`).
 *
 * @see https://docs.localstack.cloud/aws/capabilities/config/credentials/
 */
export const LOCALSTACK_ACCOUNT_ID = '000000000000';

/** Credentials LocalStack accepts; worthless anywhere else. */
export const LOCALSTACK_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/**
 * Endpoints tried when neither `--endpoint` nor AWS_ENDPOINT_URL is set, in order. The first is
 * what cdklocal uses by default (its name resolves to 127.0.0.1 through public DNS, and its
 * subdomains serve S3 buckets); the second works offline.
 */
export const DEFAULT_LOCALSTACK_ENDPOINTS = [
  'http://localhost.localstack.cloud:4566',
  'http://localhost:4566',
] as const;

/** Region used when AWS_REGION and AWS_DEFAULT_REGION are not set (cdklocal's default too). */
export const DEFAULT_LOCALSTACK_REGION = 'us-east-1';

/** How long the health endpoint may take to answer. */
export const HEALTH_TIMEOUT_MS = 3_000;

/**
 * Services the bootstrap and the pipeline stack need. LocalStack reports each one's state in
 * its health document; `disabled` or `error` stops the deployment before it half-fails.
 */
export const REQUIRED_LOCALSTACK_SERVICES = [
  'cloudformation',
  's3',
  'ssm',
  'sts',
  'iam',
  'kms',
  'sns',
  'sqs',
  'lambda',
  'dynamodb',
  'apigateway',
  'logs',
  'cloudwatch',
] as const;

/** What LocalStack's `GET /_localstack/health` answers (the parts used here). */
export interface LocalStackHealth {
  /** Service name → state (`available`, `running`, `disabled`, `error`, …). */
  readonly services: Readonly<Record<string, string>>;
  readonly version: string;
  /** `community` or `pro` in LocalStack 4; may be absent in later versions. */
  readonly edition?: string;
}

/** A LocalStack endpoint that passed every check. */
export interface VerifiedLocalStack {
  readonly endpoint: string;
  readonly region: string;
  readonly account: string;
  readonly health: LocalStackHealth;
}

/** How to get LocalStack running, for every "not reachable" message. */
export const START_LOCALSTACK_HELP = [
  'Start LocalStack first. Since March 2026 its image needs an auth token (the free plan has one:',
  'sign up at https://app.localstack.cloud, then copy it from the "Auth Token" page):',
  '  export LOCALSTACK_AUTH_TOKEN=<your token>',
  '  docker run --rm -d -p 4566:4566 -e LOCALSTACK_AUTH_TOKEN \\',
  '    -v /var/run/docker.sock:/var/run/docker.sock localstack/localstack',
  '  (or, with the LocalStack CLI: localstack auth set-token <token> && localstack start -d)',
  'Lambda functions on LocalStack run in Docker containers, so Docker must be running.',
  'Then check http://localhost:4566/_localstack/health and run `npm run deploy:localstack` again.',
  'Elsewhere than localhost: set AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_S3) or pass --endpoint.',
].join('\n');

/** The endpoints to try: an explicit one only, else the defaults. */
export function localStackEndpointCandidates(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): readonly string[] {
  const explicit = flag ?? env.AWS_ENDPOINT_URL;
  return explicit ? [explicit.replace(/\/+$/, '')] : DEFAULT_LOCALSTACK_ENDPOINTS;
}

/** Region for LocalStack: AWS_REGION, AWS_DEFAULT_REGION, else {@link DEFAULT_LOCALSTACK_REGION}. */
export function localStackRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_LOCALSTACK_REGION;
}

/** Result of probing one endpoint's health document. */
type Probe =
  | { readonly kind: 'localstack'; readonly health: LocalStackHealth }
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'not-localstack'; readonly reason: string };

/** Reads `GET <endpoint>/_localstack/health` and decides whether it is LocalStack. */
export async function probeLocalStackHealth(endpoint: string): Promise<Probe> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${HEALTH_TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    return { kind: 'unreachable', reason };
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    return {
      kind: 'not-localstack',
      reason: `GET /_localstack/health answered HTTP ${response.status}`,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'not-localstack', reason: 'GET /_localstack/health did not answer JSON' };
  }
  const health = body as Partial<LocalStackHealth>;
  if (
    typeof health !== 'object' ||
    health === null ||
    typeof health.services !== 'object' ||
    health.services === null ||
    typeof health.version !== 'string'
  ) {
    return {
      kind: 'not-localstack',
      reason:
        'GET /_localstack/health did not answer LocalStack’s health document ({ services, version })',
    };
  }
  return { kind: 'localstack', health: health as LocalStackHealth };
}

/** Required services the health document reports as `disabled` or `error`. */
export function unusableServices(health: LocalStackHealth): string[] {
  return REQUIRED_LOCALSTACK_SERVICES.filter((service) => {
    const state = health.services[service];
    return state === 'disabled' || state === 'error';
  }).map((service) => `${service} (${health.services[service]})`);
}

/** Asks STS on the endpoint which account the test credentials belong to. */
export async function localStackAccount(endpoint: string, region: string): Promise<string> {
  const sts = new STSClient(
    stsClientConfig({ endpoint, region, credentials: LOCALSTACK_CREDENTIALS })
  );
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('the answer holds no account id');
    return identity.Account;
  } finally {
    sts.destroy();
  }
}

/**
 * Runs checks 1 and 2 (see the module doc) and returns the endpoint cdklocal may use.
 *
 * @param flag `--endpoint`, if given
 * @throws CliError EXIT.UNREACHABLE when no candidate answers (with how to start LocalStack);
 *   EXIT.FAILED when an endpoint answers but is not LocalStack, or not LocalStack's account
 */
export async function verifyLocalStack(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): Promise<VerifiedLocalStack> {
  const candidates = localStackEndpointCandidates(flag, env);
  const region = localStackRegion(env);
  const unreachable: string[] = [];
  for (const endpoint of candidates) {
    const probe = await probeLocalStackHealth(endpoint);
    if (probe.kind === 'unreachable') {
      unreachable.push(`${endpoint} (${probe.reason})`);
      continue;
    }
    if (probe.kind === 'not-localstack') {
      throw new CliError(
        `refusing to deploy: ${endpoint} is not LocalStack (${probe.reason}). cdklocal would bootstrap whatever answers there, possibly a real AWS account. Point AWS_ENDPOINT_URL or --endpoint at LocalStack (default http://localhost:4566)`,
        EXIT.FAILED
      );
    }
    const broken = unusableServices(probe.health);
    if (broken.length > 0) {
      throw new CliError(
        `LocalStack at ${endpoint} cannot deploy the pipeline: ${broken.join(', ')}. If you set SERVICES when starting LocalStack, add these (or unset it), then restart it`,
        EXIT.FAILED
      );
    }
    let account: string;
    try {
      account = await localStackAccount(endpoint, region);
    } catch (error) {
      const detail = isNetworkError(error)
        ? 'no answer'
        : `${(error as Error).name}: ${(error as Error).message}`;
      throw new CliError(
        `refusing to deploy: ${endpoint} answers like LocalStack, but STS GetCallerIdentity there failed (${detail}), so its account cannot be confirmed as LocalStack’s ${LOCALSTACK_ACCOUNT_ID}`,
        EXIT.FAILED,
        { cause: error }
      );
    }
    if (account !== LOCALSTACK_ACCOUNT_ID) {
      throw new CliError(
        `refusing to deploy: STS at ${endpoint} says account ${account}, not LocalStack’s ${LOCALSTACK_ACCOUNT_ID}. cdklocal has been known to bootstrap a real account (localstack/aws-cdk-local#103); check AWS_ENDPOINT_URL and that nothing but LocalStack listens there`,
        EXIT.FAILED
      );
    }
    return { endpoint, region, account, health: probe.health };
  }
  throw new CliError(
    `LocalStack is not reachable: ${unreachable.join('; ')}.\n${START_LOCALSTACK_HELP}`,
    EXIT.UNREACHABLE
  );
}

/**
 * The S3 endpoint cdklocal uploads assets to. cdklocal 3 insists on AWS_ENDPOINT_URL_S3 when
 * AWS_ENDPOINT_URL is set, and S3 clients address buckets as subdomains: LocalStack's
 * `s3.localhost.localstack.cloud` serves them; an IP address makes the SDK use path-style URLs,
 * so `localhost` becomes 127.0.0.1.
 */
export function localStackS3Endpoint(
  endpoint: string,
  env: NodeJS.ProcessEnv = process.env
): string {
  if (env.AWS_ENDPOINT_URL_S3) return env.AWS_ENDPOINT_URL_S3;
  const url = new URL(endpoint);
  if (url.hostname === 'localhost.localstack.cloud') url.hostname = 's3.localhost.localstack.cloud';
  else if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  return url.toString().replace(/\/+$/, '');
}

/**
 * The environment cdklocal runs with (check 3): this process's minus every `AWS_*` variable,
 * then the verified endpoint for every service, the test credentials, the region, and
 * ~/.aws/config and ~/.aws/credentials replaced by an empty file so no profile can leak in.
 * AWS_ENVAR_ALLOWLIST keeps cdklocal from stripping these again.
 */
export function localStackCdkEnv(
  verified: Pick<VerifiedLocalStack, 'endpoint' | 'region'>,
  base: NodeJS.ProcessEnv = process.env
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  const pinned = {
    AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
    AWS_REGION: verified.region,
    AWS_DEFAULT_REGION: verified.region,
    AWS_CONFIG_FILE: devNull,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
  };
  return {
    ...env,
    ...pinned,
    AWS_ENDPOINT_URL: verified.endpoint,
    AWS_ENDPOINT_URL_S3: localStackS3Endpoint(verified.endpoint, base),
    AWS_ENVAR_ALLOWLIST: Object.keys(pinned).join(','),
    CDK_DISABLE_VERSION_CHECK: '1',
  };
}
