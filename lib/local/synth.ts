/**
 * Synthesizes the CDK app for the local runtime with the project's own CDK CLI (bundling on),
 * and skips the synth when nothing it reads has changed since the last one, so a warm start
 * takes no synth at all.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, relative, resolve } from 'node:path';
import { readAssembly } from './assembly.ts';

/** Inputs of the synth, relative to the project: a change in any of them re-synthesizes. */
export const SYNTH_INPUTS = ['bin', 'lib', 'functions', 'cdk.json', 'package-lock.json'] as const;

/** Name of the stamp file the runtime leaves in the assembly directory after a synth. */
export const SYNTH_STAMP_FILE = 'local-runtime.stamp.json';

/**
 * Context the local runtime synthesizes with: the app's cdk-nag checks only validate (the
 * template is the same without them), so they are skipped for a faster start.
 */
export const LOCAL_SYNTH_CONTEXT: Readonly<Record<string, string>> = { nag: 'false' };

/** How long a synth may hold the lock before another runtime considers it abandoned. */
const STALE_LOCK_MS = 10 * 60_000;

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /** Project root (where cdk.json is). */
  readonly projectDir: string;
  /** Assembly directory, relative to the project or absolute. @default 'cdk.out' */
  readonly outdir?: string;
  /**
   * The command that runs the CDK app (`cdk synth --app`), relative to the project.
   *
   * @default - cdk.json's `app`
   */
  readonly app?: string;
  /** Context values passed with `--context key=value`. @default - none */
  readonly context?: Readonly<Record<string, string>>;
  /** Synthesize even when the inputs are unchanged. @default false */
  readonly force?: boolean;
  /** Receives progress lines. @default - silent */
  readonly log?: (line: string) => void;
  /** Aborts the synth (the CDK CLI process is killed). @default - not abortable */
  readonly signal?: AbortSignal;
  /**
   * Runs the CDK CLI in a process group of its own, so that an abort ends the CDK app it started
   * as well (killing the CLI alone leaves the app bundling and writing the assembly after the
   * lock is released). Such a synth no longer gets a terminal's Ctrl-C: only for one that an
   * abort will end, e.g. the local runtime's reloads, which run while it handles stop signals.
   * Ignored on Windows.
   *
   * @default false
   */
  readonly ownProcessGroup?: boolean;
}

/** What {@link synthesize} did. */
export interface SynthResult {
  /** Absolute path of the assembly directory. */
  readonly outdir: string;
  /** `true` when the existing assembly was reused. */
  readonly reused: boolean;
  /** Time spent, in milliseconds. */
  readonly elapsedMs: number;
}

/** The CDK app failed to synthesize. */
export class SynthError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SynthError';
  }
}

interface Stamp {
  readonly inputs: string;
  readonly assembly: string;
}

/**
 * Runs `cdk synth --quiet` through the project's `aws-cdk` package, on the same Node.js as the
 * runtime, unless the assembly in `outdir` was made from the same inputs (and context) and has
 * not been rewritten since (e.g. by `cdk ls`, which writes it with bundling skipped).
 *
 * Concurrent runtimes (an e2e suite and a developer's `npm start`) take turns through a lock
 * directory next to the assembly.
 *
 * @throws SynthError when the CDK CLI fails, with the end of its output
 */
export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const started = performance.now();
  const projectDir = resolve(options.projectDir);
  const outdir = resolve(projectDir, options.outdir ?? 'cdk.out');
  const context = options.context ?? {};
  const hashContext = {
    ...context,
    ...(options.app === undefined ? {} : { '--app': options.app }),
  };
  const releaseLock = await acquireLock(`${outdir}.synth-lock`, options.signal);
  try {
    const inputs = await inputsHash(projectDir, hashContext);
    if (!options.force && (await isCurrent(outdir, inputs))) {
      return { outdir, reused: true, elapsedMs: performance.now() - started };
    }
    options.log?.('synthesizing the CDK app (bundling the functions)…');
    await runCdkSynth(projectDir, outdir, context, options.app, {
      signal: options.signal,
      ownProcessGroup: options.ownProcessGroup === true && process.platform !== 'win32',
    });
    // The app read the files while it ran, not when `inputs` was hashed: a file saved in between
    // (or during its run) is in the assembly but not in `inputs`. Stamped anyway, an undo to the
    // hashed version would later reuse an assembly built from the other one.
    const after = await inputsHash(projectDir, hashContext);
    const stampFile = join(outdir, SYNTH_STAMP_FILE);
    if (after === inputs) {
      await writeFile(
        stampFile,
        `${JSON.stringify({ inputs, assembly: await assemblyHash(outdir) } satisfies Stamp)}\n`
      );
    } else {
      await rm(stampFile, { force: true });
      options.log?.('inputs changed while the CDK app ran: cdk.out is not stamped for reuse');
    }
    return { outdir, reused: false, elapsedMs: performance.now() - started };
  } finally {
    await releaseLock();
  }
}

