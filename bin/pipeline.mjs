#!/usr/bin/env node
/**
 * Launcher of the `pipeline` CLI (`npx pipeline …`): runs bin/pipeline.ts through tsx, on the
 * Node.js 24 pinned in devDependencies when the Node.js that started it is too old for the local
 * runtime (22.18 or newer: fauxqs needs node:sqlite, worker threads need type stripping).
 *
 * Plain JavaScript with a shebang on purpose: a package `bin` must be directly executable, or a
 * shell would try to run it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
// 22.18: type stripping on by default, which the runtime's worker threads (function hosts,
// dynalite) rely on; fauxqs itself needs 22.5 (node:sqlite).
if (major < 22 || (major === 22 && minor < 18)) {
  const pinned = join(dirname(self), '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error(
      `error: pipeline needs Node.js 22.18 or newer (this is ${process.version}): run \`npm ci\`, which installs the pinned Node.js 24`
    );
    process.exit(4);
  }
  const child = spawn(pinned, [self, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Pass stop signals on, so that `kill <pid>` of this launcher stops the runtime too (a
  // terminal's Ctrl-C reaches both anyway); exit as the child does.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./pipeline.ts');
}
