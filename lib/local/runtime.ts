/**
 * The local runtime: runs the synthesized pipeline on a laptop with no Docker and no AWS
 * account. It synthesizes the app, reads `cdk.out`, starts the emulators, provisions the
 * template on them, hosts every function in worker threads, polls every SQS event source
 * mapping, serves the REST API, writes the outputs file, and hot-swaps functions when their
 * code changes.
 *
 * Hot reload has two paths. A change under `functions/` only, to files the CDK app's own modules
 * do not read, is bundled again in-process for the functions that read the changed files
 * (lib/local/hot-reload.ts) and swapped at once; the normal synth then runs in the background to
 * bring `cdk.out` up to date, and swaps only what still differs. Any other change (`lib/`, or a
 * file such as `functions/shared/contract.ts` that the stacks import) re-synthesizes first, then
 * swaps what changed, so code never runs ahead of its template.
 */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '../../functions/shared/contract.ts';
import {
  DELIVERY_JOURNAL_FILE,
  RUNTIME_STATE_FILE,
  type RuntimeState,
} from '../cli/target-context.ts';
import { ApiCallCounter } from './api-call-counter.ts';
import { readAssembly } from './assembly.ts';
import { DeliveryJournal, deliveryEntries } from './delivery-journal.ts';
import {
  type DynamoDbEngine,
  LOOPBACK,
  type LocalEmulators,
  startLocalEmulators,
} from './emulators.ts';
import { FunctionHost } from './function-host.ts';
import {
  BundlerUnavailableError,
  HotBundler,
  type RebundledFunction,
  sameBundle,
} from './hot-reload.ts';
import type { LocalEventSourceMapping, LocalFunction, LocalStack } from './model.ts';
import { LOCAL_OUTPUTS_FILE, localOutputs, type OutputsFile, writeOutputsFile } from './outputs.ts';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type ProvisionResult,
  provisionStack,
} from './provisioner.ts';
import { RestApiServer } from './rest-api-server.ts';
import { type BatchReport, SqsPoller } from './sqs-poller.ts';
import { isEditorTempFile, LOCAL_SYNTH_CONTEXT, synthesize } from './synth.ts';

/** Credentials the emulators and the REST API's SigV4 check accept. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Quiet time after the last file change before the runtime reloads. */
const WATCH_DEBOUNCE_MS = 300;

/** Folders watched for changes, relative to the project. */
const WATCHED = ['functions', 'lib'] as const;

/** Options of {@link LocalRuntime.start}; every one is optional. */
export interface LocalRuntimeProps {
  /** Project root (where cdk.json is). @default process.cwd() */
  readonly projectDir?: string;
  /** DynamoDB emulator. @default 'dynalite' */
  readonly dynamodb?: DynamoDbEngine;
  /** Port of the REST API server; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Port of the SNS + SQS endpoint; 0 picks a free one. @default 0 */
  readonly messagingPort?: number;
  /** Port of the DynamoDB endpoint; 0 picks a free one. @default 0 */
  readonly dynamoDbPort?: number;
  /** Directory that keeps the emulators' state across restarts. @default - in memory */
  readonly persistDir?: string;
  /** Watch `functions/` and `lib/` and hot-swap changed functions. @default true */
  readonly watch?: boolean;
  /** Synthesize before starting (skipped anyway when nothing changed). @default true */
  readonly synth?: boolean;
  /** Synthesize even when nothing changed. @default false */
  readonly forceSynth?: boolean;
  /** Assembly directory, relative to the project. @default 'cdk.out' */
  readonly outdir?: string;
  /** Outputs file, relative to the project. @default LOCAL_OUTPUTS_FILE */
  readonly outputsFile?: string;
  /**
   * Where the runtime announces itself while it runs (pid and emulator endpoints, read by the
   * CLI), relative to the project. Removed on stop.
   *
   * @default RUNTIME_STATE_FILE
   */
  readonly stateFile?: string;
  /**
   * File of JSON lines, one per delivery, that `pipeline tail` follows; relative to the project.
   *
   * @default DELIVERY_JOURNAL_FILE
   */
  readonly journalFile?: string;
  /** Context passed to the synth. @default LOCAL_SYNTH_CONTEXT */
  readonly context?: Readonly<Record<string, string>>;
  /** Receives every line the runtime prints (summary, handler logs, deliveries). @default console.log */
  readonly log?: (line: string) => void;
}

