/**
 * The hot reload's bundling thread (see hot-reload.ts): loads the synth's own bundling module
 * (lib/pipeline/esbuild-bundling.ts) and runs esbuild with its options. Loading that module
 * loads aws-cdk-lib, ~0.4 s of CPU that would otherwise stall the runtime's main thread (its
 * pollers and REST API, and the watcher's debounce) right when the first reload is wanted.
 *
 * This file stays within what Node's type stripping runs (the thread starts without the host's
 * loaders); the bundling module itself is loaded through tsx.
 */
import { basename, resolve } from 'node:path';
import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import type * as EsbuildBundling from '../pipeline/esbuild-bundling.ts';

/** The `workerData` the thread is started with. */
export interface BundleWorkerData {
  readonly hotReloadBundler: true;
}

/**
 * What the thread is asked: bundle one entry (absolute path) as if into `outputDir` (nothing is
 * written), or stop esbuild and end.
 */
export type BundleRequest =
  | {
      readonly type: 'bundle';
      readonly id: number;
      readonly entry: string;
      readonly outputDir: string;
    }
  | { readonly type: 'stop' };

/** A file of a bundle: its name in the output directory and its bytes. */
export interface BundleFile {
  readonly name: string;
  readonly contents: Uint8Array;
}

/** What the thread posts. */
export type BundleWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'load-error'; readonly message: string }
  | {
      readonly type: 'bundled';
      readonly id: number;
      readonly files: readonly BundleFile[];
      /** Absolute paths of every file esbuild read (its metafile's inputs). */
      readonly inputs: readonly string[];
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

type Esbuild = Pick<typeof import('esbuild'), 'build' | 'stop'>;

/**
 * How long esbuild's service process is kept after the last bundle: it holds ~150 MB once it
 * has bundled a function, and starting it again costs ~0.1 s on the next reload.
 */
const ESBUILD_IDLE_MS = 60_000;

/** How long the thread waits for esbuild's service process to exit once stopped. */
const REAP_MS = 200;

let bundling = 0;
let idle: NodeJS.Timeout | undefined;

async function serve(port: MessagePort): Promise<void> {
  let module: typeof EsbuildBundling;
  let esbuild: Esbuild;
  try {
    module = (await tsImport(
      '../pipeline/esbuild-bundling.ts',
      import.meta.url
    )) as typeof EsbuildBundling;
    esbuild = await import('esbuild');
  } catch (error) {
    post(port, { type: 'load-error', message: (error as Error).message });
    return;
  }
  port.on('message', (request: BundleRequest) => {
    if (request.type === 'bundle') {
      void bundle(port, module, esbuild, request);
      return;
    }
    // esbuild's service process is this thread's child: end it, and give the thread's event loop
    // a moment to reap it (esbuild does not wait for the exit), before the thread ends.
    clearTimeout(idle);
    void Promise.resolve(esbuild.stop()).then(() => setTimeout(() => port.close(), REAP_MS));
  });
  post(port, { type: 'ready' });
}

async function bundle(
  port: MessagePort,
  module: typeof EsbuildBundling,
  esbuild: Esbuild,
  request: Extract<BundleRequest, { type: 'bundle' }>
): Promise<void> {
  bundling += 1;
  clearTimeout(idle);
  try {
    const result = await esbuild.build({
      ...module.bundleBuildOptions(request.entry, request.outputDir),
      write: false,
      metafile: true,
      // Errors go into the runtime's log line, not straight to stderr.
      logLevel: 'silent',
    });
    // Metafile paths are relative to esbuild's working directory, the process's.
    const cwd = process.cwd();
    post(port, {
      type: 'bundled',
      id: request.id,
      files: (result.outputFiles ?? []).map((file) => ({
        name: basename(file.path),
        contents: file.contents,
      })),
      inputs: Object.keys(result.metafile?.inputs ?? {}).map((file) => resolve(cwd, file)),
    });
  } catch (error) {
    post(port, { type: 'failed', id: request.id, message: (error as Error).message });
  } finally {
    bundling -= 1;
    if (bundling === 0) {
      idle = setTimeout(() => void esbuild.stop(), ESBUILD_IDLE_MS);
      idle.unref();
    }
  }
}

function post(port: MessagePort, message: BundleWorkerMessage): void {
  port.postMessage(message);
}

if (
  !isMainThread &&
  parentPort &&
  (workerData as BundleWorkerData | undefined)?.hotReloadBundler === true
) {
  void serve(parentPort);
}
