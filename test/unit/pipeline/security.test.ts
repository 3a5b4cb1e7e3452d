import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthPipelineStack } from './synth-stack.ts';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('PipelineStack security', () => {
  // Prepare / Act: synthesize once for the whole describe.
  const { stack, template } = synthPipelineStack();
  const resources = template.toJSON().Resources as Resources;
  const logicalIdOf = (construct: { node: { defaultChild?: unknown } }): string =>
    stack.getLogicalId(construct.node.defaultChild as never);
  /** Statements of every policy attached to a role, by the role's logical id. */
  const statementsOf = (roleLogicalId: string): Statement[] =>
    Object.values(resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::IAM::Policy' &&
          (resource.Properties.Roles as unknown[]).some(
            (role) => (role as { Ref?: string }).Ref === roleLogicalId
          )
      )
      .flatMap(
        (resource) => (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement
      );
  const actionsOf = (statements: Statement[]): string[] =>
    statements.flatMap((statement) => [statement.Action].flat()).sort();

  it('passes the cdk-nag AwsSolutions checks with zero errors and zero warnings', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledged rule a specific written reason', () => {
    // Prepare
    const acknowledgements = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // Recorded as { '<kind>::<rule id>[<finding>]': reason }.
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([key, reason]) => ({ id: key.replace(/^\w+::/, ''), reason }));

    // Assess
    expect(acknowledgements.map((ack) => ack.id.replace(/\[.*$/, '')).sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM5',
    ]);
    for (const ack of acknowledgements) {
      expect(ack.reason.length, ack.id).toBeGreaterThan(80);
    }
  });

  it('grants the ingest function only publish, send, table item and scoped key actions', () => {
    // Prepare
    const ingest = stack.ingest.handler;
    const statements = statementsOf(logicalIdOf(ingest.role as never));

    // Assess
    expect(actionsOf(statements)).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        // Two topics and one queue, each with its own key.
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'kms:GenerateDataKey',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'sns:Publish',
        'sqs:SendMessage',
      ].sort()
    );
    const orders = stack.streams.get('orders');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: logicalIdOf(orders?.topic as never) },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [logicalIdOf(orders?.key as never), 'Arn'] },
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': ['', ['sns.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
          },
        },
      },
    });
  });

  it('grants a consumer its queue, its DLQ, the table items and its key, nothing else', () => {
    // Prepare
    const payments = stack.queues.get('payments');
    const queue = payments?.queue;
    const statements = statementsOf(logicalIdOf(payments?.worker.handler.role as never));
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(queue?.queue as never), 'Arn'] };
    const dlqArn = { 'Fn::GetAtt': [logicalIdOf(queue?.deadLetterQueue as never), 'Arn'] };

    // Assess
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining([
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
        ]),
        Resource: queueArn,
      })
    );
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sqs:ChangeMessageVisibility',
      Resource: queueArn,
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: dlqArn,
    });
    // The consumer may send only to its DLQ, never to its source or any other queue.
    const sendResources = statements
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))
      .map((statement) => statement.Resource);
    expect(sendResources).toEqual([dlqArn]);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
      Resource: [{ 'Fn::GetAtt': [logicalIdOf(stack.table.table as never), 'Arn'] }],
    });
    // No wildcard action anywhere, and key actions only on its own key.
    const actions = actionsOf(statements);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(queue?.key as never), 'Arn'] };
    for (const statement of statements) {
      if ([statement.Action].flat().some((action) => action.startsWith('kms:'))) {
        expect(statement.Resource).toEqual(keyArn);
      }
    }
  });

  it('lets each function write only to its own log group', () => {
    // Prepare
    const inventory = stack.subscribers.get('inventory')?.consumer.handler;
    const statements = statementsOf(logicalIdOf(inventory?.role as never));

    // Assess
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('logs:')))).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(inventory?.logGroup as never), 'Arn'] },
      },
    ]);
  });
});
