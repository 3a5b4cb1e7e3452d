/**
 * The filter policy evaluator must agree with SNS: the same policies run through real SNS → SQS
 * subscriptions (fauxqs) and through the evaluator, over the same messages.
 *
 * Cases where fauxqs is known to differ from AWS (arrays in the body, numeric conditions on
 * strings, String.Array attributes, nested `$or`) are covered by the unit tests instead and listed
 * in functions/shared/filter-policy.ts.
 */
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FilterableAttribute,
  type FilterPolicyScope,
  filterableMessage,
  matchesFilterPolicy,
} from '../../../functions/shared/filter-policy.ts';
import { type Emulators, startEmulators } from '../../helpers/emulators.ts';

interface PolicyCase {
  readonly name: string;
  readonly scope: FilterPolicyScope;
  readonly policy: Record<string, unknown>;
}

interface TestMessage {
  readonly id: string;
  readonly attributes: Record<string, FilterableAttribute>;
  readonly body: Record<string, unknown>;
}

const POLICIES: readonly PolicyCase[] = [
  {
    name: 'exact string',
    scope: 'MessageAttributes',
    policy: { type: ['com.example.order.placed'] },
  },
  {
    name: 'one of several strings',
    scope: 'MessageAttributes',
    policy: { type: ['com.example.order.placed', 'com.example.order.paid'] },
  },
  {
    name: 'prefix',
    scope: 'MessageAttributes',
    policy: { type: [{ prefix: 'com.example.order.' }] },
  },
  { name: 'suffix', scope: 'MessageAttributes', policy: { type: [{ suffix: '.paid' }] } },
  {
    name: 'equals-ignore-case',
    scope: 'MessageAttributes',
    policy: { type: [{ 'equals-ignore-case': 'COM.EXAMPLE.ORDER.PAID' }] },
  },
  {
    name: 'anything-but list',
    scope: 'MessageAttributes',
    policy: { type: [{ 'anything-but': ['com.example.order.placed', 'com.example.order.paid'] }] },
  },
  {
    name: 'anything-but value',
    scope: 'MessageAttributes',
    policy: { type: [{ 'anything-but': 'com.example.order.placed' }] },
  },
  {
    name: 'anything-but prefix',
    scope: 'MessageAttributes',
    policy: { type: [{ 'anything-but': { prefix: 'com.example.order.' } }] },
  },
  { name: 'exists true', scope: 'MessageAttributes', policy: { region: [{ exists: true }] } },
  { name: 'exists false', scope: 'MessageAttributes', policy: { region: [{ exists: false }] } },
  { name: 'numeric =', scope: 'MessageAttributes', policy: { price: [{ numeric: ['=', 100] }] } },
  {
    name: 'numeric range',
    scope: 'MessageAttributes',
    policy: { price: [{ numeric: ['>', 10, '<=', 100] }] },
  },
  { name: 'numeric <', scope: 'MessageAttributes', policy: { price: [{ numeric: ['<', 10] }] } },
  { name: 'numeric >=', scope: 'MessageAttributes', policy: { price: [{ numeric: ['>=', 100] }] } },
  { name: 'exact number', scope: 'MessageAttributes', policy: { price: [100] } },
  {
    name: 'numeric anything-but',
    scope: 'MessageAttributes',
    policy: { price: [{ 'anything-but': [100, 5] }] },
  },
  {
    name: '$or',
    scope: 'MessageAttributes',
    policy: { $or: [{ type: ['com.example.order.paid'] }, { region: ['eu'] }] },
  },
  {
    name: 'two keys (AND)',
    scope: 'MessageAttributes',
    policy: { type: [{ prefix: 'com.example.order.' }], region: ['eu', 'us'] },
  },
  {
    name: 'body: top-level key',
    scope: 'MessageBody',
    policy: { type: ['com.example.order.paid'] },
  },
  {
    name: 'body: nested key',
    scope: 'MessageBody',
    policy: { data: { total: { currency: ['EUR'] } } },
  },
  {
    name: 'body: nested numeric',
    scope: 'MessageBody',
    policy: { data: { total: { amount: [{ numeric: ['>=', 1000] }] } } },
  },
  {
    name: 'body: exists true',
    scope: 'MessageBody',
    policy: { data: { coupon: [{ exists: true }] } },
  },
  {
    name: 'body: exists false',
    scope: 'MessageBody',
    policy: { data: { coupon: [{ exists: false }] } },
  },
  {
    name: 'body: $or',
    scope: 'MessageBody',
    policy: {
      $or: [{ type: ['com.example.order.cancelled'] }, { data: { total: { currency: ['USD'] } } }],
    },
  },
  {
    name: 'body: boolean and prefix',
    scope: 'MessageBody',
    policy: { type: [{ prefix: 'com.example.order.' }], data: { gift: [true] } },
  },
  {
    name: 'body: anything-but',
    scope: 'MessageBody',
    policy: { data: { total: { currency: [{ 'anything-but': ['EUR'] }] } } },
  },
];

