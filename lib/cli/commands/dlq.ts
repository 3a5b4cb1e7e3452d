import { CliError, EXIT } from '../cli-error.ts';
import { type Command, type CommandArgs, stringFlag } from '../command.ts';
import {
  type DeadLetterQueueDepth,
  OLDEST_AGE_SAMPLE,
  oldestSampledAgeSeconds,
  peekDeadLetters,
  queueDepth,
  redriveDeadLetters,
} from '../dead-letter-queues.ts';
import { resolveTarget, type TargetContext } from '../target-context.ts';

function consumerOf(context: TargetContext, args: CommandArgs) {
  const name = args.positionals[0];
  if (!name)
    throw new CliError(
      'name a subscriber or queue worker, e.g. `pipeline dlq peek audit`',
      EXIT.USAGE
    );
  const consumer = context.outputs.consumers[name];
  if (!consumer) {
    const known = Object.keys(context.outputs.consumers).sort().join(', ');
    throw new CliError(`no consumer named ${name} (known: ${known})`, EXIT.NOT_FOUND);
  }
  return { name, ...consumer };
}

function positiveInteger(args: CommandArgs, flag: string): number | undefined {
  const raw = stringFlag(args, flag);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new CliError(`--${flag} must be a positive whole number (given ${raw})`, EXIT.USAGE);
  }
  return value;
}

/** `pipeline dlq list`: every DLQ with its depth. */
export const dlqListCommand: Command = {
  name: 'dlq list',
  summary: 'list every dead-letter queue with its depth',
  help: `Usage: pipeline dlq list

Lists each consumer's dead-letter queue with the number of messages in it and the age of
its oldest message (the oldest of up to ${OLDEST_AGE_SAMPLE} looked at, without consuming them;
on AWS, CloudWatch's ApproximateAgeOfOldestMessage is the exact figure).
Exit code 0 when all are empty, 1 when any holds messages.`,
  options: {},
  async run(args, io) {
    const context = await resolveTarget(args.values);
    const depths: DeadLetterQueueDepth[] = await Promise.all(
      Object.entries(context.outputs.consumers)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(async ([name, consumer]) => {
          const depth = await queueDepth(context.sqs, name, consumer.deadLetterQueueUrl);
          if (depth.depth === 0) return depth;
          const oldestAgeSeconds = await oldestSampledAgeSeconds(
            context.sqs,
            consumer.deadLetterQueueUrl
          );
          return { ...depth, oldestAgeSeconds };
        })
    );
    if (io.json) {
      io.out(JSON.stringify({ deadLetterQueues: depths }));
    } else {
      for (const queue of depths) {
        const age =
          queue.oldestAgeSeconds === undefined
            ? ''
            : `  oldest ${formatAge(queue.oldestAgeSeconds)}`;
        io.out(`${queue.consumer.padEnd(16)} ${String(queue.depth).padStart(6)} messages${age}`);
      }
    }
    return depths.some((queue) => queue.depth + queue.inFlight > 0) ? EXIT.FAILED : EXIT.OK;
  },
};

/** `pipeline dlq peek <consumer>`: dead-lettered messages with their reasons, not consumed. */
export const dlqPeekCommand: Command = {
  name: 'dlq peek',
  summary: 'show dead-lettered messages with their failure reason, without consuming them',
  help: `Usage: pipeline dlq peek <consumer> [--max <n>]

Shows up to --max (default 10) messages of the consumer's dead-letter queue: event id, type,
why it failed (permanent, exhausted, or max-receive-count when SQS moved it), attempts and reason.
The messages stay in the queue.`,
  options: { max: { type: 'string' } },
  async run(args, io) {
    const context = await resolveTarget(args.values);
    const consumer = consumerOf(context, args);
    const letters = await peekDeadLetters(
      context.sqs,
      consumer.deadLetterQueueUrl,
      positiveInteger(args, 'max') ?? 10
    );
    if (io.json) {
      io.out(JSON.stringify({ consumer: consumer.name, messages: letters }));
    } else if (letters.length === 0) {
      io.out(`${consumer.name}: dead-letter queue is empty`);
    } else {
      for (const letter of letters) {
        io.out(
          `${letter.eventId ?? letter.messageId}  ${letter.type ?? '-'}  ${letter.kind}  attempts ${letter.attempts ?? '?'}  ${letter.reason ?? ''}`
        );
      }
    }
    return EXIT.OK;
  },
};

/** `pipeline dlq redrive <consumer>`: moves dead-lettered messages back to the source queue. */
export const dlqRedriveCommand: Command = {
  name: 'dlq redrive',
  summary: 'move dead-lettered messages back to their source queue',
  help: `Usage: pipeline dlq redrive <consumer> [--max <n>]

Moves the consumer's dead-lettered messages back to its queue, where they are processed again
(consumers are idempotent, so an event that had partly succeeded has its effect once). Uses SQS
StartMessageMoveTask where the target supports it, and an equivalent receive/send/delete move
on the local emulators or when --max is given. Prints the number of messages moved.`,
  options: { max: { type: 'string' } },
  async run(args, io) {
    const context = await resolveTarget(args.values);
    const consumer = consumerOf(context, args);
    const result = await redriveDeadLetters({
      sqs: context.sqs,
      deadLetterQueueUrl: consumer.deadLetterQueueUrl,
      sourceQueueUrl: consumer.queueUrl,
      max: positiveInteger(args, 'max'),
      onProgress: ({ moved, total }) =>
        io.progress(`${consumer.name}: moved ${moved}${total === undefined ? '' : ` of ${total}`}`),
    });
    if (io.json) io.out(JSON.stringify({ consumer: consumer.name, ...result }));
    else
      io.out(
        `${consumer.name}: moved ${result.moved} messages back to its queue (${result.method})`
      );
    return EXIT.OK;
  },
};

/** `75` → `1m15s`, `3700` → `1h1m`, `200000` → `2d7h`. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 48) return `${hours}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}
