/**
 * `npm run test:e2e -- --target local|localstack|aws [vitest args]`: runs the e2e suite against
 * one target. `local` (the default) starts the local runtime; the others read the target's
 * outputs file (`outputs/<target>.json`, written by `npm run deploy` / `npm run deploy:localstack`)
 * and sign with the standard AWS credential chain (LocalStack: `test`/`test`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { outputsFileOf, TARGETS, type TargetName } from '../../lib/cli/target-outputs.ts';

const { values, positionals } = parseArgs({
  options: {
    target: { type: 'string', short: 't', default: 'local' },
    outputs: { type: 'string' },
  },
  allowPositionals: true,
  strict: false,
});
const target = String(values.target) as TargetName;
if (!TARGETS.includes(target)) {
  console.error(`error: --target must be one of ${TARGETS.join(', ')} (given ${target})`);
  process.exit(2);
}
const outputsFile = typeof values.outputs === 'string' ? values.outputs : outputsFileOf(target);
if (target !== 'local' && !existsSync(outputsFile)) {
  const how = target === 'aws' ? 'npm run deploy' : 'npm run deploy:localstack';
  console.error(`error: ${outputsFile} not found: deploy first with \`${how}\``);
  process.exit(3);
}
// vitest exports no path to its CLI; its bin file sits next to its package.json.
const vitest = join(
  dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs'
);
const child = spawn(process.execPath, [vitest, 'run', '--project', 'e2e', ...positionals], {
  stdio: 'inherit',
  env: { ...process.env, E2E_TARGET: target, E2E_OUTPUTS_FILE: outputsFile },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
