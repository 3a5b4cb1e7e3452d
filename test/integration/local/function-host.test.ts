/**
 * The local runtime's function host, with real worker threads running the hand-written bundles
 * in test/fixtures/functions, and a real SQS emulator for the endpoint wiring.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../../lib/local/function-host.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';
import {
  fixtureFunction,
  hostOptions,
  maxInFlight,
  tempDir,
  waitFor,
} from '../../fixtures/functions/local-function.ts';
import { type Emulators, startEmulators } from '../../helpers/emulators.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('FunctionHost', () => {
  let emulators: Emulators;
  const hosts: FunctionHost[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
  });

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((host) => host.close()));
  });

  afterAll(async () => {
    await emulators.stop();
  });

  function host(fn: LocalFunction, lines: string[] = [], maxConcurrency?: number): FunctionHost {
    const endpoints = {
      messaging: emulators.messagingEndpoint,
      dynamoDb: emulators.dynamoDbEndpoint,
    };
    const created = new FunctionHost(fn, hostOptions(endpoints, lines, maxConcurrency));
    hosts.push(created);
    return created;
  }

  it('gives the handler its resolved environment and the variables Lambda sets', async () => {
    // Prepare
    const fn = fixtureFunction('env-dump', {
      environment: { PIPELINE_TABLE_NAME: 'pipeline-table', AWS_REGION: 'eu-west-3' },
      memorySizeMb: 256,
    });

    // Act
    const outcome = await host(fn).invoke({});

    // Assess
    expect(outcome.ok).toBe(true);
    const { env, moduleType } = (outcome.ok ? outcome.result : {}) as {
      env: Record<string, string>;
      moduleType: string;
    };
    expect(env).toMatchObject({
      PIPELINE_TABLE_NAME: 'pipeline-table',
      // Lambda's reserved variables win over the template's.
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SQS: emulators.messagingEndpoint,
      AWS_ENDPOINT_URL_SNS: emulators.messagingEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoDbEndpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'fixture-env-dump',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      LAMBDA_TASK_ROOT: fn.bundleDir,
      _HANDLER: 'index.handler',
      TZ: 'UTC',
    });
    // The host's own environment does not leak into the function.
    expect(env.HOME).toBeUndefined();
    // index.js loads as CommonJS, as in /var/task, despite the project's "type": "module".
    expect(moduleType).toBe('object');
  });

  it('points the SDK inside the handler at the emulators through the environment alone', async () => {
    // Prepare
    const { QueueUrl: queueUrl } = await emulators.sqs.send(
      new CreateQueueCommand({ QueueName: 'function-host-endpoints' })
    );

    // Act
    const outcome = await host(fixtureFunction('sqs-send')).invoke({ queueUrl, body: 'hello' });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { messageId: expect.any(String) } });
    const received = await emulators.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 })
    );
    expect(received.Messages?.map((message) => message.Body)).toEqual(['hello']);
  });

  it('passes a Lambda context whose remaining time counts down from the timeout', async () => {
    // Prepare
    const lines: string[] = [];
    const echo = host(fixtureFunction('echo', { timeoutSeconds: 3 }), lines);

    // Act
    const first = await echo.invoke({ n: 1 });
    const second = await echo.invoke({ n: 2 });

    // Assess
    expect(first.ok && second.ok).toBe(true);
    type Echoed = { event: unknown; context: Record<string, unknown> };
    const one = (first.ok ? first.result : {}) as Echoed;
    const two = (second.ok ? second.result : {}) as Echoed;
    expect(one.event).toEqual({ n: 1 });
    expect(one.context).toMatchObject({
      functionName: 'fixture-echo',
      functionVersion: '$LATEST',
      memoryLimitInMB: '128',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fixture-echo',
      logGroupName: '/aws/lambda/fixture-echo',
      logStreamName: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/),
      callbackWaitsForEmptyEventLoop: true,
      awsRequestId: expect.stringMatching(UUID),
    });
    expect(one.context.awsRequestId).not.toBe(two.context.awsRequestId);
    const remaining = one.context.remainingTimeInMillis as number;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(3000);
    await waitFor(() => lines.includes('[fixture-echo] echo {"n":2}'), { what: 'echo log line' });
    expect(lines).toContain('[fixture-echo] echo on stderr');
  });

  it('fails if the handler runs past its timeout, and replaces the killed worker', async () => {
    // Prepare
    const lines: string[] = [];
    const sleeper = host(fixtureFunction('sleep', { timeoutSeconds: 1 }), lines);

    // Act
    const timedOut = await sleeper.invoke({ ms: 60_000 });
    const next = await sleeper.invoke({ ms: 0 });

    // Assess
    expect(timedOut).toMatchObject({
      ok: false,
      timedOut: true,
      error: { name: 'Sandbox.Timedout', message: 'Task timed out after 1.00 seconds' },
    });
    expect(next).toMatchObject({ ok: true, result: { slept: 0 } });
    expect(lines.some((line) => /Task timed out after 1\.00 seconds/.test(line))).toBe(true);
  });

  it('fails if the handler rejects, with the error name, message and stack of the handler', async () => {
    // Act
    const outcome = await host(fixtureFunction('throw')).invoke({ mode: 'reject' });

    // Assess
    expect(outcome).toMatchObject({
      ok: false,
      timedOut: false,
      error: { name: 'FixtureFailureError', message: 'rejected on purpose' },
    });
    expect(outcome.ok ? '' : outcome.error.stack).toMatch(/throw\/index\.mjs/);
  });

  it('fails only the crashing invocation when a handler throws outside its promise or exits', async () => {
    // Prepare
    const thrower = host(fixtureFunction('throw'), [], 3);

    // Act
    const [uncaught, exited, fine] = await Promise.all([
      thrower.invoke({ mode: 'uncaught' }),
      thrower.invoke({ mode: 'exit' }),
      thrower.invoke({ mode: 'ok' }),
    ]);
    const after = await thrower.invoke({ mode: 'ok' });

    // Assess
    expect(uncaught).toMatchObject({
      ok: false,
      error: { name: 'FixtureFailureError', message: 'thrown outside the handler' },
    });
    expect(exited).toMatchObject({
      ok: false,
      error: { name: 'Runtime.ExitError', message: 'Runtime exited with error: exit status 3' },
    });
    expect(fine).toMatchObject({ ok: true, result: { ok: true } });
    expect(after).toMatchObject({ ok: true, result: { ok: true } });
  });

  it('never runs more invocations at once than the concurrency limit, and queues the rest', async () => {
    // Prepare
    const dir = tempDir('function-host-concurrency');
    const counterFile = join(dir, 'counter.log');
    const releaseFile = join(dir, 'release');
    writeFileSync(counterFile, '');
    const counter = host(
      fixtureFunction('concurrency-counter', {
        environment: { COUNTER_FILE: counterFile, RELEASE_FILE: releaseFile },
        reservedConcurrency: 5,
      }),
      [],
      3
    );

    // Act
    const invocations = Array.from({ length: 7 }, () => counter.invoke({}));
    await waitFor(() => maxInFlight(readFileSync(counterFile, 'utf8')).started >= 3, {
      what: 'three invocations to start',
    });
    const startedBeforeRelease = maxInFlight(readFileSync(counterFile, 'utf8')).started;
    writeFileSync(releaseFile, '');
    const outcomes = await Promise.all(invocations);

    // Assess
    expect(counter.concurrencyLimit).toBe(3);
    expect(startedBeforeRelease).toBe(3);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(maxInFlight(readFileSync(counterFile, 'utf8'))).toEqual({ max: 3, started: 7 });
  });

  it('fails if reserved concurrency is 0, without running the handler', async () => {
    // Act
    const outcome = await host(fixtureFunction('echo', { reservedConcurrency: 0 })).invoke({});

    // Assess
    expect(outcome).toMatchObject({
      ok: false,
      error: { name: 'TooManyRequestsException', message: 'Rate Exceeded.' },
    });
  });

  it('hot swaps the code: new invocations run the new bundle, running ones finish on the old', async () => {
    // Prepare
    const dir = tempDir('function-host-replace');
    const counterFile = join(dir, 'counter.log');
    const releaseFile = join(dir, 'release');
    writeFileSync(counterFile, '');
    const old = fixtureFunction('concurrency-counter', {
      environment: { COUNTER_FILE: counterFile, RELEASE_FILE: releaseFile },
    });
    const swapped = host(old);
    const running = swapped.invoke({});
    await waitFor(() => maxInFlight(readFileSync(counterFile, 'utf8')).started === 1, {
      what: 'the old code to start',
    });

    // Act
    await swapped.replace(fixtureFunction('echo', { logicalId: old.logicalId }));
    const onNewCode = await swapped.invoke({ after: 'replace' });
    writeFileSync(releaseFile, '');
    const onOldCode = await running;

    // Assess
    expect(onNewCode).toMatchObject({ ok: true, result: { event: { after: 'replace' } } });
    expect(onOldCode).toMatchObject({ ok: true, result: { counted: expect.stringMatching(UUID) } });
    expect(swapped.function.bundleDir).toMatch(/echo$/);
  });

  it('retargets without a swap: warm environments keep running, new ones load the new directory', async () => {
    // Prepare
    const fn = fixtureFunction('echo');
    const retargeted = host(fn);
    const warm = await retargeted.invoke({ before: 'retarget' });

    // Act: a different bundle, to tell which one answers (retarget is meant for identical ones).
    retargeted.retarget(fixtureFunction('env-dump', { logicalId: fn.logicalId }));
    const afterRetarget = await retargeted.invoke({ after: 'retarget' });

    // Assess
    expect(warm).toMatchObject({ ok: true, result: { event: { before: 'retarget' } } });
    expect(afterRetarget).toMatchObject({ ok: true, result: { event: { after: 'retarget' } } });
    expect(retargeted.function.bundleDir).toMatch(/env-dump$/);
  });

  it('runs callback handlers on runtimes before Node.js 24', async () => {
    // Act
    const outcome = await host(fixtureFunction('callback', { runtime: 'nodejs22.x' })).invoke({
      x: 1,
    });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { viaCallback: true, event: { x: 1 } } });
  });

  it('fails if a callback handler runs on Node.js 24, which removed them', async () => {
    // Act
    const outcome = await host(fixtureFunction('callback')).invoke({});

    // Assess
    expect(outcome).toMatchObject({
      ok: false,
      error: {
        name: 'Runtime.CallbackHandlerDeprecated',
        message: expect.stringMatching(/callback-based handlers are not supported on Node\.js 24/),
      },
    });
  });

  it('fails if the handler is not exported or the module does not exist', async () => {
    // Act
    const notExported = await host(fixtureFunction('echo', { handler: 'index.missing' })).invoke(
      {}
    );
    const noModule = await host(fixtureFunction('echo', { handler: 'nope.handler' })).invoke({});

    // Assess
    expect(notExported).toMatchObject({
      ok: false,
      error: {
        name: 'Runtime.HandlerNotFound',
        message: 'index.missing is undefined or not exported',
      },
    });
    expect(noModule).toMatchObject({
      ok: false,
      error: { name: 'Runtime.ImportModuleError', message: "Error: Cannot find module 'nope'" },
    });
  });
});
