/**
 * Runs one `AWS::Lambda::EventSourceMapping` from an SQS queue with Lambda's semantics: long
 * polling, batch size and batching window, maximum concurrency, the exact SQS event shape,
 * `ReportBatchItemFailures`, delete on success and leave-for-the-visibility-timeout on failure.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import { MESSAGE_ATTRIBUTES } from '../../functions/shared/contract.ts';
import type { FunctionHost } from './function-host.ts';
import type { LocalEventSourceMapping } from './model.ts';

/**
 * Concurrent batches of a mapping without `ScalingConfig.MaximumConcurrency`: Lambda starts an
 * SQS event source with five pollers, and locally they never scale further.
 */
export const DEFAULT_SQS_CONCURRENCY = 5;

/** The longest long poll SQS allows, in seconds; what Lambda's pollers use. */
export const LONG_POLL_SECONDS = 20;

/** The most messages one `ReceiveMessage` (and one `DeleteMessageBatch`) handles. */
const SQS_BATCH_LIMIT = 10;

/** Pause after a failed `ReceiveMessage` (queue missing, emulator down) before polling again. */
const RECEIVE_RETRY_DELAY_MS = 1_000;

/** What happened to one record of a batch. */
export interface RecordReport {
  readonly messageId: string;
  /** The event id: the JSON body's `id` (a CloudEvent), else the `id` message attribute. */
  readonly eventId?: string;
  /** `succeeded` records were deleted; `failed` ones stay for the visibility timeout. */
  readonly outcome: 'succeeded' | 'failed';
  /** `ApproximateReceiveCount` of this delivery. */
  readonly attempt: number;
}

/** What happened to one batch, for the live log. */
export interface BatchReport {
  readonly mappingLogicalId: string;
  readonly functionLogicalId: string;
  readonly functionName: string;
  readonly queueArn: string;
  /**
   * `succeeded`: every record deleted. `partial`: the function reported some records as failed.
   * `failed`: the invocation failed, timed out, or its batch response was malformed; nothing
   * was deleted.
   */
  readonly outcome: 'succeeded' | 'partial' | 'failed';
  readonly records: readonly RecordReport[];
  /** Why the batch failed: the function's error, or what is wrong with its response. */
  readonly error?: { readonly name: string; readonly message: string };
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** Options of {@link SqsPoller}. */
export interface SqsPollerOptions {
  /** Called after each batch, once its successful records are deleted. */
  readonly onBatch?: (report: BatchReport) => void;
  /** Receives the poller's own problems (failed receives or deletes). @default - ignored */
  readonly log?: (line: string) => void;
}

/** How a batch ended: what {@link parseBatchResponse} and a failed invocation decide. */
export type BatchVerdict =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'partial'; readonly failed: ReadonlySet<string> }
  | {
      readonly kind: 'failed';
      readonly error: { readonly name: string; readonly message: string };
      readonly timedOut: boolean;
    };

/**
 * Polls the mapping's queue and invokes the function with batches, as Lambda's SQS event
 * source does.
 *
 * Concurrency: the poller runs `min(MaximumConcurrency ?? DEFAULT_SQS_CONCURRENCY,
 * host.concurrencyLimit)` independent polling loops, each receiving, invoking and deleting one
 * batch at a time, so that many batches are ever in flight. FIFO queues keep their order
 * because SQS returns no further message of a group while one of it is in flight; on top of
 * that the poller never runs two batches holding the same message group at once.
 *
 * @example
 * const poller = new SqsPoller(mapping, host, sqs, { onBatch: (report) => console.log(report) });
 * poller.start();
 * await poller.stop();
 */
export class SqsPoller {
  readonly #mapping: LocalEventSourceMapping;
  readonly #host: FunctionHost;
  readonly #sqs: SQSClient;
  readonly #options: SqsPollerOptions;
  readonly #region: string;
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  readonly #groupsInFlight = new Map<string, Promise<void>>();

  constructor(
    mapping: LocalEventSourceMapping,
    host: FunctionHost,
    sqs: SQSClient,
    options: SqsPollerOptions = {}
  ) {
    this.#mapping = mapping;
    this.#host = host;
    this.#sqs = sqs;
    this.#options = options;
    // arn:aws:sqs:<region>:<account>:<name>
    this.#region = mapping.queueArn.split(':')[3] ?? '';
  }

