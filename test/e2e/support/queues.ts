/** Queue state the e2e tests wait on (never fixed sleeps). */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { eventually } from './pipeline-client.ts';

/** Messages in a queue: waiting plus in flight. */
export async function queueBacklog(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    })
  );
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Waits until a queue has been drained: every message that was in it has been deleted, which a
 * consumer does only once it has processed (or dead-lettered) the message.
 */
export async function waitUntilDrained(
  sqs: SQSClient,
  queueUrl: string,
  timeoutMs = 60_000
): Promise<void> {
  await eventually(
    () => queueBacklog(sqs, queueUrl),
    (backlog) => backlog === 0,
    `queue ${queueUrl} drained`,
    timeoutMs
  );
}
