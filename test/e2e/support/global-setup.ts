/**
 * Global setup of the e2e suite. By default it starts the local runtime (synth, emulators,
 * functions, REST API) once for the whole suite; `E2E_TARGET=localstack|aws` instead points the
 * suite at an existing deployment's outputs file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { outputsFileOf, TARGETS, type TargetName } from '../../../lib/cli/target-outputs.ts';
import { LocalRuntime } from '../../../lib/local/runtime.ts';
import './e2e-target.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const target = (process.env.E2E_TARGET ?? 'local') as TargetName;
  if (!TARGETS.includes(target)) {
    throw new Error(`E2E_TARGET must be one of ${TARGETS.join(', ')} (given ${target})`);
  }
  if (target !== 'local') {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    project.provide('e2e', {
      target,
      outputsFile: resolve(process.env.E2E_OUTPUTS_FILE ?? outputsFileOf(target)),
      endpoints: endpoint ? { sqs: endpoint, dynamodb: endpoint } : undefined,
      testHooks: true,
    });
    return async () => {};
  }
  // The suite's runtime writes its own outputs file, so a developer's `npm start` is untouched.
  const scratch = await mkdtemp(join(tmpdir(), 'pipeline-e2e-'));
  const outputsFile = join(scratch, 'local.json');
  const logs: string[] = [];
  const runtime = await LocalRuntime.start({
    watch: false,
    outputsFile,
    stateFile: join(scratch, 'runtime.json'),
    journalFile: join(scratch, 'deliveries.jsonl'),
    log: (line) => {
      logs.push(line);
      if (process.env.E2E_VERBOSE) console.log(line);
    },
  });
  project.provide('e2e', {
    target,
    outputsFile,
    endpoints: { sqs: runtime.summary.endpoints.sqs, dynamodb: runtime.summary.endpoints.dynamodb },
    runtimeStateFile: join(scratch, 'runtime.json'),
    testHooks: true,
  });
  return async () => {
    await runtime.stop();
    await rm(scratch, { recursive: true, force: true });
  };
}
