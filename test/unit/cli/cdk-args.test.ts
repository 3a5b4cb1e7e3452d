import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../lib/cli/cli-error.ts';
import {
  bootstrapArgs,
  deployArgs,
  destroyArgs,
  requireApprovalFor,
} from '../../../lib/cli/deploy/cdk-args.ts';
import { explainCdkFailure } from '../../../lib/cli/deploy/cdk-failure.ts';
import { type DeployOptions, parseDeployOptions } from '../../../lib/cli/deploy/deploy-options.ts';

function options(values: Record<string, string | boolean> = {}, positionals: string[] = []) {
  return parseDeployOptions({ values, positionals }, 'aws', '/project');
}

describe('deployArgs', () => {
  it('deploys the default stack with approval for broadening changes and outputs/aws.json', () => {
    // Act / Assess
    expect(deployArgs(options())).toEqual([
      'deploy',
      'EventPipeline-dev',
      '--require-approval',
      'broadening',
      '--outputs-file',
      '/project/outputs/aws.json',
    ]);
  });

  it('passes stage and stack name as CDK context only when given, and cdk flags last', () => {
    // Act
    const args = deployArgs(
      options({ stage: 'prod', stack: 'Shop-prod', yes: true, outputs: 'out/prod.json' }, [
        '--hotswap',
      ])
    );

    // Assess
    expect(args).toEqual([
      'deploy',
      'Shop-prod',
      '--require-approval',
      'never',
      '--outputs-file',
      '/project/out/prod.json',
      '--context',
      'stage=prod',
      '--context',
      'stackName=Shop-prod',
      '--hotswap',
    ]);
  });

  it('never asks for approval on LocalStack and writes outputs/localstack.json', () => {
    // Act
    const args = deployArgs(options({ target: 'localstack', stage: 'ci' }));

    // Assess
    expect(args).toEqual([
      'deploy',
      'EventPipeline-ci',
      '--require-approval',
      'never',
      '--outputs-file',
      '/project/outputs/localstack.json',
      '--context',
      'stage=ci',
      '--context',
      'dashboard=false',
    ]);
  });
});

describe('requireApprovalFor', () => {
  it('asks on AWS unless --yes, never on LocalStack', () => {
    // Act / Assess
    const cases: [Pick<DeployOptions, 'target' | 'yes'>, string][] = [
      [{ target: 'aws', yes: false }, 'broadening'],
      [{ target: 'aws', yes: true }, 'never'],
      [{ target: 'localstack', yes: false }, 'never'],
    ];
    for (const [given, expected] of cases) expect(requireApprovalFor(given)).toBe(expected);
  });
});

describe('destroyArgs and bootstrapArgs', () => {
  it('destroys only the named stack, without a prompt', () => {
    // Act / Assess
    expect(destroyArgs(options({ stage: 'qa' }))).toEqual([
      'destroy',
      'EventPipeline-qa',
      '--force',
      '--context',
      'stage=qa',
    ]);
  });

  it('bootstraps the explicit environment', () => {
    // Act / Assess
    expect(bootstrapArgs(options(), { account: '000000000000', region: 'us-east-1' })).toEqual([
      'bootstrap',
      'aws://000000000000/us-east-1',
    ]);
  });
});

describe('explainCdkFailure', () => {
  it('translates cdk’s "Unable to resolve AWS account" into what to configure', () => {
    // Act
    const failure = explainCdkFailure(
      'deploy',
      1,
      'Unable to resolve AWS account to use. It must be either configured when you define your CDK Stack, or through the environment'
    );

    // Assess
    expect(failure.exitCode).toBe(EXIT.UNREACHABLE);
    expect(failure.message).toMatch(
      /^cdk found no AWS credentials: configure them with `aws configure`/
    );
  });

  it('says how to bootstrap when the environment is not bootstrapped', () => {
    // Act
    const failure = explainCdkFailure(
      'deploy',
      1,
      " ❌  EventPipeline-dev failed: SSM parameter /cdk-bootstrap/hnb659fds/version not found. Has the environment been bootstrapped? Please run 'cdk bootstrap'",
      'aws://123456789012/eu-west-1'
    );

    // Assess
    expect(failure.exitCode).toBe(EXIT.FAILED);
    expect(failure.message).toBe(
      'aws://123456789012/eu-west-1 is not bootstrapped for the CDK: run `npm run deploy -- --bootstrap` once (or `npx cdk bootstrap aws://123456789012/eu-west-1`; it needs rights to create IAM roles and an S3 bucket), then deploy again'
    );
  });

  it('points at the output above for any other failure', () => {
    // Act / Assess
    expect(explainCdkFailure('destroy', 1, 'something else').message).toBe(
      'cdk destroy failed (exit code 1); its output above says why'
    );
  });
});
