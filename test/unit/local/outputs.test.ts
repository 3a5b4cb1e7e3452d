import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntrinsicResolver } from '../../../lib/local/intrinsics.ts';
import type { LocalStack } from '../../../lib/local/model.ts';
import {
  localizeApiUrls,
  localOutputs,
  resolveOutputs,
  writeOutputsFile,
} from '../../../lib/local/outputs.ts';

const resolver = new IntrinsicResolver({
  pseudo: { region: 'us-east-1', accountId: '000000000000', stackName: 'Stack' },
  resources: {
    has: (id) => id === 'Api' || id === 'Stage',
    ref: (id) => (id === 'Api' ? 'abc123defg' : 'live'),
    getAtt: () => undefined,
  },
  conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
});

function stack(outputs: Record<string, string>): LocalStack {
  return {
    stackName: 'Stack',
    functions: [],
    eventSourceMappings: [],
    restApis: [{ logicalId: 'Api', apiId: 'abc123defg', stageName: 'live', routes: [] }],
    outputs,
    skipped: [],
  };
}

describe('resolveOutputs', () => {
  it('resolves output values and skips those whose condition is false', () => {
    // Prepare
    const template = {
      Outputs: {
        ApiUrl: {
          Value: {
            'Fn::Join': [
              '',
              [
                'https://',
                { Ref: 'Api' },
                '.execute-api.',
                { Ref: 'AWS::Region' },
                '.',
                { Ref: 'AWS::URLSuffix' },
                '/',
                { Ref: 'Stage' },
                '/',
              ],
            ],
          },
        },
        Zones: { Value: { 'Fn::GetAZs': '' } },
        Hidden: { Value: 'x', Condition: 'Never' },
      },
    };

    // Act
    const outputs = resolveOutputs(template, resolver);

    // Assess
    expect(outputs).toEqual({
      ApiUrl: 'https://abc123defg.execute-api.us-east-1.amazonaws.com/live/',
      Zones: 'us-east-1a,us-east-1b,us-east-1c',
    });
  });

  it('fails if an output value is an object', () => {
    // Prepare
    const template = { Outputs: { Bad: { Value: { a: 1 } } } };

    // Act & Assess
    expect(() => resolveOutputs(template, resolver)).toThrow(
      /cannot resolve Outputs\.Bad\.Value: an output value must be a string/
    );
  });
});

describe('localizeApiUrls', () => {
  it('points API Gateway URLs of the local APIs at the local server, keeping stage and path', () => {
    // Prepare
    const value = 'https://abc123defg.execute-api.us-east-1.amazonaws.com/live/events/1';

    // Act
    const local = localizeApiUrls(value, ['abc123defg'], 'http://127.0.0.1:3000');

    // Assess
    expect(local).toBe('http://127.0.0.1:3000/live/events/1');
  });

  it('leaves URLs of other APIs alone', () => {
    // Prepare
    const value = 'https://zzzzzzzzzz.execute-api.us-east-1.amazonaws.com/live/';

    // Act
    const local = localizeApiUrls(value, ['abc123defg'], 'http://127.0.0.1:3000/');

    // Assess
    expect(local).toBe(value);
  });
});

describe('localOutputs and writeOutputsFile', () => {
  it('writes { stackName: { key: value } } with local API URLs, as cdk deploy --outputs-file does', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'outputs-'));
    const file = join(directory, 'outputs', 'local.json');
    const content = localOutputs(
      [
        stack({
          ApiUrl: 'https://abc123defg.execute-api.us-east-1.amazonaws.com/live/',
          TableName: 't',
        }),
      ],
      'http://127.0.0.1:4000/'
    );

    // Act
    await writeOutputsFile(file, content);

    // Assess
    try {
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        Stack: { ApiUrl: 'http://127.0.0.1:4000/live/', TableName: 't' },
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
