/**
 * Each function's bundle size and module initialisation time (a cold-start proxy): the bundle
 * from `cdk.out` is imported in a fresh worker thread with the function's Lambda environment,
 * as the function host loads it, and the import is timed.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { lambdaEnvironment } from '../local/function-host.ts';
import { lambdaContextFields } from '../local/lambda-context.ts';
import type { LocalFunction } from '../local/model.ts';
import { median } from './stats.ts';

/** One function's bundle. */
export interface BundleMeasurement {
  readonly functionName: string;
  /** Consumer name, when the function is a consumer. */
  readonly consumer?: string;
  readonly bundleFile: string;
  readonly bytes: number;
  /** Median module initialisation time, ms. */
  readonly initMs: number;
  /** Every sample, ms. */
  readonly samplesMs: readonly number[];
  readonly memorySizeMb: number;
}

const INIT_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const started = performance.now();
import(workerData.url).then(
  () => parentPort.postMessage({ ms: performance.now() - started }),
  (error) => parentPort.postMessage({ error: String(error && error.stack || error) })
);
`;

/** Measures every function; `samples` fresh imports each. */
export async function measureBundles(
  functions: readonly LocalFunction[],
  samples: number
): Promise<BundleMeasurement[]> {
  const results: BundleMeasurement[] = [];
  for (const fn of functions) {
    const bundleFile = ['index.mjs', 'index.js', 'index.cjs']
      .map((name) => join(fn.bundleDir, name))
      .find((file) => existsSync(file));
    if (!bundleFile) continue;
    const context = lambdaContextFields(fn.functionName, 'us-east-1', fn.memorySizeMb);
    const endpoint = 'http://127.0.0.1:9';
    const env = lambdaEnvironment(
      fn,
      {
        endpoints: { sqs: endpoint, sns: endpoint, dynamodb: endpoint },
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        log: () => undefined,
      },
      {
        logGroupName: context.logGroupName,
        logStreamName: context.logStreamName,
        version: context.functionVersion,
      }
    );
    const samplesMs: number[] = [];
    for (let index = 0; index < samples; index += 1) {
      samplesMs.push(await timeImport(pathToFileURL(bundleFile).href, env));
    }
    const consumer = fn.environment.CONSUMER_NAME;
    results.push({
      functionName: fn.functionName,
      ...(consumer ? { consumer } : {}),
      bundleFile,
      bytes: statSync(bundleFile).size,
      initMs: median(samplesMs),
      samplesMs,
      memorySizeMb: fn.memorySizeMb,
    });
  }
  return results;
}

async function timeImport(url: string, env: Record<string, string>): Promise<number> {
  const worker = new Worker(INIT_SCRIPT, {
    eval: true,
    workerData: { url },
    env,
    execArgv: [],
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  try {
    const message = await new Promise<{ ms?: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (message.error !== undefined) throw new Error(`importing ${url} failed: ${message.error}`);
    return message.ms ?? Number.NaN;
  } finally {
    await worker.terminate();
  }
}