/** What a started runtime serves. */
export interface RuntimeSummary {
  /** Base URL of the REST API server, e.g. `http://127.0.0.1:3000/`. */
  readonly apiBaseUrl: string;
  /** Emulator endpoints. */
  readonly endpoints: LocalEmulators['endpoints'];
  /** Provisioned stacks. */
  readonly stacks: readonly ProvisionResult[];
  /** The outputs file content. */
  readonly outputs: OutputsFile;
  /** Absolute path of the outputs file. */
  readonly outputsFile: string;
  /** Whether the synth was skipped because nothing changed. */
  readonly synthReused: boolean;
  /** Milliseconds from start() to ready. */
  readonly readyMs: number;
}

interface Clients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

const defaults = {
  dynamodb: 'dynalite' as DynamoDbEngine,
  port: 0,
  messagingPort: 0,
  dynamoDbPort: 0,
  watch: true,
  synth: true,
  forceSynth: false,
  outdir: 'cdk.out',
  outputsFile: LOCAL_OUTPUTS_FILE,
  stateFile: RUNTIME_STATE_FILE,
  journalFile: DELIVERY_JOURNAL_FILE,
  context: LOCAL_SYNTH_CONTEXT,
  log: (line: string) => console.log(line),
};

type RuntimeOptions = typeof defaults & { projectDir: string; persistDir?: string };

/**
 * A running local pipeline.
 *
 * @example
 * const runtime = await LocalRuntime.start({ port: 3000 });
 * console.log(runtime.summary.apiBaseUrl);
 * await runtime.stop();
 */