function message(
  id: string,
  type: string,
  extra: { region?: string; price: number; data: Record<string, unknown> }
): TestMessage {
  const attributes: Record<string, FilterableAttribute> = {
    type: { DataType: 'String', StringValue: type },
    source: { DataType: 'String', StringValue: '/shop' },
    price: { DataType: 'Number', StringValue: String(extra.price) },
  };
  if (extra.region) attributes.region = { DataType: 'String', StringValue: extra.region };
  return { id, attributes, body: { id, type, source: '/shop', data: extra.data } };
}

const MESSAGES: readonly TestMessage[] = [
  message('m1', 'com.example.order.placed', {
    region: 'eu',
    price: 100,
    data: { total: { amount: 1500, currency: 'EUR' }, coupon: 'WELCOME' },
  }),
  message('m2', 'com.example.order.paid', {
    price: 5,
    data: { total: { amount: 500, currency: 'USD' }, gift: true },
  }),
  message('m3', 'com.example.order.cancelled', {
    region: 'us',
    price: 50.5,
    data: { total: { amount: 999, currency: 'EUR' }, gift: false },
  }),
  message('m4', 'com.example.shipment.tracked', {
    region: 'ap',
    price: 1000,
    data: { total: { amount: 1000, currency: 'USD' } },
  }),
  message('m5', 'COM.EXAMPLE.ORDER.PAID', {
    price: 0,
    data: { total: { amount: 0, currency: 'GBP' }, coupon: 'X' },
  }),
  message('m6', 'org.other.event', { region: 'eu', price: 10, data: { gift: true } }),
];

describe('filter policy evaluator agrees with SNS filtering (fauxqs)', () => {
  let emulators: Emulators;
  const delivered = new Map<string, string[]>();

  beforeAll(async () => {
    emulators = await startEmulators();
    const { sns, sqs } = emulators;
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'filters' }));
    const queueUrls = new Map<string, string>();
    for (const [index, testCase] of POLICIES.entries()) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `policy-${index}` }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: Attributes?.QueueArn,
          Attributes: {
            RawMessageDelivery: 'true',
            FilterPolicy: JSON.stringify(testCase.policy),
            FilterPolicyScope: testCase.scope,
          },
        })
      );
      queueUrls.set(testCase.name, QueueUrl ?? '');
    }
    for (const { attributes, body } of MESSAGES) {
      await sns.send(
        new PublishCommand({
          TopicArn,
          Message: JSON.stringify(body),
          MessageAttributes: attributes,
        })
      );
    }
    // fauxqs fans out synchronously within Publish: every delivery is in its queue by now.
    for (const [name, QueueUrl] of queueUrls) {
      const ids: string[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })
        );
        if (Messages.length === 0) break;
        ids.push(...Messages.map((m) => (JSON.parse(m.Body ?? '{}') as { id: string }).id));
      }
      delivered.set(name, ids.sort());
    }
  });
  afterAll(() => emulators.stop());

  it.each(POLICIES.map((testCase) => [testCase.name, testCase] as const))(
    '%s',
    (name, testCase) => {
      // Act
      const expected = MESSAGES.filter(({ attributes, body }) =>
        matchesFilterPolicy(
          testCase.policy,
          testCase.scope,
          filterableMessage(attributes, JSON.stringify(body))
        )
      )
        .map(({ id }) => id)
        .sort();
      // Assess
      expect(delivered.get(name)).toEqual(expected);
    }
  );

  it('delivers something for most policies (the table is not vacuous)', () => {
    const nonEmpty = [...delivered.values()].filter((ids) => ids.length > 0);
    expect(nonEmpty.length).toBeGreaterThan(POLICIES.length - 2);
  });
});