  /** How many batches may be in flight at once. */
  get concurrency(): number {
    const wanted = this.#mapping.maximumConcurrency ?? DEFAULT_SQS_CONCURRENCY;
    return Math.max(0, Math.min(wanted, this.#host.concurrencyLimit));
  }

  /** Whether the poller is running. */
  get running(): boolean {
    return this.#loops.length > 0;
  }

  /** Starts polling (no-op when the mapping is disabled or the poller already runs). */
  start(): void {
    if (!this.#mapping.enabled || this.running) return;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#loops = Array.from({ length: this.concurrency }, () => this.#loop(signal));
  }

  /**
   * Stops polling and waits for the batches in flight to finish (invoked, and their
   * successful records deleted). Messages received for a batch that had not been invoked yet
   * are made visible again at once.
   *
   * A long poll cut short may still have been handed a message by SQS; that message comes back
   * after its visibility timeout, as with any at-least-once consumer.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  async #loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await this.#gather(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#log(`receive from ${this.#mapping.queueUrl} failed: ${describe(error)}`);
        await delay(RECEIVE_RETRY_DELAY_MS, signal);
        continue;
      }
      if (messages.length === 0) continue;
      if (signal.aborted) {
        await this.#makeVisible(messages);
        break;
      }
      await this.#process(messages);
    }
  }

  /**
   * Gathers one batch: long polls until at least one message arrives, then, with a batching
   * window, keeps receiving until the batch is full or the window has passed. Without a window
   * the batch is what one receive returned.
   */
  async #gather(signal: AbortSignal): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.#mapping;
    const batch: Message[] = [];
    try {
      while (batch.length === 0 && !signal.aborted) {
        batch.push(
          ...(await this.#receive(Math.min(SQS_BATCH_LIMIT, batchSize), LONG_POLL_SECONDS, signal))
        );
      }
      const deadline = Date.now() + maximumBatchingWindowSeconds * 1000;
      while (batch.length < batchSize && !signal.aborted) {
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) break;
        // WaitTimeSeconds is whole seconds: round up, so the window may run over by < 1 s.
        const waitSeconds = Math.min(LONG_POLL_SECONDS, Math.ceil(remainingMs / 1000));
        const wanted = Math.min(SQS_BATCH_LIMIT, batchSize - batch.length);
        batch.push(...(await this.#receive(wanted, waitSeconds, signal)));
      }
    } catch (error) {
      // Stopping cuts the long poll short; whatever was gathered is released by the loop.
      if (!signal.aborted || batch.length === 0) throw error;
    }
    return batch;
  }

  async #receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<Message[]> {
    const response = await this.#sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#mapping.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal }
    );
    return response.Messages ?? [];
  }

  async #process(messages: readonly Message[]): Promise<void> {
    const records = messages.map((message) =>
      toSqsRecord(message, this.#mapping.queueArn, this.#region)
    );
    const unlock = await this.#lockGroups(records);
    try {
      const invocation = await this.#host.invoke({ Records: records });
      const verdict: BatchVerdict = !invocation.ok
        ? { kind: 'failed', error: invocation.error, timedOut: invocation.timedOut }
        : this.#mapping.reportBatchItemFailures
          ? parseBatchResponse(invocation.result, records)
          : { kind: 'succeeded' };
      const failed =
        verdict.kind === 'failed'
          ? new Set(records.map((record) => record.messageId))
          : verdict.kind === 'partial'
            ? verdict.failed
            : new Set<string>();
      await this.#delete(records.filter((record) => !failed.has(record.messageId)));
      this.#options.onBatch?.({
        mappingLogicalId: this.#mapping.logicalId,
        functionLogicalId: this.#mapping.functionLogicalId,
        functionName: this.#host.function.functionName,
        queueArn: this.#mapping.queueArn,
        outcome: verdict.kind,
        records: records.map((record) => ({
          messageId: record.messageId,
          ...eventIdOf(record),
          outcome: failed.has(record.messageId) ? 'failed' : 'succeeded',
          attempt: Number(record.attributes.ApproximateReceiveCount),
        })),
        ...(verdict.kind === 'failed' ? { error: { ...verdict.error } } : {}),
        timedOut: verdict.kind === 'failed' && verdict.timedOut,
        durationMs: invocation.durationMs,
      });
    } finally {
      unlock();
    }
  }