export class LocalRuntime {
  /**
   * Starts everything and resolves once the pipeline is ready. On failure, whatever was
   * started is stopped again.
   */
  public static async start(props: LocalRuntimeProps = {}): Promise<LocalRuntime> {
    const options: RuntimeOptions = {
      ...defaults,
      ...withoutUndefined(props),
      projectDir: resolve(props.projectDir ?? process.cwd()),
    };
    const runtime = new LocalRuntime(options);
    try {
      await runtime.boot();
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    return runtime;
  }

  private readonly options: RuntimeOptions;
  private readonly started = performance.now();
  private emulators?: LocalEmulators;
  private clients?: Clients;
  private readonly hosts = new Map<string, FunctionHost>();
  private readonly pollers = new Map<
    string,
    { mapping: LocalEventSourceMapping; poller: SqsPoller }
  >();
  private server?: RestApiServer;
  private apiPort = 0;
  private apisKey = '';
  private watchers: FSWatcher[] = [];
  private reloadTimer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private reloadAgain = false;
  /** Files changed since the last reload started (absolute; a watched folder when unknown). */
  private readonly pendingChanges = new Set<string>();
  /** Counts file changes, so that a synth can tell whether the tree changed under it. */
  private changeSeq = 0;
  /** The last synth-and-apply queued (they run one at a time). */
  private syncTail: Promise<void> = Promise.resolve();
  /** A synth-and-apply queued that has not started yet (it will see every change so far). */
  private syncWaiting?: Promise<void>;
  /** Whether the fast path swapped a function since the last synth was applied. */
  private hotSwappedSinceSync = false;
  /** Serializes what changes the hosts: a fast-path swap and applying a synth. */
  private hostsTail: Promise<unknown> = Promise.resolve();
  private hotBundler?: HotBundler;
  private stopping?: Promise<void>;
  private currentSummary?: RuntimeSummary;
  private stateWritten = false;
  private journal?: DeliveryJournal;
  private readonly aborts = new AbortController();
  readonly #apiCalls = new ApiCallCounter();

  private constructor(options: RuntimeOptions) {
    this.options = options;
  }

  /** What the runtime serves (available once started). */
  public get summary(): RuntimeSummary {
    if (!this.currentSummary) throw new Error('the local runtime has not started');
    return this.currentSummary;
  }

  /**
   * The AWS API calls the runtime serves (SNS, SQS, DynamoDB, API Gateway requests, Lambda
   * invocations), for benchmarks: off until `apiCalls.start()`.
   */
  public get apiCalls(): ApiCallCounter {
    return this.#apiCalls;
  }

  /**
   * Stops watching, stops the pollers (in-flight batches finish), closes the REST API server
   * and the function hosts, then the emulators. Safe to call twice.
   */
  public stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const watcher of this.watchers.splice(0)) watcher.close();
    // A synth running for a reload is killed, not waited for; so is a bundle (even a hung one).
    this.aborts.abort();
    const bundlerStopped = this.hotBundler?.stop();
    if (this.stateWritten) await rm(this.statePath, { force: true });
    clearTimeout(this.reloadTimer);
    await this.reloading?.catch(() => undefined);
    await this.syncTail;
    await Promise.allSettled([...this.pollers.values()].map(({ poller }) => poller.stop()));
    this.pollers.clear();
    await this.journal?.close();
    await this.server?.close();
    await Promise.allSettled([...this.hosts.values()].map((host) => host.close()));
    this.hosts.clear();
    await bundlerStopped;
    await this.hotBundler?.dispose();
    await this.emulators?.stop();
    if (this.clients) {
      for (const client of Object.values(this.clients)) client.destroy();
    }
  }

  private get log(): (line: string) => void {
    return this.options.log;
  }

  private async boot(): Promise<void> {
    if (this.options.watch) {
      this.hotBundler = new HotBundler({
        projectDir: this.options.projectDir,
        outdir: resolve(this.options.projectDir, this.options.outdir),
      });
    }
    const synth = await this.synth();
    const assembly = await readAssembly(join(this.options.projectDir, this.options.outdir));
    this.emulators = await startLocalEmulators({
      dynamodb: this.options.dynamodb,
      messagingPort: this.options.messagingPort,
      dynamoDbPort: this.options.dynamoDbPort,
      persistDir:
        this.options.persistDir && resolve(this.options.projectDir, this.options.persistDir),
      counter: this.#apiCalls,
    });
    const endpoints = this.emulators.endpoints;
    const config = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    this.clients = {
      sqs: new SQSClient({ ...config, endpoint: endpoints.sqs }),
      sns: new SNSClient({ ...config, endpoint: endpoints.sns }),
      dynamodb: new DynamoDBClient({ ...config, endpoint: endpoints.dynamodb }),
    };
    const clients = this.clients;
    const provisioned: ProvisionResult[] = [];
    for (const stack of assembly.stacks) {
      provisioned.push(
        await provisionStack(stack, clients, { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID })
      );
    }
    const stacks = provisioned.map((result) => result.stack);
    await this.applyFunctions(stacks);
    await this.applyApis(stacks);
    // Only once the API port is ours: a second runtime that fails to start must not truncate
    // the journal of the one already running.
    this.journal = new DeliveryJournal(resolve(this.options.projectDir, this.options.journalFile));
    this.applyMappings(stacks);
    const outputsFile = resolve(this.options.projectDir, this.options.outputsFile);
    const apiBaseUrl = `http://${LOOPBACK}:${this.apiPort}/`;
    const outputs = localOutputs(stacks, apiBaseUrl);
    await writeOutputsFile(outputsFile, outputs);
    this.currentSummary = {
      apiBaseUrl,
      endpoints,
      stacks: provisioned,
      outputs,
      outputsFile,
      synthReused: synth.reused,
      readyMs: performance.now() - this.started,
    };
    await this.writeState(endpoints);
    for (const line of formatSummary(this.currentSummary)) this.log(line);
    if (this.options.watch) this.startWatching();
    this.log(
      `ready in ${(this.currentSummary.readyMs / 1000).toFixed(1)} s — press Ctrl-C to stop`
    );
    // What the first hot reload needs (esbuild, the bundles' inputs, the CDK app's module graph)
    // is read after "ready", not before: during boot, it delays "ready" on a busy 2-core machine.
    this.hotBundler
      ?.warmUp([...this.hosts.values()].map((host) => host.function))
      .catch((error: Error) => {
        // Stopped before it loaded: nothing went wrong.
        if (this.stopping) return;
        this.log(`the in-process bundler did not start (${error.message}): reloads re-synthesize`);
      });
  }

  private get statePath(): string {
    return resolve(this.options.projectDir, this.options.stateFile);
  }

  private async writeState(endpoints: LocalEmulators['endpoints']): Promise<void> {
    const state: RuntimeState = {
      pid: process.pid,
      endpoints,
      deliveriesFile: this.journal?.path,
    };
    await mkdir(dirname(this.statePath), { recursive: true });
    await writeFile(this.statePath, `${JSON.stringify(state, null, 2)}\n`);
    this.stateWritten = true;
  }

  private async synth(): Promise<{ reused: boolean }> {
    if (!this.options.synth) return { reused: true };
    const result = await synthesize({
      projectDir: this.options.projectDir,
      outdir: this.options.outdir,
      context: this.options.context,
      force: this.options.forceSynth,
      log: this.log,
      signal: this.aborts.signal,
    });
    this.log(
      result.reused
        ? 'cdk.out is up to date (no change in bin/, lib/, functions/, cdk.json, package-lock.json)'
        : `synthesized in ${(result.elapsedMs / 1000).toFixed(1)} s`
    );
    return result;
  }

  /** Starts hosts for new functions, hot-swaps changed ones and closes removed ones. */
  private async applyFunctions(stacks: readonly LocalStack[]): Promise<string[]> {
    const emulators = this.emulators;
    if (!emulators) throw new Error('emulators are not running');
    const wanted = new Map<string, LocalFunction>();
    for (const stack of stacks) for (const fn of stack.functions) wanted.set(fn.logicalId, fn);
    const changed: string[] = [];
    for (const [logicalId, fn] of wanted) {
      const host = this.hosts.get(logicalId);
      if (!host) {
        this.hosts.set(
          logicalId,
          new FunctionHost(fn, {
            endpoints: emulators.endpoints,
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
            log: this.log,
            apiCallCounter: this.#apiCalls,
          })
        );
      } else if (JSON.stringify(host.function) !== JSON.stringify(fn)) {
        const previous = host.function;
        if (
          sameExceptBundleDir(previous, fn) &&
          (await sameBundle(previous.bundleDir, fn.bundleDir))
        ) {
          // Only the bundle's directory changed (e.g. from the fast path's to cdk.out's, or the
          // asset hash of code that bundles the same): no swap.
          host.retarget(fn);
          this.hotBundler?.moved(previous.bundleDir, fn.bundleDir);
        } else {
          await host.replace(fn);
          this.hotBundler?.release(previous.bundleDir);
          changed.push(fn.functionName);
        }
      }
    }
    for (const [logicalId, host] of this.hosts) {
      if (wanted.has(logicalId)) continue;
      for (const [id, entry] of this.pollers) {
        if (entry.mapping.functionLogicalId === logicalId) {
          await entry.poller.stop();
          this.pollers.delete(id);
        }
      }
      await host.close();
      this.hotBundler?.release(host.function.bundleDir);
      this.hosts.delete(logicalId);
    }
    return changed;
  }

  /** Starts pollers for new or changed mappings; stops those that changed or went away. */
  private applyMappings(stacks: readonly LocalStack[]): Promise<void> {
    const clients = this.clients;
    if (!clients) throw new Error('emulators are not running');
    const wanted = new Map<string, LocalEventSourceMapping>();
    for (const stack of stacks) {
      for (const mapping of stack.eventSourceMappings) {
        if (mapping.enabled) wanted.set(mapping.logicalId, mapping);
      }
    }
    const stops: Promise<void>[] = [];
    for (const [id, entry] of this.pollers) {
      const next = wanted.get(id);
      if (next && JSON.stringify(next) === JSON.stringify(entry.mapping)) continue;
      stops.push(entry.poller.stop());
      this.pollers.delete(id);
    }
    for (const [id, mapping] of wanted) {
      if (this.pollers.has(id)) continue;
      const host = this.hosts.get(mapping.functionLogicalId);
      if (!host) continue;
      const subscriber = host.function.environment[ENV.CONSUMER_NAME] ?? host.function.functionName;
      const poller = new SqsPoller(mapping, host, clients.sqs, {
        log: this.log,
        onBatch: (report) => {
          for (const line of formatDeliveries(subscriber, report)) this.log(line);
          this.journal?.append(deliveryEntries(subscriber, report));
        },
      });
      poller.start();
      this.pollers.set(id, { mapping, poller });
    }
    return Promise.all(stops).then(() => undefined);
  }

  /** Serves the REST APIs; restarts the server on the same port when the routes changed. */
  private async applyApis(stacks: readonly LocalStack[]): Promise<void> {
    const apis = stacks.flatMap((stack) => stack.restApis);
    const key = JSON.stringify(apis);
    if (this.server && key === this.apisKey) return;
    await this.server?.close();
    this.server = new RestApiServer(apis, this.hosts, {
      host: LOOPBACK,
      port: this.server ? this.apiPort : this.options.port,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      log: this.log,
      apiCallCounter: this.#apiCalls,
    });
    const { port } = await this.server.listen();
    this.apiPort = port;
    this.apisKey = key;
  }

  private startWatching(): void {
    for (const folder of WATCHED) {
      const path = join(this.options.projectDir, folder);
      try {
        const watcher = watch(path, { recursive: true }, (_event, file) => {
          if (file && /(^|[/\\])(node_modules|\.git)([/\\]|$)/.test(file)) return;
          // An editor's backup, swap or probe file is not a change (nor a synth input).
          if (file && isEditorTempFile(file)) return;
          // Without a file name, the folder: that takes the full path.
          this.pendingChanges.add(file ? join(path, file) : path);
          this.changeSeq += 1;
          this.scheduleReload();
        });
        watcher.on('error', (error) => this.log(`watch ${folder}/ stopped: ${error.message}`));
        this.watchers.push(watcher);
      } catch (error) {
        this.log(`cannot watch ${folder}/: ${(error as Error).message}`);
      }
    }
    this.log(`watching ${WATCHED.map((folder) => `${folder}/`).join(' and ')} for changes`);
  }

  private scheduleReload(): void {
    if (this.stopping) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      if (this.reloading) {
        this.reloadAgain = true;
        return;
      }
      const changes = [...this.pendingChanges];
      this.pendingChanges.clear();
      this.reloading = this.reload(changes).finally(() => {
        this.reloading = undefined;
        if (this.reloadAgain) {
          this.reloadAgain = false;
          this.scheduleReload();
        }
      });
    }, WATCH_DEBOUNCE_MS);
  }

  /**
   * Applies the file changes of one debounced batch. When every changed file is under
   * `functions/`, the fast path bundles the functions that read them in-process and swaps them
   * ({@link hotSwap}), and the synth follows in the background; otherwise (or when the fast path
   * found nothing to swap) the synth decides, as before. A failure keeps the running pipeline as
   * it is.
   */
  private async reload(changes: readonly string[]): Promise<void> {
    if (!this.clients || this.stopping) return;
    const started = performance.now();
    const bundler = this.hotBundler;
    if (
      bundler &&
      changes.length > 0 &&
      changes.every((file) => bundler.isFunctionsFile(file)) &&
      !(await this.appReadsAny(bundler, changes))
    ) {
      let outcome: 'swapped' | 'unchanged' | 'failed';
      try {
        outcome = await this.hotSwap(bundler, changes, started);
      } catch (error) {
        if (this.stopping) return;
        this.log(`reload failed, still running the previous version: ${(error as Error).message}`);
        return;
      }
      // A bundle that does not build would not synthesize either.
      if (outcome === 'failed') return;
      // Not awaited: the next edit does not wait for the synth.
      void this.requestSync(outcome === 'swapped' ? undefined : started);
      return;
    }
    // The CDK app's modules may be among the changes: its module graph is computed again.
    bundler?.appChanged();
    await this.requestSync(started);
  }

  /**
   * Whether the CDK app itself reads one of `changes` (e.g. `functions/shared/contract.ts`, whose
   * env var names the stacks set): swapped first, the code would run against a template that
   * does not match it until the synth ends, so such a change is synthesized first. Also `true`
   * when that cannot be told.
   */
  private async appReadsAny(bundler: HotBundler, changes: readonly string[]): Promise<boolean> {
    try {
      return (await bundler.appReads(changes)).length > 0;
    } catch (error) {
      this.log(
        `cannot tell which files the CDK app reads (${(error as Error).message}): re-synthesizing first`
      );
      return true;
    }
  }

  /**
   * The fast path: bundles again, in-process, the functions whose bundles read a changed file,
   * and hot-swaps those whose bundle changed (queued messages wait for the new workers, as with
   * every swap).
   */
  private hotSwap(
    bundler: HotBundler,
    changes: readonly string[],
    started: number
  ): Promise<'swapped' | 'unchanged' | 'failed'> {
    return this.exclusive(async () => {
      if (this.stopping) return 'unchanged';
      let rebundled: RebundledFunction[];
      try {
        rebundled = await bundler.rebundle(
          [...this.hosts.values()].map((host) => host.function),
          changes
        );
      } catch (error) {
        if (this.stopping) return 'failed';
        if (error instanceof BundlerUnavailableError) {
          this.log(`${error.message}: re-synthesizing instead`);
          return 'unchanged';
        }
        this.log(`reload failed, still running the previous version: ${(error as Error).message}`);
        return 'failed';
      }
      const swapped: string[] = [];
      for (const { fn, bundleDir } of rebundled) {
        const host = this.hosts.get(fn.logicalId);
        if (bundleDir === undefined || !host || this.stopping) continue;
        const previous = host.function.bundleDir;
        await host.replace({ ...host.function, bundleDir });
        bundler.release(previous);
        swapped.push(fn.functionName);
      }
      if (swapped.length === 0) return 'unchanged';
      this.hotSwappedSinceSync = true;
      this.log(
        `reloaded in ${seconds(started)} s: swapped ${swapped.join(', ')} (fast path: bundled in-process; cdk.out is updated in the background)`
      );
      return 'swapped';
    });
  }

  /**
   * Queues a synth-and-apply ({@link sync}); one that is queued but not started yet already
   * covers every change so far, so requests coalesce.
   *
   * @param started when the reload it times started @default - when it starts
   */
  private requestSync(started?: number): Promise<void> {
    if (this.syncWaiting) return this.syncWaiting;
    const run = this.syncTail.then(() => {
      this.syncWaiting = undefined;
      return this.sync(started ?? performance.now());
    });
    this.syncWaiting = run;
    this.syncTail = run;
    return run;
  }

  /**
   * Re-synthesizes, provisions what changed (idempotently: existing queues keep their
   * messages) and hot-swaps the functions that still differ. Never rejects: a failure is logged
   * and keeps the running pipeline as it is.
   */
  private async sync(started: number): Promise<void> {
    const clients = this.clients;
    if (!clients || this.stopping) return;
    const seq = this.changeSeq;
    try {
      const synth = await synthesize({
        projectDir: this.options.projectDir,
        outdir: this.options.outdir,
        context: this.options.context,
        signal: this.aborts.signal,
        // Stopping (Ctrl-C included: the CLI handles it) aborts it, the CDK app included.
        ownProcessGroup: true,
      });
      await this.exclusive(async () => {
        if (this.stopping) return;
        // Files changed while the synth read them: the reload of that change synthesizes again.
        if (this.changeSeq !== seq) {
          this.logDiscarded(started);
          return;
        }
        if (synth.reused && !this.runsHotBundles()) return;
        const hotSwapped = this.hotSwappedSinceSync;
        const assembly = await readAssembly(join(this.options.projectDir, this.options.outdir));
        const provisioned: ProvisionResult[] = [];
        for (const stack of assembly.stacks) {
          provisioned.push(
            await provisionStack(stack, clients, {
              region: LOCAL_REGION,
              accountId: LOCAL_ACCOUNT_ID,
            })
          );
        }
        if (this.stopping) return;
        const stacks = provisioned.map((result) => result.stack);
        const changed = await this.applyFunctions(stacks);
        await this.applyApis(stacks);
        await this.applyMappings(stacks);
        const summary = this.summary;
        const outputs = localOutputs(stacks, summary.apiBaseUrl);
        await writeOutputsFile(summary.outputsFile, outputs);
        this.currentSummary = { ...summary, stacks: provisioned, outputs };
        this.hotSwappedSinceSync = false;
        if (changed.length > 0) {
          this.log(`reloaded in ${seconds(started)} s: swapped ${changed.join(', ')}`);
        } else if (hotSwapped) {
          this.log(
            `cdk.out updated in ${seconds(started)} s (synthesized in the background): nothing else to swap`
          );
        } else {
          this.log(`reloaded in ${seconds(started)} s: no function changed`);
        }
      });
    } catch (error) {
      if (this.stopping) return;
      // A synth of files that changed under it: the reload of that change reports its own.
      if (this.changeSeq !== seq) {
        this.logDiscarded(started);
        return;
      }
      this.log(
        this.hotSwappedSinceSync
          ? `updating cdk.out failed, the hot-swapped code keeps running: ${(error as Error).message}`
          : `reload failed, still running the previous version: ${(error as Error).message}`
      );
    }
  }

  /** One line for a synth set aside because files changed while it ran. */
  private logDiscarded(started: number): void {
    this.log(
      `discarded a synth after ${seconds(started)} s: files changed while it ran, the next reload synthesizes them`
    );
  }

  /** Whether a host runs a bundle of the fast path (not yet one of cdk.out's). */
  private runsHotBundles(): boolean {
    const bundler = this.hotBundler;
    if (!bundler) return false;
    return [...this.hosts.values()].some((host) => bundler.wrote(host.function.bundleDir));
  }

  /** Runs `task` once every earlier one is done (a fast-path swap, or applying a synth). */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.hostsTail.then(task);
    this.hostsTail = run.catch(() => undefined);
    return run;
  }
}

