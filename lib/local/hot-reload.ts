/**
 * The fast path of the local runtime's hot reload: when only files under `functions/` changed,
 * the functions whose bundles read them are bundled again here, in the runtime's process, with
 * the synth's own esbuild options (`bundleBuildOptions` of lib/pipeline/esbuild-options.ts, a
 * module without aws-cdk-lib) through esbuild's async API (its own service process), so their
 * hosts can be swapped without waiting for a CDK synth (~4 s). The runtime then brings `cdk.out` up to date with the normal synth in the
 * background.
 *
 * Which functions a changed file affects: those whose last bundle read it. The inputs of a bundle
 * built here are esbuild's metafile inputs; those of a bundle the synth built are the `sources` of
 * its source map (files esbuild read but tree-shook away entirely are missing there; the
 * background synth still catches such a change). The entry of a synthesized bundle is the one
 * `functions/<name>/handler.ts` among its sources: bundle-hash.ts's rule that a folder with a
 * handler file is a function, and that a function never imports another function's folder.
 *
 * New bundles go to fresh directories in a sibling of the assembly (`cdk.hot.out/` next to
 * `cdk.out/`), never into an `asset.<hash>` directory (its hash names what it was built from, and
 * the synth would reuse it). The sibling has the same depth, so the source map's relative paths,
 * and with them every byte, are what the synth writes, and bare imports of external modules
 * resolve to the project's `node_modules` as they do from `cdk.out`.
 */
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { BuildOptions, BuildResult } from 'esbuild';
import { FUNCTIONS_DIR, HANDLER_FILE } from '../pipeline/bundle-hash.ts';
import { bundleBuildOptions, moduleGraphBuildOptions } from '../pipeline/esbuild-options.ts';
import { INIT_TIMEOUT_MS } from './function-host.ts';
import type { LocalFunction } from './model.ts';

/**
 * How long a bundle directory the runtime no longer points at is kept: an execution environment
 * started just before the swap may still be loading from it (for up to {@link INIT_TIMEOUT_MS}).
 */
const RELEASE_DELAY_MS = INIT_TIMEOUT_MS + 20_000;

/**
 * How long esbuild's service process is kept after the last build: it holds ~150 MB once it has
 * bundled a function, and starting it again costs ~0.1 s on the next reload.
 */
const ESBUILD_IDLE_MS = 60_000;

/**
 * How long one build may take (a function bundles in well under a second here): past it, the
 * build fails and esbuild's service process is stopped (the next build starts a new one), so a
 * hung esbuild does not block every later reload.
 */
const BUILD_TIMEOUT_MS = 60_000;

/** The CDK app's entry when cdk.json's `app` names no script file. */
const DEFAULT_APP_ENTRY = 'bin/app.ts';

/** The files one bundle was built from. */
export interface BundleInputs {
  /** Absolute path of the entry, e.g. `/…/functions/audit/handler.ts`. */
  readonly entry: string;
  /** Absolute paths of the files the bundle was built from (the entry included). */
  readonly files: ReadonlySet<string>;
}

/** A function bundled again by {@link HotBundler.rebundle}. */
export interface RebundledFunction {
  /** The function as it was hosted when it was bundled. */
  readonly fn: LocalFunction;
  /** Entry of the bundle, relative to the project. */
  readonly entry: string;
  /** The new bundle directory; `undefined` when the bundle came out byte-for-byte the same. */
  readonly bundleDir?: string;
}

/** Options of {@link HotBundler}. */
export interface HotBundlerOptions {
  /** Absolute path of the project (where `functions/` is). */
  readonly projectDir: string;
  /** Absolute path of the assembly directory the functions' bundles come from. */
  readonly outdir: string;
}

/** A function's bundle did not build; the message has esbuild's errors. */
export class RebundleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RebundleError';
  }
}

/** esbuild could not be loaded: the synth has to do the bundling. */
export class BundlerUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BundlerUnavailableError';
  }
}

/** A file of a bundle: its name in the output directory and its bytes. */
export interface BundleFile {
  readonly name: string;
  readonly contents: Uint8Array;
}

type Esbuild = typeof import('esbuild');

/** A build that writes nothing and reports what it read. */
type InMemoryBuild = BuildOptions & { readonly write: false; readonly metafile: true };

interface BuiltBundle {
  readonly fn: LocalFunction;
  readonly inputs: BundleInputs;
  readonly files: readonly BundleFile[];
  /** Byte for byte the bundle the function runs. */
  readonly unchanged: boolean;
  /**
   * Other file names than the bundle the function runs: that one was not built with these
   * options (e.g. by `NodejsFunction`), so the synth, not the fast path, decides.
   */
  readonly foreign: boolean;
}

