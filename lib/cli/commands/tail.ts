import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CliError, EXIT } from '../cli-error.ts';
import { type Command, type CommandArgs, type CommandIo, stringFlag } from '../command.ts';
import { resolveTarget, type TargetContext } from '../target-context.ts';

/** How often a followed journal or log group is read again. */
const POLL_INTERVAL_MS = 250;
const CLOUD_POLL_INTERVAL_MS = 2000;

/** One line `tail` prints. */
interface TailEntry {
  readonly at: string;
  readonly subscriber: string;
  readonly eventId?: string;
  readonly outcome?: string;
  readonly attempt?: number;
  readonly reason?: string;
  readonly message?: string;
}

/** `pipeline tail`: follow deliveries live. */
export const tailCommand: Command = {
  name: 'tail',
  summary: 'follow deliveries live (local runtime journal, or the functions’ logs on AWS)',
  help: `Usage: pipeline tail [--subscriber <name>] [--event <id>] [--since <duration>] [--no-follow]

Locally, prints each delivery the runtime makes (event id, subscriber, outcome, attempt, reason)
as it happens. On AWS and LocalStack, prints the consumers' log lines from CloudWatch Logs.
Stop with Ctrl-C. With --json, prints one JSON object per line.

Flags:
      --subscriber <name>  only this subscriber (repeatable)
      --event <id>         only this event id
      --since <duration>   start this far back, e.g. 30s, 5m, 1h (default: everything locally, 5m on AWS)
      --no-follow          print what is there and exit

Examples:
  pipeline tail
  pipeline tail --subscriber audit --json
  pipeline tail --event 6f1c0a7e-2b7d-4c55-9a52-0a5d8b0f3e11 --no-follow`,
  options: {
    subscriber: { type: 'string', multiple: true },
    event: { type: 'string' },
    since: { type: 'string' },
    'no-follow': { type: 'boolean' },
  },
  async run(args, io) {
    const context = await resolveTarget(args.values);
    const follow = args.values['no-follow'] !== true;
    const sinceMs = parseDuration(stringFlag(args, 'since'));
    const filter = entryFilter(args);
    const print = (entry: TailEntry) => {
      if (!filter(entry)) return;
      io.out(io.json ? JSON.stringify(entry) : formatEntry(entry));
    };
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      if (context.target === 'local')
        await tailJournal(context, sinceMs, follow, print, stop.signal);
      else await tailCloudWatch(context, sinceMs ?? 5 * 60_000, follow, print, stop.signal, io);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return EXIT.OK;
  },
};

function entryFilter(args: CommandArgs): (entry: TailEntry) => boolean {
  const subscribers = args.values.subscriber;
  const wanted = new Set(Array.isArray(subscribers) ? subscribers : []);
  const event = stringFlag(args, 'event');
  return (entry) =>
    (wanted.size === 0 || wanted.has(entry.subscriber)) &&
    (event === undefined || entry.eventId === event);
}

/** Parses `30s`, `5m`, `1h`; `undefined` when absent. */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!match)
    throw new CliError(`--since must look like 30s, 5m or 1h (given ${text})`, EXIT.USAGE);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function formatEntry(entry: TailEntry): string {
  const time = entry.at.slice(11, 23);
  if (entry.message !== undefined)
    return `${time}  ${entry.subscriber.padEnd(10)}  ${entry.message}`;
  const reason = entry.reason ? `  ${entry.reason}` : '';
  return `${time}  ${entry.subscriber.padEnd(10)}  ${String(entry.outcome).padEnd(9)}  attempt ${entry.attempt}  ${entry.eventId}${reason}`;
}

/** Follows the local runtime's delivery journal (JSON lines), like `tail -f`. */
async function tailJournal(
  context: TargetContext,
  sinceMs: number | undefined,
  follow: boolean,
  print: (entry: TailEntry) => void,
  signal: AbortSignal
): Promise<void> {
  const file = context.runtime?.deliveriesFile;
  if (!file) {
    throw new CliError(
      'the local runtime publishes no delivery journal: restart it with `npm start`',
      EXIT.UNREACHABLE
    );
  }
  const since = sinceMs === undefined ? 0 : Date.now() - sinceMs;
  const handle = await open(file, 'r').catch((error: Error) => {
    throw new CliError(`cannot read ${file}: ${error.message}`, EXIT.UNREACHABLE, { cause: error });
  });
  let position = 0;
  let partial = '';
  try {
    for (;;) {
      const { size } = await handle.stat();
      // The runtime starts a new journal on each start: begin again when the file shrank.
      if (size < position) position = 0;
      if (size > position) {
        const buffer = Buffer.alloc(size - position);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line) continue;
          const entry = JSON.parse(line) as TailEntry;
          if (Date.parse(entry.at) >= since) print(entry);
        }
      }
      if (!follow || signal.aborted) return;
      await sleep(POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
    }
  } finally {
    await handle.close();
  }
}

/** Polls the consumers' CloudWatch log groups (AWS, LocalStack). */
async function tailCloudWatch(
  context: TargetContext,
  sinceMs: number,
  follow: boolean,
  print: (entry: TailEntry) => void,
  signal: AbortSignal,
  io: CommandIo
): Promise<void> {
  const groups = Object.entries(context.outputs.consumers).filter(
    ([, consumer]) => consumer.logGroupName
  );
  if (groups.length === 0) {
    throw new CliError(
      'the outputs list no log groups: redeploy the stack to add them',
      EXIT.NOT_FOUND
    );
  }
  const logs = new CloudWatchLogsClient({
    region: context.outputs.region,
    ...(context.endpoint ? { endpoint: context.endpoint } : {}),
  });
  let startTime = Date.now() - sinceMs;
  const seen = new Set<string>();
  try {
    for (;;) {
      const pollStarted = Date.now();
      for (const [subscriber, consumer] of groups) {
        let nextToken: string | undefined;
        do {
          const page = await logs
            .send(
              new FilterLogEventsCommand({
                logGroupName: consumer.logGroupName,
                startTime,
                nextToken,
              }),
              { abortSignal: signal }
            )
            .catch((error: Error) => {
              if (signal.aborted) return { events: [], nextToken: undefined };
              throw new CliError(
                `cannot read ${consumer.logGroupName}: ${error.message}`,
                EXIT.UNREACHABLE,
                { cause: error }
              );
            });
          for (const event of page.events ?? []) {
            if (!event.eventId || seen.has(event.eventId)) continue;
            seen.add(event.eventId);
            print(toEntry(subscriber, event.timestamp ?? Date.now(), event.message ?? ''));
          }
          nextToken = page.nextToken;
        } while (nextToken && !signal.aborted);
      }
      if (!follow || signal.aborted) return;
      // Log events can arrive late: look back a little on each poll (duplicates are skipped).
      startTime = pollStarted - 30_000;
      await sleep(CLOUD_POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
    }
  } finally {
    logs.destroy();
    if (!io.json && signal.aborted) io.err('');
  }
}

function toEntry(subscriber: string, timestamp: number, message: string): TailEntry {
  const at = new Date(timestamp).toISOString();
  try {
    const log = JSON.parse(message) as {
      message?: string;
      eventId?: string;
      attempt?: number;
      level?: string;
    };
    return {
      at,
      subscriber,
      eventId: log.eventId,
      attempt: log.attempt,
      message: `${log.level ?? ''} ${log.message ?? message}`.trim(),
    };
  } catch {
    return { at, subscriber, message: message.trim() };
  }
}