/**
 * Whether `file` (a name or a path) is an editor's temporary file, not source: a backup (`x~`),
 * a Vim swap file (`.x.swp`) or write probe (`4913`), an Emacs lock (`.#x`) or auto-save (`#x#`),
 * or a `.tmp` file written before a rename. Such files neither reload nor re-synthesize.
 */
export function isEditorTempFile(file: string): boolean {
  const name = basename(file);
  return (
    name.endsWith('~') ||
    /\.sw[a-p]$/.test(name) ||
    name.endsWith('.tmp') ||
    name === '4913' ||
    name.startsWith('.#') ||
    /^#.*#$/.test(name)
  );
}

/**
 * A hash of everything the synth reads: the files under {@link SYNTH_INPUTS} (contents and
 * paths, editors' temporary files left out: {@link isEditorTempFile}) and the context.
 */
export async function inputsHash(
  projectDir: string,
  context: Readonly<Record<string, string>> = {}
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(Object.entries(context).sort()));
  for (const input of SYNTH_INPUTS) {
    for (const file of await listFiles(join(projectDir, input))) {
      hash.update(relative(projectDir, file));
      hash.update('\0');
      hash.update(await readFile(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter(
      (entry) =>
        entry.isFile() &&
        !entry.parentPath.includes('node_modules') &&
        !isEditorTempFile(entry.name)
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A hash of the assembly's JSON files (manifest, templates, asset manifests). */
async function assemblyHash(outdir: string): Promise<string> {
  const hash = createHash('sha256');
  const names = (await readdir(outdir))
    .filter((name) => name.endsWith('.json') && name !== SYNTH_STAMP_FILE)
    .sort();
  for (const name of names) {
    hash.update(name);
    hash.update(await readFile(join(outdir, name)));
  }
  return hash.digest('hex');
}

async function isCurrent(outdir: string, inputs: string): Promise<boolean> {
  const stampFile = join(outdir, SYNTH_STAMP_FILE);
  if (!existsSync(stampFile)) return false;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(stampFile, 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.inputs !== inputs || stamp.assembly !== (await assemblyHash(outdir))) return false;
  // The bundles themselves must still be there.
  const assembly = await readAssembly(outdir).catch(() => undefined);
  return (
    assembly?.stacks.every((stack) =>
      [...stack.assets.values()].every((asset) => !asset.bundlingSkipped && existsSync(asset.path))
    ) ?? false
  );
}

function cdkCli(projectDir: string): string {
  // The project's own CLI first; else the one installed with the runtime.
  for (const base of [join(projectDir, 'package.json'), import.meta.filename]) {
    try {
      return createRequire(base).resolve('aws-cdk/bin/cdk');
    } catch {
      // not installed there
    }
  }
  throw new SynthError('the aws-cdk package is not installed: run `npm ci`');
}

async function runCdkSynth(
  projectDir: string,
  outdir: string,
  context: Readonly<Record<string, string>>,
  app: string | undefined,
  { signal, ownProcessGroup }: { signal?: AbortSignal; ownProcessGroup: boolean }
): Promise<void> {
  const args = [
    cdkCli(projectDir),
    'synth',
    '--quiet',
    '--no-notices',
    '--no-version-reporting',
    // The built-in CloudFormation validation costs ~2 s per synth; the unit tests run it.
    '--no-validation',
    ...(app === undefined ? [] : ['--app', app]),
    '--output',
    outdir,
    ...Object.entries(context).flatMap(([key, value]) => ['--context', `${key}=${value}`]),
  ];
  if (signal?.aborted) throw new SynthError('cdk synth was aborted');
  // The CLI and the app run on the runtime's Node.js (the project pins Node 24 this way).
  const child = spawn(process.execPath, args, {
    cwd: projectDir,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownProcessGroup,
  });
  const kill = () => {
    try {
      if (ownProcessGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  signal?.addEventListener('abort', kill, { once: true });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('exit', (exitCode) => done(exitCode));
  }).finally(() => signal?.removeEventListener('abort', kill));
  if (signal?.aborted) throw new SynthError('cdk synth was aborted');
  if (code !== 0) {
    throw new SynthError(`cdk synth failed (exit code ${code}):\n${output.trim()}`);
  }
}

async function acquireLock(lockDir: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    if (signal?.aborted) throw new SynthError('cdk synth was aborted');
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'pid'), String(process.pid));
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(lockDir)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new SynthError(`another synth holds ${lockDir}; remove it if no runtime is running`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function isStale(lockDir: string): Promise<boolean> {
  const info = await stat(lockDir).catch(() => undefined);
  if (!info) return false;
  if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
  const pid = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''));
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    // The holder is gone without releasing the lock.
    return true;
  }
}
