import { describe, expect, it } from 'vitest';
import {
  ApiCallCounter,
  actionFromForm,
  billedChunks,
  classifyDynamoDbCall,
  operationFromTarget,
  serviceFromTarget,
} from '../../../lib/local/api-call-counter.ts';

describe('request parsing', () => {
  it('reads the operation and service of a JSON-protocol target', () => {
    expect(operationFromTarget('AmazonSQS.SendMessageBatch')).toBe('SendMessageBatch');
    expect(serviceFromTarget('AmazonSQS.SendMessageBatch')).toBe('sqs');
    expect(operationFromTarget('DynamoDB_20120810.PutItem')).toBe('PutItem');
    expect(serviceFromTarget('DynamoDB_20120810.PutItem')).toBe('dynamodb');
    expect(operationFromTarget(undefined)).toBeUndefined();
  });

  it('reads the action of a query-protocol body', () => {
    expect(actionFromForm('Action=PublishBatch&Version=2010-03-31&TopicArn=x')).toBe(
      'PublishBatch'
    );
    expect(actionFromForm('Version=2010-03-31')).toBeUndefined();
  });

  it('bills every started 64 KB chunk, at least one', () => {
    expect([billedChunks(0), billedChunks(65_536), billedChunks(65_537)]).toEqual([1, 1, 2]);
  });
});

describe('classifyDynamoDbCall', () => {
  it('labels a write with the class of its key', () => {
    // Prepare
    const body = JSON.stringify({ TableName: 't', Item: { pk: { S: 'consumer#audit#abc' } } });

    // Act
    const call = classifyDynamoDbCall('PutItem', body);

    // Assess
    expect(call).toEqual({ label: 'PutItem consumer#', writeUnits: 1, readUnits: 0 });
  });

  it('counts half a unit for an eventually consistent read and one for a strong one', () => {
    const key = { Key: { pk: { S: 'event#1' } } };
    expect(classifyDynamoDbCall('GetItem', JSON.stringify(key)).readUnits).toBe(0.5);
    expect(
      classifyDynamoDbCall('GetItem', JSON.stringify({ ...key, ConsistentRead: true })).readUnits
    ).toBe(1);
  });

  it('counts two units per transactional item', () => {
    const body = JSON.stringify({ TransactItems: [{}, {}, {}] });
    expect(classifyDynamoDbCall('TransactWriteItems', body).writeUnits).toBe(6);
  });

  it('still counts a call whose body is not JSON', () => {
    expect(classifyDynamoDbCall('UpdateItem', '{')).toEqual({
      label: 'UpdateItem',
      writeUnits: 1,
      readUnits: 0,
    });
  });
});

describe('ApiCallCounter', () => {
  it('counts nothing until started', () => {
    // Prepare
    const counter = new ApiCallCounter();

    // Act
    counter.countAws('sqs', 'SendMessage', { requestBytes: 10 });
    counter.countApiGateway('POST /x');

    // Assess
    expect(counter.snapshot()).toMatchObject({ aws: {}, apiGateway: {}, lambda: {} });
  });

  it('sums calls, chunks and billed milliseconds', () => {
    // Prepare
    const counter = new ApiCallCounter();
    counter.start();

    // Act
    counter.countAws('sqs', 'ReceiveMessage', { requestBytes: 100, responseBytes: 70_000 });
    counter.countAws('sqs', 'ReceiveMessage', { requestBytes: 100, responseBytes: 10 });
    counter.countInvocation('audit', 256, 10.2, 25);
    counter.countInvocation('audit', 256, 4, 5);

    // Assess
    const snapshot = counter.snapshot();
    expect(snapshot.aws.sqs?.ReceiveMessage).toMatchObject({ calls: 2, chunks: 3 });
    expect(snapshot.lambda.audit).toMatchObject({ invocations: 2, records: 30, billedMs: 15 });
  });
});
