/**
 * Hosts one Lambda function of the synthesized template: runs its bundle from `cdk.out` in a
 * pool of worker threads, one invocation at a time per worker, like Lambda's execution
 * environments.
 *
 * Why worker threads rather than child processes: the local runtime keeps one warm environment
 * per concurrent invocation of every function, and a worker costs ~4 MB before the bundle
 * loads where a child process costs a whole Node.js process (~44 MB; measured on the 2-core
 * dev machines, where both start in ~70 ms). Workers also die with the runtime, so Ctrl-C
 * can leave no orphan process behind, and messages cross a port without a pipe protocol.
 * Each worker has its own V8 isolate, module cache, globals and `process.env`, and
 * `process.exit()` in a worker ends only that worker, so functions are isolated from each
 * other and from the runtime.
 *
 * Isolation limits, compared with Lambda's micro-VMs: the process is shared, so the time zone
 * (`TZ` is process-wide; run the runtime itself with `TZ=UTC`), the current directory (a worker
 * cannot `chdir` to `LAMBDA_TASK_ROOT`), process signals, native addons and the Node.js version
 * (the runtime's, not the template's `Runtime`) are the host's. Memory is bounded through the
 * worker's V8 heap limit (the function's `MemorySize`), not the whole footprint; CPU is not
 * bounded at all. `/tmp` is the host's temporary directory, shared by all functions.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { ApiCallCounter } from './api-call-counter.ts';
import { lambdaContextFields } from './lambda-context.ts';
import type { InvokeMessage, SerializedError, WorkerInit, WorkerMessage } from './lambda-worker.ts';
import type { LocalFunction } from './model.ts';

/**
 * Concurrent invocations of one function when neither its reserved concurrency nor
 * {@link FunctionHostOptions.maxConcurrency} sets a lower limit. Lambda's own limit is the
 * account's (1,000); locally each concurrent invocation is a worker thread, so it is kept small.
 */
export const DEFAULT_FUNCTION_CONCURRENCY = 10;

/**
 * How long a new execution environment may take to load the bundle (Lambda's init phase limit).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 */
export const INIT_TIMEOUT_MS = 10_000;

/** Largest event and result of a synchronous invocation (Lambda's 6 MB payload quota). */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Where the function's AWS SDK clients go, and as whom. */
export interface FunctionHostOptions {
  /** Emulator endpoints, passed to the function as `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly endpoints: { readonly sqs: string; readonly sns: string; readonly dynamodb: string };
  /** The region the function believes it runs in (`AWS_REGION`). */
  readonly region: string;
  /** The credentials the function's SDK clients use (the emulators accept `test`/`test`). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Receives every line the handler writes to stdout/stderr, prefixed with the function name. */
  readonly log: (line: string) => void;
  /**
   * An extra cap on concurrent invocations, on top of the function's reserved concurrency.
   *
   * @default DEFAULT_FUNCTION_CONCURRENCY when the function has no reserved concurrency
   */
  readonly maxConcurrency?: number;
  /** Counts invocations and their duration (when counting is on). @default - none */
  readonly apiCallCounter?: ApiCallCounter;
}

/** The outcome of one invocation. */
export type InvocationResult =
  | { readonly ok: true; readonly result: unknown; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly error: { name: string; message: string; stack?: string };
      readonly timedOut: boolean;
      readonly durationMs: number;
    };

/** Raised into a waiting invocation when the host is closed under it. */
export class FunctionHostClosedError extends Error {
  constructor(functionName: string) {
    super(`the host of function ${functionName} was closed`);
    this.name = 'FunctionHostClosedError';
  }
}

/** How an execution environment finished one invocation. */
type Outcome =
  | { readonly ok: true; readonly result: string }
  | { readonly ok: false; readonly error: SerializedError; readonly timedOut: boolean };

