import { Duration, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { shopPipeline } from '../../../lib/definition/shop.ts';
import {
  FilterPolicyScope,
  type PipelineDefinition,
  type QueueDefinition,
  type SubscriberDefinition,
} from '../../../lib/definition/types.ts';
import { PipelineDefinitionError, validateDefinition } from '../../../lib/definition/validate.ts';

/** A valid definition: one standard stream, one FIFO stream, a subscriber each and a queue. */
function definitionWith(
  overrides: {
    subscriber?: Partial<SubscriberDefinition>;
    fifoSubscriber?: Partial<SubscriberDefinition>;
    queue?: Partial<QueueDefinition>;
  } = {}
): PipelineDefinition {
  return {
    streams: [{ name: 'orders' }, { name: 'tracking', fifo: true }],
    subscribers: [
      {
        name: 'audit',
        stream: 'orders',
        entry: 'functions/audit/handler.ts',
        ...overrides.subscriber,
      },
      {
        name: 'tracker',
        stream: 'tracking',
        entry: 'functions/tracker/handler.ts',
        ...overrides.fifoSubscriber,
      },
    ],
    queues: [{ name: 'payments', entry: 'functions/payments/handler.ts', ...overrides.queue }],
  };
}

describe('validateDefinition', () => {
  it('accepts the shop definition', () => {
    // Act / Assess
    expect(() => validateDefinition(shopPipeline)).not.toThrow();
  });

  it('throws a PipelineDefinitionError naming the field', () => {
    // Act
    const act = () => validateDefinition(definitionWith({ subscriber: { batchSize: 0 } }));

    // Assess
    expect(act).toThrow(PipelineDefinitionError);
    expect(act).toThrow(/^subscribers\[audit\]\.batchSize /);
  });

  it('skips unresolved tokens', () => {
    // Prepare
    const definition = definitionWith({
      subscriber: {
        batchSize: Token.asNumber({ Ref: 'BatchSize' }),
        timeout: Duration.seconds(Token.asNumber({ Ref: 'Timeout' })),
        visibilityTimeout: Duration.seconds(Token.asNumber({ Ref: 'Visibility' })),
      },
    });

    // Act / Assess
    expect(() => validateDefinition(definition)).not.toThrow();
  });

  describe('names', () => {
    it('fails if a name is not lowercase letters, digits and dashes', () => {
      // Prepare
      const definition = { ...definitionWith(), streams: [{ name: 'Orders' }] };

      // Act / Assess
      expect(() => validateDefinition(definition)).toThrow(
        /streams\[0\]\.name must be 1 to 40 lowercase letters, digits and dashes, starting with a letter \(given 'Orders'\)/
      );
    });

    it('fails if a subscriber and a queue share a name', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ queue: { name: 'audit' } }))).toThrow(
        /queues\[0\]\.name must be unique across streams, subscribers and queues \(given 'audit', also used by subscribers\[0\]\.name\)/
      );
    });

    it('fails if a subscriber is named like a stream', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ subscriber: { name: 'orders' } }))).toThrow(
        /subscribers\[0\]\.name must be unique across streams, subscribers and queues \(given 'orders', also used by streams\[0\]\.name\)/
      );
    });

    it('fails if a fifo subscriber is on a standard stream', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ subscriber: { stream: 'orders', fifo: true } }))
      ).toThrow(
        /subscribers\[audit\]\.fifo must match its stream: sns delivers a standard topic only to standard queues \(given fifo: true on standard stream 'orders'\)/
      );
    });

    it('fails if a subscriber names an unknown stream', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ subscriber: { stream: 'order' } }))).toThrow(
        /subscribers\[audit\]\.stream must name a stream of the definition \(given 'order', streams: orders, tracking\)/
      );
    });
  });

  describe('function', () => {
    it('fails if the timeout is over 900 seconds', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { timeout: Duration.seconds(901) } }))
      ).toThrow(
        /queues\[payments\]\.timeout must be between 1 and 900 seconds inclusive \(given 901 seconds\)/
      );
    });

    it('fails if the memory is under 128 MB', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ queue: { memorySizeMb: 64 } }))).toThrow(
        /queues\[payments\]\.memorySizeMb must be an integer between 128 and 10240 inclusive \(given 64\)/
      );
    });

    it('fails if the memory is over 10240 MB', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ queue: { memorySizeMb: 10_241 } }))).toThrow(
        /memorySizeMb must be an integer between 128 and 10240 inclusive \(given 10241\)/
      );
    });
  });

  describe('event source', () => {
    it('fails if the batch size is 0', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ subscriber: { batchSize: 0 } }))).toThrow(
        /subscribers\[audit\]\.batchSize must be an integer between 1 and 10000 inclusive \(given 0\)/
      );
    });

    it('fails if the batch size is over 10000', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({
            subscriber: { batchSize: 10_001, maxBatchingWindow: Duration.seconds(1) },
          })
        )
      ).toThrow(/batchSize must be an integer between 1 and 10000 inclusive \(given 10001\)/);
    });

    it('fails if the batch size of a FIFO stream subscriber is over 10', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ fifoSubscriber: { batchSize: 11 } }))
      ).toThrow(
        /subscribers\[tracker\]\.batchSize must be an integer between 1 and 10 inclusive for a fifo source queue \(given 11\)/
      );
    });

    it('fails if the batch size of a FIFO queue is over 10', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { fifo: true, batchSize: 20 } }))
      ).toThrow(
        /queues\[payments\]\.batchSize must be an integer between 1 and 10 inclusive for a fifo source queue \(given 20\)/
      );
    });

    it('fails if a batch over 10 has no batching window', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ subscriber: { batchSize: 25 } }))).toThrow(
        /subscribers\[audit\]\.maxBatchingWindow must be at least 1 second when batchSize is over 10 \(given none, batchSize 25\)/
      );
    });

    it('fails if a FIFO subscriber has a batching window', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({ fifoSubscriber: { maxBatchingWindow: Duration.seconds(5) } })
        )
      ).toThrow(
        /subscribers\[tracker\]\.maxBatchingWindow must be 0 seconds for a fifo source queue, lambda does not support a batching window on fifo queues \(given 5 seconds\)/
      );
    });

    it('fails if the batching window is over 300 seconds', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({ subscriber: { maxBatchingWindow: Duration.seconds(301) } })
        )
      ).toThrow(
        /subscribers\[audit\]\.maxBatchingWindow must be between 0 and 300 seconds inclusive \(given 301 seconds\)/
      );
    });

    it('fails if the maximum concurrency is under 2', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ queue: { maxConcurrency: 1 } }))).toThrow(
        /queues\[payments\]\.maxConcurrency must be an integer between 2 and 1000 inclusive \(given 1\)/
      );
    });

    it('fails if the maximum concurrency is over 1000', () => {
      // Act / Assess
      expect(() => validateDefinition(definitionWith({ queue: { maxConcurrency: 1001 } }))).toThrow(
        /maxConcurrency must be an integer between 2 and 1000 inclusive \(given 1001\)/
      );
    });
  });

  describe('retries', () => {
    it('fails if maxReceiveCount is 0', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ subscriber: { maxReceiveCount: 0 } }))
      ).toThrow(
        /subscribers\[audit\]\.maxReceiveCount must be an integer between 1 and 1000 inclusive \(given 0\)/
      );
    });

    it('fails if maxReceiveCount is over 1000', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { maxReceiveCount: 1001 } }))
      ).toThrow(/maxReceiveCount must be an integer between 1 and 1000 inclusive \(given 1001\)/);
    });

    it('fails if the visibility timeout is under six times the function timeout', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({
            subscriber: { timeout: Duration.seconds(30), visibilityTimeout: Duration.seconds(60) },
          })
        )
      ).toThrow(
        /subscribers\[audit\]\.visibilityTimeout must be at least 6 times the function timeout of 30 seconds, 180 seconds \(given 60 seconds\)/
      );
    });

    it('fails if the visibility timeout is under six times the default function timeout', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { visibilityTimeout: Duration.seconds(179) } }))
      ).toThrow(/180 seconds \(given 179 seconds\)/);
    });

    it('fails if the visibility timeout is over 12 hours', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { visibilityTimeout: Duration.hours(13) } }))
      ).toThrow(
        /queues\[payments\]\.visibilityTimeout must be between 0 and 43200 seconds inclusive \(given 46800 seconds\)/
      );
    });

    it('fails if the backoff base is over the backoff max', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({
            queue: { backoff: { base: Duration.minutes(2), max: Duration.minutes(1) } },
          })
        )
      ).toThrow(
        /queues\[payments\]\.backoff\.base must be at most backoff\.max of 60 seconds \(given 120 seconds\)/
      );
    });

    it('fails if the backoff max is over 12 hours', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { backoff: { max: Duration.hours(13) } } }))
      ).toThrow(
        /queues\[payments\]\.backoff\.max must be between 0 and 43200 seconds inclusive \(given 46800 seconds\)/
      );
    });

    it('fails if a backoff delay is not a whole number of seconds', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ queue: { backoff: { base: Duration.millis(1500) } } }))
      ).toThrow(
        /queues\[payments\]\.backoff\.base must be a whole number of seconds, sqs visibility timeouts are in seconds \(given 1\.5 seconds\)/
      );
    });
  });

  describe('filter policies', () => {
    it('fails if a policy has more than 5 keys, nested keys included', () => {
      // Prepare
      const filterPolicy = {
        data: { status: ['paid'], total: [{ numeric: ['>', 0] }], country: ['FR'] },
        type: ['com.example.order.paid'],
        source: ['shop'],
      };

      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({
            subscriber: { filterPolicy, filterPolicyScope: FilterPolicyScope.MESSAGE_BODY },
          })
        )
      ).toThrow(
        /subscribers\[audit\]\.filterPolicy must have at most 5 keys, nested keys included \(given 6\)/
      );
    });

    it('fails if a policy has more than 150 combinations', () => {
      // Prepare: 6 × 6 × 5 = 180 combinations.
      const six = ['a', 'b', 'c', 'd', 'e', 'f'];
      const filterPolicy = { type: six, source: six, subject: six.slice(0, 5) };

      // Act / Assess
      expect(() => validateDefinition(definitionWith({ subscriber: { filterPolicy } }))).toThrow(
        /subscribers\[audit\]\.filterPolicy must have at most 150 combinations, the product of its rule list lengths \(given 180\)/
      );
    });

    it('counts the branches of $or as a sum', () => {
      // Prepare: (5 × 5) + (5 × 5) + 1 = 51 combinations, under the limit; 5 keys.
      const five = ['a', 'b', 'c', 'd', 'e'];
      const filterPolicy = {
        $or: [{ type: five, source: five }, { subject: five, id: five }, { type: ['x'] }],
      };

      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ subscriber: { filterPolicy } }))
      ).not.toThrow();
    });

    it('fails if a rule list is empty', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ subscriber: { filterPolicy: { type: [] } } }))
      ).toThrow(
        /subscribers\[audit\]\.filterPolicy\.type must be a non-empty list of rules \(given \[\]\)/
      );
    });

    it('fails if a message-attributes policy is nested', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({ subscriber: { filterPolicy: { data: { status: ['paid'] } } } })
        )
      ).toThrow(
        /subscribers\[audit\]\.filterPolicy\.data must be a list of rules with the MessageAttributes scope, nested policies need filterPolicyScope MessageBody \(given \{"status":\["paid"\]\}\)/
      );
    });

    it('fails if a body policy uses a key that is not a CloudEvents attribute', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({
            subscriber: {
              filterPolicy: { eventType: ['paid'] },
              filterPolicyScope: FilterPolicyScope.MESSAGE_BODY,
            },
          })
        )
      ).toThrow(
        /subscribers\[audit\]\.filterPolicy\.eventType must be a cloudevents attribute name \(lowercase letters and digits\) or data, the message body is the structured-mode cloudevent \(given 'eventType'\)/
      );
    });

    it('fails if a scope is set without a policy', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(
          definitionWith({ subscriber: { filterPolicyScope: FilterPolicyScope.MESSAGE_BODY } })
        )
      ).toThrow(
        /subscribers\[audit\]\.filterPolicyScope must only be set with a filterPolicy \(given 'MessageBody'\)/
      );
    });

    it('fails if a policy has no key', () => {
      // Act / Assess
      expect(() =>
        validateDefinition(definitionWith({ subscriber: { filterPolicy: {} } }))
      ).toThrow(/subscribers\[audit\]\.filterPolicy must have at least one key \(given \{\}\)/);
    });
  });
});
