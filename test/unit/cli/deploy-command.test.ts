/**
 * `pipeline deploy` / `destroy` through `runCli`. No cdk deployment can run here (no account, no
 * LocalStack), so cdk itself is replaced by a recorder; the LocalStack checks run for real
 * against a fake endpoint, and the fast failures run the real CLI in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../lib/cli/cli-error.ts';
import type { CommandIo } from '../../../lib/cli/command.ts';
import { createDeployCommands, type DeployDependencies } from '../../../lib/cli/commands/deploy.ts';
import type { CdkResult, CdkRun } from '../../../lib/cli/deploy/cdk-process.ts';
import { PROJECT_ROOT } from '../../../lib/cli/deploy/cdk-process.ts';
import { runCli } from '../../../lib/cli/main.ts';
import { closedEndpoint, type FakeEndpoint, startFakeEndpoint } from './fake-endpoint.ts';

/** Captures what a command prints. */
function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  const makeIo = (json: boolean): CommandIo => ({
    json,
    interactive: false,
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    progress: () => undefined,
  });
  return { out, err, makeIo };
}

/** A cdk stand-in that records its runs and answers with the given results in turn. */
function recordingCdk(results: CdkResult[] = []) {
  const runs: CdkRun[] = [];
  const runCdk = async (run: CdkRun): Promise<CdkResult> => {
    runs.push(run);
    return results.shift() ?? { exitCode: 0, stderrTail: '' };
  };
  return { runs, runCdk };
}

const AWS_IDENTITY = {
  account: '123456789012',
  region: 'eu-west-1',
  arn: 'arn:aws:iam::123456789012:user/dev',
};

async function run(argv: string[], deps: Partial<DeployDependencies>) {
  const io = captureIo();
  const code = await runCli(argv, createDeployCommands(deps), io.makeIo);
  return { code, ...io };
}

describe('deploy --target localstack', () => {
  let fake: FakeEndpoint | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deploy-command-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('bootstraps LocalStack’s account, then deploys with cdklocal pinned to the checked endpoint', async () => {
    // Prepare
    fake = await startFakeEndpoint();
    const cdk = recordingCdk();
    const outputs = join(dir, 'localstack.json');

    // Act
    const result = await run(
      ['deploy', '--target', 'localstack', '--outputs', outputs, '--stage', 'ci', '--json'],
      {
        runCdk: cdk.runCdk,
        env: { PATH: '/usr/bin', AWS_ENDPOINT_URL: fake.url, AWS_PROFILE: 'production' },
      }
    );

    // Assess
    expect(result.code).toBe(EXIT.OK);
    expect(cdk.runs.map((r) => [r.tool, ...r.args])).toEqual([
      [
        'cdklocal',
        'bootstrap',
        'aws://000000000000/us-east-1',
        '--context',
        'stage=ci',
        '--context',
        'dashboard=false',
      ],
      [
        'cdklocal',
        'deploy',
        'EventPipeline-ci',
        '--require-approval',
        'never',
        '--outputs-file',
        outputs,
        '--context',
        'stage=ci',
        '--context',
        'dashboard=false',
      ],
    ]);
    for (const { env } of cdk.runs) {
      expect(env).toMatchObject({
        AWS_ENDPOINT_URL: fake.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      expect(env.AWS_PROFILE).toBeUndefined();
    }
    expect(JSON.parse(result.out.join('\n'))).toEqual({
      target: 'localstack',
      stackName: 'EventPipeline-ci',
      stage: 'ci',
      account: '000000000000',
      region: 'us-east-1',
      endpoint: fake.url,
      outputsFile: outputs,
    });
  });

  it('fails if the endpoint is not LocalStack, without running cdklocal', async () => {
    // Prepare
    fake = await startFakeEndpoint({ healthStatus: 404 });
    const cdk = recordingCdk();

    // Act
    const result = await run(['deploy', '--target', 'localstack', '--endpoint', fake.url], {
      runCdk: cdk.runCdk,
      env: {},
    });

    // Assess
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.err.join('\n')).toMatch(/^error: refusing to deploy: .* is not LocalStack/);
    expect(cdk.runs).toEqual([]);
  });

  it('fails if STS there answers a real-looking account, without running cdklocal', async () => {
    // Prepare
    fake = await startFakeEndpoint({ account: '123456789012' });
    const cdk = recordingCdk();

    // Act
    const result = await run(['deploy', '--target', 'localstack', '--endpoint', fake.url], {
      runCdk: cdk.runCdk,
      env: {},
    });

    // Assess
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.err.join('\n')).toMatch(
      /says account 123456789012, not LocalStack’s 000000000000/
    );
    expect(cdk.runs).toEqual([]);
  });
});

