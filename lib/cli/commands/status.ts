import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT } from '../cli-error.ts';
import { type Command, stringFlag } from '../command.ts';
import type { SignedHttpClient } from '../signed-http-client.ts';
import { resolveTarget } from '../target-context.ts';

/** One subscriber's delivery, as `GET /events/{id}` reports it. */
interface SubscriberStatus {
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  readonly lastError?: string;
}

/** The body of `GET /events/{id}`. */
interface EventStatus {
  readonly id: string;
  readonly source: string;
  readonly done: boolean;
  readonly subscribers: readonly SubscriberStatus[];
}

/** `pipeline status <event-id>`: per-subscriber delivery status, optionally until final. */
export const statusCommand: Command = {
  name: 'status',
  summary: "show an event's delivery status per subscriber",
  help: `Usage: pipeline status <event-id> [--source <uri>] [--wait] [--timeout <seconds>]

Shows where an event is, per subscriber: in_progress, retrying, succeeded or dead_lettered,
with attempts and the last error. Exit code 0 when every subscriber succeeded, 1 when one is
dead-lettered (or, without --wait, not final yet), 3 for an unknown event, 5 when --wait timed out.

Flags:
      --source <uri>       pick the event of this source when ids collide across sources
      --wait               poll until every subscriber is final (succeeded or dead_lettered)
      --timeout <seconds>  give up waiting after this long (default: 60)

Examples:
  pipeline status 6f1c0a7e-2b7d-4c55-9a52-0a5d8b0f3e11
  pipeline status 6f1c0a7e-2b7d-4c55-9a52-0a5d8b0f3e11 --wait --json`,
  options: {
    source: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  async run(args, io) {
    const id = args.positionals[0];
    if (!id) throw new CliError('status needs an event id: pipeline status <event-id>', EXIT.USAGE);
    const timeoutSeconds = Number(stringFlag(args, 'timeout') ?? 60);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
      throw new CliError(
        `--timeout must be a positive number of seconds (given ${stringFlag(args, 'timeout')})`,
        EXIT.USAGE
      );
    }
    const context = await resolveTarget(args.values);
    const path = `events/${encodeURIComponent(id)}${sourceQuery(stringFlag(args, 'source'))}`;
    const deadline = Date.now() + timeoutSeconds * 1000;
    let status = await fetchStatus(context.http, path);
    while (args.values.wait === true && !status.done && Date.now() < deadline) {
      await sleep(250);
      status = await fetchStatus(context.http, path);
    }
    if (io.json) io.out(JSON.stringify(status));
    else printStatus(status, io.out);
    if (!status.done) return args.values.wait === true ? EXIT.TIMEOUT : EXIT.FAILED;
    return status.subscribers.every((subscriber) => subscriber.status === 'succeeded')
      ? EXIT.OK
      : EXIT.FAILED;
  },
};

function sourceQuery(source: string | undefined): string {
  return source === undefined ? '' : `?source=${encodeURIComponent(source)}`;
}

async function fetchStatus(http: SignedHttpClient, path: string): Promise<EventStatus> {
  const response = await http.request({ method: 'GET', path }).catch((error: Error) => {
    throw new CliError(`cannot reach the API: ${error.message}`, EXIT.UNREACHABLE, {
      cause: error,
    });
  });
  const problem = response.json as { detail?: string; title?: string } | undefined;
  if (response.status === 404)
    throw new CliError(problem?.detail ?? 'unknown event', EXIT.NOT_FOUND);
  if (response.status !== 200) {
    throw new CliError(
      `GET ${path} answered ${response.status}: ${problem?.detail ?? problem?.title ?? response.text}`,
      EXIT.FAILED
    );
  }
  return response.json as EventStatus;
}

function printStatus(status: EventStatus, out: (line: string) => void): void {
  out(`${status.id} (${status.source})${status.done ? ' done' : ''}`);
  const width = Math.max(10, ...status.subscribers.map((subscriber) => subscriber.name.length));
  for (const subscriber of status.subscribers) {
    const error = subscriber.lastError ? `  ${subscriber.lastError}` : '';
    out(
      `  ${subscriber.name.padEnd(width)}  ${subscriber.status.padEnd(13)}  attempts ${subscriber.attempts}${error}`
    );
  }
}
