/** Queue state the e2e tests wait on (never fixed sleeps). */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueBacklog } from '../../../lib/cli/dead-letter-queues.ts';
import { eventually } from './pipeline-client.ts';

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
