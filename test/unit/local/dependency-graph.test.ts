// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are CloudFormation Fn::Sub templates
import { describe, expect, it } from 'vitest';
import {
  collectReferences,
  DependencyCycleError,
  dependencyOrder,
  type GraphResource,
} from '../../../lib/local/dependency-graph.ts';

function indexOf(order: string[], id: string): number {
  const index = order.indexOf(id);
  expect(index, `${id} is in the order`).toBeGreaterThanOrEqual(0);
  return index;
}

describe('dependencyOrder', () => {
  it('puts every resource after what it refers to through Ref, GetAtt, Sub and DependsOn', () => {
    // Prepare: declared in the reverse of a valid creation order.
    const resources: Record<string, GraphResource> = {
      Mapping: {
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          FunctionName: { Ref: 'Fn' },
        },
      },
      Fn: {
        Properties: {
          Environment: { Variables: { T: { 'Fn::Sub': '${Table}-${Table2.Arn}-${AWS::Region}' } } },
        },
        DependsOn: ['Policy'],
      },
      Policy: { Properties: { Roles: [{ Ref: 'Role' }] } },
      Queue: {
        Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': 'Dlq.Arn' } } },
      },
      Role: {},
      Table: {},
      Table2: {},
      Dlq: {},
    };

    // Act
    const order = dependencyOrder(resources);

    // Assess
    expect(order).toHaveLength(8);
    expect(indexOf(order, 'Dlq')).toBeLessThan(indexOf(order, 'Queue'));
    expect(indexOf(order, 'Queue')).toBeLessThan(indexOf(order, 'Mapping'));
    expect(indexOf(order, 'Fn')).toBeLessThan(indexOf(order, 'Mapping'));
    expect(indexOf(order, 'Table')).toBeLessThan(indexOf(order, 'Fn'));
    expect(indexOf(order, 'Table2')).toBeLessThan(indexOf(order, 'Fn'));
    expect(indexOf(order, 'Policy')).toBeLessThan(indexOf(order, 'Fn'));
    expect(indexOf(order, 'Role')).toBeLessThan(indexOf(order, 'Policy'));
  });

  it('keeps the template order between independent resources', () => {
    // Prepare
    const resources: Record<string, GraphResource> = { C: {}, A: {}, B: {} };

    // Act
    const order = dependencyOrder(resources);

    // Assess
    expect(order).toEqual(['C', 'A', 'B']);
  });

  it('ignores references to parameters and pseudo parameters and Fn::Sub literals', () => {
    // Prepare
    const resources: Record<string, GraphResource> = {
      A: {
        Properties: { X: { 'Fn::Sub': ['${!B} ${Stage} ${AWS::StackName} ${V}', { V: 'v' }] } },
      },
      B: {},
    };

    // Act
    const references = collectReferences(resources.A?.Properties);
    const order = dependencyOrder(resources);

    // Assess
    expect([...references].sort()).toEqual(['AWS::StackName', 'Stage']);
    expect(order).toEqual(['A', 'B']);
  });

  it('fails if resources refer to each other in a cycle', () => {
    // Prepare
    const resources: Record<string, GraphResource> = {
      A: { Properties: { X: { Ref: 'B' } } },
      B: { Properties: { X: { 'Fn::GetAtt': ['C', 'Arn'] } } },
      C: { DependsOn: 'A' },
    };

    // Act & Assess
    expect(() => dependencyOrder(resources)).toThrow(
      /resources depend on each other in a cycle: A → B → C → A/
    );
    expect(() => dependencyOrder(resources)).toThrow(DependencyCycleError);
  });

  it('fails if DependsOn names a resource that does not exist', () => {
    // Prepare
    const resources: Record<string, GraphResource> = { A: { DependsOn: ['Ghost'] } };

    // Act & Assess
    expect(() => dependencyOrder(resources)).toThrow(
      /A\.DependsOn names "Ghost", which is not a resource of the template/
    );
  });
});
