/**
 * `npm start` → ready, timed as a user sees it: spawns `node bin/pipeline.mjs start` in a
 * project copy and waits for its "ready in" line; and the hot-reload swap time after a handler
 * edit.
 */
import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One start of the CLI. */
export interface StartTiming {
  /** Spawn → "ready" line, in ms (process start, tsx, synth if any, emulators, provisioning). */
  readonly wallMs: number;
  /** What the runtime itself reported ("ready in X s"), in ms. */
  readonly reportedMs: number;
  /** Whether the synth ran (cold) or the assembly was reused (warm). */
  readonly synthesized: boolean;
}

/** A hot reload after a handler edit. */
export interface ReloadTiming {
  /** File written → "reloaded … swapped" line, in ms (includes the 300 ms watch debounce). */
  readonly wallMs: number;
  /** What the runtime reported ("reloaded in X s"), in ms. */
  readonly reportedMs: number;
  /** The runtime's reload line. */
  readonly line: string;
}

/** A `pipeline start` that did not become ready. */
export class StartFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartFailedError';
  }
}

const START_TIMEOUT_MS = 180_000;

/** Starts the CLI in `projectDir`, waits until ready, and stops it again. */
export async function timeStart(projectDir: string): Promise<StartTiming> {
  const session = await startCli(projectDir, ['--no-watch']);
  await session.stop();
  return session.timing;
}

/**
 * Starts the CLI with watching on, appends an export to a handler (so its bundle changes),
 * waits for the runtime's reload line and stops it.
 */
export async function timeHotReload(
  projectDir: string,
  handlerFile: string
): Promise<ReloadTiming> {
  const session = await startCli(projectDir, []);
  try {
    const reloaded = session.waitFor(/^reloaded in ([\d.]+) s: (.*)$/, START_TIMEOUT_MS);
    const written = performance.now();
    await appendFile(
      join(projectDir, handlerFile),
      `\n/** Added by the benchmark to time a hot reload. */\nexport const benchReloadMarker = ${Date.now()};\n`
    );
    const { line, match } = await reloaded;
    const wallMs = performance.now() - written;
    if (!/swapped/.test(line)) {
      throw new StartFailedError(`the reload swapped nothing: ${line}`);
    }
    return { wallMs, reportedMs: Number(match[1]) * 1000, line };
  } finally {
    await session.stop();
  }
}

interface CliSession {
  readonly timing: StartTiming;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<{ line: string; match: RegExpExecArray }>;
  stop(): Promise<void>;
}

async function startCli(projectDir: string, flags: readonly string[]): Promise<CliSession> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/pipeline.mjs', 'start', '--port', '0', ...flags], {
    cwd: projectDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  const output: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    output.push(line);
    if (output.length > 200) output.shift();
    for (const watcher of watchers) watcher(line);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  );
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<{ line: string; match: RegExpExecArray }>((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(
          new StartFailedError(
            `no line matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`
          )
        );
      }, timeoutMs);
      const watcher = (line: string) => {
        const match = pattern.exec(line);
        if (!match) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolve({ line, match });
      };
      watchers.add(watcher);
      void exited.then((code) => {
        if (!watchers.has(watcher)) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        reject(
          new StartFailedError(`pipeline start exited (${code}):\n${output.slice(-20).join('\n')}`)
        );
      });
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const ready = await waitFor(/^ready in ([\d.]+) s/, START_TIMEOUT_MS);
    const wallMs = performance.now() - started;
    return {
      timing: {
        wallMs,
        reportedMs: Number(ready.match[1]) * 1000,
        synthesized: output.some((line) => line.startsWith('synthesized in')),
      },
      waitFor,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
