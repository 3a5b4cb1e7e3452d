/**
 * The ingest API's gateway responses: what API Gateway answers by itself (unsigned requests,
 * unknown paths, too large bodies, throttling, integration failures) is an RFC 9457 problem.
 */
import { describe, expect, it } from 'vitest';
import { problemType } from '../../../functions/shared/http/problem-details.ts';
import { PROBLEM_GATEWAY_RESPONSES, problemTemplate } from '../../../lib/pipeline/ingest-api.ts';
import { synthPipelineStack } from './synth-stack.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

interface GatewayResponseProperties {
  readonly ResponseType: string;
  readonly StatusCode?: string;
  readonly ResponseParameters?: Record<string, string>;
  readonly ResponseTemplates?: Record<string, string>;
  readonly RestApiId: unknown;
}

/** Renders a template as API Gateway would, for a message and a response type. */
function render(template: string, message: string, responseType: string): unknown {
  return JSON.parse(
    template
      .replaceAll('$context.error.messageString', JSON.stringify(message))
      .replaceAll('$context.error.responseType', responseType)
      .replaceAll('$context.requestId', 'req-1')
  );
}

describe('IngestApi gateway responses', () => {
  // GIVEN the shop's stack, synthesized once
  const { stack, template } = synthPipelineStack();
  const resources = template.toJSON().Resources as Resources;
  const gatewayResponses = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::ApiGateway::GatewayResponse')
    .map((resource) => resource.Properties as unknown as GatewayResponseProperties);
  const byType = new Map(gatewayResponses.map((response) => [response.ResponseType, response]));
  const apiLogicalId = stack.getLogicalId(stack.ingest.api.node.defaultChild as never);

  it('customizes the 4xx and 5xx fallbacks and the responses an IAM-authorized API makes', () => {
    // THEN
    expect([...byType.keys()].sort()).toEqual([
      'ACCESS_DENIED',
      'BAD_REQUEST_PARAMETERS',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'EXPIRED_TOKEN',
      'INTEGRATION_TIMEOUT',
      'INVALID_SIGNATURE',
      'MISSING_AUTHENTICATION_TOKEN',
      'REQUEST_TOO_LARGE',
      'THROTTLED',
    ]);
    for (const response of gatewayResponses) {
      expect(response.RestApiId).toEqual({ Ref: apiLogicalId });
    }
  });

  it('answers with application/problem+json and keeps API Gateway status codes', () => {
    // THEN
    for (const response of gatewayResponses) {
      expect(response.ResponseParameters).toEqual({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
      });
      expect(response.StatusCode).toBeUndefined();
      expect(Object.keys(response.ResponseTemplates ?? {})).toEqual(['application/json']);
    }
  });

  it('renders an unsigned request as a problem naming API Gateway message and status', () => {
    // GIVEN
    const template = byType.get('MISSING_AUTHENTICATION_TOKEN')?.ResponseTemplates?.[
      'application/json'
    ];
    // WHEN
    const problem = render(
      template ?? '',
      'Missing Authentication Token',
      'MISSING_AUTHENTICATION_TOKEN'
    );
    // THEN
    expect(problem).toEqual({
      type: problemType('missing-authentication-token'),
      title: 'Missing authentication token',
      status: 403,
      detail: 'Missing Authentication Token',
      responseType: 'MISSING_AUTHENTICATION_TOKEN',
      requestId: 'req-1',
    });
  });

  it('leaves status out of the fallbacks, which cover several status codes', () => {
    // WHEN
    const problem = render(
      byType.get('DEFAULT_4XX')?.ResponseTemplates?.['application/json'] ?? '',
      'Forbidden',
      'ACCESS_DENIED'
    );
    // THEN
    expect(problem).toEqual({
      type: problemType('gateway-rejected'),
      title: 'Request rejected by the API gateway',
      detail: 'Forbidden',
      responseType: 'ACCESS_DENIED',
      requestId: 'req-1',
    });
  });

  it('keeps a message with quotes and backslashes valid JSON', () => {
    // GIVEN a message as API Gateway quotes it in $context.error.messageString
    const message = 'Authorization header requires \'Credential\' parameter. Authorization="x\\y"';
    // WHEN
    const [fallback] = PROBLEM_GATEWAY_RESPONSES;
    const problem = render(fallback ? problemTemplate(fallback) : '', message, 'DEFAULT_4XX');
    // THEN
    expect((problem as { detail: string }).detail).toBe(message);
  });

  it('redeploys the stage when a gateway response changes', () => {
    // THEN the deployment depends on every gateway response
    const deployment = Object.entries(template.toJSON().Resources as Record<string, unknown>).find(
      ([, resource]) => (resource as { Type: string }).Type === 'AWS::ApiGateway::Deployment'
    );
    const dependsOn = (deployment?.[1] as { DependsOn?: string[] } | undefined)?.DependsOn ?? [];
    const responseIds = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::GatewayResponse')
      .map(([id]) => id);
    expect(dependsOn).toEqual(expect.arrayContaining(responseIds));
  });
});
