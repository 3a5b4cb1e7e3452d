import { describe, expect, it } from 'vitest';
import {
  LOCALSTACK_FREE_RESOURCE_TYPES,
  LOCALSTACK_RESOURCE_TYPES_SOURCE,
  typesLocalStackDoesNotDeploy,
} from '../../../lib/cli/localstack-resource-types.ts';
import { synthPipelineStack } from './synth-stack.ts';

type Resources = Record<string, { Type: string }>;

describe('the synthesized pipeline stack on LocalStack’s free plan', () => {
  // GIVEN the shop's stack, synthesized as `npm run deploy:localstack` does (no dashboard)
  const { template } = synthPipelineStack({ dashboard: false });
  const types = Object.values(template.toJSON().Resources as Resources).map(
    (resource) => resource.Type
  );

  it('uses only resource types LocalStack’s free plan deploys', () => {
    // WHEN the template's types are checked against the list kept in the repository
    const missing = typesLocalStackDoesNotDeploy(types);

    // THEN none is missing; LocalStack would silently skip it (or, in later releases, fail)
    expect(
      missing,
      `not deployed by LocalStack's free plan (${LOCALSTACK_RESOURCE_TYPES_SOURCE})`
    ).toEqual([]);
  });

  it('holds the resource types the pipeline is made of (the check above is not vacuous)', () => {
    // THEN the core types are present, and the list knows them
    for (const type of [
      'AWS::SNS::Topic',
      'AWS::SQS::Queue',
      'AWS::Lambda::Function',
      'AWS::Lambda::EventSourceMapping',
      'AWS::DynamoDB::Table',
      'AWS::ApiGateway::RestApi',
    ]) {
      expect(types).toContain(type);
      expect(LOCALSTACK_FREE_RESOURCE_TYPES.has(type)).toBe(true);
    }
  });

  it('leaves the dashboard out only when asked to', () => {
    // THEN the LocalStack variant has no dashboard, and the default still has one
    expect(types).not.toContain('AWS::CloudWatch::Dashboard');
    synthPipelineStack().template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('flags paid-only and custom resource types', () => {
    // WHEN types LocalStack's free plan lacks are checked
    const missing = typesLocalStackDoesNotDeploy([
      'AWS::SQS::Queue',
      'AWS::ApiGatewayV2::Api',
      'Custom::LogRetention',
      'AWS::CloudWatch::Dashboard',
      'AWS::ApiGatewayV2::Api',
    ]);

    // THEN each is reported once, sorted
    expect(missing).toEqual([
      'AWS::ApiGatewayV2::Api',
      'AWS::CloudWatch::Dashboard',
      'Custom::LogRetention',
    ]);
  });
});