/** The lines printed once the runtime is ready. */
export function formatSummary(summary: RuntimeSummary): string[] {
  const lines: string[] = [];
  for (const result of summary.stacks) {
    const stack = result.stack;
    lines.push(`stack ${stack.stackName}`);
    for (const api of stack.restApis) {
      lines.push(
        `  api       ${summary.apiBaseUrl}${api.stageName}/  (${api.routes.length} routes)`
      );
      for (const route of api.routes) {
        lines.push(
          `              ${route.httpMethod.padEnd(6)} ${route.resourcePath}  [${route.authorizationType}]`
        );
      }
    }
    for (const fn of stack.functions) {
      const name = fn.environment[ENV.CONSUMER_NAME];
      lines.push(`  function  ${fn.functionName}${name ? `  (${name})` : ''}`);
    }
    for (const resource of result.resources) {
      if (resource.type === 'AWS::SQS::Queue') lines.push(`  queue     ${resource.physicalId}`);
      if (resource.type === 'AWS::SNS::Topic') lines.push(`  topic     ${resource.physicalId}`);
      if (resource.type.startsWith('AWS::DynamoDB::'))
        lines.push(`  table     ${resource.physicalId}`);
    }
    const skippedTypes = new Map<string, number>();
    for (const skipped of stack.skipped) {
      skippedTypes.set(skipped.type, (skippedTypes.get(skipped.type) ?? 0) + 1);
    }
    if (skippedTypes.size > 0) {
      lines.push(
        `  not run locally: ${[...skippedTypes].map(([type, count]) => `${type} ×${count}`).join(', ')}`
      );
    }
    for (const note of result.notes) lines.push(`  note: ${note}`);
    for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  }
  lines.push(`  sqs+sns   ${summary.endpoints.sqs}`);
  lines.push(`  dynamodb  ${summary.endpoints.dynamodb}`);
  lines.push(`  outputs   ${summary.outputsFile}`);
  return lines;
}

/**
 * One log line per delivered record: event id, subscriber, outcome, attempt, and why a failed
 * batch failed.
 */
export function formatDeliveries(subscriber: string, report: BatchReport): string[] {
  const reason =
    report.outcome === 'failed' && report.error
      ? ` reason="${report.timedOut ? 'timed out' : `${report.error.name}: ${report.error.message}`}"`
      : '';
  return report.records.map(
    (record) =>
      `delivery  event=${record.eventId ?? record.messageId} subscriber=${subscriber} outcome=${record.outcome} attempt=${record.attempt}${record.outcome === 'failed' ? reason : ''}`
  );
}

/** Seconds since `started` (a `performance.now()`), one decimal. */
function seconds(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(1);
}

/** Whether two functions differ in nothing but their bundle's directory. */
function sameExceptBundleDir(a: LocalFunction, b: LocalFunction): boolean {
  return JSON.stringify({ ...a, bundleDir: '' }) === JSON.stringify({ ...b, bundleDir: '' });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined)
  ) as Partial<T>;
}
