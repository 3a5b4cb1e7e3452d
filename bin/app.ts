/**
 * The CDK app: the pipeline stack built from the shop's definition.
 *
 * Context: `stage` (default `dev`, also the API stage), `stackName` (default
 * `EventPipeline-<stage>`), `testHooks` (`false` turns the consumers' test-fault hook off),
 * `nag` (`false` skips the cdk-nag AwsSolutions checks, e.g. for a faster local start),
 * `dashboard` (`false` leaves out the CloudWatch dashboard, which LocalStack does not deploy).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STAGE_NAME } from '../lib/defaults.ts';
import { shopPipeline } from '../lib/definition/shop.ts';
import { PipelineStack } from '../lib/pipeline/pipeline-stack.ts';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? DEFAULT_STAGE_NAME);
new PipelineStack(app, String(app.node.tryGetContext('stackName') ?? `EventPipeline-${stage}`), {
  definition: shopPipeline,
  stageName: stage,
  testHooks: String(app.node.tryGetContext('testHooks') ?? 'true') !== 'false',
  dashboard: String(app.node.tryGetContext('dashboard') ?? 'true') !== 'false',
});
if (String(app.node.tryGetContext('nag') ?? 'true') !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
