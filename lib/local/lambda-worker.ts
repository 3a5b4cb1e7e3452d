/**
 * The entry of one execution environment of a locally hosted Lambda function: a worker thread
 * (started by `function-host.ts`) that loads the function's bundle once, then runs one
 * invocation at a time as the host asks, like Lambda's Node.js runtime interface client.
 *
 * Node runs this file directly (it strips the types itself, no loader), so it is written in
 * erasable TypeScript only and imports nothing from the project but `lambda-context.ts`.
 *
 * The handler is called without a try/catch around it: a rejection travels as the original
 * error object to {@link serializeError}, so the stack trace stays rooted in the handler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileFunction } from 'node:vm';
import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { createLambdaContext, type LambdaContextFields } from './lambda-context.ts';

/** An error as it crosses the thread boundary (and as Lambda reports it). */
export interface SerializedError {
  /** Lambda's `errorType`. */
  readonly name: string;
  /** Lambda's `errorMessage`. */
  readonly message: string;
  readonly stack?: string;
}

/** What the host passes as `workerData`. */
export interface WorkerInit {
  /** The bundle directory (`LAMBDA_TASK_ROOT`). */
  readonly taskRoot: string;
  /** The handler string, e.g. `index.handler`. */
  readonly handler: string;
  /** Whether `(event, context, callback)` handlers are allowed (runtimes before Node.js 24). */
  readonly callbackHandlers: boolean;
  /** Whether `NODE_OPTIONS` asks for `--enable-source-maps`. */
  readonly sourceMaps: boolean;
  /** The context fields of this execution environment. */
  readonly context: LambdaContextFields;
}

/** Host → worker: run one invocation. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly awsRequestId: string;
  /** The event, JSON-encoded (Lambda passes events as JSON). */
  readonly event: string;
  readonly deadlineEpochMs: number;
}

/** Worker → host. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly result: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly ok: false;
      readonly error: SerializedError;
    };

/** A handler as the runtime calls it. */
type Handler = (event: unknown, context: unknown, callback?: Callback) => unknown;
type Callback = (error?: unknown, result?: unknown) => void;

/** An error of the runtime itself, named like Lambda names them (`Runtime.HandlerNotFound`). */
export class LambdaRuntimeError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

/** Turns anything thrown into the shape Lambda reports (`errorType`, `errorMessage`, stack). */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return error.stack === undefined
      ? { name: error.name, message: error.message }
      : { name: error.name, message: error.message, stack: error.stack };
  }
  // Lambda reports a thrown primitive with its JavaScript type as the error type.
  if (typeof error === 'string') return { name: 'string', message: error };
  return { name: typeof error, message: safeStringify(error) };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Makes `.js` files inside the task root load as they would in `/var/task`: CommonJS unless a
 * `package.json` *inside the task root* says `"type": "module"` (or the file has ESM syntax,
 * which Node 22+ detects). Without this, the project's own `"type": "module"` above `cdk.out`
 * would make Node treat a CommonJS bundle as ESM.
 */
function installTaskRootHooks(taskRoot: string): void {
  const root = resolve(taskRoot);
  const rootUrl = pathToFileURL(root.endsWith(sep) ? root : `${root}${sep}`).href;
  registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      if (!url.startsWith(rootUrl) || !url.endsWith('.js')) return loaded;
      const file = fileURLToPath(url);
      const source = loaded.source ?? readFileSync(file);
      return { ...loaded, format: moduleFormat(file, root, source), source };
    },
  });
}

/** How Node would load a `.js` file of the task root if nothing above the task root existed. */
function moduleFormat(
  file: string,
  root: string,
  source: string | ArrayBuffer | ArrayBufferView = readFileSync(file)
): 'module' | 'commonjs' {
  return (
    packageTypeWithin(dirname(file), root) ?? (hasModuleSyntax(source) ? 'module' : 'commonjs')
  );
}

/** The `type` of the nearest `package.json` between `dir` and `root` (inclusive), if any. */
function packageTypeWithin(dir: string, root: string): 'module' | 'commonjs' | undefined {
  for (let current = dir; current.startsWith(root); current = dirname(current)) {
    const manifest = join(current, 'package.json');
    if (existsSync(manifest)) {
      const { type } = JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown };
      return type === 'module' ? 'module' : 'commonjs';
    }
    if (current === root) break;
  }
  return undefined;
}

/** Whether a file fails to compile as a CommonJS function body, i.e. it is an ES module. */
function hasModuleSyntax(source: string | ArrayBuffer | ArrayBufferView): boolean {
  const text =
    typeof source === 'string'
      ? source
      : Buffer.from(
          ArrayBuffer.isView(source) ? source.buffer : source,
          ArrayBuffer.isView(source) ? source.byteOffset : 0,
          ArrayBuffer.isView(source) ? source.byteLength : undefined
        ).toString('utf8');
  try {
    compileFunction(text, ['exports', 'require', 'module', '__filename', '__dirname']);
    return false;
  } catch (error) {
    return error instanceof SyntaxError;
  }
}

