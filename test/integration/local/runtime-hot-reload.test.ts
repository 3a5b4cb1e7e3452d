/**
 * The local runtime's hot reload after handler edits, on a small real CDK app in a temporary
 * project (two BundledFunctions behind a REST API, one fed by an SQS queue): the fast path
 * (in-process bundling, then the synth in the background), and an edit that does not compile.
 * Checked from the outside: the runtime's log, HTTP, the AWS SDK and cdk.out.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../../lib/local/runtime.ts';
import { LOCAL_SYNTH_CONTEXT, synthesize } from '../../../lib/local/synth.ts';

const PROJECT = resolve(import.meta.dirname, '../../..');
const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

const APP = `import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { BundledFunction } from ${JSON.stringify(join(PROJECT, 'lib/pipeline/bundled-function.ts'))};
import { ENV } from '../functions/shared/contract.ts';

const app = new App();
const stack = new Stack(app, 'HotReload');
const projectRoot = process.cwd();
const greeter = new BundledFunction(stack, 'Greeter', {
  entry: 'functions/greeter/handler.ts',
  projectRoot,
  environment: { [ENV.greetingText]: 'hello' },
});
const other = new BundledFunction(stack, 'Other', { entry: 'functions/other/handler.ts', projectRoot });
const api = new RestApi(stack, 'Api', { deployOptions: { stageName: 'live' } });
api.root.addResource('greet').addMethod('GET', new LambdaIntegration(greeter.function));
api.root.addResource('other').addMethod('GET', new LambdaIntegration(other.function));
const queue = new Queue(stack, 'Work');
greeter.function.addEventSource(new SqsEventSource(queue));
new CfnOutput(stack, 'QueueUrl', { value: queue.queueUrl });
`;

const HANDLER = `import { greeting } from '../shared/greeting.ts';

const VERSION = 'v1';

export const handler = async (event: { Records?: Array<{ body: string }> }) => {
  if (event.Records) {
    for (const record of event.Records) console.log(\`got \${record.body} on \${VERSION}\`);
    return {};
  }
  return { statusCode: 200, body: JSON.stringify({ greeting: greeting(), version: VERSION }) };
};
`;

const FILES: Record<string, string> = {
  'bin/app.ts': APP,
  'functions/greeter/handler.ts': HANDLER,
  // Read by the CDK app too: the name of the env var the stack sets and the code reads.
  'functions/shared/contract.ts':
    "export const ENV = { greetingText: 'GREETING_TEXT' } as const;\n",
  'functions/shared/greeting.ts':
    "import { ENV } from './contract.ts';\n\nexport const greeting = (): string => process.env[ENV.greetingText] ?? 'unset';\n",
  'functions/other/handler.ts':
    "export const handler = async () => ({ statusCode: 200, body: JSON.stringify({ version: 'other' }) });\n",
  'lib/.keep': '',
  'package.json': JSON.stringify({ name: 'hot-reload-fixture', private: true, type: 'module' }),
  'cdk.json': JSON.stringify({
    app: 'node --import tsx bin/app.ts',
    notices: false,
    context: { 'cli-telemetry': false, '@aws-cdk/aws-apigateway:disableCloudWatchRole': true },
  }),
};

/** Collects the runtime's log and waits for lines. */
class LogSpy {
  public readonly lines: string[] = [];
  public readonly log = (line: string) => {
    this.lines.push(line);
  };