/**
 * Bundles functions again in-process after a change under `functions/`.
 *
 * @example
 * const bundler = new HotBundler({ projectDir, outdir: join(projectDir, 'cdk.out') });
 * const rebundled = await bundler.rebundle(functions, ['/…/functions/audit/handler.ts']);
 * // swap the hosts of those with a bundleDir, then:
 * await bundler.dispose();
 */
export class HotBundler {
  /** Directory the new bundles are written under (`cdk.hot.out` for `cdk.out`). */
  public readonly hotRoot: string;
  /** The project as given (maybe through a symlink): the watcher's and the assembly's paths. */
  readonly #givenProjectDir: string;
  /** The project's real path: esbuild reports the files it reads by their real paths. */
  readonly #projectDir: string;
  readonly #functionsDir: string;
  /** Prefix of this runtime's bundle directories: process id and a random part. */
  readonly #prefix = `${process.pid}-${randomBytes(3).toString('hex')}`;
  /** Inputs of a bundle directory; `null` when they cannot be known (not an esbuild bundle). */
  readonly #inputs = new Map<string, BundleInputs | null>();
  /** Bundle directories this runtime wrote, with the timer removing a released one. */
  readonly #written = new Map<string, NodeJS.Timeout | undefined>();
  #esbuild?: Promise<Esbuild>;
  /** Aborted by {@link stop}: fails the builds running and every later one. */
  readonly #stops = new AbortController();
  /** Builds running; esbuild's service process is stopped once idle. */
  #building = 0;
  #idle?: NodeJS.Timeout;
  #sequence = 0;
  /** The files the CDK app's own modules read, once known; reset when they may have changed. */
  #appInputs?: Promise<ReadonlySet<string>>;

  constructor(options: HotBundlerOptions) {
    this.#givenProjectDir = resolve(options.projectDir);
    this.#projectDir = realPath(this.#givenProjectDir);
    this.#functionsDir = join(this.#projectDir, FUNCTIONS_DIR);
    const outdir = resolve(options.outdir);
    const name = basename(outdir);
    this.hotRoot = join(
      dirname(outdir),
      name.endsWith('.out') ? `${name.slice(0, -'.out'.length)}.hot.out` : `${name}.hot`
    );
  }

