import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_ATTRIBUTES } from '../../../functions/shared/contract.ts';
import {
  oldestSampledAgeSeconds,
  peekDeadLetters,
  queueDepth,
  redriveDeadLetters,
} from '../../../lib/cli/dead-letter-queues.ts';
import { type Emulators, startEmulators } from '../../helpers/emulators.ts';

describe('dead-letter queue operations (fauxqs)', () => {
  let emulators: Emulators;
  let sourceUrl: string;
  let dlqUrl: string;

  beforeAll(async () => {
    emulators = await startEmulators();
    dlqUrl =
      (await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'audit-dlq' }))).QueueUrl ?? '';
    sourceUrl =
      (await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'audit' }))).QueueUrl ?? '';
    for (let index = 0; index < 13; index++) {
      await emulators.sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: JSON.stringify({
            specversion: '1.0',
            id: `e-${index}`,
            type: 't',
            source: '/s',
          }),
          MessageAttributes:
            index === 0
              ? {
                  [FAILURE_ATTRIBUTES.kind]: { DataType: 'String', StringValue: 'permanent' },
                  [FAILURE_ATTRIBUTES.reason]: { DataType: 'String', StringValue: 'ZodError: bad' },
                  [FAILURE_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: '1' },
                }
              : undefined,
        })
      );
    }
  });
  afterAll(() => emulators.stop());

  it('peeks without consuming', async () => {
    // Act
    const letters = await peekDeadLetters(emulators.sqs, dlqUrl, 20);
    const depth = await queueDepth(emulators.sqs, 'audit', dlqUrl);
    // Assess
    expect(letters).toHaveLength(13);
    expect(letters.find((letter) => letter.eventId === 'e-0')).toMatchObject({
      kind: 'permanent',
      reason: 'ZodError: bad',
      attempts: 1,
    });
    expect(letters.find((letter) => letter.eventId === 'e-1')?.kind).toBe('max-receive-count');
    expect(depth).toMatchObject({ depth: 13, inFlight: 0 });
  });

  it('reports the age of the oldest sampled message, and none for an empty queue', async () => {
    // Act
    const age = await oldestSampledAgeSeconds(emulators.sqs, dlqUrl, Date.now() + 90_000);
    const emptyUrl =
      (await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'empty-dlq' }))).QueueUrl ?? '';
    // Assess: sent just now, looked at 90 s later
    expect(age).toBeGreaterThanOrEqual(89);
    expect(age).toBeLessThan(120);
    expect(await oldestSampledAgeSeconds(emulators.sqs, emptyUrl)).toBeUndefined();
  });

  it('redrives at most --max messages, then the rest, keeping bodies and attributes', async () => {
    // Act
    const first = await redriveDeadLetters({
      sqs: emulators.sqs,
      deadLetterQueueUrl: dlqUrl,
      sourceQueueUrl: sourceUrl,
      max: 5,
    });
    const rest = await redriveDeadLetters({
      sqs: emulators.sqs,
      deadLetterQueueUrl: dlqUrl,
      sourceQueueUrl: sourceUrl,
    });
    // Assess
    expect(first).toEqual({ method: 'receive-send-delete', moved: 5 });
    expect(rest).toEqual({ method: 'receive-send-delete', moved: 8 });
    const { Attributes: source } = await emulators.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: sourceUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      })
    );
    expect(source?.ApproximateNumberOfMessages).toBe('13');
    expect((await queueDepth(emulators.sqs, 'audit', dlqUrl)).depth).toBe(0);
    const moved = await peekDeadLetters(emulators.sqs, sourceUrl, 20);
    expect(moved.find((letter) => letter.eventId === 'e-0')?.reason).toBe('ZodError: bad');
  });
});
