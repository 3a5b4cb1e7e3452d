import { readFile } from 'node:fs/promises';
import { CliError, EXIT } from '../cli-error.ts';
import { buildCloudEvent } from '../cloud-event-builder.ts';
import { type Command, type CommandArgs, stringFlag } from '../command.ts';
import type { SignedResponse } from '../signed-http-client.ts';
import { resolveTarget, type TargetContext } from '../target-context.ts';

/** `pipeline send <stream|queue>`: builds a CloudEvent and sends it, signed. */
export const sendCommand: Command = {
  name: 'send',
  summary: 'send a CloudEvent to a stream or a point-to-point queue',
  help: `Usage: pipeline send <stream|queue> --type <type> [--source <uri>] [--data <json> | --file <path|->] [flags]

Builds a CloudEvent and sends it signed (SigV4) to POST /topics/<stream>/events, or to
POST /queues/<queue>/messages with --queue. Prints the accepted id and its status URL.

Flags:
      --type <type>             CloudEvents type (required unless --file holds whole CloudEvents)
      --source <uri>            CloudEvents source (default: urn:pipeline:cli)
      --id <id>                 CloudEvents id (default: a new UUID)
      --subject <subject>       CloudEvents subject
      --partition-key <key>     FIFO message group (CloudEvents partitionkey extension)
      --extension <name=value>  extra extension attribute (repeatable)
      --data <json>             event data as JSON
      --file <path|->           read the data (or, with --raw, whole CloudEvents) from a file or stdin
      --raw                     --file holds a structured CloudEvent or a JSON array of them (batch)
      --idempotency-key <key>   Idempotency-Key header: a retry with the same key is not sent twice
      --queue                   send to a point-to-point queue instead of a stream

Examples:
  pipeline send orders --type com.example.order.placed --data '{"orderId":"o-1","customerId":"c-1","items":[{"sku":"sku-1","quantity":2}],"total":{"amount":1999,"currency":"EUR"}}'
  pipeline send payments --queue --type com.example.payment.requested --file payment.json
  cat batch.json | pipeline send orders --raw --file -`,
  options: {
    type: { type: 'string' },
    source: { type: 'string' },
    id: { type: 'string' },
    subject: { type: 'string' },
    'partition-key': { type: 'string' },
    extension: { type: 'string', multiple: true },
    data: { type: 'string' },
    file: { type: 'string' },
    raw: { type: 'boolean' },
    'idempotency-key': { type: 'string' },
    queue: { type: 'boolean' },
  },
  async run(args, io) {
    const name = args.positionals[0];
    if (!name)
      throw new CliError(
        'send needs a stream or queue name: pipeline send <stream|queue> …',
        EXIT.USAGE
      );
    const body = await buildBody(args);
    const context = await resolveTarget(args.values);
    const response = await send(
      context,
      name,
      args.values.queue === true,
      body,
      stringFlag(args, 'idempotency-key')
    );
    if (response.status !== 202) {
      const problem = response.json as { title?: string; detail?: string } | undefined;
      const message = problem?.detail ?? problem?.title ?? response.text;
      if (io.json)
        io.out(
          JSON.stringify({ status: response.status, problem: response.json ?? response.text })
        );
      throw new CliError(
        `the API refused the event (${response.status}): ${message}`,
        response.status === 404 ? EXIT.NOT_FOUND : EXIT.FAILED
      );
    }
    const accepted =
      (response.json as { accepted?: { id: string; source: string; statusUrl: string }[] })
        .accepted ?? [];
    if (io.json) {
      io.out(JSON.stringify({ status: response.status, accepted }));
    } else {
      for (const event of accepted) io.out(`accepted ${event.id}  ${event.statusUrl}`);
    }
    return EXIT.OK;
  },
};

async function buildBody(args: CommandArgs): Promise<{ contentType: string; text: string }> {
  const file = stringFlag(args, 'file');
  const inline = stringFlag(args, 'data');
  if (file !== undefined && inline !== undefined)
    throw new CliError('pass either --data or --file, not both', EXIT.USAGE);
  const text = file === undefined ? inline : await readInput(file);
  if (args.values.raw === true) {
    if (text === undefined) throw new CliError('--raw needs --file <path|->', EXIT.USAGE);
    const parsed = parseJson(text, file ?? '--data');
    return {
      contentType: Array.isArray(parsed)
        ? 'application/cloudevents-batch+json'
        : 'application/cloudevents+json',
      text,
    };
  }
  const type = stringFlag(args, 'type');
  if (!type)
    throw new CliError(
      'send needs --type <CloudEvents type> (or --raw --file with whole CloudEvents)',
      EXIT.USAGE
    );
  const extensions: Record<string, string> = {};
  const extensionFlags = args.values.extension;
  for (const pair of Array.isArray(extensionFlags) ? extensionFlags : []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--extension must be name=value (given ${pair})`, EXIT.USAGE);
    extensions[pair.slice(0, at)] = pair.slice(at + 1);
  }
  try {
    const event = buildCloudEvent({
      type,
      source: stringFlag(args, 'source') ?? 'urn:pipeline:cli',
      id: stringFlag(args, 'id'),
      subject: stringFlag(args, 'subject'),
      partitionKey: stringFlag(args, 'partition-key'),
      data: text === undefined ? undefined : parseJson(text, file ?? '--data'),
      extensions,
    });
    return { contentType: 'application/cloudevents+json', text: JSON.stringify(event) };
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.USAGE, { cause: error });
  }
}

async function send(
  context: TargetContext,
  name: string,
  queue: boolean,
  body: { contentType: string; text: string },
  idempotencyKey?: string
): Promise<SignedResponse> {
  const path = queue
    ? `queues/${encodeURIComponent(name)}/messages`
    : `topics/${encodeURIComponent(name)}/events`;
  try {
    return await context.http.request({
      method: 'POST',
      path,
      headers: {
        'content-type': body.contentType,
        ...(idempotencyKey ? { 'idempotency-key': `"${idempotencyKey}"` } : {}),
      },
      body: body.text,
    });
  } catch (error) {
    throw new CliError(
      `cannot reach ${context.outputs.apiUrl}: ${(error as Error).message}`,
      EXIT.UNREACHABLE,
      { cause: error }
    );
  }
}

async function readInput(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.NOT_FOUND, {
      cause: error,
    });
  }
}

function parseJson(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${from} is not valid JSON: ${(error as Error).message}`, EXIT.USAGE, {
      cause: error,
    });
  }
}