  /** The first line matching `pattern` from line `from` on. */
  public async waitFor(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find((line) => pattern.test(line));
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no log line matched ${pattern} within ${timeoutMs} ms:\n${this.lines.slice(from).join('\n')}`
        );
      }
      await new Promise((done) => setTimeout(done, 25));
    }
  }
}

describe('LocalRuntime hot reload of a handler edit (a small CDK app)', () => {
  let project: string;
  let runtime: LocalRuntime;
  const spy = new LogSpy();

  const greet = async () => {
    const response = await fetch(`${runtime.summary.apiBaseUrl}live/greet`);
    return (await response.json()) as { greeting: string; version: string };
  };

  const editHandler = async (from: string, to: string) => {
    const file = join(project, 'functions/greeter/handler.ts');
    await writeFile(file, (await readFile(file, 'utf8')).replace(from, to));
  };

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'runtime-hot-reload-'));
    for (const [file, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(project, file)), { recursive: true });
      await writeFile(join(project, file), text);
    }
    await symlink(join(PROJECT, 'node_modules'), join(project, 'node_modules'), 'dir');
    runtime = await LocalRuntime.start({ projectDir: project, port: 0, watch: true, log: spy.log });
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
    await rm(project, { recursive: true, force: true });
  });

  it('serves the synthesized version', async () => {
    // Act
    const body = await greet();

    // Assess
    expect(body).toEqual({ greeting: 'hello', version: 'v1' });
  });

  it('swaps an edited handler through the fast path, without losing the messages queued meanwhile, then brings cdk.out up to date without a second swap', async () => {
    // Prepare
    const sqs = new SQSClient({ ...LOCAL, endpoint: runtime.summary.endpoints.sqs });
    const queueUrl = runtime.summary.outputs.HotReload?.QueueUrl ?? '';
    const id = randomUUID();
    const from = spy.lines.length;

    try {
      // Act: edit the handler, and queue a message while the runtime reloads.
      await editHandler("'v1'", "'v2'");
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: id }));
      const reloaded = await spy.waitFor(/^reloaded in /, from);
      const body = await greet();
      const updated = await spy.waitFor(/^cdk\.out updated in /, from, 120_000);

      // Assess
      expect(reloaded).toMatch(
        /^reloaded in \d+\.\d s: swapped HotReload-Greeter\S+ \(fast path: bundled in-process; cdk\.out is updated in the background\)$/
      );
      expect(body).toEqual({ greeting: 'hello', version: 'v2' });
      await spy.waitFor(new RegExp(`\\] .*got ${id} on v[12]$`), from);
      expect(updated).toMatch(
        /^cdk\.out updated in \d+\.\d s \(synthesized in the background\): nothing else to swap$/
      );
      // One swap only, of the edited function only.
      expect(spy.lines.slice(from).filter((line) => /swapped/.test(line))).toEqual([reloaded]);
      // The next start reuses cdk.out: it holds the edit.
      const synth = await synthesize({ projectDir: project, context: LOCAL_SYNTH_CONTEXT });
      expect(synth.reused).toBe(true);
      expect(await greet()).toEqual({ greeting: 'hello', version: 'v2' });
    } finally {
      sqs.destroy();
    }
  });

  it('re-synthesizes first for a change to a file the CDK app reads, so code and template swap together', async () => {
    // Prepare
    const from = spy.lines.length;

    // Act: rename the env var, in the stack and in the code at once.
    await writeFile(
      join(project, 'functions/shared/contract.ts'),
      "export const ENV = { greetingText: 'GREETING_WORD' } as const;\n"
    );
    const reloaded = await spy.waitFor(/^reloaded in /, from, 120_000);

    // Assess
    expect(reloaded).toMatch(/^reloaded in \d+\.\d s: swapped HotReload-Greeter\S+$/);
    expect(await greet()).toEqual({ greeting: 'hello', version: 'v2' });
    expect(spy.lines.slice(from).filter((line) => /fast path|cdk\.out updated/.test(line))).toEqual(
      []
    );
  });

  it('keeps the running version, with an error line, when an edit does not compile', async () => {
    // Prepare
    const from = spy.lines.length;

    // Act
    await editHandler('const VERSION =', 'const VERSION = =');
    const failed = await spy.waitFor(/^reload failed/, from);

    // Assess
    expect(failed).toMatch(
      /^reload failed, still running the previous version: bundling functions\/greeter\/handler\.ts failed: Build failed with 1 error:\n.*handler\.ts:3:\d+: ERROR: /
    );
    expect(await greet()).toEqual({ greeting: 'hello', version: 'v2' });
    expect(spy.lines.slice(from).filter((line) => /swapped|cdk\.out updated/.test(line))).toEqual(
      []
    );
  });

  it('swaps the fixed handler, and a function that reads a changed shared file', async () => {
    // Prepare
    const from = spy.lines.length;

    // Act
    await editHandler("const VERSION = = 'v2'", "const VERSION = 'v3'");
    const fixed = await spy.waitFor(/^reloaded in /, from);
    const afterFix = spy.lines.length;
    await writeFile(
      join(project, 'functions/shared/greeting.ts'),
      "export const greeting = (): string => 'hi';\n"
    );
    const shared = await spy.waitFor(/^reloaded in /, afterFix);
    const body = await greet();
    const updated = await spy.waitFor(/^cdk\.out updated in /, afterFix, 120_000);

    // Assess
    expect(fixed).toMatch(/swapped HotReload-Greeter\S+ \(fast path/);
    expect(shared).toMatch(/swapped HotReload-Greeter\S+ \(fast path/);
    expect(shared).not.toMatch(/HotReload-Other/);
    expect(body).toEqual({ greeting: 'hi', version: 'v3' });
    expect(updated).toMatch(/nothing else to swap$/);
  });

  it('re-synthesizes first for a change under lib/', async () => {
    // Prepare
    const from = spy.lines.length;

    // Act
    await writeFile(join(project, 'lib/.keep'), 'changed');
    const reloaded = await spy.waitFor(/^reloaded in /, from, 120_000);

    // Assess
    expect(reloaded).toMatch(/^reloaded in \d+\.\d s: no function changed$/);
    expect(await greet()).toEqual({ greeting: 'hi', version: 'v3' });
  });

  it('removes its bundles when it stops', async () => {
    // Prepare
    const hotRoot = join(project, 'cdk.hot.out');
    expect(readdirSync(hotRoot).length).toBeGreaterThan(0);

    // Act
    await runtime.stop();

    // Assess
    expect(existsSync(hotRoot) ? readdirSync(hotRoot) : []).toEqual([]);
  });

  it('stops quietly before its bundler warmed up', async () => {
    // Prepare: the bundler warms up once the runtime is ready.
    const quiet = new LogSpy();
    const again = await LocalRuntime.start({
      projectDir: project,
      port: 0,
      watch: true,
      log: quiet.log,
    });

    // Act
    await again.stop();

    // Assess
    expect(quiet.lines.filter((line) => /bundler|did not start/.test(line))).toEqual([]);
  }, 120_000);
});
