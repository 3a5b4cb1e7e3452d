import { devNull } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../../lib/cli/cli-error.ts';
import {
  DEFAULT_LOCALSTACK_ENDPOINTS,
  LOCALSTACK_ACCOUNT_ID,
  localStackCdkEnv,
  localStackEndpointCandidates,
  localStackRegion,
  localStackS3Endpoint,
  verifyLocalStack,
} from '../../../lib/cli/deploy/localstack-guard.ts';
import {
  closedEndpoint,
  type FakeEndpoint,
  localStackHealth,
  startFakeEndpoint,
} from './fake-endpoint.ts';

const NO_ENV: NodeJS.ProcessEnv = {};

async function verifyError(endpoint: string): Promise<CliError> {
  const error = await verifyLocalStack(endpoint, NO_ENV).then(
    () => undefined,
    (thrown: unknown) => thrown
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('verifyLocalStack', () => {
  let fake: FakeEndpoint | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('accepts an endpoint with LocalStack’s health document and account, asking STS with test credentials', async () => {
    // Prepare
    fake = await startFakeEndpoint();

    // Act
    const verified = await verifyLocalStack(fake.url, { AWS_REGION: 'eu-central-1' });

    // Assess
    expect(verified).toMatchObject({
      endpoint: fake.url,
      region: 'eu-central-1',
      account: LOCALSTACK_ACCOUNT_ID,
      health: { version: '4.9.0' },
    });
    expect(fake.requests).toEqual(['GET /_localstack/health', 'POST / Action=GetCallerIdentity']);
    expect(fake.accessKeyIds).toEqual(['test']);
  });

  it('fails if nothing listens, explaining LOCALSTACK_AUTH_TOKEN and Docker', async () => {
    // Prepare
    const url = await closedEndpoint();

    // Act
    const error = await verifyError(url);

    // Assess
    expect(error.exitCode).toBe(EXIT.UNREACHABLE);
    expect(error.message).toMatch(
      new RegExp(`^LocalStack is not reachable: ${url} \\(ECONNREFUSED\\)`)
    );
    expect(error.message).toMatch(/LOCALSTACK_AUTH_TOKEN/);
    expect(error.message).toMatch(/Lambda functions on LocalStack run in Docker containers/);
  });

  it('fails if the endpoint is not LocalStack (no health endpoint), before asking STS', async () => {
    // Prepare
    fake = await startFakeEndpoint({ healthStatus: 404, healthBody: 'not found' });

    // Act
    const error = await verifyError(fake.url);

    // Assess
    expect(error.exitCode).toBe(EXIT.FAILED);
    expect(error.message).toMatch(
      /^refusing to deploy: http:\/\/127\.0\.0\.1:\d+ is not LocalStack \(GET \/_localstack\/health answered HTTP 404\)/
    );
    expect(fake.requests).toEqual(['GET /_localstack/health']);
  });

  it('fails if the health endpoint answers something else than LocalStack’s document', async () => {
    // Prepare
    fake = await startFakeEndpoint({ healthBody: JSON.stringify({ status: 'ok' }) });

    // Act
    const error = await verifyError(fake.url);

    // Assess
    expect(error.message).toMatch(
      /is not LocalStack \(GET \/_localstack\/health did not answer LocalStack’s health document/
    );
    expect(fake.requests).toEqual(['GET /_localstack/health']);
  });

  it('fails if the health endpoint does not answer JSON', async () => {
    // Prepare
    fake = await startFakeEndpoint({ healthBody: '<html>proxy login</html>' });

    // Act
    const error = await verifyError(fake.url);

    // Assess
    expect(error.message).toMatch(
      /is not LocalStack \(GET \/_localstack\/health did not answer JSON\)/
    );
  });

  it('fails if STS there returns another account than LocalStack’s', async () => {
    // Prepare
    fake = await startFakeEndpoint({ account: '123456789012' });

    // Act
    const error = await verifyError(fake.url);

    // Assess
    expect(error.exitCode).toBe(EXIT.FAILED);
    expect(error.message).toMatch(
      /^refusing to deploy: STS at http:\/\/127\.0\.0\.1:\d+ says account 123456789012, not LocalStack’s 000000000000/
    );
    expect(error.message).toMatch(/aws-cdk-local#103/);
  });

  it('fails if the account cannot be confirmed because STS fails', async () => {
    // Prepare
    fake = await startFakeEndpoint({ account: undefined });

    // Act
    const error = await verifyError(fake.url);

    // Assess
    expect(error.message).toMatch(
      /^refusing to deploy: .* answers like LocalStack, but STS GetCallerIdentity there failed \(InternalFailure: boom\)/
    );
  });

  it('fails if a service the pipeline needs is disabled, naming it', async () => {
    // Prepare
    fake = await startFakeEndpoint({
      healthBody: localStackHealth({ lambda: 'disabled', sqs: 'error' }),
    });

    // Act
    const error = await verifyError(fake.url);

    // Assess
    expect(error.message).toMatch(
      /cannot deploy the pipeline: sqs \(error\), lambda \(disabled\)\. If you set SERVICES/
    );
    expect(fake.requests).toEqual(['GET /_localstack/health']);
  });
});

describe('localStackEndpointCandidates', () => {
  it('uses --endpoint over AWS_ENDPOINT_URL, without a trailing slash', () => {
    // Act / Assess
    expect(
      localStackEndpointCandidates('http://ls:4566/', { AWS_ENDPOINT_URL: 'http://other:4566' })
    ).toEqual(['http://ls:4566']);
    expect(
      localStackEndpointCandidates(undefined, { AWS_ENDPOINT_URL: 'http://other:4566' })
    ).toEqual(['http://other:4566']);
  });

  it('tries localhost.localstack.cloud, then localhost, when nothing is set', () => {
    // Act / Assess
    expect(localStackEndpointCandidates(undefined, {})).toEqual([
      'http://localhost.localstack.cloud:4566',
      'http://localhost:4566',
    ]);
    expect(DEFAULT_LOCALSTACK_ENDPOINTS).toHaveLength(2);
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION, else us-east-1', () => {
    // Act / Assess
    expect(localStackRegion({ AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'ap-south-1' })).toBe(
      'eu-west-3'
    );
    expect(localStackRegion({ AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1');
    expect(localStackRegion({})).toBe('us-east-1');
  });
});

describe('localStackCdkEnv', () => {
  // Prepare: a developer shell with a real profile and a service-specific endpoint override.
  const shell: NodeJS.ProcessEnv = {
    PATH: '/usr/bin',
    HOME: '/home/dev',
    AWS_PROFILE: 'production',
    AWS_ACCESS_KEY_ID: 'AKIAREALKEY',
    AWS_SECRET_ACCESS_KEY: 'real-secret',
    AWS_SESSION_TOKEN: 'real-token',
    AWS_ENDPOINT_URL_STS: 'https://sts.amazonaws.com',
    AWS_ENVAR_ALLOWLIST: 'AWS_PROFILE',
  };

  it('keeps no AWS_* variable of the shell and pins endpoint, test credentials and empty AWS files', () => {
    // Act
    const env = localStackCdkEnv({ endpoint: 'http://127.0.0.1:4566', region: 'eu-west-1' }, shell);

    // Assess
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/dev',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_CONFIG_FILE: devNull,
      AWS_SHARED_CREDENTIALS_FILE: devNull,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
      AWS_ENVAR_ALLOWLIST:
        'AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_REGION,AWS_DEFAULT_REGION,AWS_CONFIG_FILE,AWS_SHARED_CREDENTIALS_FILE',
      CDK_DISABLE_VERSION_CHECK: '1',
    });
  });

  it('serves S3 from LocalStack’s s3 subdomain, 127.0.0.1 for localhost, or AWS_ENDPOINT_URL_S3', () => {
    // Act / Assess
    expect(localStackS3Endpoint('http://localhost.localstack.cloud:4566', {})).toBe(
      'http://s3.localhost.localstack.cloud:4566'
    );
    expect(localStackS3Endpoint('http://localhost:4566', {})).toBe('http://127.0.0.1:4566');
    expect(
      localStackS3Endpoint('http://ls.internal:4566', { AWS_ENDPOINT_URL_S3: 'http://s3.ls:4566' })
    ).toBe('http://s3.ls:4566');
  });
});
