/**
 * Runs the project's own cdk or cdklocal CLI (from node_modules, on the Node.js running this
 * process) in the project root, streaming its output and keeping the end of its stderr so a
 * failure can be explained.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from '../cli-error.ts';

/** The two CLIs: `cdk` (package aws-cdk) and `cdklocal` (package aws-cdk-local, wraps aws-cdk). */
export type CdkTool = 'cdk' | 'cdklocal';

/** The project root: where cdk.json is, whatever the caller's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const PACKAGES: Record<CdkTool, { readonly name: string; readonly bin: string }> = {
  cdk: { name: 'aws-cdk', bin: 'bin/cdk' },
  cdklocal: { name: 'aws-cdk-local', bin: 'bin/cdklocal' },
};

/** Absolute path of a tool's entry script, or a CliError saying how to install it. */
export function toolEntry(tool: CdkTool): string {
  const { name, bin } = PACKAGES[tool];
  const require = createRequire(join(PROJECT_ROOT, 'package.json'));
  let entry: string | undefined;
  try {
    entry = join(dirname(require.resolve(`${name}/package.json`)), bin);
  } catch {
    entry = undefined;
  }
  if (!entry || !existsSync(entry)) {
    throw new CliError(
      `${tool} is not installed (npm package ${name}): run \`npm ci\` in ${PROJECT_ROOT}`,
      EXIT.FAILED
    );
  }
  return entry;
}

/** A cdk run to start. */
export interface CdkRun {
  readonly tool: CdkTool;
  readonly args: readonly string[];
  /** The child's whole environment (not merged with this process's). */
  readonly env: NodeJS.ProcessEnv;
  /** Send cdk's stdout to our stderr, keeping stdout for one JSON document (`--json`). */
  readonly stdoutToStderr?: boolean;
}

/** How a cdk run ended. */
export interface CdkResult {
  /** Exit code, `null` when killed by a signal. */
  readonly exitCode: number | null;
  /** The last {@link STDERR_TAIL_CHARS} characters cdk wrote to stderr. */
  readonly stderrTail: string;
}

/** Runs cdk; the seam tests replace. */
export type CdkRunner = (run: CdkRun) => Promise<CdkResult>;

/** How much of cdk's stderr is kept for {@link explainCdkFailure}. */
export const STDERR_TAIL_CHARS = 64 * 1024;

/**
 * Runs `node <tool entry> ...args` in {@link PROJECT_ROOT}. stdin is inherited, so cdk's approval
 * prompt works; stderr is shown as it comes and its tail kept.
 */
export const runCdk: CdkRunner = (run) => {
  const entry = toolEntry(run.tool);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...run.args], {
      cwd: PROJECT_ROOT,
      env: run.env,
      stdio: ['inherit', run.stdoutToStderr ? 'pipe' : 'inherit', 'pipe'],
    });
    let tail = '';
    child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code, stderrTail: tail }));
  });
};

/**
 * The environment cdk runs with on AWS: this process's, plus no version check (it would reach
 * for the network) and colours kept although stderr is a pipe.
 */
export function awsCdkEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    CDK_DISABLE_VERSION_CHECK: '1',
    ...(process.stderr.isTTY && base.FORCE_COLOR === undefined ? { FORCE_COLOR: '1' } : {}),
  };
}
