import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../../lib/cli/cli-error.ts';
import {
  DEFAULT_DEPLOY_STAGE,
  parseDeployOptions,
} from '../../../lib/cli/deploy/deploy-options.ts';
import { DEFAULT_STAGE_NAME } from '../../../lib/defaults.ts';

function parse(values: Record<string, string | boolean> = {}, positionals: string[] = []) {
  return parseDeployOptions({ values, positionals }, 'aws', '/project');
}

function usageError(values: Record<string, string | boolean>, positionals: string[] = []) {
  try {
    parse(values, positionals);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    return (error as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('parseDeployOptions', () => {
  it('defaults to AWS, the app’s default stage and EventPipeline-<stage>', () => {
    // Act
    const options = parse();

    // Assess
    expect(DEFAULT_DEPLOY_STAGE).toBe(DEFAULT_STAGE_NAME);
    expect(options).toEqual({
      target: 'aws',
      stage: 'dev',
      stageGiven: false,
      stackName: 'EventPipeline-dev',
      stackNameGiven: false,
      outputsFile: '/project/outputs/aws.json',
      yes: false,
      bootstrap: false,
      endpoint: undefined,
      cdkArgs: [],
    });
  });

  it('derives the stack name from --stage', () => {
    // Act / Assess
    expect(parse({ stage: 'prod' }).stackName).toBe('EventPipeline-prod');
  });

  it('fails if --stage holds characters a stack name cannot', () => {
    // Act / Assess
    expect(usageError({ stage: 'my stage' })).toBe(
      '--stage must be 1 to 64 letters, digits or hyphens, but "my stage" was given'
    );
  });

  it('fails if --stack does not start with a letter', () => {
    // Act / Assess
    expect(usageError({ stack: '1-pipeline' })).toMatch(
      /^--stack must start with a letter .* but "1-pipeline" was given$/
    );
  });

  it('fails if --target is local, pointing at npm start', () => {
    // Act / Assess
    expect(usageError({ target: 'local' })).toMatch(
      /^the local target is not deployed: start it with `npm start`/
    );
  });

  it('fails if --target is unknown', () => {
    // Act / Assess
    expect(usageError({ target: 'azure' })).toBe(
      '--target must be one of aws, localstack, but "azure" was given'
    );
  });

  it('fails if a bare word is given, suggesting --stage', () => {
    // Act / Assess
    expect(usageError({}, ['prod'])).toMatch(
      /^unexpected argument "prod": pass the stage as --stage prod/
    );
  });

  it('fails if --endpoint is given for AWS', () => {
    // Act / Assess
    expect(usageError({ endpoint: 'http://localhost:4566' })).toMatch(
      /^--endpoint only applies to --target localstack/
    );
  });

  it('fails if --endpoint is not an http URL', () => {
    // Act / Assess
    expect(usageError({ target: 'localstack', endpoint: 'localhost:4566' })).toMatch(
      /^--endpoint must be an http\(s\) URL/
    );
  });
});