  /**
   * Waits until no other batch holds one of this batch's message groups, then holds them.
   * SQS already withholds a group while one of its messages is in flight; this also covers a
   * visibility timeout shorter than the function's run.
   */
  async #lockGroups(records: readonly SQSRecord[]): Promise<() => void> {
    const groups = [
      ...new Set(
        records
          .map((record) => record.attributes.MessageGroupId)
          .filter((group): group is string => group !== undefined)
      ),
    ];
    if (groups.length === 0) return () => undefined;
    for (;;) {
      const busy = groups.flatMap((group) => this.#groupsInFlight.get(group) ?? []);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const group of groups) this.#groupsInFlight.set(group, held);
    return () => {
      for (const group of groups) {
        if (this.#groupsInFlight.get(group) === held) this.#groupsInFlight.delete(group);
      }
      release();
    };
  }

  async #delete(records: readonly SQSRecord[]): Promise<void> {
    for (const chunk of chunks(records, SQS_BATCH_LIMIT)) {
      try {
        const response = await this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#mapping.queueUrl,
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
            })),
          })
        );
        for (const failure of response.Failed ?? []) {
          this.#log(`delete failed (${failure.Code}): ${failure.Message ?? ''}`);
        }
      } catch (error) {
        // The records come back after their visibility timeout: at least once, never lost.
        this.#log(`delete from ${this.#mapping.queueUrl} failed: ${describe(error)}`);
      }
    }
  }

  /** Returns messages received for a batch that will not run (stopping) to the queue at once. */
  async #makeVisible(messages: readonly Message[]): Promise<void> {
    for (const chunk of chunks(messages, SQS_BATCH_LIMIT)) {
      try {
        await this.#sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#mapping.queueUrl,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          })
        );
      } catch (error) {
        this.#log(`releasing messages of ${this.#mapping.queueUrl} failed: ${describe(error)}`);
      }
    }
  }

  #log(line: string): void {
    this.#options.log?.(`[${this.#mapping.logicalId}] ${line}`);
  }
}

/**
 * Converts a received SQS message into a record of Lambda's SQS event.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event
 */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: Record<string, SQSMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      // Lambda always sends the (reserved, unused) list fields, empty.
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((bytes) =>
        Buffer.from(bytes).toString('base64')
      ),
      dataType: value.DataType ?? 'String',
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined || Object.keys(messageAttributes).length === 0
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Reads a function's response under `ReportBatchItemFailures`, with Lambda's rules: a null or
 * empty response, or a null or empty `batchItemFailures`, is complete success; a response that
 * is not an object, a `batchItemFailures` that is not a list, or an entry whose
 * `itemIdentifier` is missing, null, empty or not a message id of the batch, fails the
 * whole batch.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 */
export function parseBatchResponse(response: unknown, records: readonly SQSRecord[]): BatchVerdict {
  const malformed = (message: string): BatchVerdict => ({
    kind: 'failed',
    error: { name: 'MalformedBatchResponse', message },
    timedOut: false,
  });
  if (response === null || response === undefined) return { kind: 'succeeded' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return malformed('the function response is not a batch response object');
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'succeeded' };
  if (!Array.isArray(failures)) return malformed('batchItemFailures is not a list');
  const ids = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id =
      typeof failure === 'object' && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') {
      return malformed(
        `batchItemFailures has an entry without an itemIdentifier: ${JSON.stringify(failure)}`
      );
    }
    if (!ids.has(id)) return malformed(`itemIdentifier ${id} is not a message of the batch`);
    failed.add(id);
  }
  return failed.size === 0 ? { kind: 'succeeded' } : { kind: 'partial', failed };
}

/** The event id of a record, for the live log. */
function eventIdOf(record: SQSRecord): { eventId?: string } {
  const fromBody = (body: string): string | undefined => {
    try {
      const parsed = JSON.parse(body) as { id?: unknown; Type?: unknown; Message?: unknown };
      if (typeof parsed.id === 'string') return parsed.id;
      // An SNS envelope (subscription without raw message delivery).
      if (parsed.Type === 'Notification' && typeof parsed.Message === 'string') {
        return fromBody(parsed.Message);
      }
    } catch {
      // Not JSON: no id in the body.
    }
    return undefined;
  };
  const eventId =
    fromBody(record.body) ?? record.messageAttributes[MESSAGE_ATTRIBUTES.id]?.stringValue;
  return eventId === undefined ? {} : { eventId };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) {
    result.push(items.slice(index, index + size));
  }
  return result;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Waits `ms`, or less when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