describe('deploy and destroy on AWS', () => {
  it('deploys the stack to the resolved account with --yes and no bootstrap', async () => {
    // Prepare
    const cdk = recordingCdk();

    // Act
    const result = await run(['deploy', '--stage', 'prod', '--yes'], {
      runCdk: cdk.runCdk,
      resolveAwsIdentity: async () => AWS_IDENTITY,
      env: { AWS_PROFILE: 'sandbox' },
      interactive: false,
    });

    // Assess
    expect(result.code).toBe(EXIT.OK);
    expect(result.err[0]).toBe(
      'Deploying EventPipeline-prod (stage prod) on AWS account 123456789012 in eu-west-1 as arn:aws:iam::123456789012:user/dev'
    );
    expect(cdk.runs).toHaveLength(1);
    expect(cdk.runs[0]?.tool).toBe('cdk');
    expect(cdk.runs[0]?.args.slice(0, 4)).toEqual([
      'deploy',
      'EventPipeline-prod',
      '--require-approval',
      'never',
    ]);
    // On AWS the user's profile is the point: it is passed through.
    expect(cdk.runs[0]?.env.AWS_PROFILE).toBe('sandbox');
  });

  it('runs cdk bootstrap for the resolved environment first with --bootstrap', async () => {
    // Prepare
    const cdk = recordingCdk();

    // Act
    await run(['deploy', '--bootstrap'], {
      runCdk: cdk.runCdk,
      resolveAwsIdentity: async () => AWS_IDENTITY,
      env: {},
      interactive: true,
    });

    // Assess
    expect(cdk.runs.map((r) => r.args.slice(0, 2))).toEqual([
      ['bootstrap', 'aws://123456789012/eu-west-1'],
      ['deploy', 'EventPipeline-dev'],
    ]);
    expect(cdk.runs[1]?.args[3]).toBe('broadening');
  });

  it('fails if no terminal can answer the approval prompt and --yes is missing', async () => {
    // Prepare
    const cdk = recordingCdk();

    // Act
    const result = await run(['deploy'], {
      runCdk: cdk.runCdk,
      resolveAwsIdentity: async () => AWS_IDENTITY,
      env: {},
      interactive: false,
    });

    // Assess
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.err.join('\n')).toMatch(/re-run with --yes/);
    expect(cdk.runs).toEqual([]);
  });

  it('fails with the bootstrap hint when cdk says the environment is not bootstrapped', async () => {
    // Prepare
    const cdk = recordingCdk([
      {
        exitCode: 1,
        stderrTail:
          'SSM parameter /cdk-bootstrap/hnb659fds/version not found. Has the environment been bootstrapped?',
      },
    ]);

    // Act
    const result = await run(['deploy', '--yes'], {
      runCdk: cdk.runCdk,
      resolveAwsIdentity: async () => AWS_IDENTITY,
      env: {},
    });

    // Assess
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.err.at(-1)).toMatch(
      /^error: aws:\/\/123456789012\/eu-west-1 is not bootstrapped for the CDK: run `npm run deploy -- --bootstrap` once/
    );
  });

  it('destroys the named stack and removes it from the outputs file', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'destroy-command-'));
    const outputs = join(dir, 'aws.json');
    await writeFile(
      outputs,
      JSON.stringify({ 'EventPipeline-qa': { ApiUrl: 'x' }, 'EventPipeline-dev': { ApiUrl: 'y' } })
    );
    const cdk = recordingCdk();

    // Act
    const result = await run(['destroy', '--stage', 'qa', '--outputs', outputs], {
      runCdk: cdk.runCdk,
      resolveAwsIdentity: async () => AWS_IDENTITY,
      env: {},
    });

    // Assess
    expect(result.code).toBe(EXIT.OK);
    expect(cdk.runs[0]?.args).toEqual([
      'destroy',
      'EventPipeline-qa',
      '--force',
      '--context',
      'stage=qa',
    ]);
    expect(JSON.parse(await readFile(outputs, 'utf8'))).toEqual({
      'EventPipeline-dev': { ApiUrl: 'y' },
    });
    await rm(dir, { recursive: true, force: true });
  });
});

/** Runs the real CLI entry (what `npm run …` runs) with exactly `env`. */
function runPipeline(
  args: string[],
  env: NodeJS.ProcessEnv
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/pipeline.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fast failures of the real commands here (no AWS, no LocalStack)', () => {
  // No credentials anywhere: no AWS_* variables, no ~/.aws files, no instance metadata.
  const NO_AWS = {
    AWS_CONFIG_FILE: join(tmpdir(), 'no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'no-such-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  it('fails if no AWS credentials are configured: `deploy` exits 4 with what to do', async () => {
    // Act
    const result = await runPipeline(['deploy'], { ...NO_AWS, AWS_REGION: 'eu-west-1' });

    // Assess
    expect(result.stderr).toBe(
      'error: no AWS credentials found: configure them with `aws configure`, or pick a profile with AWS_PROFILE=<name> (for IAM Identity Center run `aws sso login --profile <name>` first), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n'
    );
    expect(result.code).toBe(EXIT.UNREACHABLE);
  });

  it('fails if neither credentials nor a region are configured, saying both', async () => {
    // Act
    const result = await runPipeline(['destroy'], NO_AWS);

    // Assess
    expect(result.stderr).toMatch(
      /^error: no AWS credentials and no region configured: run `aws configure`/
    );
    expect(result.code).toBe(EXIT.UNREACHABLE);
  });

  it('fails if LocalStack is not reachable: `deploy --target localstack` exits 4 explaining how to start it', async () => {
    // Prepare
    const endpoint = await closedEndpoint();

    // Act
    const result = await runPipeline(['deploy', '--target', 'localstack'], {
      AWS_ENDPOINT_URL: endpoint,
    });

    // Assess
    expect(result.stderr).toMatch(
      new RegExp(`^error: LocalStack is not reachable: ${endpoint} \\(ECONNREFUSED\\)\\.\\n`)
    );
    expect(result.stderr).toMatch(/export LOCALSTACK_AUTH_TOKEN=<your token>/);
    expect(result.code).toBe(EXIT.UNREACHABLE);
  });

  it('prints help for deploy with the exit codes', async () => {
    // Act
    const result = await runPipeline(['deploy', '--help'], {});

    // Assess
    expect(result.code).toBe(EXIT.OK);
    expect(result.stdout).toMatch(/^Usage: pipeline deploy \[--target aws\|localstack\]/);
    expect(result.stdout).toMatch(/4 no credentials \/ region \/ LocalStack not reachable/);
  });
});