/**
 * Loads the handler the way Lambda's runtime resolves a handler string: `dir/module.path.to.fn`
 * → file `dir/module` + `.js`, `.mjs` or `.cjs` in the task root, export `path.to.fn`.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
 */
async function loadHandler(taskRoot: string, handlerString: string): Promise<Handler> {
  const slash = handlerString.lastIndexOf('/');
  const moduleDir = handlerString.slice(0, slash + 1);
  const moduleAndPath = handlerString.slice(slash + 1);
  const dot = moduleAndPath.indexOf('.');
  if (dot <= 0 || dot === moduleAndPath.length - 1) {
    throw new LambdaRuntimeError('Runtime.MalformedHandlerName', `Bad handler ${handlerString}`);
  }
  const moduleName = moduleAndPath.slice(0, dot);
  const exportPath = moduleAndPath.slice(dot + 1).split('.');
  const base = join(taskRoot, moduleDir, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => `${base}${ext}`).find((f) => existsSync(f));
  if (file === undefined) {
    throw new LambdaRuntimeError(
      'Runtime.ImportModuleError',
      `Error: Cannot find module '${moduleDir}${moduleName}'`
    );
  }
  const handler = lookup(await loadModule(file, taskRoot), exportPath);
  if (typeof handler !== 'function') {
    throw new LambdaRuntimeError(
      'Runtime.HandlerNotFound',
      `${moduleDir}${moduleName}.${exportPath.join('.')} is undefined or not exported`
    );
  }
  return handler as Handler;
}

/**
 * Loads a module file of the task root: CommonJS through `require` (importing it would make
 * Node's ESM loader re-enter `require` on the same file), ES modules through `import()`.
 */
async function loadModule(file: string, taskRoot: string): Promise<unknown> {
  if (file.endsWith('.mjs')) return import(pathToFileURL(file).href);
  if (file.endsWith('.js') && moduleFormat(file, resolve(taskRoot)) === 'module') {
    return import(pathToFileURL(file).href);
  }
  return createRequire(file)(file);
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || (typeof current !== 'object' && typeof current !== 'function')) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Calls the handler. Async handlers resolve or reject their promise; callback handlers (only
 * before Node.js 24, which removed them) call the callback.
 */
function callHandler(
  handler: Handler,
  event: unknown,
  context: unknown,
  callbackHandlers: boolean
): Promise<unknown> {
  if (handler.length < 3) {
    // Promise.resolve().then: a synchronous throw becomes a rejection carrying the same error.
    return Promise.resolve().then(() => handler(event, context));
  }
  if (!callbackHandlers) {
    return Promise.reject(
      new LambdaRuntimeError(
        'Runtime.CallbackHandlerDeprecated',
        'callback-based handlers are not supported on Node.js 24 and later; use an async handler'
      )
    );
  }
  return new Promise((resolvePromise, rejectPromise) => {
    const callback: Callback = (error, result) =>
      error === undefined || error === null ? resolvePromise(result) : rejectPromise(error);
    const returned = handler(event, context, callback);
    if (returned instanceof Promise) returned.then(resolvePromise, rejectPromise);
  });
}

async function invoke(
  port: MessagePort,
  handler: Handler,
  init: WorkerInit,
  message: InvokeMessage
): Promise<void> {
  const context = createLambdaContext(init.context, message.awsRequestId, message.deadlineEpochMs);
  const event: unknown = JSON.parse(message.event);
  const reply = (outcome: WorkerMessage) => port.postMessage(outcome);
  await callHandler(handler, event, context, init.callbackHandlers).then(
    (result) => {
      let encoded: string;
      try {
        // Lambda returns the JSON encoding of the result; `undefined` becomes `null`.
        encoded = JSON.stringify(result) ?? 'null';
      } catch (error) {
        const cause = serializeError(error);
        reply({
          type: 'result',
          id: message.id,
          ok: false,
          error: {
            name: 'Runtime.MarshalError',
            message: `Unable to stringify response body: ${cause.message}`,
          },
        });
        return;
      }
      reply({ type: 'result', id: message.id, ok: true, result: encoded });
    },
    (error: unknown) =>
      reply({ type: 'result', id: message.id, ok: false, error: serializeError(error) })
  );
}

async function main(port: MessagePort, init: WorkerInit): Promise<void> {
  if (init.sourceMaps) process.setSourceMapsEnabled(true);
  installTaskRootHooks(init.taskRoot);
  let handler: Handler;
  try {
    handler = await loadHandler(init.taskRoot, init.handler);
  } catch (error) {
    port.postMessage({ type: 'init-error', error: serializeError(error) } satisfies WorkerMessage);
    return;
  }
  port.on('message', (message: InvokeMessage) => {
    void invoke(port, handler, init, message);
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
}

// Only when started as a worker by the function host; importing this module for its types or
// helpers does nothing.
if (!isMainThread && parentPort !== null && (workerData as WorkerInit | undefined)?.taskRoot) {
  void main(parentPort, workerData as WorkerInit);
}
