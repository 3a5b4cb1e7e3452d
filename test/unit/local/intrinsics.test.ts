// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are CloudFormation Fn::Sub templates
import { describe, expect, it } from 'vitest';
import {
  IntrinsicError,
  IntrinsicResolver,
  type ResourceLookup,
  UnresolvableReferenceError,
} from '../../../lib/local/intrinsics.ts';

/** Resources of a small template, as the provisioner would know them after creating them. */
const physical: Record<string, { ref: string; attributes: Record<string, unknown> }> = {
  Queue: {
    ref: 'http://127.0.0.1:4566/000000000000/Stack-Queue',
    attributes: {
      Arn: 'arn:aws:sqs:us-east-1:000000000000:Stack-Queue',
      QueueName: 'Stack-Queue',
    },
  },
  Table: {
    ref: 'Stack-Table',
    attributes: { Arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Stack-Table' },
  },
};

const resources: ResourceLookup = {
  has: (id) => id in physical || id === 'Pending',
  ref: (id) => {
    const record = physical[id];
    if (!record) throw new UnresolvableReferenceError(`${id} has not been provisioned`);
    return record.ref;
  },
  getAtt: (id, attribute) => {
    const value = physical[id]?.attributes[attribute];
    if (value === undefined)
      throw new UnresolvableReferenceError(`no attribute ${attribute} of ${id}`);
    return value;
  },
};

function resolverFor(overrides: Partial<ConstructorParameters<typeof IntrinsicResolver>[0]> = {}) {
  return new IntrinsicResolver({
    pseudo: { region: 'us-east-1', accountId: '000000000000', stackName: 'Stack' },
    resources,
    parameters: {
      Stage: { Type: 'String', Default: 'dev' },
      Zones: { Type: 'CommaDelimitedList', Default: 'a,b' },
      NoDefault: { Type: 'String' },
      Bootstrap: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' },
    },
    conditions: {
      IsUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
      IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
      Both: { 'Fn::And': [{ Condition: 'IsUsEast1' }, { Condition: 'NotProd' }] },
      Either: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsUsEast1' }] },
      Loop: { 'Fn::Not': [{ Condition: 'Loop' }] },
      NotBoolean: { Ref: 'Stage' },
    },
    mappings: { Sizes: { dev: { Memory: 256 } } },
    ...overrides,
  });
}

const at = { logicalId: 'Fn', path: 'Properties.Value' };

describe('IntrinsicResolver', () => {
  it.each<[string, unknown, unknown]>([
    ['a plain value', { a: [1, 'x', true] }, { a: [1, 'x', true] }],
    ['Ref of a resource', { Ref: 'Queue' }, 'http://127.0.0.1:4566/000000000000/Stack-Queue'],
    ['Ref of a parameter (its Default)', { Ref: 'Stage' }, 'dev'],
    ['Ref of a list parameter', { Ref: 'Zones' }, ['a', 'b']],
    ['AWS::Region', { Ref: 'AWS::Region' }, 'us-east-1'],
    ['AWS::AccountId', { Ref: 'AWS::AccountId' }, '000000000000'],
    ['AWS::Partition', { Ref: 'AWS::Partition' }, 'aws'],
    ['AWS::URLSuffix', { Ref: 'AWS::URLSuffix' }, 'amazonaws.com'],
    ['AWS::StackName', { Ref: 'AWS::StackName' }, 'Stack'],
    [
      'Fn::GetAtt (list form)',
      { 'Fn::GetAtt': ['Queue', 'Arn'] },
      'arn:aws:sqs:us-east-1:000000000000:Stack-Queue',
    ],
    ['Fn::GetAtt (string form)', { 'Fn::GetAtt': 'Queue.QueueName' }, 'Stack-Queue'],
    [
      'Fn::Join',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Table' }]] },
      'arn:aws:s3:::Stack-Table',
    ],
    ['Fn::Join over Fn::Split', { 'Fn::Join': ['-', { 'Fn::Split': [',', 'a,b,c'] }] }, 'a-b-c'],
    [
      'Fn::Sub (string form)',
      { 'Fn::Sub': '${AWS::StackName}-${Stage}-${Queue.QueueName}' },
      'Stack-dev-Stack-Queue',
    ],
    [
      'Fn::Sub (list form, variables win over resources)',
      { 'Fn::Sub': ['${Queue}/${Name}/${Table.Arn}', { Name: { Ref: 'Stage' }, Queue: 'q' }] },
      'q/dev/arn:aws:dynamodb:us-east-1:000000000000:table/Stack-Table',
    ],
    ['Fn::Sub literal ${!Name}', { 'Fn::Sub': 'keep ${!Literal} as is' }, 'keep ${Literal} as is'],
    ['Fn::Select', { 'Fn::Select': [1, ['a', 'b', 'c']] }, 'b'],
    ['Fn::Select over Fn::GetAZs', { 'Fn::Select': ['0', { 'Fn::GetAZs': '' }] }, 'us-east-1a'],
    ['Fn::Split', { 'Fn::Split': ['|', 'x|y'] }, ['x', 'y']],
    [
      'Fn::GetAZs of a region',
      { 'Fn::GetAZs': 'eu-west-1' },
      ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    ],
    ['Fn::If (true branch)', { 'Fn::If': ['IsUsEast1', 'home', 'away'] }, 'home'],
    ['Fn::If (false branch)', { 'Fn::If': ['IsProd', 'big', 'small'] }, 'small'],
    ['Fn::If skips the other branch', { 'Fn::If': ['IsUsEast1', 'ok', { Ref: 'Missing' }] }, 'ok'],
    ['AWS::NoValue drops a property', { a: 1, b: { Ref: 'AWS::NoValue' } }, { a: 1 }],
    [
      'AWS::NoValue through Fn::If drops a list element',
      ['a', { 'Fn::If': ['IsProd', 'b', { Ref: 'AWS::NoValue' }] }],
      ['a'],
    ],
    ['AWS::NoValue at the top', { Ref: 'AWS::NoValue' }, undefined],
    ['Fn::FindInMap', { 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] }, 256],
    ['Fn::Base64', { 'Fn::Base64': 'hi' }, 'aGk='],
    ['Fn::ToJsonString', { 'Fn::ToJsonString': { a: { Ref: 'Stage' } } }, '{"a":"dev"}'],
    ['Fn::Length', { 'Fn::Length': [1, 2, 3] }, 3],
  ])('resolves %s', (_name, value, expected) => {
    // Prepare
    const resolver = resolverFor();

    // Act
    const resolved = resolver.resolve(value, at);

    // Assess
    expect(resolved).toEqual(expected);
  });

  it('resolves AWS::StackId to a stable stack ARN', () => {
    // Prepare
    const resolver = resolverFor();

    // Act
    const first = resolver.resolve({ Ref: 'AWS::StackId' }, at);
    const second = resolverFor().resolve({ Ref: 'AWS::StackId' }, at);

    // Assess
    expect(first).toMatch(
      /^arn:aws:cloudformation:us-east-1:000000000000:stack\/Stack\/[0-9a-f-]{36}$/
    );
    expect(second).toBe(first);
  });

  it.each<[string, boolean]>([
    ['IsUsEast1', true],
    ['IsProd', false],
    ['NotProd', true],
    ['Both', true],
    ['Either', true],
  ])('evaluates condition %s', (name, expected) => {
    // Prepare
    const resolver = resolverFor();

    // Act
    const value = resolver.condition(name);

    // Assess
    expect(value).toBe(expected);
  });

  it('uses a given parameter value over the Default', () => {
    // Prepare
    const resolver = resolverFor({ parameterValues: { Stage: 'prod' } });

    // Act
    const value = resolver.condition('IsProd');

    // Assess
    expect(value).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'Fn::ImportValue',
      { 'Fn::ImportValue': 'SharedVpcId' },
      /cannot resolve Fn\.Properties\.Value\.Fn::ImportValue: Fn::ImportValue of "SharedVpcId" is not supported locally/,
    ],
    [
      'a Ref to an unknown logical id',
      { Ref: 'Missing' },
      /Fn\.Properties\.Value\.Ref: Ref to "Missing", which is neither a resource nor a parameter/,
    ],
    [
      'a GetAtt of an attribute the lookup does not have',
      { 'Fn::GetAtt': ['Queue', 'Nope'] },
      /Fn\.Properties\.Value\.Fn::GetAtt: no attribute Nope of Queue/,
    ],
    [
      'a GetAtt of an unknown resource',
      { 'Fn::GetAtt': ['Ghost', 'Arn'] },
      /Fn::GetAtt of "Ghost", which is not a resource/,
    ],
    [
      'a Ref to a resource not provisioned yet',
      { Ref: 'Pending' },
      /Pending has not been provisioned/,
    ],
    ['an unknown pseudo parameter', { Ref: 'AWS::Nope' }, /unknown pseudo parameter AWS::Nope/],
    [
      'a parameter without a default',
      { Ref: 'NoDefault' },
      /parameter "NoDefault" has no Default and no value was given/,
    ],
    [
      'an SSM parameter',
      { Ref: 'Bootstrap' },
      /parameter "Bootstrap" is read from SSM Parameter Store/,
    ],
    [
      'an unknown condition',
      { 'Fn::If': ['Nope', 1, 2] },
      /condition "Nope" is not defined in Conditions/,
    ],
    [
      'a condition that refers to itself',
      { 'Fn::If': ['Loop', 1, 2] },
      /condition "Loop" refers to itself/,
    ],
    [
      'a condition that is not a boolean',
      { 'Fn::If': ['NotBoolean', 1, 2] },
      /a condition must evaluate to true or false/,
    ],
    [
      'Fn::Select out of range',
      { 'Fn::Select': [3, ['a']] },
      /Fn::Select index 3 is out of range for a list of 1/,
    ],
    [
      'Fn::Join of an object',
      { 'Fn::Join': ['', [{ a: 1 }]] },
      /Value\.Fn::Join\[1\]\[0\]: expected a string, got an object/,
    ],
    [
      'Fn::Sub of a malformed argument',
      { 'Fn::Sub': ['only-template'] },
      /Fn::Sub needs \[template, \{variables\}\]/,
    ],
    [
      'a Fn::Sub variable that is unknown',
      { 'Fn::Sub': '${Nope}' },
      /Ref to "Nope", which is neither a resource nor a parameter/,
    ],
    [
      'Fn::FindInMap of a missing key',
      { 'Fn::FindInMap': ['Sizes', 'prod', 'Memory'] },
      /Fn::FindInMap found no Sizes\.prod\.Memory in Mappings/,
    ],
    [
      'an unsupported function',
      { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] },
      /Fn::Cidr is not supported by the local runtime/,
    ],
  ])('fails if the template has %s', (_name, value, message) => {
    // Prepare
    const resolver = resolverFor();

    // Act & Assess
    expect(() => resolver.resolve(value, at)).toThrow(message);
  });

  it('fails with an IntrinsicError carrying the logical id and property path', () => {
    // Prepare
    const resolver = resolverFor();

    // Act
    let error: unknown;
    try {
      resolver.resolve(
        { Variables: { X: { 'Fn::ImportValue': 'E' } } },
        { logicalId: 'Worker', path: 'Properties.Environment' }
      );
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(IntrinsicError);
    expect(error).toMatchObject({
      name: 'IntrinsicError',
      logicalId: 'Worker',
      propertyPath: 'Properties.Environment.Variables.X.Fn::ImportValue',
    });
  });

  it('fails if resolveString gets a list', () => {
    // Prepare
    const resolver = resolverFor();

    // Act & Assess
    expect(() => resolver.resolveString({ 'Fn::Split': [',', 'a,b'] }, at)).toThrow(
      /cannot resolve Fn\.Properties\.Value: expected a string, got a list/
    );
  });
});