  /** Whether a change to `file` (absolute) can take the fast path: it is under `functions/`. */
  public isFunctionsFile(file: string): boolean {
    const path = this.#canonical(file);
    return (
      isInside(this.#functionsDir, path) &&
      !relative(this.#functionsDir, path).split(sep).includes('node_modules')
    );
  }

  /**
   * Of `changes` (absolute paths), the files the CDK app itself reads: its own module graph, as
   * esbuild bundles its entry (cdk.json's `app` script, else `bin/app.ts`) with packages left
   * out. Such a file (e.g. `functions/shared/contract.ts`, whose env var names the stacks use)
   * can change the template too, so its change must be synthesized before any code is swapped.
   * The graph is computed once and again after {@link appChanged}.
   *
   * @throws when the app's module graph cannot be computed (e.g. it does not compile)
   */
  public async appReads(changes: readonly string[]): Promise<string[]> {
    const inputs = await this.#appModuleInputs();
    return changes.filter((file) => inputs.has(this.#canonical(file)));
  }

  /** The CDK app's modules may have changed (a change under `lib/` or `bin/`, or to one it reads). */
  public appChanged(): void {
    this.#appInputs = undefined;
  }

  /**
   * Loads esbuild.
   *
   * @throws when esbuild cannot be loaded, or the bundler was stopped (the fast path is then
   * unavailable)
   */
  public async start(): Promise<void> {
    await this.#loadEsbuild();
  }

  /**
   * Prepares the first reload: loads esbuild, reads the hosted bundles' inputs and the CDK app's
   * module graph, and removes the bundle directories of runtimes that are gone.
   *
   * @throws when esbuild cannot be loaded (the fast path is then unavailable)
   */
  public async warmUp(functions: readonly LocalFunction[]): Promise<void> {
    await Promise.all([
      this.start(),
      this.#removeAbandoned(),
      // Unknown is not an error here: the first reload that needs it tries again.
      this.#appModuleInputs().catch(() => undefined),
      ...functions.map((fn) => this.inputsOf(fn.bundleDir)),
    ]);
  }

  /** What the bundle in `bundleDir` was built from, when that can be known. */
  public async inputsOf(bundleDir: string): Promise<BundleInputs | undefined> {
    if (!this.#inputs.has(bundleDir)) {
      this.#inputs.set(bundleDir, (await this.#inputsFromSourceMap(bundleDir)) ?? null);
    }
    return this.#inputs.get(bundleDir) ?? undefined;
  }

  /**
   * Bundles again every function in `functions` whose bundle read one of `changes` (absolute
   * paths), and writes each bundle that changed to a new directory. Nothing is written unless
   * every one of them built.
   *
   * @returns the functions bundled again (none when no bundle read the changed files)
   * @throws RebundleError when a bundle does not build, with esbuild's errors
   * @throws BundlerUnavailableError when esbuild cannot be loaded
   */
  public async rebundle(
    functions: readonly LocalFunction[],
    changes: readonly string[]
  ): Promise<RebundledFunction[]> {
    const changed = changes.map((file) => this.#canonical(file));
    const affected: Array<{ fn: LocalFunction; inputs: BundleInputs }> = [];
    for (const fn of functions) {
      const inputs = await this.inputsOf(fn.bundleDir);
      if (inputs && changed.some((file) => inputs.files.has(file))) affected.push({ fn, inputs });
    }
    if (affected.length === 0) return [];
    await this.start().catch((error: Error) => {
      throw new BundlerUnavailableError(`the in-process bundler did not start: ${error.message}`, {
        cause: error,
      });
    });
    const results = await Promise.allSettled(
      affected.map(({ fn, inputs }) => this.#build(fn, inputs.entry))
    );
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [(result.reason as Error).message] : []
    );
    if (failures.length > 0) throw new RebundleError(failures.join('\n'));
    const built = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : []
    );
    const rebundled: RebundledFunction[] = [];
    for (const bundle of built) {
      const entry = relative(this.#projectDir, bundle.inputs.entry);
      if (bundle.foreign) {
        this.#inputs.set(bundle.fn.bundleDir, null);
        continue;
      }
      if (bundle.unchanged) {
        this.#inputs.set(bundle.fn.bundleDir, bundle.inputs);
        rebundled.push({ fn: bundle.fn, entry });
        continue;
      }
      rebundled.push({ fn: bundle.fn, entry, bundleDir: await this.#write(bundle) });
    }
    return rebundled;
  }

  /**
   * The runtime now loads the function from `to`, a bundle identical to the one in `from`: `to`
   * has the same inputs, and `from` is released.
   */
  public moved(from: string, to: string): void {
    const inputs = this.#inputs.get(from);
    if (inputs && !this.#inputs.has(to)) this.#inputs.set(to, inputs);
    this.release(from);
  }

  /**
   * The runtime no longer points at `bundleDir`: if this bundler wrote it, it is removed once
   * environments that may still be loading from it are done.
   */
  public release(bundleDir: string): void {
    if (!this.#written.has(bundleDir) || this.#written.get(bundleDir) !== undefined) return;
    const timer = setTimeout(() => {
      this.#written.delete(bundleDir);
      this.#inputs.delete(bundleDir);
      // Best effort: whatever is left, a later runtime's warm-up or dispose removes.
      rm(bundleDir, { recursive: true, force: true }).catch(() => undefined);
    }, RELEASE_DELAY_MS);
    timer.unref();
    this.#written.set(bundleDir, timer);
  }

  /** Whether `bundleDir` is a bundle this bundler wrote (not one of the assembly's). */
  public wrote(bundleDir: string): boolean {
    return this.#written.has(bundleDir);
  }

  /**
   * Stops bundling for good: a build still running fails at once (a hung one included), no new
   * one starts, and esbuild's service process is stopped. The bundle directories stay, for the
   * hosts still running from them, until {@link dispose}.
   */
  public async stop(): Promise<void> {
    if (!this.#stops.signal.aborted) this.#stops.abort(new Error('the bundler was stopped'));
    clearTimeout(this.#idle);
    const esbuild = await this.#esbuild?.catch(() => undefined);
    await esbuild?.stop();
  }

  /**
   * Stops bundling ({@link stop}) and removes every bundle directory this bundler wrote. Call
   * once the hosts are closed.
   */
  public async dispose(): Promise<void> {
    await this.stop();
    const dirs = [...this.#written];
    this.#written.clear();
    for (const [, timer] of dirs) clearTimeout(timer);
    await Promise.all(dirs.map(([dir]) => rm(dir, { recursive: true, force: true })));
    await rmdir(this.hotRoot).catch(() => undefined); // only when empty
  }

  #loadEsbuild(): Promise<Esbuild> {
    const { signal } = this.#stops;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (!this.#esbuild) {
      const loading = import('esbuild');
      this.#esbuild = loading;
      // Not cached when it failed: the next reload tries again.
      loading.catch(() => {
        if (this.#esbuild === loading) this.#esbuild = undefined;
      });
    }
    return this.#esbuild;
  }

  /**
   * One esbuild build through its async API, failed at once by {@link stop} or after
   * {@link BUILD_TIMEOUT_MS}; esbuild's service process stops once idle for
   * {@link ESBUILD_IDLE_MS}.
   */
  async #esbuildBuild(options: InMemoryBuild): Promise<BuildResult<InMemoryBuild>> {
    const esbuild = await this.#loadEsbuild();
    const { signal } = this.#stops;
    this.#building += 1;
    clearTimeout(this.#idle);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<BuildResult<InMemoryBuild>>((resolve, reject) => {
        const onStop = () => reject(signal.reason as Error);
        if (signal.aborted) {
          onStop();
          return;
        }
        signal.addEventListener('abort', onStop, { once: true });
        timer = setTimeout(() => {
          reject(new Error(`esbuild did not finish within ${BUILD_TIMEOUT_MS / 1000} s`));
          // Whatever hangs there goes with its process; the next build starts a new one.
          void esbuild.stop();
        }, BUILD_TIMEOUT_MS);
        esbuild
          .build(options)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onStop));
      });
    } finally {
      clearTimeout(timer);
      this.#building -= 1;
      if (this.#building === 0 && !signal.aborted) {
        this.#idle = setTimeout(() => void esbuild.stop(), ESBUILD_IDLE_MS);
        this.#idle.unref();
      }
    }
  }

  /**
   * `file` by its real path, as esbuild reports it: a project reached through a symlink (or a
   * file that is gone, by the project's real path).
   */
  #canonical(file: string): string {
    try {
      return realpathSync(file);
    } catch {
      return this.#underRealProject(resolve(file));
    }
  }

  /** `file` with the project's path as given replaced by its real path. */
  #underRealProject(file: string): string {
    return isInside(this.#givenProjectDir, file)
      ? join(this.#projectDir, relative(this.#givenProjectDir, file))
      : file;
  }

  #appModuleInputs(): Promise<ReadonlySet<string>> {
    if (this.#appInputs) return this.#appInputs;
    const computing = this.#appModuleGraph();
    this.#appInputs = computing;
    // Not cached when it failed: the next reload tries again.
    computing.catch(() => {
      if (this.#appInputs === computing) this.#appInputs = undefined;
    });
    return computing;
  }

  /**
   * The files the CDK app's own modules read: esbuild's metafile inputs of its entry (the script
   * cdk.json's `app` runs) bundled with every package left out (absolute, real paths).
   */
  async #appModuleGraph(): Promise<ReadonlySet<string>> {
    const projectDir = this.#projectDir;
    const result = await this.#esbuildBuild(
      moduleGraphBuildOptions(await appEntry(projectDir), projectDir)
    );
    return new Set(Object.keys(result.metafile.inputs).map((file) => resolve(projectDir, file)));
  }

  async #build(fn: LocalFunction, entry: string): Promise<BuiltBundle> {
    let bundled: { files: readonly BundleFile[]; inputs: readonly string[] };
    try {
      // Any directory as deep as the hot root's subdirectories gives the same bytes; the files
      // are written (once known to have changed) to a directory of their own.
      const result = await this.#esbuildBuild({
        ...bundleBuildOptions(entry, join(this.hotRoot, 'bundle')),
        write: false,
        metafile: true,
        // Errors go into the runtime's log line, not straight to stderr.
        logLevel: 'silent',
      });
      // Metafile paths are relative to esbuild's working directory, the process's.
      const cwd = process.cwd();
      bundled = {
        files: result.outputFiles.map((file) => ({
          name: basename(file.path),
          contents: file.contents,
        })),
        inputs: Object.keys(result.metafile.inputs).map((file) => resolve(cwd, file)),
      };
    } catch (error) {
      throw new RebundleError(
        `bundling ${relative(this.#projectDir, entry)} failed: ${(error as Error).message}`,
        { cause: error }
      );
    }
    const inputs: BundleInputs = { entry, files: new Set(bundled.inputs) };
    const names = bundled.files.map((file) => file.name).sort();
    const current = (await readdir(fn.bundleDir).catch(() => [] as string[])).sort();
    const foreign = names.join('\0') !== current.join('\0');
    const unchanged = !foreign && (await sameFiles(fn.bundleDir, bundled.files));
    return { fn, inputs, files: bundled.files, unchanged, foreign };
  }

  async #write(bundle: BuiltBundle): Promise<string> {
    // A new name every time: a directory released earlier may be being removed.
    this.#sequence += 1;
    const dir = join(this.hotRoot, `${this.#prefix}.${this.#sequence}.${bundle.fn.logicalId}`);
    this.#written.set(dir, undefined);
    await mkdir(dir, { recursive: true });
    await Promise.all(bundle.files.map((file) => writeFile(join(dir, file.name), file.contents)));
    this.#inputs.set(dir, bundle.inputs);
    return dir;
  }

  async #inputsFromSourceMap(bundleDir: string): Promise<BundleInputs | undefined> {
    // An esbuild bundle with a source map: `index.mjs` and `index.mjs.map`, nothing else.
    const names = await readdir(bundleDir).catch(() => [] as string[]);
    const map = names.find((name) => name.endsWith('.map'));
    if (names.length !== 2 || map === undefined || !names.includes(map.slice(0, -'.map'.length))) {
      return undefined;
    }
    let parsed: { sources?: unknown; sourceRoot?: unknown };
    try {
      parsed = JSON.parse(await readFile(join(bundleDir, map), 'utf8')) as typeof parsed;
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed.sources)) return undefined;
    const root =
      typeof parsed.sourceRoot === 'string' && parsed.sourceRoot !== ''
        ? resolve(bundleDir, parsed.sourceRoot)
        : bundleDir;
    const files = new Set(
      parsed.sources
        .filter((source): source is string => typeof source === 'string')
        .map((source) => this.#underRealProject(resolve(root, source)))
    );
    const entries = [...files].filter((file) => this.#isFunctionEntry(file));
    const [entry] = entries;
    return entries.length === 1 && entry !== undefined ? { entry, files } : undefined;
  }

  /** `functions/<name>/handler.ts`. */
  #isFunctionEntry(file: string): boolean {
    if (!isInside(this.#functionsDir, file)) return false;
    const parts = relative(this.#functionsDir, file).split(sep);
    return parts.length === 2 && parts[1] === HANDLER_FILE;
  }

  /** Removes the bundle directories of runtimes whose process is gone. */
  async #removeAbandoned(): Promise<void> {
    const names = await readdir(this.hotRoot).catch(() => [] as string[]);
    await Promise.all(
      names.map(async (name) => {
        const pid = Number(/^(\d+)-/.exec(name)?.[1]);
        if (!pid || pid === process.pid || isAlive(pid)) return;
        await rm(join(this.hotRoot, name), { recursive: true, force: true });
      })
    );
  }
}

/**
 * Whether two bundle directories hold the same files, byte for byte (the function's code did not
 * change even though its directory did).
 */
export async function sameBundle(dirA: string, dirB: string): Promise<boolean> {
  if (resolve(dirA) === resolve(dirB)) return true;
  const names = await readdir(dirB, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: BundleFile[] = [];
  for (const entry of names) {
    if (!entry.isFile()) continue;
    const name = relative(dirB, join(entry.parentPath, entry.name));
    files.push({ name, contents: await readFile(join(dirB, name)) });
  }
  return files.length > 0 && sameFiles(dirA, files);
}

/** Whether `dir` holds exactly `files` (paths relative to `dir`), byte for byte. */
async function sameFiles(dir: string, files: readonly BundleFile[]): Promise<boolean> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
  const expected = files.map((file) => file.name).sort();
  if (names.length !== expected.length || names.some((name, index) => name !== expected[index])) {
    return false;
  }
  for (const file of files) {
    const contents = await readFile(join(dir, file.name)).catch(() => undefined);
    if (!contents || Buffer.compare(contents, file.contents) !== 0) return false;
  }
  return true;
}

/** The script cdk.json's `app` runs (e.g. `node --import tsx bin/app.ts`), else `bin/app.ts`. */
async function appEntry(projectDir: string): Promise<string> {
  let app: unknown;
  try {
    app = (JSON.parse(await readFile(join(projectDir, 'cdk.json'), 'utf8')) as { app?: unknown })
      .app;
  } catch {
    // no cdk.json, or not JSON: the default
  }
  const script =
    typeof app === 'string'
      ? app.split(/\s+/).find((word) => /\.[cm]?[jt]sx?$/.test(word))
      : undefined;
  return resolve(projectDir, script ?? DEFAULT_APP_ENTRY);
}

/** The real path of `path`, or `path` when it does not exist. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(dir: string, file: string): boolean {
  return file.startsWith(dir + sep);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
