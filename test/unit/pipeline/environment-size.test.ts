import { Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { LAMBDA_ENVIRONMENT_MAX_BYTES } from '../../../lib/defaults.ts';
import type { PipelineDefinition } from '../../../lib/definition/types.ts';
import {
  estimateEnvironmentBytes,
  UNRESOLVED_VALUE_ESTIMATE_BYTES,
} from '../../../lib/pipeline/environment-size.ts';
import { buildPipelineStack, synthPipelineStack } from './synth-stack.ts';

describe('estimateEnvironmentBytes', () => {
  it('counts keys and literal values in UTF-8 bytes', () => {
    // Act
    const estimate = estimateEnvironmentBytes({ AB: 'cd', É: 'é' });

    // Assess
    expect(estimate).toEqual({ bytes: 2 + 2 + 2 + 2, unresolved: 0 });
  });

  it('adds up the parts of Fn::Join and counts each intrinsic at the estimate', () => {
    // Act
    const estimate = estimateEnvironmentBytes({
      K: { 'Fn::Join': ['--', ['ab', { Ref: 'Topic' }, { 'Fn::GetAtt': ['Queue', 'Arn'] }]] },
    });

    // Assess
    expect(estimate).toEqual({
      bytes: 1 + 2 + 2 * 2 + 2 * UNRESOLVED_VALUE_ESTIMATE_BYTES,
      unresolved: 2,
    });
  });
});

describe('ingest environment size', () => {
  it('keeps the shop ingest environment well under the Lambda limit', () => {
    // Prepare
    const { stack } = synthPipelineStack();
    const cfn = stack.ingest.handler.function.node.defaultChild as CfnFunction;

    // Act
    const resolved = Stack.of(cfn).resolve(cfn.environment) as {
      variables: Record<string, unknown>;
    };
    const { bytes } = estimateEnvironmentBytes(resolved.variables);

    // Assess
    expect(bytes).toBeLessThan(LAMBDA_ENVIRONMENT_MAX_BYTES / 2);
  });

  it('fails if the ingest environment exceeds 4 KB', () => {
    // Prepare: 30 streams put 30 topic ARNs into the routing document.
    const definition: PipelineDefinition = {
      streams: Array.from({ length: 30 }, (_, index) => ({ name: `stream-${index}` })),
      subscribers: [],
      queues: [],
    };
    const { app } = buildPipelineStack(definition);

    // Act / Assess
    expect(() => app.synth()).toThrow(
      /environment of TestPipeline\/Ingest\/Function\/Resource must be at most 4096 bytes, lambda's limit \(given about \d+ bytes, counting 31 deploy-time values as 128 bytes each\)/
    );
  });
});
