import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthPipelineStack } from './synth-stack.ts';

describe('PipelineStack synthesized like `cdk synth`', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'pipeline-bundling-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles every function locally into an ESM index.mjs and passes the CloudFormation validation', () => {
    // Act: the one synthesis with real bundling and the built-in validation on; it throws on
    // any validation error.
    const { app, stack } = synthPipelineStack({ bundle: true, cfnValidation: true, outdir });
    const assembly = app.synth();

    // Assess
    const artifact = assembly.getStackByName(stack.stackName);
    const template = artifact.template as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: unknown } } }>;
    };
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function'
    );
    expect(functions).toHaveLength(6);
    for (const fn of functions) {
      const s3Key = String(fn.Properties.Code?.S3Key);
      const bundleDir = join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
      const bundle = join(bundleDir, 'index.mjs');
      expect(existsSync(bundle), bundle).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      // The require shim lets bundled CommonJS dependencies load Node built-ins.
      expect(code).toContain('createRequire');
      // The AWS SDK is imported from the Lambda runtime, not bundled.
      expect(code).toMatch(/from"@aws-sdk\/client-(dynamodb|sqs|sns)"/);
      expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
    }
  }, 180_000);
});