/**
 * Runs a {@link LocalFunction}'s handler in worker threads, with Lambda's environment
 * variables, context, timeout and concurrency limit.
 *
 * @example
 * const host = new FunctionHost(fn, { endpoints, region: 'us-east-1', credentials, log: console.log });
 * const outcome = await host.invoke({ hello: 'world' });
 * await host.close();
 */
export class FunctionHost {
  #fn: LocalFunction;
  readonly #options: FunctionHostOptions;
  #generation = 0;
  #inFlight = 0;
  #closed = false;
  /** Warm environments of the current generation, most recently used last. */
  readonly #idle: ExecutionEnvironment[] = [];
  readonly #all = new Set<ExecutionEnvironment>();
  readonly #waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(fn: LocalFunction, options: FunctionHostOptions) {
    this.#fn = fn;
    this.#options = options;
  }

  /** The function currently hosted (the latest one passed to {@link replace}). */
  get function(): LocalFunction {
    return this.#fn;
  }

  /**
   * How many invocations may run at once: the smallest of the function's reserved concurrency
   * and {@link FunctionHostOptions.maxConcurrency}, or {@link DEFAULT_FUNCTION_CONCURRENCY}.
   */
  get concurrencyLimit(): number {
    const limits = [this.#fn.reservedConcurrency, this.#options.maxConcurrency].filter(
      (limit): limit is number => limit !== undefined
    );
    return limits.length === 0 ? DEFAULT_FUNCTION_CONCURRENCY : Math.min(...limits);
  }

  /** Invocations running right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Invokes the function synchronously (`RequestResponse`) with `event`, waiting for a free
   * execution environment when the concurrency limit is reached. Never rejects: every failure
   * (handler error, timeout, crash, throttling) is an `{ ok: false }` result.
   */
  async invoke(event: unknown): Promise<InvocationResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const fail = (error: SerializedError, timedOut = false): InvocationResult => ({
      ok: false,
      error: { ...error },
      timedOut,
      durationMs: elapsed(),
    });
    if (this.concurrencyLimit <= 0) {
      // Reserved concurrency 0 throttles every invocation.
      return fail({ name: 'TooManyRequestsException', message: 'Rate Exceeded.' });
    }
    const payload = JSON.stringify(event) ?? 'null';
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      return fail({
        name: 'RequestTooLargeException',
        message: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      });
    }
    try {
      await this.#acquire();
    } catch (error) {
      return fail(toSerializedError(error));
    }
    try {
      const counter = this.#options.apiCallCounter;
      const runStarted = counter?.enabled ? performance.now() : 0;
      const outcome = await this.#run(payload);
      if (counter?.enabled && runStarted > 0) {
        const records = (event as { Records?: unknown } | null)?.Records;
        counter.countInvocation(
          this.#fn.functionName,
          this.#fn.memorySizeMb,
          performance.now() - runStarted,
          Array.isArray(records) ? records.length : 0
        );
      }
      if (!outcome.ok) return fail(outcome.error, outcome.timedOut);
      if (Buffer.byteLength(outcome.result) > MAX_PAYLOAD_BYTES) {
        return fail({
          name: 'Function.ResponseSizeTooLarge',
          message: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
        });
      }
      return { ok: true, result: JSON.parse(outcome.result) as unknown, durationMs: elapsed() };
    } finally {
      this.#release();
    }
  }

  /**
   * Hot swap: invocations that start after this call run `fn` (new workers load its bundle);
   * invocations already running finish on the old code, whose workers are then discarded.
   */
  async replace(fn: LocalFunction): Promise<void> {
    this.#fn = fn;
    this.#generation += 1;
    const stale = this.#idle.splice(0);
    await Promise.all(stale.map((environment) => environment.terminate()));
  }

  /**
   * Points the host at `fn` without a swap, for a function whose code and configuration are the
   * same and only its bundle moved (e.g. from the hot reload's directory to the one the synth
   * wrote, byte for byte the same): warm environments keep running; new ones load `fn`.
   */
  retarget(fn: LocalFunction): void {
    this.#fn = fn;
  }

  /**
   * Stops every worker. Invocations still running or waiting fail with
   * {@link FunctionHostClosedError}; stop the event sources first to let them finish.
   *
   * Warm workers keep the process alive (their piped stdout holds it), so a host must be
   * closed for the process to exit.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) {
      waiter.reject(new FunctionHostClosedError(this.#fn.functionName));
    }
    this.#idle.splice(0);
    const closed = toSerializedError(new FunctionHostClosedError(this.#fn.functionName));
    await Promise.all([...this.#all].map((environment) => environment.terminate(closed)));
  }

  #acquire(): Promise<void> {
    if (this.#closed) return Promise.reject(new FunctionHostClosedError(this.#fn.functionName));
    if (this.#inFlight < this.concurrencyLimit) {
      this.#inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(): void {
    this.#inFlight -= 1;
    while (this.#waiting.length > 0 && this.#inFlight < this.concurrencyLimit) {
      this.#inFlight += 1;
      this.#waiting.shift()?.resolve();
    }
  }

  async #run(payload: string): Promise<Outcome> {
    const environment = this.#idle.pop() ?? this.#spawn();
    const initError = await environment.ready;
    if (initError !== undefined) {
      await environment.terminate();
      return { ok: false, error: initError, timedOut: false };
    }
    const outcome = await environment.invoke(payload, this.#fn.timeoutSeconds);
    if (
      environment.alive &&
      !this.#closed &&
      environment.generation === this.#generation &&
      // A handler error leaves the environment warm, as on Lambda; a timeout already killed it.
      (outcome.ok || !outcome.timedOut)
    ) {
      this.#idle.push(environment);
    } else {
      await environment.terminate();
    }
    return outcome;
  }

  #spawn(): ExecutionEnvironment {
    const environment = new ExecutionEnvironment(this.#fn, this.#options, this.#generation, () => {
      this.#all.delete(environment);
      const index = this.#idle.indexOf(environment);
      if (index >= 0) this.#idle.splice(index, 1);
    });
    this.#all.add(environment);
    return environment;
  }
}

/**
 * The environment variables Lambda sets, over the function's own (Lambda rejects user values
 * for its reserved names, so the runtime's always win).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export function lambdaEnvironment(
  fn: LocalFunction,
  options: FunctionHostOptions,
  context: {
    readonly logGroupName: string;
    readonly logStreamName: string;
    readonly version: string;
  }
): Record<string, string> {
  const env: Record<string, string> = {
    ...fn.environment,
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: options.endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: options.endpoints.sns,
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: context.version,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: context.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: context.logStreamName,
    LAMBDA_TASK_ROOT: fn.bundleDir,
    _HANDLER: fn.handler,
    TZ: 'UTC',
    LANG: 'en_US.UTF-8',
  };
  // The handler may spawn tools; Lambda's PATH has the runtime's bin directories.
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  return env;
}

/** Whether the runtime identifier is Node.js 24 or later (no callback handlers). */
function isNode24OrLater(runtime: string): boolean {
  const major = /^nodejs(\d+)/.exec(runtime)?.[1];
  return major === undefined || Number(major) >= 24;
}

