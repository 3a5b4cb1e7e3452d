/**
 * The CDK app of the soak: the shop's pipeline with {@link SOAK_FUNCTION_TIMEOUT} as a stack of
 * its own. Synthesized into its own assembly directory by `synth-soak.ts`; `bin/app.ts` and the
 * deployed stacks are not affected.
 */
import { App } from 'aws-cdk-lib';
import { shopPipeline } from '../definition/shop.ts';
import { PipelineStack } from '../pipeline/pipeline-stack.ts';
import { SOAK_STACK_NAME, SOAK_STAGE_NAME, withTimeout } from './soak-definition.ts';

const app = new App();
new PipelineStack(app, SOAK_STACK_NAME, {
  definition: withTimeout(shopPipeline),
  stageName: SOAK_STAGE_NAME,
  testHooks: true,
  dashboard: false,
});
