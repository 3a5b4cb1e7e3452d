/**
 * Synthesizes the soak's CDK app (`soak-app.ts`) into its own assembly directory with the
 * project's CDK CLI (bundling on), and skips the synth when nothing it reads has changed, like
 * the local runtime does for `bin/app.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { inputsHash, SynthError } from '../local/synth.ts';

/** Assembly directory of the soak, relative to the project (ignored by git as `cdk.*.out/`). */
export const SOAK_OUTDIR = 'cdk.soak.out';

const STAMP_FILE = 'soak.stamp.json';
const LOCK_WAIT_MS = 10 * 60_000;

/** What {@link synthesizeSoakApp} did. */
export interface SoakSynthResult {
  /** Assembly directory, relative to the project. */
  readonly outdir: string;
  /** `true` when the existing assembly was reused. */
  readonly reused: boolean;
  readonly elapsedMs: number;
}

/**
 * Synthesizes `lib/soak/soak-app.ts` into {@link SOAK_OUTDIR} unless its inputs are unchanged.
 *
 * @throws SynthError when the CDK CLI fails, with the end of its output
 */
export async function synthesizeSoakApp(projectDir: string): Promise<SoakSynthResult> {
  const started = performance.now();
  const outdir = resolve(projectDir, SOAK_OUTDIR);
  const app = relative(projectDir, join(import.meta.dirname, 'soak-app.ts'));
  const release = await lock(`${outdir}.synth-lock`);
  try {
    const inputs = await inputsHash(projectDir, { app });
    const stampFile = join(outdir, STAMP_FILE);
    const stamp = existsSync(stampFile) ? await readFile(stampFile, 'utf8') : '';
    if (stamp.trim() === inputs) {
      return { outdir: SOAK_OUTDIR, reused: true, elapsedMs: performance.now() - started };
    }
    await runCdk(projectDir, [
      'synth',
      '--quiet',
      '--no-notices',
      '--no-version-reporting',
      '--app',
      `${JSON.stringify(process.execPath)} --import tsx ${app}`,
      '--output',
      outdir,
    ]);
    await writeFile(stampFile, `${inputs}\n`);
    return { outdir: SOAK_OUTDIR, reused: false, elapsedMs: performance.now() - started };
  } finally {
    await release();
  }
}

async function runCdk(projectDir: string, args: readonly string[]): Promise<void> {
  const cli = createRequire(join(projectDir, 'package.json')).resolve('aws-cdk/bin/cdk');
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: projectDir,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('exit', done);
  });
  if (code !== 0)
    throw new SynthError(`cdk synth of the soak app failed (exit code ${code}):\n${output.trim()}`);
}

/** A lock directory, so that two soaks (a test and a CLI run) do not synthesize at once. */
async function lock(dir: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
    if (holder && !isAlive(holder)) {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new SynthError(`another soak synth holds ${dir}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