/** One worker thread: a warm execution environment of one version of the function. */
class ExecutionEnvironment {
  readonly generation: number;
  /** Resolves once the bundle is loaded: `undefined`, or the init error. */
  readonly ready: Promise<SerializedError | undefined>;
  #alive = true;
  #nextId = 0;
  #crash: Error | undefined;
  #pending: ((outcome: Outcome) => void) | undefined;
  #exited: Promise<void>;
  readonly #worker: Worker;
  readonly #log: (line: string) => void;

  constructor(
    fn: LocalFunction,
    options: FunctionHostOptions,
    generation: number,
    onExit: () => void
  ) {
    this.generation = generation;
    this.#log = (line) => options.log(`[${fn.functionName}] ${line}`);
    const context = lambdaContextFields(fn.functionName, options.region, fn.memorySizeMb);
    const env = lambdaEnvironment(fn, options, {
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      version: context.functionVersion,
    });
    const init: WorkerInit = {
      taskRoot: fn.bundleDir,
      handler: fn.handler,
      callbackHandlers: !isNode24OrLater(fn.runtime),
      sourceMaps: /--enable-source-maps\b/.test(fn.environment.NODE_OPTIONS ?? ''),
      context,
    };
    this.#worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      name: fn.functionName,
      workerData: init,
      env,
      // The worker must not inherit the host's loaders (tsx, vitest): Node strips the worker's
      // types itself, and the bundle must load as plain Node.js loads it on Lambda.
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: fn.memorySizeMb },
    });
    this.#pipe(this.#worker.stdout);
    this.#pipe(this.#worker.stderr);

    let settleReady: (error: SerializedError | undefined) => void = () => undefined;
    this.ready = new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          resolve({
            name: 'Runtime.InitTimeout',
            message: `init did not finish within ${INIT_TIMEOUT_MS / 1000} seconds`,
          }),
        INIT_TIMEOUT_MS
      );
      settleReady = (error) => {
        clearTimeout(timer);
        resolve(error);
      };
    });
    this.#worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') settleReady(undefined);
      else if (message.type === 'init-error') settleReady(message.error);
      else this.#settle(message.ok ? message : { ...message, timedOut: false });
    });
    // 'error' (an uncaught exception, an unhandled rejection, out of memory) comes before 'exit'.
    this.#worker.on('error', (error) => {
      this.#crash = error;
    });
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#alive = false;
        const error = this.#crashError(code);
        settleReady(error);
        this.#settle({ ok: false, error, timedOut: false });
        onExit();
        resolve();
      });
    });
  }

  /** Whether the worker is still running. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Runs one invocation; kills the worker when it exceeds the function's timeout. */
  invoke(payload: string, timeoutSeconds: number): Promise<Outcome> {
    if (!this.#alive) {
      return Promise.resolve({ ok: false, error: this.#crashError(undefined), timedOut: false });
    }
    const id = this.#nextId++;
    const timeoutMs = timeoutSeconds * 1000;
    const awsRequestId = randomUUID();
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        const message = `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
        this.#log(`${awsRequestId} ${message}`);
        this.#settle({ ok: false, error: { name: 'Sandbox.Timedout', message }, timedOut: true });
        void this.terminate();
      }, timeoutMs);
      this.#pending = (outcome) => {
        clearTimeout(timer);
        this.#pending = undefined;
        resolve(outcome);
      };
      const message: InvokeMessage = {
        type: 'invoke',
        id,
        awsRequestId,
        event: payload,
        deadlineEpochMs: Date.now() + timeoutMs,
      };
      this.#worker.postMessage(message);
    });
  }

  /**
   * Stops the worker (idempotent) and waits until it has exited.
   *
   * @param reason - what a running invocation fails with
   */
  async terminate(reason?: SerializedError): Promise<void> {
    if (reason !== undefined) this.#settle({ ok: false, error: reason, timedOut: false });
    if (this.#alive) await this.#worker.terminate();
    await this.#exited;
  }

  #settle(outcome: Outcome): void {
    this.#pending?.(outcome);
  }

  #crashError(code: number | undefined): SerializedError {
    if (this.#crash !== undefined) {
      const error = toSerializedError(this.#crash);
      const code = (this.#crash as { code?: unknown }).code;
      return code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? { ...error, name: 'Runtime.OutOfMemory' }
        : error;
    }
    return {
      name: 'Runtime.ExitError',
      message: `Runtime exited${code === undefined ? '' : ` with error: exit status ${code}`}`,
    };
  }

  #pipe(stream: Readable): void {
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => this.#log(line));
  }
}

function toSerializedError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return error.stack === undefined
      ? { name: error.name, message: error.message }
      : { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: 'Error', message: String(error) };
}
